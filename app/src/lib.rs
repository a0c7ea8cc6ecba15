//! The Atrium portal: the Leptos application (routes, pages, components) and the server
//! functions that feed it. Rendered on the server, hydrated in the browser.
//!
//! Architecture invariant: under `hydrate` this crate compiles to wasm and reaches only
//! `atrium-types`; the service layer (`atrium-platform`) is a dependency under `ssr` only, used by
//! the server functions in `api`.

#![recursion_limit = "256"]

mod access;
pub mod api;
mod components;
mod pages;
mod search;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::access::{AuditPage, InboxPage, MyAccessPage, UsagePage};
use crate::components::{NotFound, TopNav};
use crate::pages::{DomainPage, DomainsPage, HomePage, LoginPage, NewProductPage, ProductPage, QueryPage, TokensPage};
use crate::search::SearchPage;

/// The label of the installation's identity provider ("Sign in with …"), when one is configured:
/// the server provides it to the pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInProvider(pub Option<String>);

/// The HTML document around the application, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="description" content="Atrium: the self-serve data mesh platform" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The portal: a top navigation and the catalog pages at stable paths.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run in the browser only: the mark tells that the page is interactive (browser tests
    // wait for it instead of guessing).
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="atrium" href="/pkg/atrium.css" />
        <Title formatter=page_title />
        <Router>
            <TopNav />
            <main class="page">
                <Routes fallback=|| view! { <NotFound /> }>
                    // Async rendering waits for the data, so that a missing product answers 404.
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/domains") view=DomainsPage ssr=SsrMode::Async />
                    <Route path=path!("/domains/:domain") view=DomainPage ssr=SsrMode::Async />
                    <Route path=path!("/products/:id") view=ProductPage ssr=SsrMode::Async />
                    <Route path=path!("/search") view=SearchPage ssr=SsrMode::Async />
                    <Route path=path!("/query") view=QueryPage />
                    <Route path=path!("/new") view=NewProductPage />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/tokens") view=TokensPage />
                    <Route path=path!("/access") view=MyAccessPage />
                    <Route path=path!("/access/inbox") view=InboxPage />
                    <Route path=path!("/audit") view=AuditPage />
                    <Route path=path!("/usage") view=UsagePage />
                </Routes>
            </main>
            <footer class="footer">
                "Atrium · self-serve data products · "
                <a href="/api/v1/products">"REST API"</a>
            </footer>
        </Router>
    }
}

/// The document title of a page. The server writes it into the HTML as it is (leptos_meta does not
/// escape it), so there it is escaped here; the browser sets `document.title`, which is text.
fn page_title(title: String) -> String {
    let title = if title.is_empty() {
        "Atrium".to_owned()
    } else {
        format!("{title} · Atrium")
    };
    if cfg!(feature = "ssr") {
        escape_html(&title)
    } else {
        title
    }
}

/// `<`, `>`, `&`, `"` and `'` as entities.
fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// The entry point of the wasm bundle.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
