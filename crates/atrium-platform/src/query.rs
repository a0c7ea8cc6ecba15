//! SQL over the mesh: which tables a caller may read, the query itself, and its audit rows.
//!
//! A query sees the published outputs the access decision lets its caller read. An output the
//! caller may see but not read (an `internal` product without a grant) is refused naming how to get
//! access; one the caller may not know of is not registered at all ("table not found").
//!
//! Every query that names products leaves one audit row per product output read: on what ground
//! (role, grant, ownership, public), how many rows it answered and how long it took, or that it
//! was refused or failed. The row is written when the answer ends (before its last bytes go out),
//! or, when nobody reads the answer to its end, as soon as it is dropped.

use std::collections::HashMap;
use std::time::Instant;

use atrium_catalog::AuditRecord;
use atrium_engine::{AnswerChunk, AnswerStream, EngineError, QueryResult, ReadableTable, StreamFormat};
use atrium_types::{AuditOutcome, ProductId, QueryColumnView, QueryResultView};
use futures_util::StreamExt;

use crate::access::{Action, Caller, read_basis};
use crate::audit::QUERY;
use crate::published::PublishedTable;
use crate::requests::excerpt;
use crate::{Platform, Result};

/// A table's name as a query writes it: `(catalog, schema, table)`.
type TableKey = (Option<String>, String, String);

/// What a table of the query gives access to, and on what ground (or why not).
#[derive(Debug, Clone)]
struct TableAccess {
    product: ProductId,
    output: String,
    basis: std::result::Result<String, String>,
}

impl Platform {
    /// Runs a read-only query over the published versions of the readable products.
    pub async fn query(&self, caller: &Caller, sql: &str) -> Result<QueryResult> {
        let started = Instant::now();
        let (tables, access) = self.readable_tables(caller).await?;
        let audit = QueryAudit::new(self, caller, sql, &access, "json");
        match self.engine.query(sql, &tables, self.query_limits).await {
            Ok(result) => {
                audit
                    .finish(AuditOutcome::Ok, Some(result.rows.len() as u64), None, started)
                    .await;
                Ok(result)
            }
            Err(error) => {
                audit.failed(&error, started).await;
                Err(error.into())
            }
        }
    }

    /// Starts a read-only query whose rows stream as CSV or Arrow IPC.
    pub async fn query_stream(&self, caller: &Caller, sql: &str, format: StreamFormat) -> Result<AnswerStream> {
        let started = Instant::now();
        let (tables, access) = self.readable_tables(caller).await?;
        let format_name = match format {
            StreamFormat::Json => "json",
            StreamFormat::Csv => "csv",
            StreamFormat::ArrowIpc => "arrow",
        };
        let audit = QueryAudit::new(self, caller, sql, &access, format_name);
        let stream = match self.engine.query_stream(sql, &tables, self.query_limits, format).await {
            Ok(stream) => stream,
            Err(error) => {
                audit.failed(&error, started).await;
                return Err(error.into());
            }
        };
        let audited = futures_util::stream::unfold((stream, Some(audit)), move |(mut stream, mut audit)| async move {
            let item = stream.next().await?;
            match &item {
                Ok(AnswerChunk::End { rows, .. }) => {
                    if let Some(audit) = audit.take() {
                        audit.finish(AuditOutcome::Ok, Some(*rows), None, started).await;
                    }
                }
                Err(error) => {
                    if let Some(audit) = audit.take() {
                        audit.failed(error, started).await;
                    }
                }
                Ok(AnswerChunk::Bytes(_)) => {}
            }
            Some((item, (stream, audit)))
        });
        Ok(Box::pin(audited))
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

    async fn readable_tables(&self, caller: &Caller) -> Result<(Vec<ReadableTable>, HashMap<TableKey, TableAccess>)> {
        // Only products with a published version have tables to read.
        let facts = self.facts_for(&self.catalog.published_product_ids().await?).await?;
        let visible: Vec<_> = facts
            .products
            .iter()
            .filter(|product| facts.sees(caller, product))
            .collect();
        let ids: Vec<_> = visible.iter().map(|product| product.id.clone()).collect();
        let mut published = self.published_outputs(&ids).await?;
        let mut tables = Vec::new();
        let mut access = HashMap::new();
        for product in visible {
            for table in published.remove(&product.id).unwrap_or_default() {
                let PublishedTable {
                    output,
                    table_names,
                    location,
                    version,
                } = table;
                let basis = read_basis(caller.into(), facts.of(product), Some(&output), facts.now)
                    .map(|basis| basis.to_string())
                    .map_err(|refusal| refusal.to_string());
                debug_assert_eq!(
                    basis.is_ok(),
                    facts
                        .decide(caller.into(), Action::ReadData { output: Some(&output) }, product)
                        .is_ok()
                );
                let refusal = basis.clone().err();
                for name in table_names {
                    let table = readable_table(&name, &location, version, refusal.clone());
                    access.insert(
                        (table.catalog.clone(), table.schema.clone(), table.table.clone()),
                        TableAccess {
                            product: product.id.clone(),
                            output: output.clone(),
                            basis: basis.clone(),
                        },
                    );
                    tables.push(table);
                }
            }
        }
        Ok((tables, access))
    }
}

/// A published table under one of its query names (`schema.table` or `catalog.schema.table`).
fn readable_table(
    name: &str,
    location: &atrium_engine::TableLocation,
    version: u64,
    refusal: Option<String>,
) -> ReadableTable {
    let mut parts: Vec<String> = name.split('.').map(str::to_owned).collect();
    let table = parts.pop().unwrap_or_default();
    let schema = parts.pop().unwrap_or_default();
    ReadableTable {
        catalog: parts.pop(),
        schema,
        table,
        location: location.clone(),
        version,
        refusal,
    }
}

/// The audit rows of one query, written once: when it ends, fails, or is dropped unread.
struct QueryAudit {
    platform: Platform,
    records: Vec<(AuditRecord, bool)>,
    written: bool,
}

impl QueryAudit {
    fn new(
        platform: &Platform,
        caller: &Caller,
        sql: &str,
        access: &HashMap<TableKey, TableAccess>,
        format: &str,
    ) -> Self {
        let mut read: Vec<&TableAccess> = atrium_engine::named_tables(sql)
            .iter()
            .filter_map(|key| access.get(key))
            .collect();
        read.sort_by(|a, b| (&a.product, &a.output).cmp(&(&b.product, &b.output)));
        read.dedup_by(|a, b| a.product == b.product && a.output == b.output);
        let products = read.len();
        let sql = excerpt(sql);
        let records = read
            .into_iter()
            .map(|table| {
                let mut record = platform.audit_record(caller, QUERY, AuditOutcome::Ok, Some(&table.product));
                record.detail.insert("output".to_owned(), table.output.clone());
                record.detail.insert("sql".to_owned(), sql.clone());
                record.detail.insert("format".to_owned(), format.to_owned());
                if products > 1 {
                    record.detail.insert("tables_in_query".to_owned(), products.to_string());
                }
                let refused = match &table.basis {
                    Ok(basis) => {
                        record.detail.insert("via".to_owned(), basis.clone());
                        false
                    }
                    Err(reason) => {
                        record.detail.insert("reason".to_owned(), excerpt(reason));
                        true
                    }
                };
                (record, refused)
            })
            .collect();
        Self {
            platform: platform.clone(),
            records,
            written: false,
        }
    }

