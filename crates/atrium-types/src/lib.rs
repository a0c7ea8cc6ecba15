//! Wasm-safe types shared by the portal (`app`), the server and the service crates.
//!
//! Architecture invariant: this crate depends on serde and thiserror only, compiles for
//! `wasm32-unknown-unknown`, and never sees database rows or engine types; the service crates
//! convert into these types at their boundary.

pub mod access;
pub mod catalog;
pub mod diagnostic;
pub mod error;
pub mod identity;
pub mod ids;
pub mod profile;
pub mod search;
pub mod text;
pub mod vocabulary;

pub use access::*;
pub use catalog::*;
pub use diagnostic::Diagnostic;
pub use error::{ApiError, ApiErrorBody, ErrorCode};
pub use identity::{
    CreatedToken, DomainRoleView, GrantRequest, GrantView, HandleError, MeView, Principal, SignInMethods, TeamName,
    TokenView, UserName, UserView,
};
pub use ids::{DomainName, Name, NameError, ProductId};
pub use profile::{ColumnProfile, CreatedProduct, FileProfile, PiiFinding, StarterForm, StarterPreview};
pub use search::{ScoreExplanation, ScorePart, SearchHit, SearchKind, SearchResults, Suggestion};
pub use text::{error_chain, human_bytes, plural, snake_name, sql_error_excerpt};
pub use vocabulary::{
    AuditOutcome, Classification, GrantStatus, PiiHandling, ProductStatus, RequestRole, RequestState, Role, Visibility,
};
