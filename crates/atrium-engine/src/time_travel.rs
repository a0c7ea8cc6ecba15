//! Time travel in queries: `FROM sales.orders VERSION AS OF 3` or
//! `FROM sales.orders TIMESTAMP AS OF '2026-11-22T10:00:00Z'` reads an older published version.
//!
//! DataFusion parses neither (its planner would ignore the clause), so a query that has one is
//! parsed with the Databricks dialect, each versioned table is renamed to a table of its own
//! (`sales."orders@1"`), and that table is opened at the version asked for. Only versions up to
//! the published one can be read: a version a failed or interrupted run left behind never is.

use std::ops::ControlFlow;

use deltalake::datafusion::sql::sqlparser::ast::{
    Expr, Ident, ObjectName, ObjectNamePart, Statement, TableFactor, TableVersion, Value, VisitMut, VisitorMut,
};
use deltalake::datafusion::sql::sqlparser::dialect::DatabricksDialect;
use deltalake::datafusion::sql::sqlparser::parser::Parser;

use crate::{EngineError, Result};

/// Which older state of a table a query reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsOf {
    Version(u64),
    /// An RFC 3339 time or a date: the version current at that time.
    Timestamp(String),
}

/// One versioned table of a query, renamed in the statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionedTable {
    /// The domain, for an output of a product with several (`<domain>.<product>.<output>`).
    pub catalog: Option<String>,
    pub schema: String,
    pub table: String,
    pub as_of: AsOf,
    /// The name it has in the rewritten statement, in `schema`.
    pub renamed: String,
}

/// Whether the query may travel in time (a cheap test before a second parse).
pub fn mentions_as_of(sql: &str) -> bool {
    let upper = sql.to_ascii_uppercase();
    upper.contains(" AS OF ") || upper.contains("\nAS OF") || upper.contains("AS OF\n")
}

/// Parses `sql` and renames its versioned tables; `None` when it has none.
pub fn rewrite(sql: &str) -> Result<Option<(Statement, Vec<VersionedTable>)>> {
    let mut statements =
        Parser::parse_sql(&DatabricksDialect {}, sql).map_err(|error| EngineError::Sql(error.to_string()))?;
    if statements.len() != 1 {
        return Err(EngineError::Sql("send one statement per query".to_owned()));
    }
    let mut statement = statements.remove(0);
    let mut renamer = Renamer::default();
    if let ControlFlow::Break(error) = statement.visit(&mut renamer) {
        return Err(error);
    }
    if renamer.found.is_empty() {
        return Ok(None);
    }
    Ok(Some((statement, renamer.found)))
}

#[derive(Default)]
struct Renamer {
    found: Vec<VersionedTable>,
}

impl VisitorMut for Renamer {
    type Break = EngineError;

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<Self::Break> {
        let TableFactor::Table { name, version, .. } = factor else {
            return ControlFlow::Continue(());
        };
        let Some(requested) = version.take() else {
            return ControlFlow::Continue(());
        };
        let result = (|| {
            let as_of = as_of(requested)?;
            let parts: Vec<String> = name
                .0
                .iter()
                .filter_map(|part| match part {
                    ObjectNamePart::Identifier(ident) => Some(ident.value.clone()),
                    ObjectNamePart::Function(_) => None,
                })
                .collect();
            let (catalog, schema, table) = match parts.as_slice() {
                [schema, table] => (None, schema, table),
                [catalog, schema, table] => (Some(catalog.clone()), schema, table),
                _ => {
                    return Err(EngineError::Sql(format!(
                        "`{name}`: time travel reads a product table, named `<domain>.<product>` \
                         (or `<domain>.<product>.<output>`)"
                    )));
                }
            };
            let renamed = format!("{table}@{}", self.found.len() + 1);
            let mut renamed_parts: Vec<ObjectNamePart> = catalog
                .iter()
                .map(|catalog| ObjectNamePart::Identifier(Ident::new(catalog.clone())))
                .collect();
            renamed_parts.push(ObjectNamePart::Identifier(Ident::new(schema.clone())));
            renamed_parts.push(ObjectNamePart::Identifier(Ident::with_quote('"', renamed.clone())));
            *name = ObjectName(renamed_parts);
            Ok(VersionedTable {
                catalog,
                schema: schema.clone(),
                table: table.clone(),
                as_of,
                renamed,
            })
        })();
        match result {
            Ok(found) => {
                self.found.push(found);
                ControlFlow::Continue(())
            }
            Err(error) => ControlFlow::Break(error),
        }
    }
}