    fn take(
        &mut self,
        outcome: AuditOutcome,
        rows: Option<u64>,
        error: Option<String>,
        started: Instant,
    ) -> Vec<AuditRecord> {
        self.written = true;
        let ms = started.elapsed().as_millis().to_string();
        let refusal = outcome == AuditOutcome::Refused;
        std::mem::take(&mut self.records)
            .into_iter()
            // A refused query records the tables it was refused; the others were not read.
            .filter(|(_, refused)| !refusal || *refused)
            .map(|(mut record, refused)| {
                record.outcome = if refused { AuditOutcome::Refused } else { outcome };
                record.rows = if refused { None } else { rows };
                record.detail.insert("ms".to_owned(), ms.clone());
                if let Some(error) = &error
                    && !refused
                {
                    record.detail.insert("error".to_owned(), error.clone());
                }
                record
            })
            .collect()
    }

    async fn finish(mut self, outcome: AuditOutcome, rows: Option<u64>, error: Option<String>, started: Instant) {
        let records = self.take(outcome, rows, error, started);
        self.platform.append_audit(records).await;
    }

    async fn failed(self, error: &EngineError, started: Instant) {
        let outcome = if matches!(error, EngineError::Forbidden(_)) {
            AuditOutcome::Refused
        } else {
            AuditOutcome::Failed
        };
        self.finish(outcome, None, Some(excerpt(&error.to_string())), started)
            .await;
    }
}

impl Drop for QueryAudit {
    fn drop(&mut self) {
        if self.written || self.records.is_empty() {
            return;
        }
        let records = self.take(
            AuditOutcome::Failed,
            None,
            Some("the answer was not read to its end".to_owned()),
            Instant::now(),
        );
        let platform = self.platform.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { platform.append_audit(records).await });
        }
    }
}

impl Platform {
    /// The operator's baseline for measuring what the access checks and the audit cost (`atrium
    /// bench-access`): the query over every published table, with no decision per table and no
    /// audit row. Nobody but the operator on the data directory may run it.
    pub async fn query_unaudited(&self, caller: &Caller, sql: &str) -> Result<QueryResult> {
        if !matches!(caller, Caller::Operator) {
            return Err(crate::Refusal::NotTheirs("only the operator runs the unaudited baseline").into());
        }
        let ids: Vec<ProductId> = self.catalog.list_products().await?.into_iter().map(|p| p.id).collect();
        let mut tables = Vec::new();
        for (_, published) in self.published_outputs(&ids).await? {
            for table in published {
                for name in &table.table_names {
                    tables.push(readable_table(name, &table.location, table.version, None));
                }
            }
        }
        Ok(self.engine.query(sql, &tables, self.query_limits).await?)
    }
}
