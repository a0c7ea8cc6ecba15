//! Read-only SQL over published product versions, bounded by a memory pool, a time limit and a
//! row limit. Tables are named `<domain>.<product>`; only the tables a query names are opened.
//! Older published versions are read with `VERSION AS OF` / `TIMESTAMP AS OF` ([`crate::time_travel`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use deltalake::arrow::array::RecordBatch;
use deltalake::arrow::datatypes::SchemaRef;
use deltalake::datafusion::catalog::{CatalogProvider, MemoryCatalogProvider, MemorySchemaProvider};
use deltalake::datafusion::common::TableReference;
use deltalake::datafusion::config::Dialect;
use deltalake::datafusion::dataframe::DataFrame;
use deltalake::datafusion::execution::memory_pool::FairSpillPool;
use deltalake::datafusion::execution::runtime_env::RuntimeEnvBuilder;
use deltalake::datafusion::prelude::{SQLOptions, SessionConfig, SessionContext};
use deltalake::datafusion::sql::parser::Statement as DFStatement;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::location::TableLocation;
use crate::tables::register_version;
use crate::time_travel::{self, AsOf};
use crate::{Engine, EngineError, Result};

/// The bounds of one query.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    pub max_rows: usize,
    pub timeout: Duration,
    pub memory_bytes: usize,
}

/// A table a query may read at its published version: `<domain>.<product>` (`schema.table`) for a
/// product with one output, `<domain>.<product>.<output>` (`catalog.schema.table`) for each output
/// of a product with several.
#[derive(Debug, Clone)]
pub struct ReadableTable {
    pub catalog: Option<String>,
    pub schema: String,
    pub table: String,
    pub location: TableLocation,
    pub version: u64,
    /// Set for a table the caller may not read: a query naming it is refused with this message
    /// (a table the caller may not even know of is simply absent).
    pub refusal: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: String,
}

/// Rows as JSON objects keyed by column name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryResult {
    pub columns: Vec<QueryColumn>,
    pub rows: Vec<serde_json::Map<String, serde_json::Value>>,
    /// Whether the row limit cut the result.
    pub truncated: bool,
}

impl Engine {
    /// Runs a read-only query and collects its answer. `tables` are the tables the caller may
    /// read. The answer is the streamed JSON one, read whole (so it runs where
    /// [`Engine::query_stream`] runs); one larger than the memory limit is refused.
    pub async fn query(&self, sql: &str, tables: &[ReadableTable], limits: QueryLimits) -> Result<QueryResult> {
        let mut answer = self
            .query_stream(sql, tables, limits, crate::answer::StreamFormat::Json)
            .await?;
        let mut text = Vec::new();
        while let Some(chunk) = answer.next().await {
            match chunk? {
                crate::answer::AnswerChunk::Bytes(bytes) => {
                    if text.len() + bytes.len() > limits.memory_bytes {
                        return Err(EngineError::ResourcesExhausted(format!(
                            "the answer is larger than the memory limit of {} MiB",
                            limits.memory_bytes / (1024 * 1024)
                        )));
                    }
                    text.extend_from_slice(&bytes);
                }
                crate::answer::AnswerChunk::End { .. } => break,
            }
        }
        serde_json::from_slice(&text)
            .map_err(|error| EngineError::Internal(format!("the query's answer as JSON: {error}")))
    }
}

pub(crate) fn bounded_session(memory_bytes: usize) -> Result<SessionContext> {
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_pool(Arc::new(FairSpillPool::new(memory_bytes)))
        .build_arc()
        .map_err(EngineError::datafusion)?;
    Ok(SessionContext::new_with_config_rt(query_config(), runtime))
}

/// How queries are planned. Measured with `make bench` (TPC-H SF1, 2 cores): batches of 16,384
/// rows and, on two cores or fewer, joins that do not hash-repartition their inputs (which costs
/// more than the parallelism it buys there) took the 22 queries from 2.56 s to 2.23 s. Above two
/// cores DataFusion's partitioned joins are kept.
fn query_config() -> SessionConfig {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    SessionConfig::new()
        .with_information_schema(false)
        .with_batch_size(16_384)
        .with_repartition_joins(cores > 2)
}

