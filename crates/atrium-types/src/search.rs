//! What a catalog search answers, shared by the REST API and the portal's search page.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What a search hit stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchKind {
    Product,
    Output,
    Column,
    Domain,
    Owner,
    Tag,
}

impl SearchKind {
    pub const ALL: [SearchKind; 6] = [
        SearchKind::Product,
        SearchKind::Output,
        SearchKind::Column,
        SearchKind::Domain,
        SearchKind::Owner,
        SearchKind::Tag,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SearchKind::Product => "product",
            SearchKind::Output => "output",
            SearchKind::Column => "column",
            SearchKind::Domain => "domain",
            SearchKind::Owner => "owner",
            SearchKind::Tag => "tag",
        }
    }

    /// Reads `product`, `products`, `column`, `port`…, in any case.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.to_ascii_lowercase();
        let text = text.strip_suffix('s').unwrap_or(&text);
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text || (text == "port" && *kind == SearchKind::Output))
    }

    /// Where the portal shows a hit of this kind and id: a product's page, an output's (or a
    /// column's) section of it, a domain's page, or a search for an owner's or a tag's products.
    pub fn href(self, id: &str) -> String {
        match self {
            SearchKind::Product => format!("/products/{id}"),
            SearchKind::Output | SearchKind::Column => {
                let mut parts = id.split('/');
                let product = parts.next().unwrap_or(id);
                match parts.next() {
                    Some(output) => format!("/products/{product}#output-{output}"),
                    None => format!("/products/{product}"),
                }
            }
            SearchKind::Domain => format!("/domains/{}", id.strip_prefix("domain:").unwrap_or(id)),
            SearchKind::Owner => format!("/search?owner={}", id.strip_prefix("owner:").unwrap_or(id)),
            SearchKind::Tag => format!("/search?tag={}", id.strip_prefix("tag:").unwrap_or(id)),
        }
    }
}

/// One part of a hit's score (`explain=true`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScorePart {
    pub why: String,
    pub score: f32,
}

/// Why a hit scored as it did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreExplanation {
    pub score: f32,
    /// What the query's parts gave it, before the nudge.
    pub matched: f32,
    /// Usage, last run, quality and freshness, times the kind (products before their columns),
    /// ×0.6 when deprecated.
    pub nudge: f64,
    pub parts: Vec<ScorePart>,
}

/// One search hit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub id: String,
    pub kind: SearchKind,
    pub title: String,
    pub domain: Option<String>,
    /// The product it belongs to (outputs and columns), or itself.
    pub product: Option<String>,
    pub status: Option<String>,
    pub freshness: Option<String>,
    pub score: f32,
    /// Where the match was: HTML-escaped, with `<b>` around the matched words.
    pub snippet: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explain: Option<ScoreExplanation>,
}

/// The answer to a search.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SearchResults {
    pub total: u64,
    pub hits: Vec<SearchHit>,
    /// Per dimension (`domain`, `tag`, `owner`, `status`, `classification`, `type`): value → count.
    pub facets: BTreeMap<String, BTreeMap<String, u64>>,
    /// How the query was read.
    pub read_as: String,
    /// Where it was not read literally (an unclosed quote, an unknown field, a cut).
    pub notes: Vec<String>,
}

/// One completion of what is being typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub id: String,
    pub kind: SearchKind,
    pub label: String,
    pub product: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_links_where_the_portal_shows_it() {
        assert_eq!(SearchKind::Product.href("sales.orders"), "/products/sales.orders");
        assert_eq!(
            SearchKind::Output.href("sales.orders/lines"),
            "/products/sales.orders#output-lines"
        );
        assert_eq!(
            SearchKind::Column.href("sales.orders/lines/qty"),
            "/products/sales.orders#output-lines"
        );
        assert_eq!(SearchKind::Domain.href("domain:sales"), "/domains/sales");
        assert_eq!(SearchKind::Tag.href("tag:pii"), "/search?tag=pii");
        assert_eq!(SearchKind::parse("Columns"), Some(SearchKind::Column));
        assert_eq!(SearchKind::parse("port"), Some(SearchKind::Output));
        assert_eq!(SearchKind::parse("nope"), None);
    }
}
