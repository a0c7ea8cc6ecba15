//! One run of a product: register the inputs, run the transform, check the result against the
//! contract, apply the PII handling, run the quality checks, and only then write one new table
//! version. Every step logs a line for the run's history.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use atrium_descriptor::{Descriptor, Input, Output};
use atrium_types::PiiHandling;
use deltalake::arrow::array::RecordBatch;
use deltalake::arrow::datatypes::SchemaRef;
use deltalake::datafusion::datasource::MemTable;
use deltalake::datafusion::prelude::SessionContext;
use serde::{Deserialize, Serialize};

use crate::ingest::{DeclaredType, ReadRules, Rejection};
use crate::inputs::{InputPlaces, UpstreamVersions, register_input};
use crate::location::DomainWriter;
use crate::quality::{CheckResult, run_checks};
use crate::tables::write_version;
use crate::{Engine, EngineError, Result, contract, pii, quarantine};

/// How many rejected rows a run's log quotes; all of them are in the quarantine table.
const LOGGED_REJECTIONS: usize = 10;

/// What a run needs besides the engine.
pub struct RunRequest<'a> {
    /// The run's id in the catalog: quarantined rows carry it.
    pub run_id: i64,
    pub descriptor: &'a Descriptor,
    /// The folder the descriptor was deployed from: file inputs are relative to it.
    pub base_dir: Option<&'a Path>,
    pub upstream: &'a UpstreamVersions,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub rows_read: u64,
    pub rows_written: u64,
    /// Input rows set aside in the quarantine table.
    pub rows_rejected: u64,
    /// The size of the data files written.
    pub bytes_written: u64,
    pub outputs: Vec<OutputReport>,
    pub checks: Vec<CheckResult>,
    pub log: Vec<String>,
}

/// What a run did to one output port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputReport {
    pub name: String,
    pub rows: u64,
    /// The table version written; `None` when a check failed and nothing was written.
    pub version: Option<u64>,
}

impl RunReport {
    fn note(&mut self, line: impl Into<String>) {
        let line = line.into();
        tracing::debug!(%line, "run");
        self.log.push(line);
    }

    pub fn checks_passed(&self) -> bool {
        self.checks.iter().all(|check| check.passed)
    }
}

impl Engine {
    /// Runs a product. An `Err` is a failed run whose report (with the log so far) is in the
    /// error's companion; quality failures are not errors: the report says which failed and no
    /// version is written.
    pub async fn run(&self, request: RunRequest<'_>) -> Result<RunReport, (EngineError, RunReport)> {
        let mut report = RunReport::default();
        match self.run_steps(&request, &mut report).await {
            Ok(()) => Ok(report),
            Err(error) => {
                report.note(format!("failed: {error}"));
                Err((error, report))
            }
        }
    }

    async fn run_steps(&self, request: &RunRequest<'_>, report: &mut RunReport) -> Result<()> {
        let descriptor = request.descriptor;
        let ctx = self.session();
        let places = InputPlaces {
            product: descriptor.id(),
            base_dir: request.base_dir,
            streams_dir: &self.streams_dir,
            upstream: request.upstream,
            object_stores: &self.object_stores,
            fence: &self.fence,
            own_store: self.root.url(),
        };
        let pii: Vec<(String, PiiHandling)> = descriptor.outputs.iter().flat_map(pii_rules).collect();
        let mut rejected: Vec<(String, Vec<Rejection>)> = Vec::new();
        for input in &descriptor.inputs {
            let rules = ReadRules {
                declared: declared_types(descriptor, input),
                pii: pii.clone(),
                key: self.pii_key.clone(),
                input_is_output: input_is_output(descriptor),
            };
            let read = register_input(&ctx, input, &places, &rules).await?;
            report.rows_read += read.rows;
            let set_aside = read.rejected.len() as u64;
            report.rows_rejected += set_aside;
            let mut line = format!(
                "read input `{}` ({}): {} rows",
                input.name,
                input.source.kind(),
                read.rows
            );
            if set_aside > 0 {
                line.push_str(&format!(", {set_aside} set aside in the quarantine"));
            }
            report.note(line);
            for rejection in read.rejected.iter().take(LOGGED_REJECTIONS) {
                let column = rejection
                    .column
                    .as_ref()
                    .map(|c| format!(" column `{c}`:"))
                    .unwrap_or_default();
                report.note(format!(
                    "  rejected {} line {}:{column} {}",
                    rejection.source, rejection.line, rejection.reason
                ));
            }
            if read.rejected.len() > LOGGED_REJECTIONS {
                report.note(format!("  … and {} more", read.rejected.len() - LOGGED_REJECTIONS));
            }
            if !read.rejected.is_empty() {
                rejected.push((input.name.to_string(), read.rejected));
            }
        }
        if !rejected.is_empty() {
            let location = self.root.quarantine_table(descriptor.id())?;
            let writer = DomainWriter::new(&self.root, &descriptor.metadata.domain)?;
            quarantine::append(&writer, &location, request.run_id, &rejected).await?;
        }
        // Each output in order: its query (which may read the outputs before it), the contract,
        // the PII handling, the checks. Nothing is written unless every check of every output passed.
        let mut built = Vec::with_capacity(descriptor.outputs.len());
        for output in &descriptor.outputs {
            let (batches, schema) = self.output_rows(&ctx, descriptor, output).await?;
            let batches = contract::conform(&batches, &schema, output)?;
            report.note(format!("result matches the contract of `{}`", output.name));
            let (batches, schema) = protect(&batches, output, &self.pii_key)?;
            let rows: u64 = batches.iter().map(|batch| batch.num_rows() as u64).sum();
            let checks = run_checks(output, &schema, &batches).await?;
            for check in &checks {
                let verdict = if check.passed { "passed" } else { "FAILED" };
                let of_output = if descriptor.outputs.len() > 1 {
                    format!(" of `{}`", output.name)
                } else {
                    String::new()
                };
                report.note(format!(
                    "check `{}`{of_output} {verdict}: got {}, expected {}",
                    check.name, check.actual, check.expected
                ));
            }
            report.checks.extend(checks);
            if descriptor.outputs.len() > 1 {
                let table =
                    MemTable::try_new(Arc::clone(&schema), vec![batches.clone()]).map_err(EngineError::datafusion)?;
                ctx.register_table(output.name.as_str(), Arc::new(table))
                    .map_err(EngineError::datafusion)?;
            }
            built.push((output, schema, batches, rows));
        }
        if !report.checks_passed() {
            report.note("quality checks failed: nothing written; readers keep the previous versions");
            for (output, _, _, rows) in built {
                report.outputs.push(OutputReport {
                    name: output.name.to_string(),
                    rows,
                    version: None,
                });
            }
            return Ok(());
        }
        let writer = DomainWriter::new(&self.root, &descriptor.metadata.domain)?;
        for (output, schema, batches, rows) in built {
            let location = self.root.output_table(descriptor.id(), &output.name)?;
            let written = write_version(&writer, &location, &schema, batches).await?;
            let version = written.version;
            report.rows_written += rows;
            report.bytes_written += written.bytes;
            report.note(format!(
                "wrote {rows} rows ({} bytes) as version {version} of {}",
                written.bytes,
                location.url()
            ));
            report.outputs.push(OutputReport {
                name: output.name.to_string(),
                rows,
                version: Some(version),
            });
        }
        Ok(())
    }

