//! The `atrium` binary's library: CLI, configuration, the HTTP edge and the commands. `main.rs`
//! only parses arguments and calls [`run`]; tests start the same server through [`http`].

#![recursion_limit = "256"]

mod access_commands;
pub mod cli;
pub mod commands;
pub mod config;
mod demo_access;
pub mod demo_data;
pub mod http;
pub mod oidc;
mod report;
pub mod scheduler;

use std::collections::BTreeMap;

use atrium_platform::{Platform, PlatformSettings};

use crate::cli::{Cli, Command};
use crate::commands::Outcome;
use crate::config::{Config, Overrides};

/// Why the binary stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Platform(#[from] atrium_platform::PlatformError),
    #[error(transparent)]
    Command(#[from] commands::CommandError),
    #[error("cannot listen on {addr}")]
    Listen {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    DemoData(#[from] demo_data::DemoDataError),
    #[error(transparent)]
    Oidc(#[from] oidc::OidcError),
    #[error("the server stopped")]
    Serve(#[source] std::io::Error),
    #[error("the query worker stopped")]
    QueryWorker(#[source] std::io::Error),
}

/// Runs one CLI invocation; the environment is passed in (see `config`).
pub async fn run(cli: Cli, env: &BTreeMap<String, String>) -> Result<Outcome, RunError> {
    if let Command::QueryWorker = &cli.command {
        let (stdin, stdout) = standard_streams().map_err(RunError::QueryWorker)?;
        atrium_platform::serve_query_worker(stdin, stdout)
            .await
            .map_err(RunError::QueryWorker)?;
        return Ok(Outcome::Success);
    }
    let (addr, site_root) = match &cli.command {
        Command::Serve { addr, site_root } => (*addr, site_root.clone()),
        _ => (None, None),
    };
    let overrides = Overrides {
        data_dir: cli.data_dir.clone(),
        addr,
        site_root,
    };
    let config = Config::load(cli.config.as_deref(), env, &overrides)?;
    if let Command::Validate { files } = &cli.command {
        return Ok(commands::validate(files)?);
    }
    if let Command::Init { file, id, out, force } = &cli.command {
        return Ok(commands::init(file, id.as_deref(), out.as_deref(), *force).await?);
    }
    if let Command::DemoData { out, scale, mesh } = &cli.command {
        let spinner = commands::spinner(format!("generating the TPC-H tables at scale factor {scale}"));
        let written = if *mesh {
            demo_data::generate_for_mesh(out, *scale)
        } else {
            demo_data::generate(out, *scale)
        };
        spinner.finish_and_clear();
        for (path, rows) in written? {
            println!("{rows:>9} rows  {}", path.display());
        }
        return Ok(Outcome::Success);
    }
    let platform = Platform::open(&PlatformSettings {
        data_dir: config.storage.data_dir.clone(),
        database_url: config.database.url(),
        pii_secret: config
            .engine
            .pii_secret
            .as_ref()
            .map(|s| secrecy::ExposeSecret::expose_secret(s).to_owned()),
        store_url: config.storage.url.clone(),
        object_stores: atrium_platform::ObjectStoreOptions::from_env(env),
        memory_limit_bytes: config.engine.memory_limit_mb.saturating_mul(1024 * 1024),
        query_max_rows: config.engine.query_max_rows,
        query_timeout: std::time::Duration::from_secs(config.engine.query_timeout_secs),
        sessions: atrium_platform::SessionPolicy {
            idle: chrono::Duration::hours(i64::try_from(config.auth.session_idle_hours).unwrap_or(12)),
            absolute: chrono::Duration::hours(i64::try_from(config.auth.session_max_hours).unwrap_or(168)),
        },
        fence: fence_of(&config.fence),
        query_workers: query_workers_of(&config.engine)?,
        clock: match &config.testing.clock_offset_file {
            Some(path) => std::sync::Arc::new(atrium_platform::OffsetFileClock::new(path.clone())),
            None => std::sync::Arc::new(atrium_platform::SystemClock),
        },
        ..PlatformSettings::embedded(config.storage.data_dir.clone())
    })
    .await?;
    match cli.command {
        Command::Serve { .. } => serve(&config, platform).await,
        Command::Deploy { files, no_run } => Ok(commands::deploy(&platform, &files, no_run).await?),
        Command::Products { json } => Ok(commands::products(&platform, json).await?),
        Command::Remove { product } => Ok(commands::remove(&platform, &product).await?),
        Command::Index { command } => Ok(commands::index(&platform, command).await?),
        Command::Run { products, all } => Ok(commands::run(&platform, &products, all).await?),
        Command::Query { sql } => Ok(commands::query(&platform, &sql).await?),
        Command::User { command } => Ok(access_commands::user(&platform, command).await?),
        Command::Token { command } => Ok(access_commands::token(&platform, command).await?),
        Command::Grant { command } => Ok(access_commands::grant(&platform, command).await?),
        Command::Domain { command } => Ok(access_commands::domain(&platform, command).await?),
        Command::DemoAccess => Ok(demo_access::seed(&platform).await?),
        Command::BenchAccess { user, rounds, files } => {
            Ok(demo_access::bench_access(&platform, &user, rounds, &files).await?)
        }
        // Handled above: they need no platform.
        Command::Validate { .. } | Command::DemoData { .. } | Command::Init { .. } | Command::QueryWorker => {
            Ok(Outcome::Success)
        }
    }
}

/// Standard input and output as asynchronous files (tokio's own `stdin()` needs a feature the
/// rest of the build does not).
fn standard_streams() -> std::io::Result<(tokio::fs::File, tokio::fs::File)> {
    use std::os::fd::AsFd;
    let stdin = std::fs::File::from(std::io::stdin().as_fd().try_clone_to_owned()?);
    let stdout = std::fs::File::from(std::io::stdout().as_fd().try_clone_to_owned()?);
    Ok((tokio::fs::File::from_std(stdin), tokio::fs::File::from_std(stdout)))
}

/// Query workers running this same binary (`atrium query-worker`), unless `[engine] query_workers`
/// is 0 (queries then run in the server's process, unbounded by the operating system).
fn query_workers_of(config: &config::EngineConfig) -> Result<Option<atrium_platform::QueryWorkers>, RunError> {
    if config.query_workers == 0 {
        return Ok(None);
    }
    let program = std::env::current_exe().map_err(RunError::QueryWorker)?;
    Ok(Some(atrium_platform::QueryWorkers::new(
        program,
        vec!["query-worker".to_owned()],
        config.query_workers,
    )))
}

/// The data fence of the configuration; roots are made absolute and canonical.
fn fence_of(config: &config::FenceConfig) -> atrium_platform::Fence {
    atrium_platform::Fence {
        file_roots: config
            .file_roots
            .iter()
            .map(|root| root.canonicalize().unwrap_or_else(|_| root.clone()))
            .collect(),
        object_prefixes: config.object_prefixes.clone(),
        allowed_addresses: config.allowed_addresses.clone(),
        allow_private_networks: config.allow_private_networks,
        max_fetch_bytes: config.max_fetch_mb.saturating_mul(1024 * 1024),
        fetch_timeout: std::time::Duration::from_secs(config.fetch_timeout_secs),
    }
}

/// How often `serve` looks for catalog changes made elsewhere (another replica, the CLI): one
/// indexed read of the feed's head, so that search sees them well within 2 s.
const FEED_POLL: std::time::Duration = std::time::Duration::from_millis(250);

async fn serve(config: &Config, platform: Platform) -> Result<Outcome, RunError> {
    let addr = config.server.addr;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| RunError::Listen { addr, source })?;
    let site_root = &config.server.site_root;
    if !site_root.join("pkg").is_dir() {
        tracing::warn!(site_root = %site_root.display(), "no built site here: pages render but do not hydrate; run `make build`");
    }
    let poll = std::time::Duration::from_secs(config.engine.scheduler_poll_secs.max(1));
    tokio::spawn(scheduler::run_schedules(platform.clone(), poll));
    tokio::spawn(scheduler::follow_catalog_feed(platform.clone(), FEED_POLL));
    if config.engine.stream_batch_secs > 0 {
        let every = std::time::Duration::from_secs(config.engine.stream_batch_secs);
        tokio::spawn(scheduler::run_stream_batches(platform.clone(), every));
    }
    let oidc = match &config.auth.oidc {
        Some(settings) => Some(std::sync::Arc::new(oidc::OidcProvider::new(settings.clone())?)),
        None => None,
    };
    let state = http::AppState {
        secure_cookies: config.auth.secure_cookies,
        oidc,
        max_body_bytes: usize::try_from(config.server.max_body_mb.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX),
        ..http::AppState::new(http::leptos_options(site_root, addr), platform)
    };
    tracing::info!(%addr, data_dir = %config.storage.data_dir.display(), "serving the portal on http://{addr}");
    http::serve(listener, state).await.map_err(RunError::Serve)?;
    Ok(Outcome::Success)
}
