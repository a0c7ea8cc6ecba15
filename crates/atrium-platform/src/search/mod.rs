//! Catalog search: the Tantivy index under `<data-dir>/index` follows the catalog's change feed.
//! Each batch of events re-reads the products they name from the catalog and replaces their
//! documents (idempotent: replaying a batch gives the same index), committed with the feed
//! position it covers. Opening the platform checks the index against the catalog (position and
//! counts) and rebuilds it in the background when it is behind or damaged; `atrium index
//! rebuild` does it by hand. The replica that made a change applies it before answering
//! ([`Platform::after_change`]); the others follow the feed ([`Platform::follow_feed`]).
//!
//! A search's audience is computed per request from the caller (roles, teams, live grants) and
//! is part of the Tantivy query: a hidden product is neither listed nor counted.

mod documents;

use std::collections::BTreeSet;
use std::sync::Arc;

use atrium_search::{Audience, AudienceKey, Change, DocKind, Opened, SearchIndex, SearchRequest};
use atrium_types::ProductId;

use crate::{Caller, Platform, PlatformError, Result};

pub use atrium_search::{Hit, SearchResults, Suggestion};

/// The window of reads the usage signal counts.
const USAGE_DAYS: i64 = 30;

/// How many feed events one catch-up step reads.
const FEED_BATCH: u64 = 500;

/// The index and the lock that lets one catch-up run at a time.
#[derive(Debug)]
pub(crate) struct SearchService {
    index: Arc<SearchIndex>,
    catching_up: tokio::sync::Mutex<()>,
    /// Whether the start-up check (catch-up or rebuild) is over.
    ready: Arc<tokio::sync::watch::Sender<bool>>,
    /// Searches and suggestions run on the blocking threads this many at a time (the cores):
    /// they are CPU-bound, and fifty at once only added threads, each with its own buffers
    /// (with mimalloc tried as the allocator, RSS after a search load was 616 MiB without the
    /// turns and 195 MiB with them; BENCHMARKS.md).
    at_once: Arc<tokio::sync::Semaphore>,
}

/// What a search asks, beside the caller.
#[derive(Debug, Clone, Default)]
pub struct SearchParams {
    pub q: String,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
    pub domain: Option<String>,
    pub tag: Option<String>,
    pub owner: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub classification: Option<String>,
    pub explain: bool,
}

/// What a rebuild did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebuildReport {
    pub products: u64,
    pub documents: u64,
    pub position: i64,
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> atrium_search::Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| PlatformError::Search(format!("the index task stopped: {error}")))?
        .map_err(|error| PlatformError::Search(error.to_string()))
}

impl SearchService {
    /// A turn to search (see `at_once`), held until the search is answered.
    async fn turn(&self) -> Result<tokio::sync::OwnedSemaphorePermit> {
        self.at_once
            .clone()
            .acquire_owned()
            .await
            .map_err(|error| PlatformError::Search(format!("the search turns closed: {error}")))
    }

    pub(crate) async fn open(dir: std::path::PathBuf) -> Result<(Self, Opened)> {
        let (index, opened) = blocking(move || SearchIndex::open(&dir)).await?;
        Ok((
            Self {
                index: Arc::new(index),
                catching_up: tokio::sync::Mutex::new(()),
                ready: Arc::new(tokio::sync::watch::Sender::new(false)),
                at_once: Arc::new(tokio::sync::Semaphore::new(
                    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
                )),
            },
            opened,
        ))
    }
}

impl Platform {
    fn search_service(&self) -> Result<&Arc<SearchService>> {
        self.search.as_ref().ok_or_else(|| {
            PlatformError::Unavailable(
                "search is not open in this process: another one (`atrium serve`) holds the index of this data dir"
                    .to_owned(),
            )
        })
    }

    /// Brings the index up to the catalog when the platform opens: caught up from the feed when
    /// it is behind, rebuilt (in the background) when it is fresh, damaged, or its product count
    /// differs from the catalog's at the same position.
    pub(crate) fn start_search(&self, opened: Opened) {
        let platform = self.clone();
        let ready = self.search.as_ref().map(|service| service.ready.clone());
        tokio::spawn(async move {
            let outcome = async {
                let rebuild = match &opened {
                    Opened::Fresh | Opened::Damaged { .. } => true,
                    Opened::Resumed { seq } => {
                        let head = platform.catalog.feed_head().await?;
                        if *seq > head {
                            true
                        } else if *seq == head {
                            let index = platform.search_service()?.index.clone();
                            let indexed = blocking(move || index.count(DocKind::Product)).await?;
                            indexed != platform.catalog.product_count().await?
                        } else {
                            false
                        }
                    }
                };
                if rebuild {
                    let report = platform.rebuild_search().await?;
                    tracing::info!(
                        ?opened,
                        products = report.products,
                        position = report.position,
                        "search index rebuilt"
                    );
                } else {
                    platform.catch_up_search().await?;
                }
                Ok::<_, PlatformError>(())
            }
            .await;
            if let Err(error) = outcome {
                tracing::error!(%error, "the search index could not be brought up to date");
            }
            // The task lets go of the platform (and so of the index) before it says so.
            drop(platform);
            if let Some(ready) = ready {
                ready.send_replace(true);
            }
        });
    }

    /// Waits until the start-up check of the index (a catch-up, or a rebuild) is over; at once
    /// in a process that does not hold the index.
    pub async fn search_ready(&self) {
        if let Some(service) = &self.search {
            let mut ready = service.ready.subscribe();
            let _ = ready.wait_for(|ready| *ready).await;
        }
    }

