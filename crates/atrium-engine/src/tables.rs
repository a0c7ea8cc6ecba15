//! Delta Lake tables: each run writes one new version in one atomic commit; readers open the
//! version the catalog published, so a failed or half-finished run is never read.

use std::sync::Arc;

use deltalake::DeltaTable;
use deltalake::arrow::array::RecordBatch;
use deltalake::arrow::datatypes::SchemaRef;
use deltalake::datafusion::prelude::SessionContext;
use deltalake::operations::write::SchemaMode;
use deltalake::protocol::SaveMode;

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
pub async fn register_version(ctx: &SessionContext, name: &str, location: &TableLocation, version: u64) -> Result<()> {
    let table = open(location, Some(version)).await.map_err(EngineError::delta)?;
    table
        .update_datafusion_session(&ctx.state())
        .map_err(EngineError::delta)?;
    let provider = table.table_provider().await.map_err(EngineError::datafusion)?;
    ctx.register_table(name, provider).map_err(EngineError::datafusion)?;
    Ok(())
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
