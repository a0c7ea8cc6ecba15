//! A search as the page's URL holds it: `q`, the facet filters and the offset; each search is a
//! shareable URL.

use serde::{Deserialize, Serialize};

/// The facet dimensions, in the order the page lists them, with their labels.
pub const DIMENSIONS: [(&str, &str); 6] = [
    ("type", "Type"),
    ("domain", "Domain"),
    ("owner", "Owner"),
    ("tag", "Tag"),
    ("status", "Status"),
    ("classification", "Classification"),
];

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SearchParams {
    pub q: String,
    /// (dimension, value) pairs, in the order they were chosen.
    pub filters: Vec<(String, String)>,
    pub offset: usize,
}

impl SearchParams {
    /// From the page's query string.
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        let filters = DIMENSIONS
            .iter()
            .filter_map(|(dimension, _)| {
                get(dimension)
                    .filter(|value| !value.trim().is_empty())
                    .map(|value| ((*dimension).to_owned(), value))
            })
            .collect();
        Self {
            q: get("q").unwrap_or_default(),
            filters,
            offset: get("offset")
                .and_then(|offset| offset.parse().ok())
                .unwrap_or(0)
                .min(10_000),
        }
    }

    /// The value of one filter.
    pub fn filter(&self, dimension: &str) -> Option<String> {
        self.filters
            .iter()
            .find(|(name, _)| name == dimension)
            .map(|(_, value)| value.clone())
    }

    pub fn is_active(&self, dimension: &str, value: &str) -> bool {
        self.filters.iter().any(|(name, v)| name == dimension && v == value)
    }

    /// The same search with `dimension` set to `value` (or cleared when it was that), from the
    /// first page.
    pub fn toggled(&self, dimension: &str, value: &str) -> Self {
        let mut next = self.clone();
        let was = next.is_active(dimension, value);
        next.filters.retain(|(name, _)| name != dimension);
        if !was {
            next.filters.push((dimension.to_owned(), value.to_owned()));
        }
        next.offset = 0;
        next
    }

    pub fn with_q(&self, q: &str) -> Self {
        Self {
            q: q.to_owned(),
            offset: 0,
            ..self.clone()
        }
    }

    pub fn at(&self, offset: usize) -> Self {
        Self { offset, ..self.clone() }
    }

    /// The page's URL for this search.
    pub fn href(&self) -> String {
        let mut pairs = vec![("q".to_owned(), self.q.clone())];
        pairs.extend(self.filters.iter().cloned());
        if self.offset > 0 {
            pairs.push(("offset".to_owned(), self.offset.to_string()));
        }
        let query: Vec<String> = pairs
            .into_iter()
            .filter(|(name, value)| name == "q" || !value.is_empty())
            .map(|(name, value)| format!("{name}={}", encode(&value)))
            .collect();
        format!("/search?{}", query.join("&"))
    }
}

/// Percent-encodes a query-string value (everything but the unreserved characters; spaces as `+`).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(byte)),
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_round_trips_through_its_url() {
        let params = SearchParams::from_query(|name| match name {
            "q" => Some("customer \"daily revenue\" & more".to_owned()),
            "domain" => Some("sales".to_owned()),
            "tag" => Some(String::new()),
            "offset" => Some("20".to_owned()),
            _ => None,
        });
        assert_eq!(params.filters, [("domain".to_owned(), "sales".to_owned())]);
        assert_eq!(
            params.href(),
            "/search?q=customer+%22daily+revenue%22+%26+more&domain=sales&offset=20"
        );
        let narrowed = params.toggled("type", "column");
        assert_eq!(narrowed.offset, 0);
        assert!(narrowed.is_active("type", "column"));
        assert!(!narrowed.toggled("type", "column").is_active("type", "column"));
        assert_eq!(encode("é"), "%C3%A9");
    }
}
