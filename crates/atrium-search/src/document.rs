//! What the index holds: one [`SearchDoc`] per product, output port, column, domain, owner and
//! tag. The platform builds them from the catalog; this crate only indexes and searches them.

use serde::{Deserialize, Serialize};

pub use atrium_types::SearchKind as DocKind;

/// Who may see a document: it is found by a caller holding any of its audience keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AudienceKey {
    /// Anyone signed in (the product is public or internal).
    Everyone,
    /// Anyone with a role in the domain.
    Domain(String),
    /// The named owner (a team or a user).
    Owner(String),
    /// Whoever holds a live grant on the product.
    Product(String),
}

impl AudienceKey {
    /// The key a stored term stands for.
    pub fn from_term(term: &str) -> Option<Self> {
        if term == "*" {
            return Some(AudienceKey::Everyone);
        }
        let (kind, value) = term.split_once(':')?;
        let value = value.to_owned();
        match kind {
            "domain" => Some(AudienceKey::Domain(value)),
            "owner" => Some(AudienceKey::Owner(value)),
            "product" => Some(AudienceKey::Product(value)),
            _ => None,
        }
    }

    pub fn term(&self) -> String {
        match self {
            AudienceKey::Everyone => "*".to_owned(),
            AudienceKey::Domain(domain) => format!("domain:{domain}"),
            AudienceKey::Owner(owner) => format!("owner:{owner}"),
            AudienceKey::Product(product) => format!("product:{product}"),
        }
    }
}

/// The ranking signals of a product, folded into one modest multiplier.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Signals {
    /// Reads of the product in the usage window (the audit log's data reads).
    pub reads: u64,
    /// Whether the last run succeeded (`None`: never ran).
    pub last_run_ok: Option<bool>,
    /// The share of quality checks that passed in the last run, 0..=1.
    pub quality: Option<f64>,
    /// Days since the data was last published (`None`: never).
    pub age_days: Option<f64>,
    pub deprecated: bool,
}

impl Signals {
    /// At most about ×1.5 for a much-read, healthy, fresh product; ×0.6 for a deprecated one.
    pub fn boost(&self) -> f64 {
        // Precision is not a concern for a ranking nudge.
        #[allow(clippy::cast_precision_loss)]
        let usage = 1.0 + 0.05 * (1.0 + self.reads as f64).ln();
        let health = match self.last_run_ok {
            Some(true) => 1.05,
            Some(false) => 0.9,
            None => 1.0,
        };
        let quality = self.quality.map_or(1.0, |share| 0.95 + 0.05 * share.clamp(0.0, 1.0));
        let freshness = self
            .age_days
            .map_or(1.0, |days| 1.0 + 0.05 / (1.0 + days.max(0.0) / 7.0));
        let deprecated = if self.deprecated { 0.6 } else { 1.0 };
        (usage * health * quality * freshness * deprecated).min(1.6)
    }
}

/// One document of the index.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SearchDoc {
    /// Unique in the index: `sales.orders`, `sales.orders/orders`, `sales.orders/orders/customer_id`,
    /// `domain:sales`, `owner:team-sales`, `tag:pii`.
    pub id: String,
    pub kind: Option<DocKind>,
    /// The product it belongs to (products, outputs, columns): removed with it.
    pub product: Option<String>,
    /// What a group document (domain, owner, tag) stands for, e.g. `tag:pii`.
    pub group: Option<String>,
    pub title: String,
    /// Identifiers: the product's id and name, the output's or column's name.
    pub names: Vec<String>,
    /// Column names (of a product or an output).
    pub columns: Vec<String>,
    /// Plain text (Markdown stripped): the description, column descriptions.
    pub body: String,
    pub domain: Option<String>,
    pub owner: Option<String>,
    pub tags: Vec<String>,
    pub status: Option<String>,
    pub visibility: Option<String>,
    pub classifications: Vec<String>,
    pub inputs: Vec<String>,
    /// Seconds since the epoch.
    pub updated_at: i64,
    /// What the results page shows beside the title, e.g. "last run succeeded 2 h ago".
    pub freshness: Option<String>,
    pub audience: Vec<AudienceKey>,
    pub signals: Signals,
}

impl SearchDoc {
    pub fn kind(&self) -> DocKind {
        self.kind.unwrap_or(DocKind::Product)
    }
}
