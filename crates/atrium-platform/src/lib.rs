//! The platform facade: what the CLI, the REST API and the portal's server functions call.
//! It wires the descriptor rules, the engine and the catalog together (deploy = validate,
//! provision the domain's storage area, register in one transaction) and serves catalog reads.
//!
//! Architecture invariant: no HTTP, no Leptos. Every entry point returns `Result<_, PlatformError>`
//! whose `code()` the edge maps to a status.

pub mod access;
mod audit;
mod clock;
mod deploy;
mod error;
mod external;
mod grants;
mod guard;
mod identity;
mod kept;
mod order;
mod published;
mod query;
mod removal;
mod requests;
mod runs;
mod samples;
mod search;
mod secret;
pub mod starter;
mod usage;

pub use access::{Caller, Origin, Refusal, User};
pub use atrium_engine::quarantine::RejectedRow;
pub use audit::audit_csv;
pub use clock::{Clock, ManualClock, OffsetFileClock, SystemClock};
pub use external::{ExternalClaims, ExternalUser, GroupTable, external_user};
pub use identity::{NewSession, PasswordCost, SessionPolicy, TOKEN_PREFIX, UserSettings};
/// How long a token or a session lasts.
pub type TokenLifetime = chrono::Duration;
pub use atrium_engine::{AnswerChunk, AnswerStream, EngineError, QueryResult, StreamFormat};
pub use deploy::DescriptorSource;
pub use error::{PlatformError, Result};
pub use runs::{RunAllEntry, RunTrigger};
pub use search::{Hit, RebuildReport, SearchParams, SearchResults, Suggestion};

use std::path::{Path, PathBuf};

use atrium_catalog::Catalog;
pub use atrium_engine::worker::serve as serve_query_worker;
use atrium_engine::{Engine, PiiKey, QueryLimits, StoreRoot};
pub use atrium_engine::{Fence, ObjectStoreOptions, QueryWorkers};
use atrium_types::{DomainSummary, DomainView, HomeView, InputView, ProductDetail, ProductSummary};

use crate::access::Action;

/// The file of a demo data directory that holds the demo logins (`examples/mesh/access.sh`).
pub const DEMO_LOGINS_FILE: &str = "demo-logins.txt";

/// Where the platform keeps its state.
#[derive(Clone)]
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
    /// Where the platform reads the time (grant expiries, sessions, tokens).
    pub clock: std::sync::Arc<dyn Clock>,
    /// How much work a password hash costs (`Cheap` in tests).
    pub password_cost: PasswordCost,
    pub sessions: SessionPolicy,
    /// What inputs and outbound requests may reach.
    pub fence: Fence,
    /// Where queries run: in worker processes under a memory limit, or (`None`) in this one.
    pub query_workers: Option<QueryWorkers>,
}

/// The settings without their secrets: the database URL's password and the PII secret are never
/// shown.
impl std::fmt::Debug for PlatformSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformSettings")
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(atrium_catalog::redact_url),
            )
            .field("pii_secret", &self.pii_secret.as_ref().map(|_| "[redacted]"))
            .field("store_url", &self.store_url)
            .field("object_stores", &self.object_stores)
            .field("fence", &self.fence)
            .finish_non_exhaustive()
    }
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
            clock: std::sync::Arc::new(SystemClock),
            password_cost: PasswordCost::Standard,
            sessions: SessionPolicy::default(),
            fence: Fence::default(),
            query_workers: None,
        }
    }
}

/// How many recently changed products the home page lists.
const RECENT_ON_HOME: u64 = 8;
/// How many products a domain's page lists (search finds the others).
const DOMAIN_PAGE: u64 = 200;

