//! SQL over the mesh: which tables a caller may read, and the query itself.
//!
//! Until grants exist (the access issue), a caller may read every product of visibility `public`
//! or `internal` that has published data; `restricted` products stay out of reach.

use atrium_engine::{QueryResult, ReadableTable};
use atrium_types::Visibility;

use crate::{Platform, Result};

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
        let tables = self
            .published_tables(&readable)
            .await?
            .into_iter()
            .map(|(id, table)| ReadableTable {
                schema: id.domain().to_string(),
                table: id.name().to_string(),
                location: table.location,
                version: table.version,
            })
            .collect();
        Ok(tables)
    }
}
