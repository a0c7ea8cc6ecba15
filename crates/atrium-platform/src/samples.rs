//! The sample rows of published versions, read once per version: a published Delta version never
//! changes, so its first rows are kept (for the most recently shown versions) instead of being
//! read from storage on every view of a product page. Who may see them is decided, and audited,
//! on every view, before the kept rows are handed out.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use atrium_engine::location::TableLocation;
use lru::LruCache;

/// The column names and rows (as text) of a sample.
pub(crate) type Sample = Arc<(Vec<String>, Vec<Vec<Option<String>>>)>;

/// How many samples are kept.
const KEPT: NonZeroUsize = NonZeroUsize::new(512).expect("not zero");

/// A table's version and how many rows were asked for.
type Key = (String, u64, usize);

#[derive(Debug)]
pub(crate) struct SampleCache {
    kept: Mutex<LruCache<Key, Sample>>,
}

impl Default for SampleCache {
    fn default() -> Self {
        Self {
            kept: Mutex::new(LruCache::new(KEPT)),
        }
    }
}

impl SampleCache {
    /// The first `limit` rows of `version` of the table at `location`, read once.
    pub async fn sample(&self, location: &TableLocation, version: u64, limit: usize) -> crate::Result<Sample> {
        let key = (location.url().to_string(), version, limit);
        if let Some(kept) = self.lock().get(&key) {
            return Ok(kept.clone());
        }
        let sample: Sample = Arc::new(atrium_engine::tables::sample(location, version, limit).await?);
        self.lock().put(key, sample.clone());
        Ok(sample)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<Key, Sample>> {
        // Nothing panics while holding it; a poisoned lock still holds a usable cache.
        self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
