//! Delta Lake tables: each run writes one new version in one atomic commit; readers open the
//! version the catalog published, so a failed or half-finished run is never read.

use std::sync::Arc;

use deltalake::DeltaTable;
use deltalake::arrow::array::RecordBatch;
use deltalake::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use deltalake::datafusion::catalog::TableProvider;
use deltalake::datafusion::datasource::empty::EmptyTable;
use deltalake::datafusion::datasource::file_format::parquet::ParquetFormat;
use deltalake::datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use deltalake::datafusion::execution::object_store::ObjectStoreUrl;
use deltalake::datafusion::prelude::SessionContext;
use deltalake::operations::write::SchemaMode;
use deltalake::protocol::SaveMode;
use url::Url;

use crate::location::{DomainWriter, TableLocation};
use crate::{EngineError, Result};

/// One version written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrittenVersion {
    pub version: u64,
    /// The size of the data files of the version.
    pub bytes: u64,
}

/// Replaces the table's content with `batches` as one new version.
pub async fn write_version(
    writer: &DomainWriter,
    location: &TableLocation,
    schema: &SchemaRef,
    batches: Vec<RecordBatch>,
) -> Result<WrittenVersion> {
    writer.authorize(location)?;
    create_local_folder(location)?;
    let batches = if batches.is_empty() {
        vec![RecordBatch::new_empty(Arc::clone(schema))]
    } else {
        batches
    };
    let table = DeltaTable::try_from_url_with_storage_options(location.url().clone(), location.delta_options())
        .await
        .map_err(EngineError::delta)?;
    let table = table
        .write(batches)
        .with_save_mode(SaveMode::Overwrite)
        .with_schema_mode(SchemaMode::Overwrite)
        .await
        .map_err(EngineError::delta)?;
    let version = table
        .version()
        .ok_or_else(|| EngineError::Storage(format!("{} has no version after the write", location.url())))?;
    // An overwrite replaces every file, so the version's files are the ones this write added.
    let bytes = table
        .snapshot()
        .map_err(EngineError::delta)?
        .log_data()
        .iter()
        .map(|file| u64::try_from(file.size()).unwrap_or(0))
        .sum();
    Ok(WrittenVersion { version, bytes })
}

/// A local table's folder must exist before Delta writes into it; object stores have no folders.
pub(crate) fn create_local_folder(location: &TableLocation) -> Result<()> {
    if location.url().scheme() != "file" {
        return Ok(());
    }
    let path = location
        .url()
        .to_file_path()
        .map_err(|()| EngineError::Storage(format!("{} is not a local path", location.url())))?;
    std::fs::create_dir_all(&path).map_err(|error| EngineError::Storage(format!("{}: {error}", path.display())))
}

/// Registers version `version` of a table under `name` in a DataFusion session.
///
/// A table this engine wrote is plain Parquet under a Delta log (reader protocol 1, no partition
/// columns): the version's files are read with DataFusion's own Parquet scan, which splits large
/// files across cores and prunes row groups by their statistics. Any other table is read through
/// deltalake's provider.
pub async fn register_version(ctx: &SessionContext, name: &str, location: &TableLocation, version: u64) -> Result<()> {
    let table = open(location, Some(version)).await.map_err(EngineError::delta)?;
    let provider = match plain_parquet_files(&table)? {
        Some(files) => parquet_files_provider(ctx, &table, files).await?,
        None => {
            table
                .update_datafusion_session(&ctx.state())
                .map_err(EngineError::delta)?;
            table.table_provider().await.map_err(EngineError::datafusion)?
        }
    };
    ctx.register_table(name, provider).map_err(EngineError::datafusion)?;
    Ok(())
}

