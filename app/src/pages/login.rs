//! The sign-in page: a local account's name and password, posted as a plain form to
//! `/auth/login` (it works before the page hydrates); back to the page the user wanted after it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::get_sign_in_methods;

/// Percent-encodes a path for a query parameter (all but unreserved characters).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => (byte as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".to_owned());
    let error = move || {
        query.read().get("error").map(|error| match error.as_str() {
            "1" => "Wrong user name or password.".to_owned(),
            other => other.to_owned(),
        })
    };
    let methods = Resource::new(|| (), |_| get_sign_in_methods());
    view! {
        <Title text="Sign in" />
        <section class="hero">
            <p class="eyebrow">"Atrium"</p>
            <h1>"Sign in"</h1>
        </section>
        <section class="panel sign-in">
            <form method="post" action="/auth/login" class="sign-in-form">
                <input type="hidden" name="next" value=next />
                <label class="field">
                    <span>"User name"</span>
                    <input type="text" name="name" autocomplete="username" required autofocus />
                </label>
                <label class="field">
                    <span>"Password"</span>
                    <input type="password" name="password" autocomplete="current-password" required />
                </label>
                {move || error().map(|error| view! { <p class="error-text" role="alert">{error}</p> })}
                <button type="submit" class="button">"Sign in"</button>
            </form>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let methods = methods.await.unwrap_or_default();
                    let provider = methods.provider.map(|label| {
                        let href = format!("/auth/oidc/start?next={}", percent_encode(&next()));
                        view! {
                            <p class="sign-in-provider">
                                // A server route, not a page of the portal: the router must not take it.
                                <a href=href rel="external" class="button secondary">{format!("Sign in with {label}")}</a>
                            </p>
                        }
                    });
                    let hint = methods.demo_hint.map(|hint| view! { <p class="muted demo-hint">{hint}</p> });
                    view! { {provider} {hint} }
                })}
            </Suspense>
        </section>
    }
}
