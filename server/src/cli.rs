//! The command line of the `atrium` binary.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Atrium: the self-serve data mesh platform.
#[derive(Debug, Parser)]
#[command(name = "atrium", version, about)]
pub struct Cli {
    /// The data directory (catalog database and local store) [default: .atrium]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// A configuration file [default: atrium.toml when present]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the portal and the REST API
    Serve {
        /// The address to listen on [default: 127.0.0.1:3000]
        #[arg(long)]
        addr: Option<SocketAddr>,
        /// The built site (wasm, JS, CSS) [default: target/site]
        #[arg(long, value_name = "DIR")]
        site_root: Option<PathBuf>,
    },
    /// Check descriptors without deploying them; exits 1 when any has a problem
    Validate {
        /// Descriptor files, or folders searched for *.yaml and *.yml
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Validate and apply descriptors, all in one transaction; prints what changed, then runs it
    Deploy {
        /// Descriptor files, or folders searched for *.yaml and *.yml
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Do not run the created or changed products
        #[arg(long)]
        no_run: bool,
    },
    /// Run products now: read their inputs, transform, check, write a new version
    Run {
        /// Product ids, e.g. sales.orders; run in the order given
        #[arg(value_name = "PRODUCT", required_unless_present = "all")]
        products: Vec<String>,
        /// Run every product, upstream products before the ones that read them
        #[arg(long, conflicts_with = "products")]
        all: bool,
    },
    /// Start a product from a sample file (CSV, JSON lines, Parquet): infer its schema, look for
    /// personal data, show a preview, and write a starter descriptor next to it
    Init {
        /// The sample file; the descriptor reads it by a path relative to itself
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The product id, <domain>.<name> [default: sandbox.<file name>]
        #[arg(long)]
        id: Option<String>,
        /// Where to write the descriptor [default: <file name>.yaml beside the file]
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Replace the descriptor if it exists
        #[arg(long)]
        force: bool,
    },
    /// Write the TPC-H tables as CSV files for the demo mesh
    DemoData {
        /// The folder to write into
        #[arg(long, default_value = "examples/mesh/data")]
        out: PathBuf,
        /// The TPC-H scale factor (1 is about 1 GB of CSV)
        #[arg(long, default_value_t = 0.01)]
        scale: f64,
    },
    /// Run a read-only SQL query over the products, e.g. "SELECT * FROM sales.orders LIMIT 10"
    Query {
        /// The SQL; tables are named <domain>.<product>
        sql: String,
    },
    /// List the deployed products
    Products {
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
}
