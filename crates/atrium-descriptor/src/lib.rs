//! The `atrium/v1` data product descriptor: parsing, validation against the global policies, the
//! content hash that decides whether a deploy changes anything, and the summary of what changed.
//!
//! Architecture invariant: pure logic, no IO. Callers read files and hand over the text; every
//! problem comes back at once as a located [`Diagnostic`].

mod changes;
mod data_type;
mod model;
mod parse;
mod parse_inputs;
mod parse_outputs;
mod policy;
mod reader;
mod source_map;

pub use atrium_types::Diagnostic;
pub use changes::describe_changes;
pub use data_type::{DataType, DataTypeError};
pub use model::*;
pub use parse::{locate_field, parse_descriptor};
pub use policy::http_url;

/// The `apiVersion` this crate reads.
pub const API_VERSION: &str = "atrium/v1";
/// The `kind` this crate reads.
pub const KIND: &str = "DataProduct";

#[cfg(test)]
mod tests;
