//! The access and usage sections of a product's page: request access (what, why, how long, for
//! whom), one's pending request, and for the owners the grants with revoke; who read the product.

use atrium_types::{GrantStatus, ProductAccess, ProductUsage};
use leptos::prelude::*;
use leptos_router::components::A;

use super::{
    GrantBadge, RequestAccess, RevokeGrant, StateBadge, WithdrawRequest, get_product_access, get_product_usage,
};
use crate::api::error_message;
use crate::components::short_date;

/// The "Access" section.
#[component]
pub fn AccessSection(product_id: String, outputs: Vec<String>) -> impl IntoView {
    let request = ServerAction::<RequestAccess>::new();
    let withdraw = ServerAction::<WithdrawRequest>::new();
    let revoke = ServerAction::<RevokeGrant>::new();
    let id = product_id.clone();
    // Loaded by the browser once the page is interactive (the section is about acting): a local
    // resource, so that the server's page and the hydrated one agree while it loads.
    let access = LocalResource::new(move || {
        let id = id.clone();
        // Loaded again after each of the section's actions.
        request.version().track();
        withdraw.version().track();
        revoke.version().track();
        async move { get_product_access(id).await }
    });
    view! {
        <section class="panel" id="access">
            <h2>"Access"</h2>
            <div class="access-body">
            <Transition fallback=|| ()>
                {move || {
                    let product_id = product_id.clone();
                    let outputs = outputs.clone();
                    Suspend::new(async move {
                        match access.await {
                            Ok(access) => view! {
                                <AccessBody access product_id outputs request withdraw revoke />
                            }.into_any(),
                            Err(error) => view! { <p class="error-text">{error_message(&error)}</p> }.into_any(),
                        }
                    })
                }}
            </Transition>
            </div>
            <div aria-live="polite">
                {move || request.value().get().and_then(Result::err).map(|error| view! {
                    <p class="error-text" role="alert">{error_message(&error)}</p>
                })}
            </div>
        </section>
    }
}

