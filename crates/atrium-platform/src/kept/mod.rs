//! What requests read of the catalog that only a catalog change changes, kept between requests:
//! the contracts of the product pages shown lately (outputs, columns, checks, inputs, revisions,
//! consumers, published versions: about ten statements and tens of rows each), the domains with
//! their kept counts (the home page, the domain list and pages), who callers are (tokens,
//! users with their teams and roles, the grants they hold: four or five statements on every
//! request, see `callers.rs`), the decision's facts about products (`facts.rs`: each one's
//! summary and the grants on it, read by every guarded entry point) and the published tables of
//! the samples shown lately (`published.rs`). The catalog's change feed tells of every change, and this keeps
//! its own position in it: before anything kept is handed out, the feed's head is read (one row)
//! and the events after the position forget what they change, so a change committed by any
//! replica or CLI is seen by the next request on every replica, as if everything had been read
//! afresh. A read that began before something was forgotten is not kept.
//!
//! The decision itself is made on every request, from these facts and the clock (a token's or a
//! grant's expiry is checked at each use); a caller's counts are made from the kept ones under
//! their own keys; runs are read afresh.

mod callers;
mod facts;
mod published;

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use atrium_catalog::{Counts, FeedEvent, FeedSeq, GrantRecord, TokenRecord, UserRecord, kinds};
use atrium_types::{ProductDetail, ProductId, UserName};
use lru::LruCache;

use crate::{Platform, Result};

/// How many contracts are kept.
const KEPT: NonZeroUsize = NonZeroUsize::new(1024).expect("not zero");

/// How many tokens, users and grant sets are kept (each).
const KEPT_CALLERS: NonZeroUsize = NonZeroUsize::new(4096).expect("not zero");

/// How many products' facts (summary and grants) are kept.
const KEPT_FACTS: NonZeroUsize = NonZeroUsize::new(16_384).expect("not zero");

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
    /// API tokens by id (the secret is checked against the kept hash on every use).
    tokens: LruCache<String, TokenRecord>,
    users: LruCache<UserName, Arc<UserRecord>>,
    /// The unrevoked grants held by a set of principals (a user and their teams).
    grants: LruCache<Vec<String>, Arc<Vec<GrantRecord>>>,
    /// The decision's facts about a product, by product.
    facts: LruCache<ProductId, Arc<facts::ProductFactsKept>>,
    /// The published tables of the products whose samples were shown lately.
    published: LruCache<ProductId, Arc<Vec<crate::published::PublishedTable>>>,
}

impl Kept {
    /// Moves the position on to `seq` (never back: another request may have gone further).
    fn stand_at(&mut self, seq: FeedSeq) {
        self.position = Some(self.position.map_or(seq, |position| position.max(seq)));
    }

    fn forget_pages(&mut self) {
        self.contracts.clear();
        self.counts = None;
        self.facts.clear();
        self.published.clear();
    }

    fn forget_everything(&mut self) {
        self.forget_pages();
        self.tokens.clear();
        self.users.clear();
        self.grants.clear();
    }
}

#[derive(Debug)]
pub(crate) struct KeptViews {
    kept: Mutex<Kept>,
    head: SharedHead,
}

/// The feed's head, read once for every request that arrived before the read began: requests
/// arriving together share one read instead of each asking the database, and none is answered
/// with a head read before it arrived (which could miss a change committed just before).
#[derive(Debug, Default)]
struct SharedHead {
    /// How many reads have begun.
    begun: AtomicU64,
    /// The last read done: its number (counted in `begun`) and the head it found. Held across a
    /// read, so reads take turns and those waiting take the next one's answer.
    last: tokio::sync::Mutex<Option<(u64, FeedSeq)>>,
}

impl SharedHead {
    /// The head as of a read that began after this call did.
    async fn read<F, Fut>(&self, read: F) -> Result<FeedSeq>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<FeedSeq>>,
    {
        let arrived = self.begun.load(Ordering::SeqCst);
        let mut last = self.last.lock().await;
        if let Some((number, head)) = *last
            && number > arrived
        {
            return Ok(head);
        }
        let number = self.begun.fetch_add(1, Ordering::SeqCst) + 1;
        let head = read().await?;
        *last = Some((number, head));
        Ok(head)
    }
}

