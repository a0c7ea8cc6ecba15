//! Search in the portal: the search page (`/search?q=…`, a plain GET form that works before
//! hydration, updated as you type once hydrated) and the header's search box with suggestions.
//! The server functions here are thin calls into the platform, like those of `api.rs`.

// The search server function takes each filter as its own argument (see `search_catalog`).
#![allow(clippy::too_many_arguments)]

mod combobox;
mod page;
mod params;

pub use combobox::HeaderSearch;
pub use page::SearchPage;
pub use params::{SearchParams, encode};

use atrium_types::{SearchHit, SearchResults, Suggestion};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::api::{caller, platform, portal_error};

/// How many hits a page shows.
pub const PAGE_SIZE: usize = 20;

/// Fetches one page of `params`.
pub async fn search_page(params: SearchParams) -> Result<SearchPageView, ServerFnError> {
    let filter = |dimension: &str| params.filter(dimension);
    search_catalog(
        params.q.clone(),
        filter("domain"),
        filter("tag"),
        filter("owner"),
        filter("type"),
        filter("status"),
        filter("classification"),
        params.offset,
    )
    .await
}

/// What the search page shows: the results, and for an empty result what may help.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SearchPageView {
    pub results: SearchResults,
    /// Names that begin like the words typed (an empty result only).
    pub did_you_mean: Vec<Suggestion>,
    /// The most used products (an empty result only).
    pub popular: Vec<SearchHit>,
}

/// One search page. The filters come as separate arguments: server functions send their
/// arguments URL-encoded, which has no form for a list of pairs.
#[server(prefix = "/portal", endpoint = "search")]
pub async fn search_catalog(
    q: String,
    domain: Option<String>,
    tag: Option<String>,
    owner: Option<String>,
    kind: Option<String>,
    status: Option<String>,
    classification: Option<String>,
    offset: usize,
) -> Result<SearchPageView, ServerFnError> {
    let platform = platform()?;
    let caller = caller()?;
    let request = atrium_platform::SearchParams {
        q: q.clone(),
        limit: Some(PAGE_SIZE),
        offset: Some(offset),
        domain,
        tag,
        owner,
        kind,
        status,
        classification,
        explain: false,
    };
    let results = platform.search(&caller, request).await.map_err(portal_error)?;
    let mut view = SearchPageView {
        results,
        ..SearchPageView::default()
    };
    if view.results.total == 0 {
        let longest = q
            .split_whitespace()
            .filter(|word| !word.contains(':') && !word.starts_with('-'))
            .max_by_key(|word| word.chars().count())
            .unwrap_or_default();
        let stem: String = longest.chars().take(3).collect();
        if stem.chars().count() == 3 {
            view.did_you_mean = platform.suggest(&caller, &stem).await.map_err(portal_error)?;
            view.did_you_mean.truncate(5);
        }
        let popular = atrium_platform::SearchParams {
            kind: Some("product".to_owned()),
            limit: Some(5),
            ..atrium_platform::SearchParams::default()
        };
        view.popular = platform.search(&caller, popular).await.map_err(portal_error)?.hits;
    }
    Ok(view)
}

#[server(prefix = "/portal", endpoint = "suggest")]
pub async fn suggest(q: String) -> Result<Vec<Suggestion>, ServerFnError> {
    platform()?.suggest(&caller()?, &q).await.map_err(portal_error)
}
