//! What profiling a sample file found: its columns with their inferred types, a preview, and the
//! personal data it seems to hold, with the evidence. `atrium init` and the "New data product"
//! page show it, and build a starter descriptor from it.

use serde::{Deserialize, Serialize};

use crate::PiiHandling;

/// A profiled file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileProfile {
    /// The file's name, e.g. `orders.csv`.
    pub file: String,
    /// `csv`, `json` or `parquet`.
    pub format: String,
    pub rows: u64,
    /// Lines that could not be read (they would be set aside by a run), with the first reasons.
    pub rejected: u64,
    pub rejected_examples: Vec<String>,
    pub columns: Vec<ColumnProfile>,
    /// The first rows, every value as text (`None` for null).
    pub preview: Vec<Vec<Option<String>>>,
}

/// One column of a profiled file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    pub name: String,
    /// The contract type, e.g. `int64`, `decimal(12,2)`, `string`.
    pub data_type: String,
    /// Nulls (empty values) in the whole file.
    pub nulls: u64,
    pub pii: Option<PiiFinding>,
}

/// Why a column looks like personal data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PiiFinding {
    /// What it looks like: `email address`, `phone number`, `IBAN`, `IP address`, `card number`,
    /// `person name`, `postal address`, `birth date`, `national id`.
    pub kind: String,
    /// The evidence in words, e.g. `48 of 50 sampled values are email addresses`.
    pub evidence: String,
    /// Matching sampled values, masked.
    pub examples: Vec<String>,
    pub suggested: PiiHandling,
}

/// The owner's choices on the "New data product" page, as the form sends them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StarterForm {
    pub domain: String,
    /// The product's name within its domain.
    pub name: String,
    pub title: String,
    pub owner: String,
    pub description: String,
    /// `public`, `internal` or `restricted`.
    pub visibility: String,
    /// Per column (by its name in the file): `none` (not personal data), `hash`, `mask`, `drop`
    /// or `keep`. Columns left out take the profile's suggestion.
    pub pii: Vec<(String, String)>,
}

/// The descriptor the choices make, and what is wrong with it (located, as deploy reports it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StarterPreview {
    pub yaml: String,
    pub problems: Vec<String>,
}

/// A product made on the "New data product" page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedProduct {
    pub id: String,
    pub yaml: String,
    /// Rows of the file handed to the product's input, and lines that could not be read.
    pub rows: u64,
    pub rejected: u64,
    pub run: Option<crate::RunView>,
}
