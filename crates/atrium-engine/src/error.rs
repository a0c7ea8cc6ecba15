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
    #[error("storage error: {0}")]
    Storage(String),
    #[error("internal engine error: {0}")]
    Internal(String),
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
            EngineError::ResourcesExhausted(_) | EngineError::Timeout(_) => ErrorCode::TooManyRequests,
            EngineError::Config(_) | EngineError::Storage(_) | EngineError::Internal(_) => ErrorCode::Internal,
        }
    }

    pub(crate) fn arrow(error: deltalake::arrow::error::ArrowError) -> Self {
        EngineError::Internal(error.to_string())
    }

    /// Plan and SQL errors are the user's; running out of memory is a limit; the rest is ours.
    pub(crate) fn datafusion(error: DataFusionError) -> Self {
        match error.find_root() {
            // The parser's own words (`Expected: …, found: … at Line: 2, Column: 6`), not the
            // debug form of its error.
            DataFusionError::SQL(parser_error, _) => EngineError::Sql(match parser_error.as_ref() {
                ParserError::ParserError(message) | ParserError::TokenizerError(message) => message.clone(),
                other => other.to_string(),
            }),
            DataFusionError::Plan(_) | DataFusionError::SchemaError(..) => {
                EngineError::Sql(error.find_root().to_string())
            }
            DataFusionError::ResourcesExhausted(message) => EngineError::ResourcesExhausted(message.clone()),
            _ => EngineError::Internal(error.to_string()),
        }
    }

    pub(crate) fn delta(error: DeltaTableError) -> Self {
        EngineError::Storage(error.to_string())
    }
}
