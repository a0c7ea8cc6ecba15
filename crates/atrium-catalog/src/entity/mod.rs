//! The sea-orm entities of the catalog tables; their schema is `migrations/`.

pub mod access_request;
pub mod api_token;
pub mod audit_entry;
pub mod domain;
pub mod domain_event;
pub mod domain_role;
pub mod grant;
pub mod notification;
pub mod output_column;
pub mod product;
pub mod product_count;
pub mod product_input;
pub mod product_output;
pub mod product_revision;
pub mod product_tag;
pub mod published_version;
pub mod quality_check;
pub mod run;
pub mod schedule;
pub mod session;
pub mod sign_in_attempt;
pub mod team_member;
pub mod user;
