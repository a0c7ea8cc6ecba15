//! SQL over the mesh: which tables a caller may read, and the query itself.
//!
//! A query sees the published products [`crate::access`] lets it read: until grants exist, those of
//! visibility `public` or `internal`.

use atrium_engine::{AnswerStream, QueryResult, ReadableTable, StreamFormat};
use atrium_types::{QueryColumnView, QueryResultView};

use crate::access::{self, Reader};
use crate::published::PublishedTable;
use crate::{Platform, Result};

impl Platform {
    /// Runs a read-only query over the published versions of the readable products.
    pub async fn query(&self, sql: &str) -> Result<QueryResult> {
        let tables = self.readable_tables().await?;
        Ok(self.engine.query(sql, &tables, self.query_limits).await?)
    }

    /// Starts a read-only query whose rows stream as CSV or Arrow IPC.
    pub async fn query_stream(&self, sql: &str, format: StreamFormat) -> Result<AnswerStream> {
        let tables = self.readable_tables().await?;
        Ok(self
            .engine
            .query_stream(sql, &tables, self.query_limits, format)
            .await?)
    }

    /// The row limit of every query.
    pub fn query_row_limit(&self) -> usize {
        self.query_limits.max_rows
    }

    /// The same query, every value as text, for the portal's SQL console.
    pub async fn query_as_text(&self, sql: &str) -> Result<QueryResultView> {
        let started = std::time::Instant::now();
        let result = self.query(sql).await?;
        let rows = result
            .rows
            .iter()
            .map(|row| {
                result
                    .columns
                    .iter()
                    .map(|column| match row.get(&column.name) {
                        None | Some(serde_json::Value::Null) => None,
                        Some(serde_json::Value::String(text)) => Some(text.clone()),
                        Some(other) => Some(other.to_string()),
                    })
                    .collect()
            })
            .collect();
        Ok(QueryResultView {
            columns: result
                .columns
                .iter()
                .map(|c| QueryColumnView {
                    name: c.name.clone(),
                    data_type: c.data_type.clone(),
                })
                .collect(),
            rows,
            truncated: result.truncated,
            row_limit: self.query_limits.max_rows,
            elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        })
    }

    async fn readable_tables(&self) -> Result<Vec<ReadableTable>> {
        let readable: Vec<_> = self
            .catalog
            .list_products()
            .await?
            .into_iter()
            .filter(|product| access::may_read(Reader::Query, &product.id, product.visibility).is_ok())
            .map(|product| product.id)
            .collect();
        let tables = self
            .published_outputs(&readable)
            .await?
            .into_values()
            .flatten()
            .flat_map(|table| {
                let PublishedTable {
                    table_names,
                    location,
                    version,
                    ..
                } = table;
                table_names.into_iter().map(move |name| {
                    let mut parts: Vec<String> = name.split('.').map(str::to_owned).collect();
                    let table = parts.pop().unwrap_or_default();
                    let schema = parts.pop().unwrap_or_default();
                    ReadableTable {
                        catalog: parts.pop(),
                        schema,
                        table,
                        location: location.clone(),
                        version,
                    }
                })
            })
            .collect();
        Ok(tables)
    }
}
