//! The domains page (`/domains`): every domain with the products the caller sees in it.

use leptos::prelude::*;
use leptos_meta::Title;

use super::home::DomainCards;
use crate::api::list_domains;
use crate::components::{ErrorPanel, Loading};

#[component]
pub fn DomainsPage() -> impl IntoView {
    let domains = Resource::new(|| (), |_| list_domains());
    view! {
        <Title text="Domains" />
        <section class="panel">
            <h1>"Domains"</h1>
            <p class="lede">"Each domain team publishes its own data products."</p>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match domains.await {
                        Ok(domains) => view! { <DomainCards domains /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
