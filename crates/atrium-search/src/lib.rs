//! The catalog's full-text search (Tantivy): the documents the platform builds from the catalog
//! ([`SearchDoc`]), identifier-aware tokenization, the lenient query language, ranking, facets,
//! highlighted snippets and suggestions, and the index on disk with the change-feed position its
//! last commit covers.
//!
//! Architecture invariant: this crate knows neither the catalog nor the platform's decision. The
//! platform gives it documents and, per request, the caller's [`Audience`]; every search applies
//! that audience inside the Tantivy query, never after paging.

mod bonus;
mod document;
mod groups;
mod index;
pub mod query;
mod schema;
mod search;
mod suggest;
pub mod tokenize;

pub use document::{AudienceKey, DocKind, SearchDoc, Signals};
pub use index::{Change, Opened, SearchIndex};
pub use query::{FilterField, ParsedQuery, parse as parse_query};
pub use search::{Audience, Hit, MAX_LIMIT, SearchRequest, SearchResults, Suggestion};

/// What can go wrong with the index.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("the search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("the search index directory {}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the search index directory: {0}")]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("the search index payload: {0}")]
    Payload(String),
    #[error("the search index {} is held by another process", path.display())]
    Busy { path: std::path::PathBuf },
}

pub type Result<T> = std::result::Result<T, SearchError>;
