//! What pages read of the catalog that only a catalog change changes, kept between requests: the
//! contracts of the product pages shown lately (outputs, columns, checks, inputs, revisions,
//! consumers, published versions: about ten statements and tens of rows each) and the domains
//! with their kept counts (the home page, the domain list and pages). The catalog's change feed
//! tells of every change, and this keeps its own position in it: before anything kept is handed
//! out, the feed's head is read (one row) and the events after the position forget what they
//! change, so a change committed by any replica or CLI is seen by the next request on every
//! replica. A read that began before something was forgotten is not kept.
//!
//! Nothing here decides: who may see a product is decided on every request from facts read
//! afresh, and a caller's counts are made from the kept ones under their own keys; runs are read
//! afresh too.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};

use atrium_catalog::{Counts, FeedEvent, FeedSeq, kinds};
use atrium_types::{ProductDetail, ProductId};
use lru::LruCache;

use crate::{Platform, Result};

/// How many contracts are kept.
const KEPT: NonZeroUsize = NonZeroUsize::new(1024).expect("not zero");

/// Beyond this many events behind the feed, everything is forgotten at once rather than read.
const MOST_EVENTS_READ: FeedSeq = 1_000;

#[derive(Debug)]
struct Kept {
    /// The feed's events up to here are forgotten (what they changed is not kept).
    position: Option<FeedSeq>,
    /// Moves on whenever something is forgotten: a read begun before cannot be kept after.
    generation: u64,
    contracts: LruCache<ProductId, Arc<ProductDetail>>,
    counts: Option<Arc<Counts>>,
}

impl Kept {
    /// Moves the position on to `seq` (never back: another request may have gone further).
    fn stand_at(&mut self, seq: FeedSeq) {
        self.position = Some(self.position.map_or(seq, |position| position.max(seq)));
    }
}

#[derive(Debug)]
pub(crate) struct KeptViews {
    kept: Mutex<Kept>,
}

impl Default for KeptViews {
    fn default() -> Self {
        Self {
            kept: Mutex::new(Kept {
                position: None,
                generation: 0,
                contracts: LruCache::new(KEPT),
                counts: None,
            }),
        }
    }
}

impl KeptViews {
    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        // Nothing panics while holding it; a poisoned lock still holds a usable cache.
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The kept contract, or the generation a read from the catalog must be kept under.
    fn get(&self, id: &ProductId) -> std::result::Result<Arc<ProductDetail>, u64> {
        let mut kept = self.lock();
        let generation = kept.generation;
        kept.contracts.get(id).cloned().ok_or(generation)
    }

    /// Keeps a contract read from the catalog, unless something was forgotten since the read
    /// began (its events may have changed what it read).
    fn keep(&self, id: ProductId, contract: Arc<ProductDetail>, generation: u64) {
        let mut kept = self.lock();
        if kept.generation == generation {
            kept.contracts.put(id, contract);
        }
    }

    /// The kept counts, or the generation a read from the catalog must be kept under.
    fn counts(&self) -> std::result::Result<Arc<Counts>, u64> {
        let kept = self.lock();
        kept.counts.clone().ok_or(kept.generation)
    }

    /// Keeps counts read from the catalog, unless something was forgotten since the read began.
    fn keep_counts(&self, counts: Arc<Counts>, generation: u64) {
        let mut kept = self.lock();
        if kept.generation == generation {
            kept.counts = Some(counts);
        }
    }

    /// Where the cache stands in the feed (`None`: nowhere yet, nothing kept).
    fn position(&self) -> Option<FeedSeq> {
        self.lock().position
    }

    /// Forgets everything, and stands at `head`.
    fn forget_all(&self, head: FeedSeq) {
        let mut kept = self.lock();
        kept.contracts.clear();
        kept.counts = None;
        kept.generation += 1;
        kept.stand_at(head);
    }

    /// Forgets what these events change, and stands after them: the counts and every contract on
    /// a deploy, a removal or any kind not known here (a product's page names its inputs and
    /// consumers, whose existence and edges a deploy changes), the product's own contract on a
    /// finished run (its published versions).
    fn forget(&self, events: &[FeedEvent]) {
        let mut kept = self.lock();
        for event in events {
            match (event.kind.as_str(), &event.product) {
                // Who may read changes no contract and no count; neither do access requests.
                (kinds::GRANT_CHANGED, _) => continue,
                (kind, _) if kind.starts_with("access.") => continue,
                (kinds::RUN_FINISHED, Some(product)) => {
                    kept.contracts.pop(product);
                }
                _ => {
                    kept.contracts.clear();
                    kept.counts = None;
                }
            }
            kept.generation += 1;
        }
        if let Some(last) = events.last() {
            kept.stand_at(last.seq);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().contracts.len()
    }
}

impl Platform {
    /// A product's page as the catalog holds it, its contract kept between views; the runs are
    /// read each time. Decide before calling.
    pub(crate) async fn product_detail(&self, id: &ProductId) -> Result<ProductDetail> {
        self.forget_changed().await?;
        let contract = match self.kept.get(id) {
            Ok(contract) => contract,
            Err(generation) => {
                let contract = Arc::new(self.catalog.product_contract(id).await?);
                self.kept.keep(id.clone(), contract.clone(), generation);
                contract
            }
        };
        let mut detail = ProductDetail::clone(&contract);
        detail.runs = self.catalog.runs(id, atrium_catalog::RUNS_ON_PAGE).await?;
        Ok(detail)
    }

