//! Errors of the platform facade, each with its code from the shared table.

use std::path::PathBuf;

use atrium_catalog::CatalogError;
use atrium_types::{Diagnostic, ErrorCode, plural};

pub type Result<T, E = PlatformError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error("the descriptor has {}", plural(.0.len(), "problem"))]
    Invalid(Vec<Diagnostic>),
    #[error("`{id}` is not a product id: it {reason}")]
    BadId { id: String, reason: String },
    #[error("cannot send rows to input `{input}` of `{product}`: {reason}")]
    NoSuchInput {
        product: String,
        input: String,
        reason: String,
    },
    #[error("cannot read `{what}`: {reason}")]
    Unreadable { what: String, reason: String },
    #[error("cannot prepare the storage area `{}`", .path.display())]
    Storage {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Engine(#[from] atrium_engine::EngineError),
}

impl PlatformError {
    pub fn code(&self) -> ErrorCode {
        match self {
            PlatformError::Invalid(_) => ErrorCode::Invalid,
            PlatformError::BadId { .. } => ErrorCode::BadRequest,
            PlatformError::NoSuchInput { .. } => ErrorCode::NotFound,
            PlatformError::Unreadable { .. } => ErrorCode::Invalid,
            PlatformError::Storage { .. } => ErrorCode::Internal,
            PlatformError::Catalog(error) => error.code(),
            PlatformError::Engine(error) => error.code(),
        }
    }

    /// The located problems of an invalid descriptor; empty for other errors.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            PlatformError::Invalid(problems) => problems,
            _ => &[],
        }
    }
}
