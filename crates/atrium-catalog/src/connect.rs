//! Opening the catalog database and bringing its schema up to date.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database};

use crate::{Catalog, CatalogError, Result};

impl Catalog {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`) and runs pending migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let mut options = ConnectOptions::new(url.to_owned());
        // Every statement at debug level (`RUST_LOG=sqlx::query=debug` shows what a request
        // asks), a statement slower than a second as a warning.
        options
            .sqlx_logging(true)
            .sqlx_logging_level(log::LevelFilter::Debug)
            .sqlx_slow_statements_logging_settings(log::LevelFilter::Warn, std::time::Duration::from_secs(1));
        if url.starts_with("sqlite:") {
            // One writer at a time is SQLite's rule; a small pool avoids lock contention.
            options.max_connections(4);
        }
        // Processes opening one SQLite file take turns until it is migrated (a server and a CLI,
        // say): SQLite lives on one host, so a lock file beside it is the lock.
        let _turn = match sqlite_path(url) {
            Some(path) => Some(take_turn(&path).await?),
            None => None,
        };
        let db = Database::connect(options)
            .await
            .map_err(|source| CatalogError::Connect {
                url: redact(url),
                source,
            })?;
        if url.starts_with("sqlite:") {
            use sea_orm::ConnectionTrait;
            // WAL lets readers go on while a deploy writes; it is a property of the file, so once is
            // enough. Foreign keys and a busy timeout are on by default in every pooled connection.
            db.execute_unprepared("PRAGMA journal_mode=WAL").await?;
        }
        migrate(&db).await?;
        Ok(Self { db })
    }

    /// The SQLite URL of a database file, created when missing.
    pub fn sqlite_url(path: &std::path::Path) -> String {
        format!("sqlite://{}?mode=rwc", path.display())
    }
}

/// The key of the advisory lock that serializes migrations across replicas ("atrium" in ASCII).
const MIGRATION_LOCK: i64 = 0x0000_6174_7269_756d;

/// Brings the schema up to date. On PostgreSQL, replicas starting together on one database take
/// turns: the migrations run in one transaction holding an advisory lock, so the second waits for
/// the first and then finds nothing left to do (without it, both created the same tables and one
/// died on `duplicate key value violates unique constraint`). SQLite files are migrated under the
/// lock file of [`take_turn`].
async fn migrate(db: &sea_orm::DatabaseConnection) -> Result<()> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
    if db.get_database_backend() != DbBackend::Postgres {
        Migrator::up(db, None).await?;
        return Ok(());
    }
    let txn = db.begin().await?;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [MIGRATION_LOCK.into()],
    ))
    .await?;
    Migrator::up(&txn, None).await?;
    txn.commit().await?;
    Ok(())
}

/// The file of a `sqlite://path?…` URL; `None` for other databases and in-memory SQLite.
fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://")?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:")).then(|| std::path::PathBuf::from(path))
}

/// Waits for this process's turn to open and migrate the SQLite file at `path`: an exclusive lock
/// on `<path>.lock`, held until the returned file is dropped.
async fn take_turn(path: &std::path::Path) -> Result<std::fs::File> {
    let lock_path = path.with_extension("db.lock");
    let for_error = lock_path.clone();
    let locked = tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(|error| CatalogError::Corrupt(format!("the lock of {} was not taken: {error}", for_error.display())))?;
    locked.map_err(|error| CatalogError::Corrupt(format!("cannot lock {}: {error}", for_error.display())))
}

/// The URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    redact(url)
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://atrium:s3cret@db:5432/atrium"),
            "postgres://atrium:***@db:5432/atrium"
        );
        assert_eq!(
            redact("sqlite://./.atrium/atrium.db?mode=rwc"),
            "sqlite://./.atrium/atrium.db?mode=rwc"
        );
    }
}
