//! The home page: a name filter over every product, the domains, and what changed last.

use atrium_types::{HomeView, ProductSummary, plural};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::get_home;
use crate::components::{ErrorPanel, Loading, ProductTable};

#[component]
pub fn HomePage() -> impl IntoView {
    let home = Resource::new(|| (), |_| get_home());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match home.await {
                    Ok(home) => view! { <Home home /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Home(home: HomeView) -> impl IntoView {
    let initial = use_query_map().read_untracked().get("q").unwrap_or_default();
    let (filter, set_filter) = signal(initial);
    let products = StoredValue::new(home.products.clone());
    let matches = move || {
        let needle = filter.get().trim().to_lowercase();
        (!needle.is_empty()).then(|| products.with_value(|all| matching(all, &needle)))
    };
    let domain_count = home.domains.len();
    let product_count = home.products.len();
    view! {
        <section class="hero">
            <h1>"Data products"</h1>
            <p class="lede">
                {format!("{} published by {}. ", plural(product_count, "product"), plural(domain_count, "domain team"))}
                "Find one by name, or browse a domain."
            </p>
            <form class="search" method="get" action="/" role="search" on:submit=|event| event.prevent_default()>
                <input
                    type="search"
                    name="q"
                    placeholder="Filter products by name or id…"
                    aria-label="Filter products by name"
                    autocomplete="off"
                    prop:value=filter
                    on:input=move |event| set_filter.set(event_target_value(&event))
                />
            </form>
        </section>
        {move || {
            matches()
                .map(|found| {
                    let count = found.len();
                    view! {
                        <section class="panel" aria-live="polite">
                            <h2>{plural(count, "matching product")}</h2>
                            {(count > 0).then(|| view! { <ProductTable products=found show_domain=true /> })}
                        </section>
                    }
                })
        }}
        <section class="panel" id="domains">
            <h2>"Domains"</h2>
            <ul class="cards">
                {home
                    .domains
                    .into_iter()
                    .map(|domain| {
                        let href = format!("/domains/{}", domain.name);
                        view! {
                            <li class="card">
                                <A href=href attr:class="card-title">{domain.name.clone()}</A>
                                <p class="card-count">
                                    {plural(domain.product_count as usize, "product")}
                                </p>
                                <p class="muted">{domain.owners.join(", ")}</p>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
        <section class="panel">
            <h2>"Recently changed"</h2>
            <ProductTable products=home.recent show_domain=true />
        </section>
    }
}

/// Products whose title or id contains `needle` (already lower-case).
fn matching(products: &[ProductSummary], needle: &str) -> Vec<ProductSummary> {
    products
        .iter()
        .filter(|product| product.title.to_lowercase().contains(needle) || product.id.to_string().contains(needle))
        .cloned()
        .collect()
}
