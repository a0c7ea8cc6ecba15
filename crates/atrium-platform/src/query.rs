//! SQL over the mesh: which tables a caller may read, and the query itself.
//!
//! Until grants exist (the access issue), a caller may read every product of visibility `public`
//! or `internal` that has published data; `restricted` products stay out of reach.

use atrium_engine::{QueryResult, ReadableTable};
use atrium_types::{Name, Visibility};

use crate::{Platform, PlatformError, Result};

impl Platform {
    /// Runs a read-only query over the published versions of the readable products.
    pub async fn query(&self, sql: &str) -> Result<QueryResult> {
        let tables = self.readable_tables().await?;
        Ok(self.engine.query(sql, &tables, self.query_limits).await?)
    }

    async fn readable_tables(&self) -> Result<Vec<ReadableTable>> {
        let readable: Vec<_> = self
            .catalog
            .list_products()
            .await?
            .into_iter()
            .filter(|product| product.visibility != Visibility::Restricted)
            .map(|product| product.id)
            .collect();
        let mut tables = Vec::with_capacity(readable.len());
        for (id, mut outputs) in self.catalog.published_versions(&readable).await? {
            outputs.sort();
            let Some((output, version)) = outputs.into_iter().next() else {
                continue;
            };
            let output = Name::parse(&output).map_err(|error| PlatformError::BadId {
                id: output.clone(),
                reason: error.to_string(),
            })?;
            tables.push(ReadableTable {
                schema: id.domain().to_string(),
                table: id.name().to_string(),
                location: self.engine.root().output_table(&id, &output)?,
                version,
            });
        }
        Ok(tables)
    }
}
