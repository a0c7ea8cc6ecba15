//! The published tables of the products whose samples were shown lately (one statement over
//! three tables per view otherwise), forgotten by the product's next finished run, a deploy or a
//! removal. Runs and queries read them afresh: what they read must be the version of that moment.

use std::sync::Arc;

use atrium_types::ProductId;

use crate::published::PublishedTable;
use crate::{Platform, Result};

impl Platform {
    /// The published tables of one product, kept between views of its page (its sample) and
    /// forgotten by its next finished run or a deploy; runs and queries read them afresh.
    pub(crate) async fn kept_published(&self, id: &ProductId) -> Result<Arc<Vec<PublishedTable>>> {
        self.forget_changed().await?;
        match self.kept.find(|kept| kept.published.get(id).cloned()) {
            Ok(published) => Ok(published),
            Err(generation) => {
                let tables = self
                    .published_outputs(std::slice::from_ref(id))
                    .await?
                    .remove(id)
                    .unwrap_or_default();
                let tables = Arc::new(tables);
                let kept = tables.clone();
                self.kept.keep(generation, |cache| {
                    cache.published.put(id.clone(), kept);
                });
                Ok(tables)
            }
        }
    }
}