fn as_of(version: TableVersion) -> Result<AsOf> {
    match version {
        TableVersion::VersionAsOf(Expr::Value(value)) => match value.value {
            Value::Number(text, _) => text
                .parse::<u64>()
                .map(AsOf::Version)
                .map_err(|_| EngineError::Sql(format!("VERSION AS OF takes a version number, not `{text}`"))),
            other => Err(EngineError::Sql(format!(
                "VERSION AS OF takes a version number, not `{other}`"
            ))),
        },
        TableVersion::TimestampAsOf(expr) => {
            let text = match expr {
                Expr::Value(value) => value.into_string(),
                Expr::TypedString(typed) => typed.value.into_string(),
                _ => None,
            };
            text.map(AsOf::Timestamp).ok_or_else(|| {
                EngineError::Sql(
                    "TIMESTAMP AS OF takes a literal, e.g. TIMESTAMP AS OF '2026-11-22T10:00:00Z'".to_owned(),
                )
            })
        }
        other => Err(EngineError::Sql(format!(
            "`{other}` is not supported; use VERSION AS OF <n> or TIMESTAMP AS OF '<time>'"
        ))),
    }
}

/// Reads `2026-11-22T10:00:00Z`, `2026-11-22 10:00:00` (UTC) or `2026-11-22` (its midnight, UTC).
pub fn parse_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
    let text = text.trim();
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    if let Ok(time) = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S") {
        return Ok(Utc.from_utc_datetime(&time));
    }
    if let Some(midnight) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
    {
        return Ok(Utc.from_utc_datetime(&midnight));
    }
    Err(EngineError::Sql(format!(
        "TIMESTAMP AS OF '{text}': write a time like '2026-11-22T10:00:00Z' or a date like '2026-11-22'"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_tables_are_renamed() {
        let sql = "SELECT count(*) FROM sales.orders VERSION AS OF 2 o JOIN crm.customers c ON o.customer_id = c.customer_id \
                   JOIN sales.orders TIMESTAMP AS OF '2026-11-22' p ON p.order_id = o.order_id";
        assert!(mentions_as_of(sql));
        let (statement, found) = rewrite(sql).expect("parses").expect("has versions");
        let rewritten = statement.to_string();
        assert!(rewritten.contains("sales.\"orders@1\" o JOIN"), "{rewritten}");
        assert!(rewritten.contains("sales.\"orders@2\" p ON"), "{rewritten}");
        assert!(rewritten.contains("crm.customers c ON"), "{rewritten}");
        assert_eq!(found[0].as_of, AsOf::Version(2));
        assert_eq!(found[1].as_of, AsOf::Timestamp("2026-11-22".to_owned()));
        assert!(rewrite("SELECT 1").expect("parses").is_none());

        let (statement, found) = rewrite("SELECT * FROM sales.book.lines VERSION AS OF 1")
            .expect("parses")
            .expect("has a version");
        assert!(statement.to_string().contains("sales.book.\"lines@1\""), "{statement}");
        assert_eq!(found[0].catalog.as_deref(), Some("sales"));
    }

    #[test]
    fn bad_versions_are_explained() {
        let error = rewrite("SELECT * FROM orders VERSION AS OF 1").expect_err("needs a product name");
        assert!(error.to_string().contains("named `<domain>.<product>`"), "{error}");
        assert!(parse_time("yesterday").is_err());
        assert_eq!(
            parse_time("2026-11-22").expect("date").to_rfc3339(),
            "2026-11-22T00:00:00+00:00"
        );
    }
}
