//! The sign-in page: a local account's name and password, posted as a plain form to
//! `/auth/login` (it works before the page hydrates); back to the page the user wanted after it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::sign_in_hint;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".to_owned());
    let failed = move || query.read().get("error").is_some();
    let hint = Resource::new(|| (), |_| sign_in_hint());
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
                {move || failed().then(|| view! { <p class="error-text" role="alert">"Wrong user name or password."</p> })}
                <button type="submit" class="button">"Sign in"</button>
            </form>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    hint.await.ok().flatten().map(|hint| view! { <p class="muted demo-hint">{hint}</p> })
                })}
            </Suspense>
        </section>
    }
}