/// The running platform. Cheap to clone: clones share the database pool.
#[derive(Debug, Clone)]
pub struct Platform {
    catalog: Catalog,
    engine: Engine,
    query_limits: QueryLimits,
    run_heartbeat: std::time::Duration,
    clock: std::sync::Arc<dyn Clock>,
    password_cost: PasswordCost,
    sessions: SessionPolicy,
    data_dir: PathBuf,
    /// `None` when another process holds the index (a CLI beside a running server).
    search: Option<std::sync::Arc<search::SearchService>>,
    /// The sample rows of the published versions shown lately.
    samples: std::sync::Arc<samples::SampleCache>,
    /// What pages read of the catalog that only a catalog change changes.
    kept: std::sync::Arc<kept::KeptViews>,
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
        .with_object_stores(settings.object_stores.clone())
        .with_fence(settings.fence.clone());
        let engine = match &settings.query_workers {
            Some(workers) => engine.with_query_workers(workers.clone()),
            None => engine,
        };
        let query_limits = QueryLimits {
            max_rows: settings.query_max_rows,
            timeout: settings.query_timeout,
            memory_bytes: settings.memory_limit_bytes,
        };
        let (search, opened) = match search::SearchService::open(settings.data_dir.join("index")).await {
            Ok((search, opened)) => (Some(std::sync::Arc::new(search)), Some(opened)),
            Err(error) => {
                tracing::debug!(%error, "the search index is not opened by this process");
                (None, None)
            }
        };
        let platform = Self {
            search,
            samples: std::sync::Arc::default(),
            kept: std::sync::Arc::default(),
            catalog,
            engine,
            query_limits,
            run_heartbeat: settings.run_heartbeat,
            clock: settings.clock.clone(),
            password_cost: settings.password_cost,
            sessions: settings.sessions,
            data_dir: settings.data_dir.clone(),
        };
        platform.fail_abandoned_runs(&Caller::System).await?;
        if let Some(opened) = opened {
            platform.start_search(opened);
        }
        Ok(platform)
    }

    /// The products the caller may know of, by id.
    pub async fn list_products(&self, caller: &Caller) -> Result<Vec<ProductSummary>> {
        let seen = self.seen_by(caller).await?;
        Ok(self.catalog.visible_products(&seen, None, None, None).await?)
    }

    /// A page of the products the caller may know of, by id, after the product `after`.
    pub async fn products_page(&self, caller: &Caller, after: Option<&str>, limit: u64) -> Result<Vec<ProductSummary>> {
        let seen = self.seen_by(caller).await?;
        Ok(self.catalog.visible_products(&seen, None, after, Some(limit)).await?)
    }

    pub async fn home(&self, caller: &Caller) -> Result<HomeView> {
        let seen = self.seen_by(caller).await?;
        let domains = self.catalog.visible_domains_in(&*self.counts().await?, &seen).await?;
        Ok(HomeView {
            product_count: domains.iter().map(|domain| domain.product_count).sum(),
            domains,
            recent: self.catalog.recent_products(&seen, RECENT_ON_HOME).await?,
        })
    }

    pub async fn domains(&self, caller: &Caller) -> Result<Vec<DomainSummary>> {
        let seen = self.seen_by(caller).await?;
        Ok(self.catalog.visible_domains_in(&*self.counts().await?, &seen).await?)
    }

    /// A domain's page: its owners and the first [`DOMAIN_PAGE`] of its products the caller may
    /// see (search lists them all).
    pub async fn domain(&self, caller: &Caller, name: &str) -> Result<DomainView> {
        let seen = self.seen_by(caller).await?;
        let counts = self.counts().await?;
        Ok(self.catalog.domain(name, &counts, &seen, DOMAIN_PAGE).await?)
    }

    /// A product's page: its contract, runs and consumers. Inputs and consumers the caller may
    /// not see are not named.
    pub async fn product(&self, caller: &Caller, id: &str) -> Result<ProductDetail> {
        let id = runs::parse_id(id)?;
        self.guard(caller, &id, Action::See).await?;
        let mut detail = self.product_detail(&id).await?;
        let mut related: Vec<atrium_types::ProductId> = detail.consumers.clone();
        related.extend(detail.inputs.iter().filter_map(|input| match input {
            InputView::Product { product, .. } => Some(product.clone()),
            _ => None,
        }));
        let facts = self.facts_for(&related).await?;
        let sees = |product: &atrium_types::ProductId| facts.find(product).is_some_and(|p| facts.sees(caller, p));
        detail.consumers.retain(|consumer| sees(consumer));
        for input in &mut detail.inputs {
            if let InputView::Product { name, product, .. } = input
                && facts.find(product).is_some()
                && !sees(&*product)
            {
                *input = InputView::Hidden { name: name.clone() };
            }
        }
        Ok(detail)
    }

    /// In a demo data directory (`make run`), where the demo logins are: the sign-in page says so.
    pub fn demo_logins_hint(&self) -> Option<String> {
        let file = self.data_dir.join(DEMO_LOGINS_FILE);
        file.is_file().then(|| {
            format!(
                "This is a demo installation: `make run` printed the demo logins when it created them, and they are kept in {}.",
                file.display()
            )
        })
    }

    /// The platform's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_never_show_their_secrets() {
        let settings = PlatformSettings {
            database_url: Some("postgres://atrium:hunter2@db/atrium".to_owned()),
            pii_secret: Some("a very secret pii key".to_owned()),
            ..PlatformSettings::embedded(PathBuf::from("/srv/atrium"))
        };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("very secret"), "{shown}");
        assert!(shown.contains("postgres://atrium:***@db/atrium"), "{shown}");
    }
}