/// The tables a query names, as `(catalog, schema, table)`, for the audit log: what planning will
/// open (a table in `VERSION AS OF` under its own name). Empty when the SQL does not parse (the
/// query itself then says why).
pub fn named_tables(sql: &str) -> Vec<(Option<String>, String, String)> {
    let state = deltalake::datafusion::execution::SessionStateBuilder::new().build();
    let (statement, versioned) = match time_travel::mentions_as_of(sql)
        .then(|| time_travel::rewrite(sql))
        .transpose()
        .ok()
        .flatten()
        .flatten()
    {
        Some((statement, versioned)) => (DFStatement::Statement(Box::new(statement)), versioned),
        None => match state.sql_to_statement(sql, &Dialect::default()) {
            Ok(statement) => (statement, Vec::new()),
            Err(_) => return Vec::new(),
        },
    };
    let mut named: Vec<(Option<String>, String, String)> = state
        .resolve_table_references(&statement)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|reference| {
            let schema = reference.schema()?.to_owned();
            Some((
                reference.catalog().map(str::to_owned),
                schema,
                reference.table().to_owned(),
            ))
        })
        .filter(|(_, schema, table)| {
            !versioned
                .iter()
                .any(|travel| &travel.schema == schema && &travel.renamed == table)
        })
        .collect();
    named.extend(
        versioned
            .into_iter()
            .map(|travel| (travel.catalog, travel.schema, travel.table)),
    );
    named.sort();
    named.dedup();
    named
}

/// Plans a read-only query: opens the readable tables it names (older versions for those with
/// `VERSION AS OF` / `TIMESTAMP AS OF`) and refuses DDL, DML and other statements.
pub(crate) async fn plan(ctx: &SessionContext, sql: &str, tables: &[ReadableTable]) -> Result<DataFrame> {
    let options = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    let state = ctx.state();
    let (statement, versioned) = match time_travel::mentions_as_of(sql)
        .then(|| time_travel::rewrite(sql))
        .transpose()?
        .flatten()
    {
        Some((statement, versioned)) => (DFStatement::Statement(Box::new(statement)), versioned),
        None => (
            state
                .sql_to_statement(sql, &Dialect::default())
                .map_err(EngineError::datafusion)?,
            Vec::new(),
        ),
    };
    let named = state
        .resolve_table_references(&statement)
        .map_err(EngineError::datafusion)?;
    let by_name: HashMap<(Option<&str>, &str, &str), &ReadableTable> = tables
        .iter()
        .map(|table| {
            let key = (table.catalog.as_deref(), table.schema.as_str(), table.table.as_str());
            (key, table)
        })
        .collect();
    for reference in named {
        let (Some(schema), table) = (reference.schema(), reference.table()) else {
            continue;
        };
        if let Some(readable) = by_name.get(&(reference.catalog(), schema, table)) {
            if let Some(refusal) = &readable.refusal {
                return Err(EngineError::Forbidden(refusal.clone()));
            }
            register_at(ctx, schema, table, readable, readable.version).await?;
        }
    }
    for travel in &versioned {
        let name = match &travel.catalog {
            Some(catalog) => format!("{catalog}.{}.{}", travel.schema, travel.table),
            None => format!("{}.{}", travel.schema, travel.table),
        };
        let readable = by_name
            .get(&(travel.catalog.as_deref(), travel.schema.as_str(), travel.table.as_str()))
            .ok_or_else(|| EngineError::Sql(format!("table '{name}' not found")))?;
        if let Some(refusal) = &readable.refusal {
            return Err(EngineError::Forbidden(refusal.clone()));
        }
        let version = match &travel.as_of {
            AsOf::Version(version) if *version > readable.version => {
                return Err(EngineError::Sql(format!(
                    "`{name}` has no published version {version}; the current one is {}",
                    readable.version
                )));
            }
            AsOf::Version(version) => *version,
            AsOf::Timestamp(text) => {
                let time = time_travel::parse_time(text)?;
                version_at(&readable.location, time, &name).await?.min(readable.version)
            }
        };
        register_at(ctx, &travel.schema, &travel.renamed, readable, version).await?;
    }
    let plan = state
        .statement_to_plan(statement)
        .await
        .map_err(EngineError::datafusion)?;
    options.verify_plan(&plan).map_err(EngineError::datafusion)?;
    ctx.execute_logical_plan(plan).await.map_err(EngineError::datafusion)
}