    /// The rows of one output: its own `sql`, else the transform, else the single input.
    async fn output_rows(
        &self,
        ctx: &SessionContext,
        descriptor: &Descriptor,
        output: &Output,
    ) -> Result<(Vec<RecordBatch>, SchemaRef)> {
        let sql = match (&output.sql, &descriptor.transform, descriptor.inputs.as_slice()) {
            (Some(sql), _, _) => sql.clone(),
            (None, Some(transform), _) => transform.sql.clone(),
            (None, None, [input]) => format!("SELECT * FROM \"{}\"", input.name),
            (None, None, _) => {
                return Err(EngineError::Unsupported(format!(
                    "output `{}` has no `sql`, and the product has no transform and not one single input",
                    output.name
                )));
            }
        };
        let frame = ctx.sql(&sql).await.map_err(EngineError::datafusion)?;
        let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
        let batches = frame.collect().await.map_err(EngineError::datafusion)?;
        Ok((batches, schema))
    }
}

/// Whether the product's single input is (one of) its output(s) as it is, with no query between.
fn input_is_output(descriptor: &Descriptor) -> bool {
    descriptor.transform.is_none()
        && descriptor.inputs.len() == 1
        && descriptor.outputs.iter().any(|output| output.sql.is_none())
}

/// The declared types of an input's columns: its own `columns`, and, when the input *is* the
/// output (a single input, no transform), the contract's columns of the same name, with their
/// `required` (a row without the value is set aside rather than failing the run).
fn declared_types(descriptor: &Descriptor, input: &Input) -> HashMap<String, DeclaredType> {
    let mut declared = HashMap::new();
    if input_is_output(descriptor)
        && let Some(output) = descriptor.outputs.iter().find(|output| output.sql.is_none())
    {
        for column in &output.columns {
            declared.insert(
                column.name.to_string(),
                DeclaredType {
                    arrow: contract::arrow_type(&column.data_type),
                    label: column.data_type.to_string(),
                    required: column.required,
                },
            );
        }
    }
    for column in &input.columns {
        declared.insert(
            column.name.clone(),
            DeclaredType {
                arrow: contract::arrow_type(&column.data_type),
                label: column.data_type.to_string(),
                // An input column's declaration is a type only; `required` is the contract's.
                required: declared.get(&column.name).is_some_and(|contract| contract.required),
            },
        );
    }
    declared
}

/// The PII handling of an output's columns, by column name.
pub fn pii_rules(output: &Output) -> Vec<(String, PiiHandling)> {
    output
        .columns
        .iter()
        .filter_map(|column| column.pii.map(|rule| (column.name.to_string(), rule)))
        .collect()
}

/// Applies the PII handling of the contract's columns.
fn protect(batches: &[RecordBatch], output: &Output, key: &pii::PiiKey) -> Result<(Vec<RecordBatch>, SchemaRef)> {
    let handling = pii_rules(output);
    let empty = RecordBatch::new_empty(contract::contract_schema(output));
    let schema = pii::apply(&empty, &handling, key)?.schema();
    let batches = batches
        .iter()
        .map(|batch| pii::apply(batch, &handling, key))
        .collect::<Result<Vec<_>>>()?;
    Ok((batches, schema))
}
