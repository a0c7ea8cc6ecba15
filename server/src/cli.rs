//! The command line of the `atrium` binary.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Atrium: the self-serve data mesh platform.
///
/// The commands that work on a data directory (deploy, run, query, products, user, token, grant,
/// domain) act as the operator of that installation: as a platform admin. Against a remote
/// server, use the REST API with a token (`atrium token create`).
#[derive(Debug, Parser)]
#[command(name = "atrium", version, about, long_about)]
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
        #[arg(long, default_value = "examples/mesh")]
        out: PathBuf,
        /// Write each table into `<out>/<domain>/data/`, beside the demo domain that reads it
        #[arg(long)]
        mesh: bool,
        /// The TPC-H scale factor (1 is about 1 GB of CSV)
        #[arg(long, default_value_t = 0.01)]
        scale: f64,
    },
    /// Run a read-only SQL query over the products, e.g. "SELECT * FROM sales.orders LIMIT 10"
    Query {
        /// The SQL; tables are named <domain>.<product>
        sql: String,
    },
    /// Manage users (local accounts): `user add NAME …`, `user list`
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens: `token create --user NAME`, `token list`, `token revoke ID`
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manage read grants: `grant add PRODUCT[.OUTPUT] --to user:NAME|team:NAME`, `grant list`,
    /// `grant revoke ID`
    Grant {
        #[command(subcommand)]
        command: GrantCommand,
    },
    /// Manage domains: `domain add NAME --owner TEAM`
    Domain {
        #[command(subcommand)]
        command: DomainCommand,
    },
    /// Run one query sent on standard input and write its answer on standard output: the
    /// process `serve` starts for each query (see the engine's `worker` module)
    #[command(hide = true)]
    QueryWorker,
    /// Seed the demo's access requests (a pending one, an approved grant expiring soon, a denied
    /// one) as the demo users; run once by `examples/mesh/access.sh`
    #[command(hide = true)]
    DemoAccess,
    /// Measure what the access checks and the audit cost: each query as USER (the decision, the
    /// audit row) and as the operator's unaudited baseline, alternately, best of ROUNDS
    #[command(hide = true)]
    BenchAccess {
        #[arg(long)]
        user: String,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Files of one query each
        files: Vec<PathBuf>,
    },
    /// Remove a product from the catalog: hidden from lists, pages, runs, schedules and search;
    /// its tables, runs and audit stay, and deploying it again restores it
    Remove {
        /// The product id, e.g. sales.orders
        product: String,
    },
    /// The search index of this data dir: `index rebuild` rebuilds it from the catalog
    Index {
        #[command(subcommand)]
        command: IndexCommand,
    },
    /// List the deployed products
    Products {
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a local account, or change an existing one
    Add {
        name: String,
        /// The password (prefer --password-stdin: arguments show in the process list)
        #[arg(long, conflicts_with = "password_stdin")]
        password: Option<String>,
        /// Read the password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
        /// Make the user a platform admin
        #[arg(long)]
        admin: bool,
        /// A team the user belongs to (repeat for several; replaces the user's teams)
        #[arg(long = "team", value_name = "TEAM")]
        teams: Vec<String>,
        /// A role in a domain, DOMAIN:owner|writer|reader (repeat; replaces the user's own roles)
        #[arg(long = "role", value_name = "DOMAIN:ROLE")]
        roles: Vec<String>,
        /// The name shown in the portal
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
    /// List the users with their teams and roles
    List,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user; prints the token alone on standard output, once
    Create {
        #[arg(long)]
        user: String,
        /// What the token is for, e.g. "ci"
        #[arg(long, default_value = "cli")]
        name: String,
        /// How long it works, e.g. 30d or 12h [default: no expiry]
        #[arg(long)]
        expires: Option<humantime::Duration>,
    },
    /// List the tokens (without their secrets)
    List,
    /// Revoke a token by its id (atr_…); it stops working at once
    Revoke { id: String },
}

#[derive(Debug, Subcommand)]
pub enum GrantCommand {
    /// Let a user or a team read a product (or one output, PRODUCT.OUTPUT)
    Add {
        /// e.g. sales.orders, or sales.daily_revenue.monthly for one output
        product: String,
        /// user:NAME or team:NAME
        #[arg(long)]
        to: String,
        /// How long it works, e.g. 90d [default: no expiry]
        #[arg(long)]
        expires: Option<humantime::Duration>,
    },
    /// List the grants
    List,
    /// Revoke a grant by its id; it stops working at once
    Revoke {
        id: i64,
        /// Why, recorded with the grant and told to its holders
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DomainCommand {
    /// Create a domain owned by a team (or give the team the owner role of an existing one)
    Add {
        name: String,
        #[arg(long)]
        owner: String,
    },
    /// Set the longest grant an access request may ask for in a domain (days; 0 clears it)
    MaxGrantDays { name: String, days: u32 },
}

#[derive(Debug, clap::Subcommand)]
pub enum IndexCommand {
    /// Rebuild the search index from the catalog (stop `atrium serve` on this data dir first,
    /// or restart it: it checks its index on start)
    Rebuild,
}