#[component]
fn AccessBody(
    access: ProductAccess,
    product_id: String,
    outputs: Vec<String>,
    request: ServerAction<RequestAccess>,
    withdraw: ServerAction<WithdrawRequest>,
    revoke: ServerAction<RevokeGrant>,
) -> impl IntoView {
    let asking = !access.reads_all && access.pending.is_empty();
    let all_unreadable = access.unreadable_outputs.len() == outputs.len();
    let choices = access.unreadable_outputs.clone();
    let max_days = access.max_days;
    let teams = access.teams.clone();
    view! {
        {access.reads_all.then(|| view! { <p class="muted" data-testid="reads-all">"You can read every output of this product."</p> })}
        {access.pending.into_iter().map(|pending| {
            let id = pending.id;
            view! {
                <div class="notice" data-testid="pending-request">
                    <p>
                        <StateBadge state=pending.state />
                        {format!(" Request {} for {} days, asked {}: ", pending.id, pending.duration_days, short_date(&pending.created_at))}
                        <em>{pending.purpose.clone()}</em>
                    </p>
                    <ActionForm action=withdraw>
                        <input type="hidden" name="id" value=id />
                        <button type="submit" class="button secondary">"Withdraw"</button>
                    </ActionForm>
                </div>
            }
        }).collect_view()}
        {asking.then(|| view! {
            <div id="request-access">
                <h3>"Request access"</h3>
                <p class="muted">"The product's owners decide; the grant works as soon as they approve it, until it expires."</p>
                <ActionForm action=request attr:class="request-form">
                    <input type="hidden" name="product" value=product_id.clone() />
                    <label class="field">
                        <span>"Output"</span>
                        <select name="output">
                            {all_unreadable.then(|| view! { <option value="">"All outputs"</option> })}
                            {choices.into_iter().map(|output| view! { <option value=output.clone()>{output.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label class="field">
                        <span>"Purpose (required): what the data is for"</span>
                        <textarea name="purpose" rows="3" required=true></textarea>
                    </label>
                    <label class="field">
                        <span>{format!("Duration (days, at most {max_days})")}</span>
                        <input type="number" name="duration_days" value="90" min="1" max=max_days.to_string() />
                    </label>
                    <label class="field">
                        <span>"For"</span>
                        <select name="for_team">
                            <option value="">"Myself"</option>
                            {teams.into_iter().map(|team| {
                                let team = team.to_string();
                                view! { <option value=team.clone()>{format!("team {team}")}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" class="button" disabled=request.pending()>"Request access"</button>
                </ActionForm>
            </div>
        })}
        {access.owns.then(|| {
            let waiting = access.pending_for_owners;
            let grants = access.grants.clone();
            view! {
                <p data-testid="owner-inbox">
                    {format!("{waiting} request(s) wait for a decision. ")}
                    <A href="/access/inbox">"Open the inbox"</A>
                </p>
                <h3>"Grants"</h3>
                {grants.is_empty().then(|| view! { <p class="muted">"No grants: only the domain's roles and the owners read it."</p> })}
                {(!grants.is_empty()).then(|| view! {
                    <div class="table-scroll">
                        <table class="table grants">
                            <thead><tr><th>"Who"</th><th>"Output"</th><th>"Status"</th><th>"Expires"</th><th>"Given by"</th><th></th></tr></thead>
                            <tbody>
                                {grants.into_iter().map(|grant| {
                                    let active = grant.status == GrantStatus::Active;
                                    let id = grant.id;
                                    view! {
                                        <tr>
                                            <td class="mono">{grant.principal.to_string()}</td>
                                            <td>{grant.output.clone().unwrap_or_else(|| "all".to_owned())}</td>
                                            <td><GrantBadge status=grant.status/></td>
                                            <td>{grant.expires_at.as_deref().map_or("never".to_owned(), short_date)}</td>
                                            <td>{grant.granted_by.clone()}</td>
                                            <td>
                                                {active.then(|| view! {
                                                    <ActionForm action=revoke attr:class="inline-form">
                                                        <input type="hidden" name="id" value=id />
                                                        <input type="text" name="reason" placeholder="reason" aria-label="Reason" />
                                                        <button type="submit" class="button secondary">"Revoke"</button>
                                                    </ActionForm>
                                                })}
                                                {grant.revoke_reason.clone().map(|reason| view! { <span class="muted">{reason}</span> })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                })}
            }
        })}
    }
}

/// The "Usage" section: who read the product over 7, 30 or 90 days (its owners and readers).
#[component]
pub fn UsageSection(product_id: String) -> impl IntoView {
    let days = RwSignal::new(30u32);
    let id = product_id.clone();
    let usage = LocalResource::new(move || {
        let (id, days) = (id.clone(), days.get());
        async move { get_product_usage(id, days).await }
    });
    view! {
        <section class="panel" id="usage">
            <div class="panel-head">
                <h2>"Usage"</h2>
                <PeriodPicker days />
            </div>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match usage.await {
                        Ok(usage) => view! { <UsageTables usage /> }.into_any(),
                        // Usage is for the product's owners and readers: others see the reason.
                        Err(error) => view! { <p class="muted">{format!("Usage is shown to the product's owners and readers. ({})", error_message(&error))}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Buttons for 7, 30 and 90 days.
#[component]
pub fn PeriodPicker(days: RwSignal<u32>) -> impl IntoView {
    view! {
        <div class="period" role="group" aria-label="Period">
            {[7u32, 30, 90].into_iter().map(|choice| view! {
                <button
                    type="button"
                    class=move || if days.get() == choice { "button" } else { "button secondary" }
                    on:click=move |_| days.set(choice)
                >
                    {format!("{choice} days")}
                </button>
            }).collect_view()}
        </div>
    }
}

#[component]
fn UsageTables(usage: ProductUsage) -> impl IntoView {
    let empty = usage.reads == 0;
    view! {
        <p data-testid="usage-total">{format!("{} reads, {} rows, over the last {} days.", usage.reads, usage.rows, usage.days)}</p>
        {(!empty).then(|| view! {
            <div class="usage-grid">
                <CountTable title="Who read it" counts=usage.readers />
                <CountTable title="From which domain" counts=usage.domains />
                <CountTable title="Consuming products" counts=usage.products />
            </div>
        })}
    }
}

#[component]
fn CountTable(title: &'static str, counts: Vec<atrium_types::UsageCount>) -> impl IntoView {
    view! {
        <div>
            <h3>{title}</h3>
            {counts.is_empty().then(|| view! { <p class="muted">"none"</p> })}
            {(!counts.is_empty()).then(|| view! {
                <div class="table-scroll">
                <table class="table">
                    <thead><tr><th>"Name"</th><th>"Reads"</th><th>"Rows"</th><th>"Last"</th></tr></thead>
                    <tbody>
                        {counts.into_iter().map(|count| view! {
                            <tr>
                                <td class="mono">{count.name}</td>
                                <td>{count.reads}</td>
                                <td>{count.rows}</td>
                                <td class="nowrap">{short_date(&count.last_at)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                </div>
            })}
        </div>
    }
}
