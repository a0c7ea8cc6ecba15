//! The `atrium` binary: parses the command line, sets up logging, runs the command.

use std::process::ExitCode;

use clap::Parser;
use server::cli::{Cli, Command};
use server::commands::Outcome;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // The server logs its work; a one-shot command prints its result and logs only problems.
    let default_level = if matches!(cli.command, Command::Serve { .. }) {
        "info"
    } else {
        "warn"
    };
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{default_level},sqlx=warn,sea_orm=warn,buoyant_kernel=off")));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let env = std::env::vars().collect();
    match server::run(cli, &env).await {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Invalid) => ExitCode::from(1),
        Err(error) => {
            let report = anyhow::Error::from(error);
            eprintln!("error: {report:#}");
            ExitCode::from(2)
        }
    }
}