    /// The domains and kept counts, as of the feed's head.
    pub(crate) async fn counts(&self) -> Result<Arc<Counts>> {
        self.forget_changed().await?;
        match self.kept.counts() {
            Ok(counts) => Ok(counts),
            Err(generation) => {
                let counts = Arc::new(self.catalog.counts().await?);
                self.kept.keep_counts(counts.clone(), generation);
                Ok(counts)
            }
        }
    }

    /// Forgets what the feed's events since the last request changed.
    async fn forget_changed(&self) -> Result<()> {
        let head = self.catalog.feed_head().await?;
        loop {
            let position = match self.kept.position() {
                Some(position) if position >= head => return Ok(()),
                Some(position) if head - position <= MOST_EVENTS_READ => position,
                _ => {
                    self.kept.forget_all(head);
                    return Ok(());
                }
            };
            let events = self.catalog.feed_after(position, MOST_EVENTS_READ as u64).await?;
            if events.is_empty() {
                // Nothing up to the head reads as something to forget: start afresh from it.
                self.kept.forget_all(head);
                return Ok(());
            }
            self.kept.forget(&events);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> ProductId {
        text.parse().expect("a product id")
    }

    fn event(kind: &str, product: &str) -> FeedEvent {
        FeedEvent {
            seq: 1,
            at: chrono::Utc::now(),
            kind: kind.to_owned(),
            product: Some(id(product)),
            payload: serde_json::Value::Null,
        }
    }

    fn contract(product: &str) -> Arc<ProductDetail> {
        Arc::new(ProductDetail {
            summary: atrium_types::ProductSummary {
                id: id(product),
                title: product.to_owned(),
                domain: "sales".to_owned(),
                owner: "team-sales".to_owned(),
                status: atrium_types::ProductStatus::Active,
                visibility: atrium_types::Visibility::Internal,
                tags: Vec::new(),
                revision: 1,
                updated_at: String::new(),
            },
            description_markdown: String::new(),
            description_html: String::new(),
            inputs: Vec::new(),
            transform_sql: None,
            outputs: Vec::new(),
            schedule: None,
            slo: None,
            revisions: Vec::new(),
            runs: Vec::new(),
            consumers: Vec::new(),
            created_at: String::new(),
        })
    }

    fn kept(cache: &KeptViews, product: &str) -> bool {
        cache.get(&id(product)).is_ok()
    }

    #[test]
    fn a_read_begun_before_a_change_is_not_kept_after_it() {
        let cache = KeptViews::default();
        let Err(generation) = cache.get(&id("sales.orders")) else {
            panic!("nothing is kept yet");
        };
        cache.forget(&[event(kinds::PRODUCT_DEPLOYED, "sales.orders")]);
        cache.keep(id("sales.orders"), contract("sales.orders"), generation);
        assert!(!kept(&cache, "sales.orders"));
        let Err(generation) = cache.get(&id("sales.orders")) else {
            panic!("nothing is kept yet");
        };
        cache.keep(id("sales.orders"), contract("sales.orders"), generation);
        assert!(kept(&cache, "sales.orders"));
    }

    #[test]
    fn a_deploy_or_removal_forgets_every_contract_a_finished_run_its_own() {
        let cache = KeptViews::default();
        let keep_both = |cache: &KeptViews| {
            for product in ["sales.orders", "crm.customers"] {
                let generation = cache.get(&id(product)).err().unwrap_or_default();
                cache.keep(id(product), contract(product), generation);
            }
            assert_eq!(cache.len(), 2);
        };
        keep_both(&cache);
        cache.forget(&[event(kinds::GRANT_CHANGED, "sales.orders")]);
        cache.forget(&[event("access.requested", "sales.orders")]);
        assert_eq!(cache.len(), 2, "a grant or an access request changes no contract");
        cache.forget(&[event(kinds::RUN_FINISHED, "sales.orders")]);
        assert!(!kept(&cache, "sales.orders") && kept(&cache, "crm.customers"));
        keep_both(&cache);
        let generation = cache.counts().err().unwrap_or_default();
        cache.keep_counts(Arc::default(), generation);
        cache.forget(&[event(kinds::RUN_FINISHED, "crm.customers")]);
        assert!(cache.counts().is_ok(), "a run changes no count");
        cache.forget(&[event(kinds::PRODUCT_DEPLOYED, "sales.orders")]);
        assert_eq!(cache.len(), 0, "a deploy may change the consumers and inputs of others");
        assert!(cache.counts().is_err(), "and the counts");
        keep_both(&cache);
        cache.forget(&[event(kinds::PRODUCT_REMOVED, "crm.customers")]);
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn the_position_only_moves_on() {
        let cache = KeptViews::default();
        assert_eq!(cache.position(), None);
        cache.forget_all(7);
        assert_eq!(cache.position(), Some(7));
        let mut late = event(kinds::GRANT_CHANGED, "sales.orders");
        late.seq = 9;
        cache.forget(&[late]);
        assert_eq!(cache.position(), Some(9));
        cache.forget_all(8);
        assert_eq!(cache.position(), Some(9));
    }
}
