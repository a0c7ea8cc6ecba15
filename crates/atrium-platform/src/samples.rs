//! The sample rows of published versions, read once per version: a published Delta version never
//! changes, so its first rows are kept (for the most recently shown versions) instead of being
//! read from storage on every view of a product page. Who may see them is decided, and audited,
//! on every view, before the kept rows are handed out.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use atrium_engine::location::TableLocation;
use atrium_types::{AuditOutcome, TableSample};
use lru::LruCache;

use crate::access::{Action, Caller};
use crate::runs::parse_id;
use crate::{Platform, Result};

impl Platform {
    /// The first rows of the published version of one output (`None`: the product's first);
    /// `None` before the first successful run, or for an output the product does not have.
    /// The caller must be allowed to read that output's data.
    pub async fn sample(
        &self,
        caller: &Caller,
        id: &str,
        output: Option<&str>,
        limit: usize,
    ) -> Result<Option<TableSample>> {
        let id = parse_id(id)?;
        let facts = self.facts_for(std::slice::from_ref(&id)).await?;
        facts.check(caller, &id, Action::See)?;
        let outputs = self.kept_published(&id).await?;
        let table = match output {
            Some(output) => outputs.iter().find(|table| table.output == output),
            None => outputs.first(),
        }
        .cloned();
        let Some(table) = table else {
            return Ok(None);
        };
        let decision = facts.check(
            caller,
            &id,
            Action::ReadData {
                output: Some(&table.output),
            },
        );
        let outcome = if decision.is_ok() {
            AuditOutcome::Ok
        } else {
            AuditOutcome::Refused
        };
        let mut record = self.audit_record(caller, crate::audit::SAMPLE, outcome, Some(&id));
        record.detail.insert("output".to_owned(), table.output.clone());
        if let Err(error) = decision {
            record
                .detail
                .insert("reason".to_owned(), crate::requests::excerpt(&error.to_string()));
            self.append_audit(vec![record]).await;
            return Err(error);
        }
        let (location, version, output) = (table.location, table.version, table.output);
        let sample = self.samples.sample(&location, version, limit).await?;
        let (columns, rows) = (sample.0.clone(), sample.1.clone());
        record.rows = Some(rows.len() as u64);
        record.detail.insert("version".to_owned(), version.to_string());
        self.append_audit(vec![record]).await;
        Ok(Some(TableSample {
            output,
            version,
            columns,
            rows,
        }))
    }
}

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
    pub async fn sample(&self, location: &TableLocation, version: u64, limit: usize) -> Result<Sample> {
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
