//! One run of a product: register the inputs, run the transform, check the result against the
//! contract, apply the PII handling, run the quality checks, and only then write one new table
//! version. Every step logs a line for the run's history.

use std::path::Path;
use std::sync::Arc;

use atrium_descriptor::{Descriptor, Output};
use atrium_types::PiiHandling;
use deltalake::arrow::array::RecordBatch;
use deltalake::arrow::datatypes::SchemaRef;
use deltalake::datafusion::prelude::SessionContext;
use serde::{Deserialize, Serialize};

use crate::inputs::{InputPlaces, UpstreamVersions, register_input};
use crate::location::DomainWriter;
use crate::quality::{CheckResult, run_checks};
use crate::tables::write_version;
use crate::{Engine, EngineError, Result, contract, pii};

/// What a run needs besides the engine.
pub struct RunRequest<'a> {
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
        let [output] = descriptor.outputs.as_slice() else {
            return Err(EngineError::Unsupported(
                "a product with several outputs cannot be run by this engine yet".to_owned(),
            ));
        };
        let ctx = self.session();
        let places = InputPlaces {
            product: descriptor.id(),
            base_dir: request.base_dir,
            streams_dir: &self.streams_dir,
            upstream: request.upstream,
        };
        for input in &descriptor.inputs {
            register_input(&ctx, input, &places).await?;
            let rows = ctx
                .table(input.name.as_str())
                .await
                .map_err(EngineError::datafusion)?
                .count()
                .await;
            let rows = rows.map_err(|error| EngineError::Input {
                input: input.name.to_string(),
                message: error.find_root().to_string(),
            })? as u64;
            report.rows_read += rows;
            report.note(format!(
                "read input `{}` ({}): {rows} rows",
                input.name,
                input.source.kind()
            ));
        }
        let (batches, schema) = self.transform(&ctx, descriptor).await?;
        let batches = contract::conform(&batches, &schema, output)?;
        report.note(format!("result matches the contract of `{}`", output.name));
        let (batches, schema) = protect(&batches, output, &self.pii_key)?;
        let rows: u64 = batches.iter().map(|batch| batch.num_rows() as u64).sum();
        let checks = run_checks(output, &schema, &batches).await?;
        for check in &checks {
            let verdict = if check.passed { "passed" } else { "FAILED" };
            report.note(format!(
                "check `{}` {verdict}: got {}, expected {}",
                check.name, check.actual, check.expected
            ));
        }
        report.checks = checks;
        if !report.checks_passed() {
            report.note("quality checks failed: nothing written; readers keep the previous version");
            report.outputs.push(OutputReport {
                name: output.name.to_string(),
                rows,
                version: None,
            });
            return Ok(());
        }
        let location = self.root.output_table(descriptor.id(), &output.name)?;
        let writer = DomainWriter::new(&self.root, &descriptor.metadata.domain)?;
        let version = write_version(&writer, &location, &schema, batches).await?;
        report.rows_written += rows;
        report.note(format!("wrote {rows} rows as version {version} of {}", location.url()));
        report.outputs.push(OutputReport {
            name: output.name.to_string(),
            rows,
            version: Some(version),
        });
        Ok(())
    }

    async fn transform(&self, ctx: &SessionContext, descriptor: &Descriptor) -> Result<(Vec<RecordBatch>, SchemaRef)> {
        let sql = match (&descriptor.transform, descriptor.inputs.as_slice()) {
            (Some(transform), _) => transform.sql.clone(),
            (None, [input]) => format!("SELECT * FROM \"{}\"", input.name),
            (None, _) => {
                return Err(EngineError::Unsupported(
                    "a product without inputs has nothing to run".to_owned(),
                ));
            }
        };
        let frame = ctx.sql(&sql).await.map_err(EngineError::datafusion)?;
        let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
        let batches = frame.collect().await.map_err(EngineError::datafusion)?;
        Ok((batches, schema))
    }
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