impl Default for KeptViews {
    fn default() -> Self {
        Self {
            kept: Mutex::new(Kept {
                position: None,
                generation: 0,
                contracts: LruCache::new(KEPT),
                counts: None,
                tokens: LruCache::new(KEPT_CALLERS),
                users: LruCache::new(KEPT_CALLERS),
                grants: LruCache::new(KEPT_CALLERS),
                facts: LruCache::new(KEPT_FACTS),
                published: LruCache::new(KEPT),
            }),
            head: SharedHead::default(),
        }
    }
}

impl KeptViews {
    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        // Nothing panics while holding it; a poisoned lock still holds a usable cache.
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What `pick` finds kept, or the generation a read from the catalog must be kept under.
    fn find<T>(&self, pick: impl FnOnce(&mut Kept) -> Option<T>) -> std::result::Result<T, u64> {
        let mut kept = self.lock();
        let generation = kept.generation;
        pick(&mut kept).ok_or(generation)
    }

    /// Keeps what was read from the catalog (`put`), unless something was forgotten since the
    /// read began (its events may have changed what it read).
    fn keep(&self, generation: u64, put: impl FnOnce(&mut Kept)) {
        let mut kept = self.lock();
        if kept.generation == generation {
            put(&mut kept);
        }
    }

    /// Changes what is kept whatever was forgotten meanwhile (for what no event changes).
    fn keep_anyway(&self, change: impl FnOnce(&mut Kept)) {
        change(&mut self.lock());
    }

    /// The kept contract, or the generation a read from the catalog must be kept under.
    fn get(&self, id: &ProductId) -> std::result::Result<Arc<ProductDetail>, u64> {
        self.find(|kept| kept.contracts.get(id).cloned())
    }

    /// The kept counts, or the generation a read from the catalog must be kept under.
    fn counts(&self) -> std::result::Result<Arc<Counts>, u64> {
        self.find(|kept| kept.counts.clone())
    }

    /// Where the cache stands in the feed (`None`: nowhere yet, nothing kept).
    fn position(&self) -> Option<FeedSeq> {
        self.lock().position
    }

    /// Forgets everything, and stands at `head`.
    fn forget_all(&self, head: FeedSeq) {
        let mut kept = self.lock();
        kept.forget_everything();
        kept.generation += 1;
        kept.stand_at(head);
    }

    /// Forgets what these events change, and stands after them: the counts and every contract on
    /// a deploy, a removal or a new domain (a product's page names its inputs and consumers,
    /// whose existence and edges a deploy changes), the product's own contract on a finished run
    /// (its published versions), the grants held on a grant's change, the users on a change of
    /// who someone is, the token on its revocation; everything on a kind not known here.
    fn forget(&self, events: &[FeedEvent]) {
        let mut kept = self.lock();
        for event in events {
            match (event.kind.as_str(), &event.product) {
                // Access requests change nothing kept (a decision writes its grant's event).
                (kind, _) if kind.starts_with("access.") => continue,
                (kinds::GRANT_CHANGED, _) => {
                    kept.grants.clear();
                    kept.facts.clear();
                }
                (kinds::IDENTITY_CHANGED, _) => kept.users.clear(),
                (kinds::TOKEN_REVOKED, _) => match event.payload.get("token").and_then(|token| token.as_str()) {
                    Some(token) => {
                        kept.tokens.pop(token);
                    }
                    None => kept.tokens.clear(),
                },
                (kinds::RUN_FINISHED, Some(product)) => {
                    kept.contracts.pop(product);
                    kept.facts.pop(product);
                    kept.published.pop(product);
                }
                (kinds::PRODUCT_DEPLOYED | kinds::PRODUCT_REMOVED | kinds::DOMAIN_CREATED, _) => kept.forget_pages(),
                _ => kept.forget_everything(),
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
                let kept = contract.clone();
                self.kept.keep(generation, |cache| {
                    cache.contracts.put(id.clone(), kept);
                });
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
                let kept = counts.clone();
                self.kept.keep(generation, |cache| cache.counts = Some(kept));
                Ok(counts)
            }
        }
    }

    /// Forgets what the feed's events since the last request changed.
    pub(crate) async fn forget_changed(&self) -> Result<()> {
        let head = self
            .kept
            .head
            .read(|| async { Ok(self.catalog.feed_head().await?) })
            .await?;
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
mod tests;
