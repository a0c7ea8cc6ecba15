//! The platform facade: what the CLI, the REST API and the portal's server functions call.
//! It wires the descriptor rules, the engine and the catalog together (deploy = validate,
//! provision the domain's storage area, register in one transaction) and serves catalog reads.
//!
//! Architecture invariant: no HTTP, no Leptos. Every entry point returns `Result<_, PlatformError>`
//! whose `code()` the edge maps to a status.

mod access;
mod deploy;
mod error;
mod order;
mod published;
mod query;
mod runs;
mod secret;
pub mod starter;

pub use atrium_catalog::Catalog;
pub use atrium_engine::quarantine::RejectedRow;
pub use atrium_engine::{AnswerChunk, AnswerStream, EngineError, QueryResult, StreamFormat};
pub use deploy::DescriptorSource;
pub use error::{PlatformError, Result};
pub use runs::{RunAllEntry, RunTrigger};

use std::path::{Path, PathBuf};

pub use atrium_engine::ObjectStoreOptions;
use atrium_engine::{Engine, PiiKey, QueryLimits, StoreRoot};
use atrium_types::{DomainSummary, DomainView, HomeView, ProductDetail, ProductSummary};

/// Where the platform keeps its state.
#[derive(Debug, Clone)]
pub struct PlatformSettings {
    /// The data directory: the SQLite file and the local store live here.
    pub data_dir: PathBuf,
    /// The catalog database; `None` is the embedded SQLite file `<data-dir>/atrium.db`.
    pub database_url: Option<String>,
    /// The secret of keyed PII hashes; `None` reads (or creates) `<data-dir>/pii.key`. Replicas
    /// sharing one database must share this secret.
    pub pii_secret: Option<String>,
    /// Where the tables live: `None` is the local folder `<data-dir>/store`; `s3://bucket/prefix`
    /// an S3-compatible store reached with `object_stores`.
    pub store_url: Option<String>,
    /// How to reach S3-compatible stores (tables, `object` inputs): the `AWS_*` variables.
    pub object_stores: ObjectStoreOptions,
    /// The memory a run or a query may use.
    pub memory_limit_bytes: usize,
    /// The most rows a query returns; more are cut and the result says `truncated`.
    pub query_max_rows: usize,
    /// How long a query may run.
    pub query_timeout: std::time::Duration,
    /// How often a running run shows it is alive; a run silent for three of these is taken for
    /// abandoned (its process stopped) and marked failed, by whichever replica looks first.
    pub run_heartbeat: std::time::Duration,
}

impl PlatformSettings {
    /// The embedded defaults over `data_dir`.
    pub fn embedded(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            database_url: None,
            pii_secret: None,
            store_url: None,
            object_stores: ObjectStoreOptions::default(),
            memory_limit_bytes: 1024 * 1024 * 1024,
            query_max_rows: 10_000,
            query_timeout: std::time::Duration::from_secs(30),
            run_heartbeat: std::time::Duration::from_secs(10),
        }
    }
}

/// The running platform. Cheap to clone: clones share the database pool.
#[derive(Debug, Clone)]
pub struct Platform {
    catalog: Catalog,
    engine: Engine,
    query_limits: QueryLimits,
    run_heartbeat: std::time::Duration,
}

impl Platform {
    /// Opens (and migrates) the catalog and prepares the data directory.
    pub async fn open(settings: &PlatformSettings) -> Result<Self> {
        create_dir(&settings.data_dir).await?;
        let url = match &settings.database_url {
            Some(url) => url.clone(),
            None => Catalog::sqlite_url(&settings.data_dir.join("atrium.db")),
        };
        let catalog = Catalog::connect(&url).await?;
        let root = match &settings.store_url {
            Some(url) => StoreRoot::parse(url)?,
            None => StoreRoot::local(&settings.data_dir.join("store"))?,
        };
        let secret = secret::pii_secret(settings).await?;
        let engine = Engine::new(
            root,
            settings.data_dir.join("streams"),
            PiiKey::new(&secret)?,
            settings.memory_limit_bytes,
        )
        .with_object_stores(settings.object_stores.clone());
        let query_limits = QueryLimits {
            max_rows: settings.query_max_rows,
            timeout: settings.query_timeout,
            memory_bytes: settings.memory_limit_bytes,
        };
        let platform = Self {
            catalog,
            engine,
            query_limits,
            run_heartbeat: settings.run_heartbeat,
        };
        platform.fail_abandoned_runs().await?;
        Ok(platform)
    }

    pub async fn list_products(&self) -> Result<Vec<ProductSummary>> {
        Ok(self.catalog.list_products().await?)
    }

    pub async fn home(&self) -> Result<HomeView> {
        Ok(self.catalog.home().await?)
    }

    pub async fn domains(&self) -> Result<Vec<DomainSummary>> {
        Ok(self.catalog.domains().await?)
    }

    pub async fn domain(&self, name: &str) -> Result<DomainView> {
        Ok(self.catalog.domain(name).await?)
    }

    pub async fn product(&self, id: &str) -> Result<ProductDetail> {
        Ok(self.catalog.product(&runs::parse_id(id)?).await?)
    }
}

pub(crate) async fn create_dir(path: &Path) -> Result<()> {
    tokio::fs::create_dir_all(path)
        .await
        .map_err(|source| PlatformError::Storage {
            path: path.to_owned(),
            source,
        })
}
