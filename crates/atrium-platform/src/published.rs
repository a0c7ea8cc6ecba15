//! Where the published data of products is: the table location and version of each output, as
//! runs, queries and samples read it. A product's first output is the one a `product` input reads
//! unless it names another, and the one the product page samples first.

use std::collections::HashMap;

use atrium_engine::TableLocation;
use atrium_types::{Name, ProductId};

use crate::{Platform, PlatformError, Result};

/// The published table of one output.
#[derive(Debug, Clone)]
pub(crate) struct PublishedTable {
    pub output: String,
    /// The SQL names it answers to: `<domain>.<product>` for the first output, and
    /// `<domain>.<product>.<output>` for each output of a product with several.
    pub table_names: Vec<String>,
    pub location: TableLocation,
    pub version: u64,
}

impl Platform {
    /// The published table of each output of each of `ids` that has one, in the order the
    /// product lists its outputs.
    pub(crate) async fn published_outputs(&self, ids: &[ProductId]) -> Result<HashMap<ProductId, Vec<PublishedTable>>> {
        let mut tables = HashMap::new();
        for (id, outputs) in self.catalog.published_versions(ids).await? {
            let mut published = Vec::with_capacity(outputs.len());
            for output in outputs {
                let name = Name::parse(&output.output).map_err(|error| PlatformError::BadId {
                    id: output.output.clone(),
                    reason: error.to_string(),
                })?;
                let location = self.engine.root().output_table(&id, &name)?;
                published.push(PublishedTable {
                    output: output.output,
                    table_names: output.table_names,
                    location,
                    version: output.version,
                });
            }
            tables.insert(id, published);
        }
        Ok(tables)
    }
}
