//! The signed-in user's API tokens: create one (its secret is shown once), see when each was
//! last used, revoke it.

use atrium_types::TokenView;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{CreateToken, RevokeToken, error_message, list_tokens};
use crate::components::short_date;

#[component]
pub fn TokensPage() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    view! {
        <Title text="API tokens" />
        <section class="hero">
            <p class="eyebrow">"Your account"</p>
            <h1>"API tokens"</h1>
            <p class="lede">
                "Scripts, CI and the CLI against this server send a token as "
                <code>"Authorization: Bearer …"</code>
                ". A token acts as you; revoke it when it is no longer needed."
            </p>
        </section>
        <section class="panel">
            <h2>"New token"</h2>
            <ActionForm action=create attr:class="token-form">
                <label class="field">
                    <span>"What it is for"</span>
                    <input type="text" name="name" placeholder="ci" />
                </label>
                <label class="field">
                    <span>"Expires after (days, empty: never)"</span>
                    <input type="number" name="days" min="1" />
                </label>
                <button type="submit" class="button" disabled=create.pending()>"Create token"</button>
            </ActionForm>
            {move || create.value().get().map(|created| match created {
                Ok(created) => view! {
                    <div class="new-token" role="status">
                        <p>"Copy this token now; it is not shown again:"</p>
                        <pre class="mono token-secret">{created.secret}</pre>
                    </div>
                }.into_any(),
                Err(error) => view! { <p class="error-text" role="alert">{error_message(&error)}</p> }.into_any(),
            })}
        </section>
        <section class="panel">
            <h2>"Your tokens"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No tokens yet."</p> }.into_any(),
                        Ok(list) => view! { <TokenTable tokens=list revoke /> }.into_any(),
                        Err(error) => view! { <p class="error-text">{error_message(&error)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn TokenTable(tokens: Vec<TokenView>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    view! {
        <table class="table tokens">
            <thead>
                <tr><th>"Token"</th><th>"For"</th><th>"Created"</th><th>"Expires"</th><th>"Last used"</th><th></th></tr>
            </thead>
            <tbody>
                {tokens.into_iter().map(|token| {
                    let id = token.id.clone();
                    view! {
                        <tr>
                            <td class="mono">{token.id.clone()}</td>
                            <td>{token.name.clone()}</td>
                            <td>{short_date(&token.created_at)}</td>
                            <td>{token.expires_at.as_deref().map_or("never".to_owned(), short_date)}</td>
                            <td>{token.last_used_at.as_deref().map_or("never".to_owned(), short_date)}</td>
                            <td>
                                <ActionForm action=revoke>
                                    <input type="hidden" name="id" value=id />
                                    <button type="submit" class="button secondary">"Revoke"</button>
                                </ActionForm>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