    /// Rebuilds the index from the catalog: every live product's documents, at the feed's head
    /// read first (so the events after it, applied again, change nothing or something newer).
    pub async fn rebuild_search(&self) -> Result<RebuildReport> {
        let service = self.search_service()?;
        let _turn = service.catching_up.lock().await;
        let head = self.catalog.feed_head().await?;
        let now = self.clock.now();
        let mut docs = Vec::new();
        let products = self.catalog.list_products().await?;
        for product in &products {
            docs.extend(self.documents_of(&product.id, now).await?);
        }
        let index = service.index.clone();
        let documents = blocking(move || index.rebuild(docs, head)).await?;
        Ok(RebuildReport {
            products: products.len() as u64,
            documents,
            position: head,
        })
    }

    /// The documents of a product as the catalog holds it now (none when it is gone), with its
    /// reads of the last 30 days as the usage signal.
    async fn documents_of(
        &self,
        id: &ProductId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<atrium_search::SearchDoc>> {
        let detail = match self.catalog.product(id).await {
            Ok(detail) => detail,
            Err(atrium_catalog::CatalogError::NotFound { .. }) => return Ok(Vec::new()),
            Err(error) => return Err(error.into()),
        };
        let since = now - chrono::Duration::days(USAGE_DAYS);
        let reads = self
            .catalog
            .read_groups(crate::audit::DATA_ACTIONS, Some(id), since)
            .await?
            .iter()
            .map(|group| group.reads)
            .sum();
        Ok(documents::product_documents(&detail, reads, now))
    }

    /// Applies every feed event after the index's position, in order.
    pub async fn catch_up_search(&self) -> Result<i64> {
        let Some(service) = &self.search else {
            // Another process holds the index; it follows the feed.
            return Ok(0);
        };
        let _turn = service.catching_up.lock().await;
        loop {
            let position = service.index.position();
            let events = self.catalog.feed_after(position, FEED_BATCH).await?;
            let Some(last) = events.last().map(|event| event.seq) else {
                return Ok(position);
            };
            let products: BTreeSet<ProductId> = events.into_iter().filter_map(|event| event.product).collect();
            let now = self.clock.now();
            let mut changes = Vec::with_capacity(products.len());
            for id in products {
                let docs = self.documents_of(&id, now).await?;
                changes.push(Change::Product {
                    id: id.to_string(),
                    docs,
                });
            }
            let index = service.index.clone();
            blocking(move || index.apply(changes, last)).await?;
        }
    }

    /// After a change this replica made: its search answers it before the request does.
    pub(crate) async fn after_change(&self) {
        if let Err(error) = self.catch_up_search().await {
            tracing::error!(%error, "the search index did not take the change; the follower retries");
        }
    }

    /// Follows the feed for changes made elsewhere (another replica, `atrium deploy`): call
    /// it every few hundred milliseconds; it reads one row when nothing changed.
    pub async fn follow_feed(&self) -> Result<()> {
        let Some(service) = &self.search else {
            return Ok(());
        };
        if self.catalog.feed_head().await? != service.index.position() {
            self.catch_up_search().await?;
        }
        Ok(())
    }

    /// The index's feed position.
    pub fn search_position(&self) -> Option<i64> {
        self.search.as_ref().map(|service| service.index.position())
    }

    /// The audience of `caller`: the decision's visibility rule ([`crate::access::seen_by`]) as
    /// the index's audience keys.
    async fn audience(&self, caller: &Caller) -> Result<Audience> {
        Ok(match self.seen_by(caller).await? {
            atrium_catalog::SeenBy::Everything => Audience::Everything,
            atrium_catalog::SeenBy::Keys {
                domains,
                owners,
                products,
            } => {
                let mut keys = vec![AudienceKey::Everyone];
                keys.extend(domains.into_iter().map(AudienceKey::Domain));
                keys.extend(owners.into_iter().map(AudienceKey::Owner));
                keys.extend(products.into_iter().map(AudienceKey::Product));
                Audience::Keys(keys)
            }
        })
    }

    /// Searches the catalog as `caller` may see it.
    pub async fn search(&self, caller: &Caller, params: SearchParams) -> Result<SearchResults> {
        let audience = self.audience(caller).await?;
        let mut query = atrium_search::parse_query(&params.q);
        let given = [
            (atrium_search::FilterField::Domain, &params.domain),
            (atrium_search::FilterField::Tag, &params.tag),
            (atrium_search::FilterField::Owner, &params.owner),
            (atrium_search::FilterField::Type, &params.kind),
            (atrium_search::FilterField::Status, &params.status),
            (atrium_search::FilterField::Classification, &params.classification),
        ];
        for (field, value) in given {
            if let Some(value) = value {
                query = query.with_filter(field, value);
            }
        }
        let request = SearchRequest {
            query,
            limit: params.limit.unwrap_or(20),
            offset: params.offset.unwrap_or(0).min(10_000),
            explain: params.explain,
        };
        let service = self.search_service()?;
        let _turn = service.turn().await?;
        let index = service.index.clone();
        blocking(move || index.search(&request, &audience)).await
    }

    /// Up to 10 completions of `prefix` as `caller` may see them.
    pub async fn suggest(&self, caller: &Caller, prefix: &str) -> Result<Vec<Suggestion>> {
        let audience = self.audience(caller).await?;
        let prefix: String = prefix.chars().take(200).collect();
        let service = self.search_service()?;
        let _turn = service.turn().await?;
        let index = service.index.clone();
        blocking(move || index.suggest(&prefix, &audience, 10)).await
    }
}