/// Opens `readable` at `version` as `<schema>.<table>`.
async fn register_at(
    ctx: &SessionContext,
    schema: &str,
    table: &str,
    readable: &ReadableTable,
    version: u64,
) -> Result<()> {
    let catalog = match &readable.catalog {
        Some(name) => match ctx.catalog(name) {
            Some(catalog) => catalog,
            None => {
                let catalog: Arc<dyn CatalogProvider> = Arc::new(MemoryCatalogProvider::new());
                ctx.register_catalog(name, Arc::clone(&catalog));
                catalog
            }
        },
        None => ctx
            .catalog("datafusion")
            .ok_or_else(|| EngineError::Internal("the default catalog is missing".to_owned()))?,
    };
    if catalog.schema(schema).is_none() {
        catalog
            .register_schema(schema, Arc::new(MemorySchemaProvider::new()))
            .map_err(EngineError::datafusion)?;
    }
    let name = match &readable.catalog {
        Some(catalog) => TableReference::full(catalog.as_str(), schema, table).to_string(),
        None => TableReference::partial(schema, table).to_string(),
    };
    if ctx.table_exist(name.as_str()).unwrap_or(false) {
        return Ok(());
    }
    register_version(ctx, &name, &readable.location, version).await
}

/// The version of a table that was current at `time`.
async fn version_at(location: &TableLocation, time: chrono::DateTime<chrono::Utc>, name: &str) -> Result<u64> {
    let mut table = crate::tables::open(location, None).await.map_err(EngineError::delta)?;
    table
        .load_with_datetime(time)
        .await
        .map_err(|_| EngineError::Sql(format!("`{name}` had no version yet at {}", time.to_rfc3339())))?;
    table
        .version()
        .ok_or_else(|| EngineError::Sql(format!("`{name}` had no version yet at {}", time.to_rfc3339())))
}

pub(crate) fn decimals_as_text(batch: &RecordBatch) -> Result<RecordBatch> {
    use deltalake::arrow::datatypes::{DataType, Field, Schema};
    let is_decimal = |data_type: &DataType| matches!(data_type, DataType::Decimal128(..) | DataType::Decimal256(..));
    if !batch
        .schema()
        .fields()
        .iter()
        .any(|field| is_decimal(field.data_type()))
    {
        return Ok(batch.clone());
    }
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        if is_decimal(field.data_type()) {
            fields.push(Field::new(field.name(), DataType::Utf8, field.is_nullable()));
            columns.push(deltalake::arrow::compute::cast(column, &DataType::Utf8).map_err(EngineError::arrow)?);
        } else {
            fields.push(field.as_ref().clone());
            columns.push(Arc::clone(column));
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(EngineError::arrow)
}

/// A schema with Arrow's view types turned into the classic ones (`Utf8View` into `Utf8`…), which
/// every Arrow, CSV and JSON client reads.
pub(crate) fn classic_types(schema: &SchemaRef) -> SchemaRef {
    use deltalake::arrow::datatypes::{DataType, Schema};
    if !schema.fields().iter().any(|field| is_view(field.data_type())) {
        return Arc::clone(schema);
    }
    let fields: Vec<_> = schema
        .fields()
        .iter()
        .map(|field| match field.data_type() {
            DataType::Utf8View => field.as_ref().clone().with_data_type(DataType::Utf8),
            DataType::BinaryView => field.as_ref().clone().with_data_type(DataType::Binary),
            _ => field.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

fn is_view(data_type: &deltalake::arrow::datatypes::DataType) -> bool {
    use deltalake::arrow::datatypes::DataType;
    matches!(data_type, DataType::Utf8View | DataType::BinaryView)
}

/// `batch` in `schema` (from [`classic_types`] of its own schema).
pub(crate) fn to_classic(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    if Arc::ptr_eq(&batch.schema(), schema) || batch.schema() == *schema {
        return Ok(batch.clone());
    }
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(column, field)| {
            if column.data_type() == field.data_type() {
                Ok(Arc::clone(column))
            } else {
                deltalake::arrow::compute::cast(column, field.data_type()).map_err(EngineError::arrow)
            }
        })
        .collect::<Result<Vec<_>>>()?;
    RecordBatch::try_new(Arc::clone(schema), columns).map_err(EngineError::arrow)
}

#[cfg(test)]
mod named_tables_tests {
    use super::named_tables;

    #[test]
    fn the_tables_a_query_names_including_time_travel_and_subqueries() {
        let named = named_tables(
            "SELECT * FROM sales.orders o JOIN crm.customers.active c ON o.id = c.id \
             WHERE o.id IN (SELECT id FROM supply.parts VERSION AS OF 2)",
        );
        let mut names: Vec<String> = named
            .iter()
            .map(|(catalog, schema, table)| match catalog {
                Some(catalog) => format!("{catalog}.{schema}.{table}"),
                None => format!("{schema}.{table}"),
            })
            .collect();
        names.sort();
        assert_eq!(names, ["crm.customers.active", "sales.orders", "supply.parts"]);
        assert!(named_tables("SELEC nonsense").is_empty());
    }
}
