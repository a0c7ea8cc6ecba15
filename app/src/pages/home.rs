//! The home page: a search box (a GET form to `/search`), the domains, and what changed last.

use atrium_types::{DomainSummary, HomeView, plural};
use leptos::prelude::*;
use leptos_router::components::A;

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
    let domain_count = home.domains.len();
    let product_count = usize::try_from(home.product_count).unwrap_or(usize::MAX);
    view! {
        <section class="hero">
            <h1>"Data products"</h1>
            <p class="lede">
                {format!("{} published by {}. ", plural(product_count, "product"), plural(domain_count, "domain team"))}
                "Search by name, column, tag or words of a description, or browse a domain."
            </p>
            <form class="search" method="get" action="/search" role="search">
                <label for="home-search" class="visually-hidden">"Search the catalog"</label>
                <input
                    id="home-search"
                    type="search"
                    name="q"
                    placeholder="Search products, columns, domains, tags…"
                    autocomplete="off"
                />
                <button type="submit" class="button">"Search"</button>
            </form>
        </section>
        <section class="panel" id="domains">
            <h2>"Domains"</h2>
            <DomainCards domains=home.domains />
        </section>
        <section class="panel">
            <h2>"Recently changed"</h2>
            <ProductTable products=home.recent show_domain=true />
        </section>
    }
}

/// The domains as cards: name (a link to the domain page), the products the caller sees in it
/// and their owners.
#[component]
pub fn DomainCards(domains: Vec<DomainSummary>) -> impl IntoView {
    view! {
        <ul class="cards">
            {domains
                .into_iter()
                .map(|domain| {
                    let href = format!("/domains/{}", domain.name);
                    view! {
                        <li class="card">
                            <A href=href attr:class="card-title">{domain.name.clone()}</A>
                            <p class="card-count">{plural(domain.product_count as usize, "product")}</p>
                            <p class="muted">{domain.owners.join(", ")}</p>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
