//! SQL over the mesh: which tables a caller may read, and the query itself.
//!
//! A query sees the published outputs the access decision lets its caller read. An output the
//! caller may see but not read (an `internal` product without a grant) is refused naming how to get
//! access; one the caller may not know of is not registered at all ("table not found").

use atrium_engine::{AnswerStream, QueryResult, ReadableTable, StreamFormat};
use atrium_types::{QueryColumnView, QueryResultView};

use crate::access::{Action, Caller};
use crate::published::PublishedTable;
use crate::{Platform, Result};

impl Platform {
    /// Runs a read-only query over the published versions of the readable products.
    pub async fn query(&self, caller: &Caller, sql: &str) -> Result<QueryResult> {
        let tables = self.readable_tables(caller).await?;
        Ok(self.engine.query(sql, &tables, self.query_limits).await?)
    }

    /// Starts a read-only query whose rows stream as CSV or Arrow IPC.
    pub async fn query_stream(&self, caller: &Caller, sql: &str, format: StreamFormat) -> Result<AnswerStream> {
        let tables = self.readable_tables(caller).await?;
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
    pub async fn query_as_text(&self, caller: &Caller, sql: &str) -> Result<QueryResultView> {
        let started = std::time::Instant::now();
        let result = self.query(caller, sql).await?;
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

    async fn readable_tables(&self, caller: &Caller) -> Result<Vec<ReadableTable>> {
        let facts = self.facts().await?;
        let visible: Vec<_> = facts
            .products
            .iter()
            .filter(|product| facts.sees(caller, product))
            .collect();
        let ids: Vec<_> = visible.iter().map(|product| product.id.clone()).collect();
        let mut published = self.published_outputs(&ids).await?;
        let mut tables = Vec::new();
        for product in visible {
            for table in published.remove(&product.id).unwrap_or_default() {
                let PublishedTable {
                    output,
                    table_names,
                    location,
                    version,
                } = table;
                let refusal = facts
                    .decide(caller.into(), Action::ReadData { output: Some(&output) }, product)
                    .err()
                    .map(|refusal| refusal.to_string());
                for name in table_names {
                    let mut parts: Vec<String> = name.split('.').map(str::to_owned).collect();
                    let table = parts.pop().unwrap_or_default();
                    let schema = parts.pop().unwrap_or_default();
                    tables.push(ReadableTable {
                        catalog: parts.pop(),
                        schema,
                        table,
                        location: location.clone(),
                        version,
                        refusal: refusal.clone(),
                    });
                }
            }
        }
        Ok(tables)
    }
}
