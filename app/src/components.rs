//! Small components shared by the pages: navigation, badges, product tables, error panels.

use atrium_types::{ProductStatus, ProductSummary, Visibility};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::{error_message, get_me};

/// The top navigation: the catalog, its domains, the SQL console, new products, usage (a fixed
/// set of links: nothing here grows with the catalog).
#[component]
pub fn TopNav() -> impl IntoView {
    // Created here, in the same order on the server and in the browser (resources are matched to
    // their serialized values by that order), and asked again on every navigation, so that a
    // decision made on one page shows on the next.
    let location = leptos_router::hooks::use_location();
    let counts = Resource::new(move || location.pathname.get(), |_| crate::access::get_access_counts());
    view! {
        <header class="topbar">
            <nav class="topnav" aria-label="Main">
                <A href="/" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    "Atrium"
                </A>
                <A href="/" attr:class="navlink" exact=true>"Catalog"</A>
                <A href="/query" attr:class="navlink">"SQL"</A>
                <A href="/new" attr:class="navlink">"New product"</A>
                <A href="/domains" attr:class="navlink" exact=true>"Domains"</A>
                <A href="/usage" attr:class="navlink">"Usage"</A>
            </nav>
            <div class="topbar-tools">
                <crate::search::HeaderSearch />
                <UserMenu counts />
            </div>
        </header>
    }
}

/// Who is signed in, their tokens, and sign-out (a plain form: it works before hydration).
#[component]
fn UserMenu(counts: Resource<Result<atrium_types::AccessCounts, ServerFnError>>) -> impl IntoView {
    let me = Resource::new(|| (), |_| get_me());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                // One boundary for both: a boundary nested here would be numbered on the server
                // whenever it resolves, racing the page's own resources.
                let counts = counts.await.unwrap_or_default();
                match me.await.ok().flatten() {
                    Some(me) => view! {
                        <div class="user-menu">
                            <span class="signed-in" title=me.user.to_string()>
                                "Signed in as " <strong data-testid="signed-in-user">{me.display_name.clone()}</strong>
                            </span>
                            <AccessLinks counts />
                            {(me.admin || me.roles.iter().any(|held| held.role == atrium_types::Role::Owner)).then(|| view! {
                                <A href="/audit" attr:class="navlink">"Audit"</A>
                            })}
                            <A href="/tokens" attr:class="navlink">"Tokens"</A>
                            <form method="post" action="/auth/logout" class="sign-out">
                                <button type="submit" class="link-button">"Sign out"</button>
                            </form>
                        </div>
                    }.into_any(),
                    None => view! {
                        <div class="user-menu"><a href="/login" class="navlink">"Sign in"</a></div>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The inbox (requests waiting for the user's decision) and "My access" (unread notifications),
/// each with its count.
#[component]
fn AccessLinks(counts: atrium_types::AccessCounts) -> impl IntoView {
    view! {
                    <A href="/access/inbox" attr:class="navlink" attr:data-testid="inbox-link">
                        "Inbox"
                        {(counts.inbox > 0).then(|| view! {
                            <span class="count-badge" data-testid="inbox-count" aria-label="requests waiting">{counts.inbox}</span>
                        })}
                    </A>
                    <A href="/access" attr:class="navlink" exact=true>
                        "My access"
                        {(counts.unread > 0).then(|| view! {
                            <span class="count-badge" data-testid="unread-count" aria-label="unread notifications">{counts.unread}</span>
                        })}
                    </A>
    }
}

#[component]
pub fn StatusBadge(status: ProductStatus) -> impl IntoView {
    view! { <span class=format!("badge status-{status}")>{status.as_str()}</span> }
}

#[component]
pub fn VisibilityBadge(visibility: Visibility) -> impl IntoView {
    view! { <span class=format!("badge visibility-{visibility}")>{visibility.as_str()}</span> }
}

#[component]
pub fn Tags(tags: Vec<String>) -> impl IntoView {
    view! {
        <span class="tags">
            {tags.into_iter().map(|tag| view! { <span class="tag">{tag}</span> }).collect_view()}
        </span>
    }
}

/// A table of products with their owner, status and visibility.
#[component]
pub fn ProductTable(products: Vec<ProductSummary>, #[prop(optional)] show_domain: bool) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="products">
                <thead>
                    <tr>
                        <th>"Product"</th>
                        {show_domain.then(|| view! { <th>"Domain"</th> })}
                        <th>"Owner"</th>
                        <th>"Status"</th>
                        <th>"Visibility"</th>
                        <th>"Updated"</th>
                    </tr>
                </thead>
                <tbody>
                    {products
                        .into_iter()
                        .map(|product| {
                            let href = format!("/products/{}", product.id);
                            let domain_href = format!("/domains/{}", product.domain);
                            view! {
                                <tr>
                                    <td>
                                        <A href=href attr:class="product-link">{product.title.clone()}</A>
                                        <div class="muted mono">{product.id.to_string()}</div>
                                    </td>
                                    {show_domain.then(|| view! { <td><A href=domain_href>{product.domain.clone()}</A></td> })}
                                    <td>{product.owner.clone()}</td>
                                    <td><StatusBadge status=product.status /></td>
                                    <td><VisibilityBadge visibility=product.visibility /></td>
                                    <td class="muted nowrap">
                                        {short_date(&product.updated_at)}
                                        <span class="revision">{format!(" · r{}", product.revision)}</span>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// `2026-11-22T06:05:42Z` → `2026-11-22 06:05 UTC`.
pub fn short_date(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(day), Some(time)) => format!("{day} {time} UTC"),
        _ => rfc3339.to_owned(),
    }
}

/// Rows of text values in a scrolling grid; `None` shows as a muted `null`. Headers may carry
/// a tooltip (the column's type).
#[component]
pub fn TextGrid(
    columns: Vec<(String, Option<String>)>,
    rows: Vec<Vec<Option<String>>>,
    #[prop(optional)] class: &'static str,
) -> impl IntoView {
    view! {
        <div class=format!("table-scroll {class}")>
            <table class="sample">
                <thead>
                    <tr>
                        {columns
                            .into_iter()
                            .map(|(name, tooltip)| view! { <th title=tooltip>{name}</th> })
                            .collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|row| {
                            view! {
                                <tr>
                                    {row
                                        .into_iter()
                                        .map(|value| match value {
                                            Some(text) => view! { <td class="mono">{text}</td> }.into_any(),
                                            None => view! { <td class="muted">"null"</td> }.into_any(),
                                        })
                                        .collect_view()}
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// What a page shows when its data could not be loaded.
#[component]
pub fn ErrorPanel(error: ServerFnError) -> impl IntoView {
    view! {
        <section class="panel error" role="alert">
            <h1>"Cannot show this page"</h1>
            <p>{error_message(&error)}</p>
            <p><A href="/">"Back to the catalog"</A></p>
        </section>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="panel">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. " <A href="/">"Back to the catalog"</A></p>
        </section>
    }
}

/// The loading placeholder of a page.
#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="loading" aria-busy="true">"Loading…"</p> }
}