/// The URLs of the data files of the loaded version, when they can be read as plain Parquet: the
/// table needs no reader feature (deletion vectors, column mapping…) and has no partition columns
/// (whose values live in the log, not in the files).
fn plain_parquet_files(table: &DeltaTable) -> Result<Option<Vec<Url>>> {
    let snapshot = table.snapshot().map_err(EngineError::delta)?;
    let protocol =
        serde_json::to_value(snapshot.protocol()).map_err(|error| EngineError::Storage(error.to_string()))?;
    let metadata =
        serde_json::to_value(snapshot.metadata()).map_err(|error| EngineError::Storage(error.to_string()))?;
    let reader_version = protocol.get("minReaderVersion").and_then(serde_json::Value::as_i64);
    let partitioned = metadata
        .get("partitionColumns")
        .and_then(serde_json::Value::as_array)
        .is_some_and(|columns| !columns.is_empty());
    if reader_version != Some(1) || partitioned {
        return Ok(None);
    }
    let mut root = table.table_url().clone();
    if !root.path().ends_with('/') {
        root.set_path(&format!("{}/", root.path()));
    }
    snapshot
        .log_data()
        .iter()
        .map(|file| {
            root.join(file.object_store_path().as_ref())
                .map_err(|error| EngineError::Storage(format!("a file of {root}: {error}")))
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

/// A DataFusion Parquet table over `files`, with the table's schema; the files' store is made
/// known to the session (the local file system is known already).
async fn parquet_files_provider(
    ctx: &SessionContext,
    table: &DeltaTable,
    files: Vec<Url>,
) -> Result<Arc<dyn TableProvider>> {
    let schema = with_view_types(&table.snapshot().map_err(EngineError::delta)?.snapshot().arrow_schema());
    if files.is_empty() {
        return Ok(Arc::new(EmptyTable::new(schema)));
    }
    let root = table.table_url();
    if root.scheme() != "file" {
        let store_url = ObjectStoreUrl::parse(format!("{}://{}", root.scheme(), root.authority()))
            .map_err(EngineError::datafusion)?;
        ctx.register_object_store(store_url.as_ref(), table.log_store().root_object_store(None));
    }
    let paths = files
        .iter()
        .map(|file| ListingTableUrl::parse(file.as_str()))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(EngineError::datafusion)?;
    let options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let config = ListingTableConfig::new_with_multi_paths(paths)
        .with_listing_options(options)
        .with_schema(schema);
    let provider = ListingTable::try_new(config).map_err(EngineError::datafusion)?;
    Ok(Arc::new(provider))
}

/// Whether a Delta table exists at `location` (its log has an entry).
pub async fn exists(location: &TableLocation) -> Result<bool> {
    use futures_util::StreamExt;
    let options = crate::object_stores::ObjectStoreOptions::from_delta_options(&location.delta_options());
    let (store, path) = options.store_for(location.url())?;
    let log = path.join("_delta_log");
    match store.list(Some(&log)).next().await {
        None => Ok(false),
        Some(Ok(_)) => Ok(true),
        Some(Err(object_store::Error::NotFound { .. })) => Ok(false),
        Some(Err(error)) => Err(EngineError::Storage(format!("listing {}: {error}", location.url()))),
    }
}

/// Opens a table (its latest version, or `version`) with the options of its store.
pub async fn open(location: &TableLocation, version: Option<u64>) -> Result<DeltaTable, deltalake::DeltaTableError> {
    let mut builder =
        deltalake::DeltaTableBuilder::from_url(location.url().clone())?.with_storage_options(location.delta_options());
    if let Some(version) = version {
        builder = builder.with_version(version);
    }
    builder.load().await
}

/// Strings and binaries as Arrow's view types, which DataFusion filters, compares and hashes
/// faster; the Parquet reader decodes straight into them. Answers turn them back into the
/// classic types ([`crate::query::classic_types`]) for clients that predate them.
fn with_view_types(schema: &Schema) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|field| match field.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 => field.as_ref().clone().with_data_type(DataType::Utf8View),
            DataType::Binary | DataType::LargeBinary => field.as_ref().clone().with_data_type(DataType::BinaryView),
            _ => field.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// The first `limit` rows of a table version, every value as text (`None` for NULL).
pub async fn sample(
    location: &TableLocation,
    version: u64,
    limit: usize,
) -> Result<(Vec<String>, Vec<Vec<Option<String>>>)> {
    let ctx = SessionContext::new();
    register_version(&ctx, "sample", location, version).await?;
    let frame = ctx.table("sample").await.map_err(EngineError::datafusion)?;
    let columns: Vec<String> = frame
        .schema()
        .fields()
        .iter()
        .map(|field| field.name().clone())
        .collect();
    let batches = frame
        .limit(0, Some(limit))
        .map_err(EngineError::datafusion)?
        .collect()
        .await
        .map_err(EngineError::datafusion)?;
    Ok((columns, rows_as_text(&batches, limit)?))
}

/// The first `limit` rows of `batches`, every value as text (`None` for NULL).
pub fn rows_as_text(batches: &[RecordBatch], limit: usize) -> Result<Vec<Vec<Option<String>>>> {
    use deltalake::arrow::array::Array;
    use deltalake::arrow::util::display::array_value_to_string;

    let mut rows = Vec::new();
    for batch in batches {
        for row in 0..batch.num_rows() {
            if rows.len() == limit {
                return Ok(rows);
            }
            let values = batch
                .columns()
                .iter()
                .map(|column| {
                    if column.is_null(row) {
                        Ok(None)
                    } else {
                        array_value_to_string(column, row).map(Some)
                    }
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(EngineError::arrow)?;
            rows.push(values);
        }
    }
    Ok(rows)
}
