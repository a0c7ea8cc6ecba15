//! Errors of the catalog store.

use atrium_types::ErrorCode;

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{what} `{id}` does not exist")]
    NotFound { what: &'static str, id: String },
    #[error("another deploy of `{0}` happened at the same time; retry")]
    ConcurrentDeploy(String),
    #[error("a run of `{0}` is already running; wait for it to finish")]
    AlreadyRunning(String),
    #[error("cannot open the catalog database `{url}`")]
    Connect {
        url: String,
        #[source]
        source: sea_orm::DbErr,
    },
    #[error("catalog database error")]
    Database(#[from] sea_orm::DbErr),
    #[error("the catalog holds an unreadable value: {0}")]
    Corrupt(String),
}

impl CatalogError {
    pub fn code(&self) -> ErrorCode {
        match self {
            CatalogError::NotFound { .. } => ErrorCode::NotFound,
            CatalogError::ConcurrentDeploy(_) | CatalogError::AlreadyRunning(_) => ErrorCode::Conflict,
            CatalogError::Connect { .. } => ErrorCode::Unavailable,
            CatalogError::Database(_) | CatalogError::Corrupt(_) => ErrorCode::Internal,
        }
    }
}
