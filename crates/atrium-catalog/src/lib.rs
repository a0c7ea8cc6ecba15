//! The catalog store: domains, products, revisions, output contracts and the dependency edges
//! between products, users, teams, roles, sessions, API tokens and grants, in SQLite (embedded default) or PostgreSQL through sea-orm.
//!
//! Architecture invariant: the catalog knows the descriptor model and the wasm-safe views, never
//! HTTP or Leptos; database rows never leave this crate (they become `atrium_types` views here).

mod access_requests;
mod audit;
mod connect;
mod counts;
mod credentials;
mod deploy;
mod entity;
mod error;
mod feed;
mod grants;
mod identity;
mod markdown;
mod notifications;
mod read;
mod removal;
mod runs;
mod schedules;
mod time;
mod trail;
mod visible;

pub use access_requests::{Decision, NewRequest, RequestRecord};
pub use audit::{AuditQuery, ReadGroup};
pub use connect::redact_url;
pub use credentials::{SessionRecord, SignInAttempt, TokenRecord};
pub use deploy::Deployment;
pub use error::{CatalogError, Result};
pub use feed::{FeedEvent, FeedSeq, kinds};
pub use grants::{GrantRecord, NewGrant};
pub use identity::{UserChange, UserRecord};
pub use markdown::{markdown_text, render_markdown};
pub use read::RUNS_ON_PAGE;
pub use runs::{PublishedOutput, RunRecord, RunnableProduct};
pub use schedules::ClaimedRun;
pub use time::rfc3339;
pub use trail::{AuditRecord, DomainEvent, Notice, Trail};
pub use visible::{CountRow, Counts, SeenBy};

use sea_orm::DatabaseConnection;

/// The catalog, over one database.
#[derive(Clone, Debug)]
pub struct Catalog {
    db: DatabaseConnection,
}

impl Catalog {
    /// A transaction that writes. On SQLite it takes the write lock at `BEGIN` (`IMMEDIATE`), so
    /// that it waits for another writer (a server and a CLI on one file) instead of failing
    /// when it would upgrade a read that another writer made stale.
    pub(crate) async fn begin_write(&self) -> Result<sea_orm::DatabaseTransaction> {
        use sea_orm::TransactionTrait;
        let options = sea_orm::TransactionOptions {
            sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
            ..sea_orm::TransactionOptions::default()
        };
        Ok(self.db.begin_with_options(options).await?)
    }
}
