//! Catalog views: what the API and the portal show of domains, products and deployments.
//!
//! Times are RFC 3339 strings in UTC so that this crate needs no date library.

use serde::{Deserialize, Serialize};

use crate::{Classification, PiiHandling, ProductId, ProductStatus, Visibility};

/// A product in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductSummary {
    pub id: ProductId,
    pub title: String,
    pub domain: String,
    pub owner: String,
    pub status: ProductStatus,
    pub visibility: Visibility,
    pub tags: Vec<String>,
    pub revision: i32,
    pub updated_at: String,
}

/// A domain with what the home page shows of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainSummary {
    pub name: String,
    pub product_count: u64,
    pub owners: Vec<String>,
}

/// The home page: every domain and the most recently changed products (the catalog itself is
/// found through search, not shipped to the browser).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HomeView {
    pub domains: Vec<DomainSummary>,
    pub recent: Vec<ProductSummary>,
    /// How many products the caller may see.
    pub product_count: u64,
}

/// A domain page: its products and their owners.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainView {
    pub name: String,
    pub created_at: String,
    pub owners: Vec<String>,
    /// The first of its products (by id) the caller may see; `product_count` says how many.
    pub products: Vec<ProductSummary>,
    #[serde(default)]
    pub product_count: u64,
    /// Where the domain's data lives, e.g. `store/sales/`.
    pub storage_prefix: String,
}

/// Where an input's data comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InputView {
    File {
        name: String,
        format: String,
        path: String,
    },
    Url {
        name: String,
        format: String,
        url: String,
    },
    Object {
        name: String,
        format: String,
        uri: String,
    },
    Stream {
        name: String,
    },
    Product {
        name: String,
        product: ProductId,
        registered: bool,
    },
    /// A `product` input whose upstream the caller may not know of.
    Hidden {
        name: String,
    },
}

impl InputView {
    pub fn name(&self) -> &str {
        match self {
            InputView::File { name, .. }
            | InputView::Url { name, .. }
            | InputView::Object { name, .. }
            | InputView::Stream { name }
            | InputView::Product { name, .. }
            | InputView::Hidden { name } => name,
        }
    }
}

/// One column of an output contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnView {
    pub name: String,
    pub data_type: String,
    pub required: bool,
    pub primary_key: bool,
    pub description: Option<String>,
    pub classification: Option<Classification>,
    pub pii: Option<PiiHandling>,
}

/// A quality check: a SQL query that must return `expect`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityCheckView {
    pub name: String,
    pub sql: String,
    /// The expected value, as JSON text (`0`, `true`, `"ok"`).
    pub expect: String,
}

/// An output port and its data contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputView {
    pub name: String,
    pub description: String,
    /// The SQL table name consumers query, e.g. `sales.orders`.
    pub table_name: String,
    pub storage_path: String,
    /// The output's own query over the inputs and the outputs before it; `None` when the output
    /// is the product's transform (or its single input).
    #[serde(default)]
    pub sql: Option<String>,
    /// The table version readers see: the last one whose checks passed.
    pub published_version: Option<u64>,
    pub columns: Vec<ColumnView>,
    pub quality: Vec<QualityCheckView>,
}

/// The freshness objective of a product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SloView {
    /// As written in the descriptor, e.g. `24h`.
    pub freshness: String,
    pub freshness_seconds: u64,
    pub alert_webhook: Option<String>,
}

/// One deployed revision of a product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevisionView {
    pub revision: i32,
    pub deployed_at: String,
    pub content_hash: String,
    pub source: Option<String>,
    pub changes: Vec<String>,
}

/// Everything the product page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductDetail {
    pub summary: ProductSummary,
    pub description_markdown: String,
    /// The description rendered to sanitized HTML.
    pub description_html: String,
    pub inputs: Vec<InputView>,
    pub transform_sql: Option<String>,
    pub outputs: Vec<OutputView>,
    pub schedule: Option<String>,
    pub slo: Option<SloView>,
    pub revisions: Vec<RevisionView>,
    /// The latest runs, newest first.
    pub runs: Vec<RunView>,
    /// Products whose inputs name this one.
    pub consumers: Vec<ProductId>,
    pub created_at: String,
}

/// What a deploy did to one product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeployChange {
    Created,
    Updated,
    Unchanged,
}

/// The answer to a deploy of one descriptor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeployOutcome {
    pub product_id: ProductId,
    pub change: DeployChange,
    pub revision: i32,
    /// What changed, one line each; empty when created or unchanged.
    pub changes: Vec<String>,
    /// Whether this deploy created the product's domain.
    pub domain_created: bool,
    /// The grants its `product` inputs still need; its runs wait for them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_grants: Vec<String>,
}

/// How a run went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Succeeded,
    Failed,
    /// The run did not start: a `product` input reads a product its owner holds no grant on yet.
    /// The next run (schedule, stream batch or by hand) tries again.
    WaitingForAccess,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::WaitingForAccess => "waiting_for_access",
        }
    }
}

/// The result of one quality check in a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckView {
    pub output: String,
    pub name: String,
    pub passed: bool,
    pub actual: String,
    pub expected: String,
}

/// What a run did to one output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOutputView {
    pub name: String,
    pub rows: u64,
    /// The table version written; none when a check failed.
    pub version: Option<u64>,
}

/// One pipeline run of a product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    pub id: i32,
    pub product_id: ProductId,
    pub revision: i32,
    /// `deploy`, `schedule`, `manual`.
    pub trigger: String,
    pub status: RunStatus,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub rows_read: u64,
    pub rows_written: u64,
    pub rows_rejected: u64,
    /// The size of the data files the run wrote.
    #[serde(default)]
    pub bytes_written: u64,
    pub error: Option<String>,
    pub checks: Vec<CheckView>,
    pub outputs: Vec<RunOutputView>,
    pub log: Vec<String>,
}

/// The first rows of an output's published version, as text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableSample {
    pub output: String,
    pub version: u64,
    pub columns: Vec<String>,
    /// One entry a row, one value a column; `None` is SQL NULL.
    pub rows: Vec<Vec<Option<String>>>,
}

/// A column of a query result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryColumnView {
    pub name: String,
    pub data_type: String,
}

/// A query result as the SQL console shows it: every value as text, `None` for NULL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryResultView {
    pub columns: Vec<QueryColumnView>,
    pub rows: Vec<Vec<Option<String>>>,
    /// Whether the row limit cut the result.
    pub truncated: bool,
    /// The row limit of every query.
    #[serde(default)]
    pub row_limit: usize,
    pub elapsed_ms: u64,
}
