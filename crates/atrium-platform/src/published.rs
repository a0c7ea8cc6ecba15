//! Where the published data of products is: the table location and version of each product's
//! first output, as runs, queries and samples read it.

use std::collections::HashMap;

use atrium_engine::TableLocation;
use atrium_types::{Name, ProductId};

use crate::{Platform, PlatformError, Result};

/// The published table of one product.
#[derive(Debug, Clone)]
pub(crate) struct PublishedTable {
    pub output: String,
    pub location: TableLocation,
    pub version: u64,
}

impl Platform {
    /// The published table of each of `ids` that has one.
    pub(crate) async fn published_tables(&self, ids: &[ProductId]) -> Result<HashMap<ProductId, PublishedTable>> {
        let mut tables = HashMap::new();
        for (id, mut outputs) in self.catalog.published_versions(ids).await? {
            outputs.sort();
            let Some((output, version)) = outputs.into_iter().next() else {
                continue;
            };
            let name = Name::parse(&output).map_err(|error| PlatformError::BadId {
                id: output.clone(),
                reason: error.to_string(),
            })?;
            let location = self.engine.root().output_table(&id, &name)?;
            tables.insert(
                id,
                PublishedTable {
                    output,
                    location,
                    version,
                },
            );
        }
        Ok(tables)
    }
}
