//! The quarantine: the input rows a run set aside (unparseable line, value of the wrong type),
//! kept in a Delta table of the product's own storage area (`<domain>/<product>/_rejected/`), one
//! appended commit per run, each row with its run, input, file, line, column and reason. Records
//! are stored with the product's PII handling applied; a line that could not be split into fields
//! keeps no text at all.

use std::sync::Arc;

use deltalake::DeltaTable;
use deltalake::arrow::array::{Array, ArrayRef, AsArray, Int64Array, RecordBatch, StringArray};
use deltalake::arrow::compute::cast;
use deltalake::arrow::datatypes::{DataType, Field, Int64Type, Schema, SchemaRef};
use deltalake::datafusion::prelude::{SessionContext, col, lit};
use deltalake::protocol::SaveMode;
use serde::{Deserialize, Serialize};

use crate::ingest::Rejection;
use crate::location::{DomainWriter, TableLocation};
use crate::tables::create_local_folder;
use crate::{EngineError, Result};

/// One row of the quarantine, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectedRow {
    pub run_id: i64,
    pub input: String,
    pub source: String,
    pub line: i64,
    pub column: Option<String>,
    pub reason: String,
    /// The row as JSON, PII handling applied.
    pub record: Option<String>,
}

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("run_id", DataType::Int64, false),
        Field::new("input", DataType::Utf8, false),
        Field::new("source", DataType::Utf8, false),
        Field::new("line", DataType::Int64, false),
        Field::new("column", DataType::Utf8, true),
        Field::new("reason", DataType::Utf8, false),
        Field::new("record", DataType::Utf8, true),
    ]))
}

/// Appends the rejections of one run, per input, as one commit.
pub async fn append(
    writer: &DomainWriter,
    location: &TableLocation,
    run_id: i64,
    rejected: &[(String, Vec<Rejection>)],
) -> Result<()> {
    let rows: Vec<(&str, &Rejection)> = rejected
        .iter()
        .flat_map(|(input, rows)| rows.iter().map(move |row| (input.as_str(), row)))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    writer.authorize(location)?;
    create_local_folder(location)?;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(vec![run_id; rows.len()])),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|(input, _)| *input))),
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|(_, row)| row.source.as_str()),
        )),
        Arc::new(Int64Array::from_iter_values(
            rows.iter().map(|(_, row)| i64::try_from(row.line).unwrap_or(i64::MAX)),
        )),
        Arc::new(StringArray::from_iter(
            rows.iter().map(|(_, row)| row.column.as_deref()),
        )),
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|(_, row)| row.reason.as_str()),
        )),
        Arc::new(StringArray::from_iter(
            rows.iter().map(|(_, row)| row.record.as_deref()),
        )),
    ];
    let batch = RecordBatch::try_new(schema(), columns).map_err(EngineError::arrow)?;
    let table = DeltaTable::try_from_url_with_storage_options(location.url().clone(), location.delta_options())
        .await
        .map_err(EngineError::delta)?;
    table
        .write(vec![batch])
        .with_save_mode(SaveMode::Append)
        .await
        .map_err(EngineError::delta)?;
    Ok(())
}

/// The rows one run set aside, in input and line order, at most `limit`.
pub async fn rows_of_run(location: &TableLocation, run_id: i64, limit: usize) -> Result<Vec<RejectedRow>> {
    // No run of this product has set a row aside yet.
    if !crate::tables::exists(location).await? {
        return Ok(Vec::new());
    }
    let table = crate::tables::open(location, None).await.map_err(EngineError::delta)?;
    let ctx = SessionContext::new();
    table
        .update_datafusion_session(&ctx.state())
        .map_err(EngineError::delta)?;
    let provider = table.table_provider().await.map_err(EngineError::datafusion)?;
    let batches = ctx
        .read_table(provider)
        .and_then(|frame| frame.filter(col("run_id").eq(lit(run_id))))
        .and_then(|frame| frame.sort(vec![col("input").sort(true, true), col("line").sort(true, true)]))
        .and_then(|frame| frame.limit(0, Some(limit)))
        .map_err(EngineError::datafusion)?
        .collect()
        .await
        .map_err(EngineError::datafusion)?;
    let mut rows = Vec::new();
    for batch in &batches {
        // Delta reads text as views; the columns are brought back to plain arrays.
        let column = |name: &str, data_type: &DataType| {
            let array = batch
                .column_by_name(name)
                .ok_or_else(|| EngineError::Storage(format!("the quarantine table has no column `{name}`")))?;
            cast(array, data_type).map_err(EngineError::arrow)
        };
        let (runs, inputs, sources, lines) = (
            column("run_id", &DataType::Int64)?,
            column("input", &DataType::Utf8)?,
            column("source", &DataType::Utf8)?,
            column("line", &DataType::Int64)?,
        );
        let (columns, reasons, records) = (
            column("column", &DataType::Utf8)?,
            column("reason", &DataType::Utf8)?,
            column("record", &DataType::Utf8)?,
        );
        let (runs, lines) = (runs.as_primitive::<Int64Type>(), lines.as_primitive::<Int64Type>());
        let (inputs, sources) = (inputs.as_string::<i32>(), sources.as_string::<i32>());
        let (columns, reasons, records) = (
            columns.as_string::<i32>(),
            reasons.as_string::<i32>(),
            records.as_string::<i32>(),
        );
        for row in 0..batch.num_rows() {
            let optional = |array: &StringArray| (!array.is_null(row)).then(|| array.value(row).to_owned());
            rows.push(RejectedRow {
                run_id: runs.value(row),
                input: inputs.value(row).to_owned(),
                source: sources.value(row).to_owned(),
                line: lines.value(row),
                column: optional(columns),
                reason: reasons.value(row).to_owned(),
                record: optional(records),
            });
        }
    }
    Ok(rows)
}
