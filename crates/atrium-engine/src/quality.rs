//! Quality checks: each is a SQL query over the new data that must return the expected value.
//! They run before the data is written, so a failing check never becomes a readable version.

use std::sync::Arc;

use atrium_descriptor::{Expected, Output};
use deltalake::arrow::array::RecordBatch;
use deltalake::arrow::datatypes::SchemaRef;
use deltalake::arrow::util::display::array_value_to_string;
use deltalake::datafusion::datasource::MemTable;
use deltalake::datafusion::prelude::SessionContext;
use serde::{Deserialize, Serialize};

use crate::{EngineError, Result};

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub output: String,
    pub name: String,
    pub passed: bool,
    /// What the query returned, as text; the error when it could not run.
    pub actual: String,
    pub expected: String,
}

/// Runs every check of `output` over `batches`, registered under the output's name.
pub async fn run_checks(output: &Output, schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Vec<CheckResult>> {
    if output.quality.is_empty() {
        return Ok(Vec::new());
    }
    let ctx = SessionContext::new();
    let table = MemTable::try_new(Arc::clone(schema), vec![batches.to_vec()]).map_err(EngineError::datafusion)?;
    ctx.register_table(output.name.as_str(), Arc::new(table))
        .map_err(EngineError::datafusion)?;
    let mut results = Vec::with_capacity(output.quality.len());
    for check in &output.quality {
        let expected = expected_text(&check.expect);
        let (passed, actual) = match first_value(&ctx, &check.sql).await {
            Ok(actual) => (matches(&check.expect, &actual), actual),
            Err(error) => (false, format!("error: {error}")),
        };
        results.push(CheckResult {
            output: output.name.to_string(),
            name: check.name.to_string(),
            passed,
            actual,
            expected,
        });
    }
    Ok(results)
}

async fn first_value(ctx: &SessionContext, sql: &str) -> Result<String> {
    let batches = ctx
        .sql(sql)
        .await
        .map_err(EngineError::datafusion)?
        .collect()
        .await
        .map_err(EngineError::datafusion)?;
    let Some(batch) = batches.iter().find(|batch| batch.num_rows() > 0) else {
        return Ok("no rows".to_owned());
    };
    if batch.num_columns() == 0 {
        return Ok("no columns".to_owned());
    }
    array_value_to_string(batch.column(0), 0).map_err(EngineError::arrow)
}

fn expected_text(expected: &Expected) -> String {
    match expected {
        Expected::Text(text) => text.clone(),
        other => other.to_json(),
    }
}

fn matches(expected: &Expected, actual: &str) -> bool {
    match expected {
        Expected::Bool(value) => actual == value.to_string(),
        Expected::Integer(value) => actual.parse::<f64>().is_ok_and(|a| a == *value as f64),
        Expected::Float(value) => actual
            .parse::<f64>()
            .is_ok_and(|a| (a - value).abs() <= 1e-9 * value.abs().max(1.0)),
        Expected::Text(value) => actual == value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_compare_by_kind() {
        assert!(matches(&Expected::Integer(0), "0"));
        assert!(matches(&Expected::Integer(25), "25.0"));
        assert!(!matches(&Expected::Integer(0), "3"));
        assert!(matches(&Expected::Bool(true), "true"));
        assert!(matches(&Expected::Float(0.1), "0.1"));
        assert!(matches(&Expected::Text("ok".into()), "ok"));
    }
}
