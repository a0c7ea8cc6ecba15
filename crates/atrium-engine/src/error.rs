//! Errors of the engine, each with its code from the shared table.

use atrium_types::ErrorCode;
use deltalake::DeltaTableError;
use deltalake::datafusion::error::DataFusionError;
use deltalake::datafusion::sql::sqlparser::parser::ParserError;

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("engine configuration: {0}")]
    Config(String),
    #[error("input `{input}`: {message}")]
    Input { input: String, message: String },
    #[error("column `{column}`: {message}")]
    Contract { column: String, message: String },
    #[error("{0}")]
    Unsupported(String),
    #[error("`{location}` is outside the storage area of domain `{domain}`")]
    OutsideDomain { location: String, domain: String },
    #[error("SQL error: {0}")]
    Sql(String),
    /// A query named a table its caller may not read; the message says how to get access.
    #[error("{0}")]
    Forbidden(String),
    /// An input reaches beyond the data fence (a file outside its roots, a private address…).
    #[error("input `{input}`: {message}")]
    Fenced { input: String, message: String },
    #[error("the query needs more memory than its limit: {0}")]
    ResourcesExhausted(String),
    #[error("the query ran longer than its limit of {0} s")]
    Timeout(u64),
    /// Every query slot stayed taken: the server is busy, not the query wrong.
    #[error("{0}")]
    Busy(String),
    #[error("storage error: {0}")]
    Storage(String),
    #[error("internal engine error: {0}")]
    Internal(String),
    /// A fault of the engine or its storage, with its cause kept for the log.
    #[error("internal engine error")]
    DataFusion(#[source] DataFusionError),
}

impl EngineError {
    pub fn code(&self) -> ErrorCode {
        match self {
            EngineError::Input { .. } | EngineError::Contract { .. } | EngineError::Unsupported(_) => {
                ErrorCode::Invalid
            }
            EngineError::Sql(_) => ErrorCode::BadRequest,
            EngineError::OutsideDomain { .. } | EngineError::Forbidden(_) | EngineError::Fenced { .. } => {
                ErrorCode::Forbidden
            }
            EngineError::ResourcesExhausted(_) | EngineError::Timeout(_) => ErrorCode::LimitExceeded,
            EngineError::Busy(_) => ErrorCode::Unavailable,
            EngineError::Config(_)
            | EngineError::Storage(_)
            | EngineError::Internal(_)
            | EngineError::DataFusion(_) => ErrorCode::Internal,
        }
    }

    pub(crate) fn arrow(error: deltalake::arrow::error::ArrowError) -> Self {
        EngineError::Internal(error.to_string())
    }

    /// What a query's SQL causes is the user's fault, in the engine's words: parse and plan
    /// errors, a type it does not know, and what fails as the rows are computed (a division by
    /// zero, a failed cast, a bad argument). Running out of memory is a limit. The rest (storage,
    /// internal invariants, a task that died) is ours, and keeps its cause.
    pub(crate) fn datafusion(error: DataFusionError) -> Self {
        let root = error.find_root();
        match root {
            // The parser's own words (`Expected: …, found: … at Line: 2, Column: 6`), not the
            // debug form of its error.
            DataFusionError::SQL(parser_error, _) => EngineError::Sql(match parser_error.as_ref() {
                ParserError::ParserError(message) | ParserError::TokenizerError(message) => message.clone(),
                other => other.to_string(),
            }),
            DataFusionError::Plan(message) | DataFusionError::Execution(message) => {
                EngineError::Sql(strip_backtrace(message))
            }
            DataFusionError::NotImplemented(message) => {
                EngineError::Sql(format!("not supported: {}", strip_backtrace(message)))
            }
            DataFusionError::SchemaError(..) => EngineError::Sql(strip_backtrace(&root.to_string())),
            DataFusionError::ArrowError(arrow_error, _) if is_users_arrow_error(arrow_error) => {
                EngineError::Sql(strip_backtrace(&arrow_error.to_string()))
            }
            DataFusionError::ResourcesExhausted(message) => EngineError::ResourcesExhausted(message.clone()),
            _ => EngineError::DataFusion(error),
        }
    }

    pub(crate) fn delta(error: DeltaTableError) -> Self {
        EngineError::Storage(error.to_string())
    }
}

/// Arrow errors a query's values cause, as opposed to faults of the engine or its storage.
fn is_users_arrow_error(error: &deltalake::arrow::error::ArrowError) -> bool {
    use deltalake::arrow::error::ArrowError;
    matches!(
        error,
        ArrowError::DivideByZero
            | ArrowError::CastError(_)
            | ArrowError::ParseError(_)
            | ArrowError::ComputeError(_)
            | ArrowError::InvalidArgumentError(_)
            | ArrowError::ArithmeticOverflow(_)
            | ArrowError::NotYetImplemented(_)
            | ArrowError::SchemaError(_)
    )
}

/// A message without the backtrace DataFusion appends when built with backtraces.
fn strip_backtrace(message: &str) -> String {
    message
        .split(DataFusionError::BACK_TRACE_SEP)
        .next()
        .unwrap_or(message)
        .trim_end()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use deltalake::arrow::error::ArrowError;

    #[test]
    fn what_the_sql_causes_is_the_users_and_the_rest_is_ours() {
        let users = [
            DataFusionError::ArrowError(Box::new(ArrowError::DivideByZero), None),
            DataFusionError::Context(
                "Optimizer rule 'simplify_expressions' failed".to_owned(),
                Box::new(DataFusionError::ArrowError(
                    Box::new(ArrowError::CastError(
                        "Cannot cast string 'x' to value of Int32 type".to_owned(),
                    )),
                    None,
                )),
            ),
            DataFusionError::NotImplemented("Unsupported SQL type foo".to_owned()),
            DataFusionError::Plan("table 'x' not found".to_owned()),
            DataFusionError::Execution("regexp_replace: bad pattern".to_owned()),
        ];
        for error in users {
            let mapped = EngineError::datafusion(error);
            assert_eq!(mapped.code(), ErrorCode::BadRequest, "{mapped}");
        }
        let cast = EngineError::datafusion(DataFusionError::Context(
            "rule".to_owned(),
            Box::new(DataFusionError::ArrowError(
                Box::new(ArrowError::CastError("Cannot cast string 'x'".to_owned())),
                None,
            )),
        ));
        assert_eq!(cast.to_string(), "SQL error: Cast error: Cannot cast string 'x'");
        let ours = [
            DataFusionError::Internal("an invariant".to_owned()),
            DataFusionError::IoError(std::io::Error::other("disk")),
            DataFusionError::ArrowError(
                Box::new(ArrowError::IoError("x".to_owned(), std::io::Error::other("disk"))),
                None,
            ),
        ];
        for error in ours {
            let mapped = EngineError::datafusion(error);
            assert_eq!(mapped.code(), ErrorCode::Internal, "{mapped}");
            assert!(std::error::Error::source(&mapped).is_some(), "the cause is kept");
        }
        let memory = EngineError::datafusion(DataFusionError::ResourcesExhausted("pool".to_owned()));
        assert_eq!(memory.code(), ErrorCode::LimitExceeded);
    }
}
