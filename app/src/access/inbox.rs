//! The owners' inbox (`/access/inbox`): the pending requests on their products, each with who
//! asks, for what and why, what the requester already holds and how they used data; approve
//! (optionally for fewer days, with a comment) or deny (with the reason).

use atrium_types::InboxEntry;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::{ApproveRequest, DenyRequest, get_inbox};
use crate::api::error_message;
use crate::components::short_date;

#[component]
pub fn InboxPage() -> impl IntoView {
    let approve = ServerAction::<ApproveRequest>::new();
    let deny = ServerAction::<DenyRequest>::new();
    let inbox = Resource::new(move || (approve.version().get(), deny.version().get()), |_| get_inbox());
    view! {
        <Title text="Access inbox" />
        <section class="hero">
            <p class="eyebrow">"Access"</p>
            <h1>"Inbox"</h1>
            <p class="lede">"Requests to read the products you own. An approval makes the grant at once; it ends at its expiry, or when you revoke it."</p>
        </section>
        {move || {
            let failed = approve.value().get().and_then(Result::err).or_else(|| deny.value().get().and_then(Result::err));
            failed.map(|error| view! { <p class="error-text" role="alert">{error_message(&error)}</p> })
        }}
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match inbox.await {
                    Ok(entries) if entries.is_empty() => view! {
                        <section class="panel"><p class="muted" data-testid="inbox-empty">"No request waits for you."</p></section>
                    }.into_any(),
                    Ok(entries) => entries
                        .into_iter()
                        .map(|entry| view! { <InboxCard entry approve deny /> })
                        .collect_view()
                        .into_any(),
                    Err(error) => view! { <p class="error-text">{error_message(&error)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn InboxCard(
    entry: InboxEntry,
    approve: ServerAction<ApproveRequest>,
    deny: ServerAction<DenyRequest>,
) -> impl IntoView {
    let request = entry.request;
    let id = request.id;
    let href = format!("/products/{}", request.product);
    let asker = match &request.for_product {
        Some(consumer) => format!("product {consumer} (for {})", request.principal),
        None => format!("{} ({})", request.requested_by, request.principal),
    };
    view! {
        <section class="panel inbox-entry" data-testid="inbox-entry">
            <div class="panel-head">
                <h2>
                    <A href=href attr:class="mono">{request.product.to_string()}</A>
                    {request.output.clone().map(|output| format!(" · output {output}"))}
                </h2>
                <span class="muted">{format!("request {} · {}", request.id, short_date(&request.created_at))}</span>
            </div>
            <dl class="facts">
                <div><dt>"Who asks"</dt><dd class="mono">{asker}</dd></div>
                <div><dt>"For"</dt><dd>{format!("{} days", request.duration_days)}</dd></div>
                <div>
                    <dt>"Used data before"</dt>
                    <dd>{format!("{} reads of {} products in 90 days", entry.reads_last_90_days, entry.products_read_last_90_days)}</dd>
                </div>
                <div>
                    <dt>"Holds now"</dt>
                    <dd>
                        {if entry.principal_grants.is_empty() {
                            "no grants".to_owned()
                        } else {
                            entry.principal_grants.iter().map(|grant| grant.product.to_string()).collect::<Vec<_>>().join(", ")
                        }}
                    </dd>
                </div>
            </dl>
            <h3>"Purpose"</h3>
            <pre class="purpose">{request.purpose.clone()}</pre>
            <div class="decisions">
                <ActionForm action=approve attr:class="decision">
                    <input type="hidden" name="id" value=id />
                    <label class="field">
                        <span>{format!("Days (at most {})", request.duration_days)}</span>
                        <input type="number" name="duration_days" min="1" max=request.duration_days.to_string() value=request.duration_days.to_string() />
                    </label>
                    <label class="field">
                        <span>"Comment (optional)"</span>
                        <input type="text" name="comment" />
                    </label>
                    <button type="submit" class="button">"Approve"</button>
                </ActionForm>
                <ActionForm action=deny attr:class="decision">
                    <input type="hidden" name="id" value=id />
                    <label class="field">
                        <span>"Why not (required)"</span>
                        <input type="text" name="comment" required=true />
                    </label>
                    <button type="submit" class="button secondary">"Deny"</button>
                </ActionForm>
            </div>
        </section>
    }
}
