//! A domain page: its products and owners.

use atrium_types::DomainView;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::get_domain;
use crate::components::{ErrorPanel, Loading, ProductTable, short_date};

#[component]
pub fn DomainPage() -> impl IntoView {
    let params = use_params_map();
    let domain = Resource::new(move || params.read().get("domain").unwrap_or_default(), get_domain);
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match domain.await {
                    Ok(domain) => view! { <Domain domain /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Domain(domain: DomainView) -> impl IntoView {
    let count = domain.product_count;
    let shown = domain.products.len() as u64;
    let more = (shown < count).then(|| {
        let href = format!("/search?q=&domain={}&type=product", crate::search::encode(&domain.name));
        view! {
            <p class="muted">
                {format!("The first {shown} of {count}, by id. ")}
                <a href=href>"Search this domain"</a>
                " to find the others."
            </p>
        }
    });
    view! {
        <Title text=format!("{} domain", domain.name) />
        <section class="hero">
            <p class="eyebrow">"Domain"</p>
            <h1>{domain.name.clone()}</h1>
            <dl class="facts">
                <div>
                    <dt>"Products"</dt>
                    <dd>{count}</dd>
                </div>
                <div>
                    <dt>"Owners"</dt>
                    <dd>{domain.owners.join(", ")}</dd>
                </div>
                <div>
                    <dt>"Storage"</dt>
                    <dd class="mono">{domain.storage_prefix.clone()}</dd>
                </div>
                <div>
                    <dt>"Since"</dt>
                    <dd>{short_date(&domain.created_at)}</dd>
                </div>
            </dl>
        </section>
        <section class="panel">
            <h2>"Products"</h2>
            <ProductTable products=domain.products />
            {more}
        </section>
    }
}
