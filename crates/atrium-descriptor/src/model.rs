//! The validated descriptor. Serialized to JSON it is also the canonical form that is hashed and
//! stored with each revision.

use atrium_types::{Classification, DomainName, Name, PiiHandling, ProductId, ProductStatus, Visibility};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::DataType;

/// A valid `atrium/v1` data product descriptor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Descriptor {
    pub metadata: Metadata,
    pub inputs: Vec<Input>,
    pub transform: Option<Transform>,
    pub outputs: Vec<Output>,
    pub schedule: Option<Schedule>,
    pub slo: Option<Slo>,
}

impl Descriptor {
    pub fn id(&self) -> &ProductId {
        &self.metadata.id
    }

    /// The canonical JSON of the descriptor: comments, key order and layout of the YAML file do
    /// not change it.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The SHA-256 of the canonical JSON, hex-encoded: equal hashes mean an unchanged product.
    pub fn content_hash(&self) -> String {
        let digest = Sha256::digest(self.canonical_json().as_bytes());
        digest.iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// The products this one reads from.
    pub fn upstream_products(&self) -> impl Iterator<Item = &ProductId> {
        self.inputs.iter().filter_map(|input| match &input.source {
            InputSource::Product { product, .. } => Some(product),
            _ => None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub id: ProductId,
    pub title: String,
    pub domain: DomainName,
    pub owner: String,
    pub description: String,
    pub tags: Vec<String>,
    pub status: ProductStatus,
    pub visibility: Visibility,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Input {
    pub name: Name,
    pub source: InputSource,
    /// Declared types of some of the input's columns (`columns: { amount: decimal(12,2) }`): a
    /// value that does not fit sets its row aside; other columns are inferred.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<InputColumn>,
}

/// A declared type of one input column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: DataType,
}

/// The file formats an input can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Json,
    Parquet,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Parquet => "parquet",
        }
    }
}

/// Where an input's rows come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InputSource {
    /// A file; `path` is relative to the descriptor.
    File {
        format: Format,
        path: String,
    },
    Url {
        format: Format,
        url: String,
    },
    Object {
        format: Format,
        uri: String,
    },
    /// Rows pushed over HTTP.
    Stream,
    /// Another product's output: its first one, or `output` (written `product: <domain>.<product>.<output>`).
    Product {
        product: ProductId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output: Option<Name>,
    },
}

impl InputSource {
    pub fn kind(&self) -> &'static str {
        match self {
            InputSource::File { .. } => "file",
            InputSource::Url { .. } => "url",
            InputSource::Object { .. } => "object",
            InputSource::Stream => "stream",
            InputSource::Product { .. } => "product",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transform {
    pub sql: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Output {
    pub name: Name,
    pub description: String,
    /// The output's own query, over the inputs and the outputs listed before it. Without one the
    /// output is the product's `transform` (or, without a transform, its single input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
    pub columns: Vec<Column>,
    pub quality: Vec<QualityCheck>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: Name,
    pub data_type: DataType,
    pub required: bool,
    pub primary_key: bool,
    pub description: Option<String>,
    pub classification: Option<Classification>,
    pub pii: Option<PiiHandling>,
}

/// The value a quality check's query must return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Expected {
    Bool(bool),
    Integer(i64),
    Float(f64),
    Text(String),
}

impl Expected {
    /// The value as JSON text: `0`, `true`, `"ok"`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityCheck {
    pub name: Name,
    pub sql: String,
    pub expect: Expected,
}

/// A five-field cron expression (UTC), checked at parse time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub cron: String,
}

impl Schedule {
    /// The first time strictly after `after` that the schedule fires.
    pub fn next_after(&self, after: chrono::DateTime<chrono::Utc>) -> Option<chrono::DateTime<chrono::Utc>> {
        let parser = croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Disallowed)
            .build();
        let cron = parser.parse(&self.cron).ok()?;
        cron.find_next_occurrence(&after, false).ok()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slo {
    /// As written, e.g. `24h`.
    pub freshness: String,
    pub freshness_seconds: u64,
    pub alert_webhook: Option<String>,
}
