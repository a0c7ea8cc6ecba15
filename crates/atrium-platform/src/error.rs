//! Errors of the platform facade, each with its code from the shared table.

use std::path::PathBuf;

use atrium_catalog::CatalogError;
use atrium_types::{Diagnostic, ErrorCode, plural};

use crate::access::Refusal;

pub type Result<T, E = PlatformError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error("the descriptor has {}", plural(.0.len(), "problem"))]
    Invalid(Vec<Diagnostic>),
    #[error("`{id}` is not a product id: it {reason}")]
    BadId { id: String, reason: String },
    #[error("{0}")]
    BadRequest(String),
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
    /// The access decision said no.
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("wrong user name or password")]
    SignIn,
    #[error("user `{0}` does not exist")]
    NoSuchUser(String),
    #[error("token `{0}` does not exist")]
    NoSuchToken(String),
    #[error("grant {0} does not exist")]
    NoSuchGrant(i64),
    #[error("access request {0} does not exist")]
    NoSuchRequest(i64),
    /// The change meets a state that does not allow it (already decided, already readable…).
    #[error("{0}")]
    Conflict(String),
    #[error("`{product}` has no run {run}")]
    NoSuchRun { product: atrium_types::ProductId, run: i64 },
    #[error("this needs a signed-in user")]
    NotAUser,
    #[error("{0}")]
    Internal(String),
    #[error("{0}")]
    Search(String),
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Engine(#[from] atrium_engine::EngineError),
}

impl PlatformError {
    pub fn code(&self) -> ErrorCode {
        match self {
            PlatformError::Invalid(_) => ErrorCode::Invalid,
            PlatformError::BadId { .. } | PlatformError::BadRequest(_) => ErrorCode::BadRequest,
            PlatformError::NoSuchInput { .. }
            | PlatformError::NoSuchUser(_)
            | PlatformError::NoSuchToken(_)
            | PlatformError::NoSuchGrant(_)
            | PlatformError::NoSuchRequest(_)
            | PlatformError::NoSuchRun { .. } => ErrorCode::NotFound,
            PlatformError::Unreadable { .. } => ErrorCode::Invalid,
            PlatformError::Conflict(_) => ErrorCode::Conflict,
            PlatformError::Storage { .. } | PlatformError::Internal(_) | PlatformError::Search(_) => {
                ErrorCode::Internal
            }
            PlatformError::Unavailable(_) => ErrorCode::Unavailable,
            PlatformError::Refused(Refusal::Hidden { .. }) => ErrorCode::NotFound,
            PlatformError::Refused(_) | PlatformError::NotAUser => ErrorCode::Forbidden,
            PlatformError::SignIn => ErrorCode::Unauthenticated,
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
