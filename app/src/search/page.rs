//! The search page: the query box (a GET form; hydrated, it searches as you type), the facets
//! with their counts, the hits with their highlighted snippets, paging, and an empty state that
//! offers names that begin alike and the most used products.

use std::time::Duration;

use atrium_types::{SearchHit, SearchKind, plural};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::params::DIMENSIONS;
use super::{PAGE_SIZE, SearchPageView, SearchParams, search_page};
use crate::components::{ErrorPanel, Loading};

/// How long typing pauses before the page searches.
const DEBOUNCE: Duration = Duration::from_millis(250);

#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let params = Memo::new(move |_| {
        let map = query.read();
        SearchParams::from_query(|name| map.get(name))
    });
    let results = Resource::new(move || params.get(), search_page);
    let typed = RwSignal::new(params.get_untracked().q);
    // What this page last put in the URL itself: a different `q` came from elsewhere (the header).
    let sent = StoredValue::new(params.get_untracked().q);
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let q = params.get().q;
        if q != sent.get_value() {
            sent.set_value(q.clone());
            typed.set(q);
        }
    });
    let navigate = use_navigate();
    let go = move |text: String, replace: bool| {
        sent.set_value(text.clone());
        let href = params.get_untracked().with_q(&text).href();
        navigate(
            &href,
            NavigateOptions {
                replace,
                scroll: false,
                ..NavigateOptions::default()
            },
        );
    };
    let go_later = go.clone();
    let on_input = move |event: leptos::ev::Event| {
        let text = event_target_value(&event);
        typed.set(text.clone());
        generation.update_value(|value| *value += 1);
        let mine = generation.get_value();
        let go = go_later.clone();
        set_timeout(
            move || {
                if generation.get_value() == mine {
                    go(text, true);
                }
            },
            DEBOUNCE,
        );
    };
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        generation.update_value(|value| *value += 1);
        go(typed.get_untracked(), false);
    };
    view! {
        <Title text=move || {
            let q = params.get().q;
            if q.trim().is_empty() { "Search".to_owned() } else { format!("{q} – search") }
        } />
        <section class="hero">
            <h1>"Search"</h1>
            <form class="search" method="get" action="/search" role="search" on:submit=on_submit>
                <label for="search-q" class="visually-hidden">"Search the catalog"</label>
                <input
                    id="search-q"
                    type="search"
                    name="q"
                    placeholder="Products, columns, domains, tags… e.g. customer orders tag:pii"
                    autocomplete="off"
                    prop:value=move || typed.get()
                    on:input=on_input
                />
                {move || {
                    params
                        .get()
                        .filters
                        .into_iter()
                        .map(|(name, value)| view! { <input type="hidden" name=name value=value /> })
                        .collect_view()
                }}
                <button type="submit" class="button">"Search"</button>
            </form>
        </section>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match results.await {
                    Ok(view) => view! { <Results view params=params.get_untracked() /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Results(view: SearchPageView, params: SearchParams) -> impl IntoView {
    let results = view.results;
    let total = results.total;
    let shown = results.hits.len();
    let read_as = (!results.notes.is_empty()).then(|| {
        view! {
            <p class="read-as" data-testid="read-as">
                "Read as " <strong>{results.read_as.clone()}</strong> ": " {results.notes.join("; ")}
            </p>
        }
    });
    let active = (!params.filters.is_empty()).then(|| {
        let chips = params
            .filters
            .clone()
            .into_iter()
            .map(|(name, value)| {
                let href = params.toggled(&name, &value).href();
                let label = format!("Remove the filter {name}: {value}");
                let text = format!("{name}: {value}");
                view! {
                    <A href=href attr:class="chip" attr:aria-label=label>
                        {text} <span aria-hidden="true">" ×"</span>
                    </A>
                }
            })
            .collect_view();
        view! { <p class="chips">{chips}</p> }
    });
    let previous = (params.offset > 0).then(|| {
        let href = params.at(params.offset.saturating_sub(PAGE_SIZE)).href();
        view! { <A href=href attr:rel="prev">"← Previous"</A> }
    });
    let next = ((params.offset + shown) < usize::try_from(total).unwrap_or(usize::MAX)).then(|| {
        let href = params.at(params.offset + PAGE_SIZE).href();
        view! { <A href=href attr:rel="next">"Next →"</A> }
    });
    let body = if shown == 0 {
        view! { <Empty view_q=params.q.clone() did_you_mean=view.did_you_mean popular=view.popular /> }.into_any()
    } else {
        let first = params.offset + 1;
        view! {
            <p class="muted" data-testid="result-count" aria-live="polite">
                {format!("{} · showing {}–{}", plural(usize::try_from(total).unwrap_or(0), "result"), first, params.offset + shown)}
            </p>
            <ol class="results" start=first.to_string()>
                {results.hits.into_iter().map(|hit| view! { <HitItem hit /> }).collect_view()}
            </ol>
            <nav class="pager" aria-label="Pages">{previous}{next}</nav>
        }
        .into_any()
    };
    view! {
        <div class="search-layout">
            <aside class="facets" aria-label="Narrow the results">
                {DIMENSIONS
                    .iter()
                    .filter_map(|(dimension, label)| {
                        let mut values: Vec<(String, u64)> = results
                            .facets
                            .get(*dimension)
                            .map(|counts| counts.iter().map(|(value, count)| (value.clone(), *count)).collect())
                            .unwrap_or_default();
                        if values.is_empty() {
                            return None;
                        }
                        values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                        let items = values
                            .into_iter()
                            .map(|(value, count)| {
                                let on = params.is_active(dimension, &value);
                                let href = params.toggled(dimension, &value).href();
                                view! {
                                    <li>
                                        <A href=href attr:class=if on { "facet active" } else { "facet" } attr:aria-current=on.then_some("true")>
                                            <span class="facet-value">{value}</span>
                                            <span class="facet-count">{count}</span>
                                        </A>
                                    </li>
                                }
                            })
                            .collect_view();
                        Some(view! {
                            <section class="facet-group" data-facet=*dimension>
                                <h2>{*label}</h2>
                                <ul>{items}</ul>
                            </section>
                        })
                    })
                    .collect_view()}
            </aside>
            <section class="panel search-results">
                {read_as}
                {active}
                {body}
            </section>
        </div>
    }
}

#[component]
fn HitItem(hit: SearchHit) -> impl IntoView {
    let href = hit.kind.href(&hit.id);
    let within = match (hit.kind, &hit.product) {
        (SearchKind::Output | SearchKind::Column, Some(product)) => Some(format!("in {product}")),
        _ => None,
    };
    view! {
        <li class="result" data-testid="search-hit" data-kind=hit.kind.as_str()>
            <div class="result-head">
                <A href=href attr:class="result-title">{hit.title.clone()}</A>
                <span class="badge kind">{hit.kind.as_str()}</span>
                {hit.status.clone().map(|status| view! { <span class=format!("badge status-{status}")>{status.clone()}</span> })}
                {hit.domain.clone().map(|domain| view! { <span class="muted">{domain}</span> })}
                {within.map(|within| view! { <span class="muted mono">{within}</span> })}
            </div>
            // Tantivy's snippet: the text HTML-escaped, the matched words in <b>.
            {(!hit.snippet.is_empty()).then(|| view! { <p class="snippet" inner_html=hit.snippet.clone()></p> })}
            {hit.freshness.clone().map(|freshness| view! { <p class="muted small">{freshness}</p> })}
        </li>
    }
}

#[component]
fn Empty(view_q: String, did_you_mean: Vec<atrium_types::Suggestion>, popular: Vec<SearchHit>) -> impl IntoView {
    let words = if view_q.trim().is_empty() {
        "Nothing matches these filters.".to_owned()
    } else {
        format!("No results for “{}”.", view_q.trim())
    };
    view! {
        <div class="empty-state" data-testid="no-results">
            <p><strong>{words}</strong> " Fewer words or filters find more; typos of one or two letters are forgiven."</p>
            {(!did_you_mean.is_empty()).then(|| view! {
                <p>
                    "Did you mean "
                    {did_you_mean
                        .into_iter()
                        .map(|suggestion| {
                            let href = suggestion.kind.href(&suggestion.id);
                            view! { <A href=href attr:class="chip">{suggestion.label}</A> }
                        })
                        .collect_view()}
                    "?"
                </p>
            })}
            {(!popular.is_empty()).then(|| view! {
                <h2>"Popular products"</h2>
                <ul class="plain-list">
                    {popular
                        .into_iter()
                        .map(|hit| {
                            let href = hit.kind.href(&hit.id);
                            view! { <li><A href=href>{hit.title}</A>" "<span class="muted mono">{hit.id}</span></li> }
                        })
                        .collect_view()}
                </ul>
            })}
        </div>
    }
}
