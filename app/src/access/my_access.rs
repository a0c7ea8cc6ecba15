//! "My access" (`/access`): the caller's requests and their states (withdraw a pending one),
//! the grants they hold and when each expires (flagged a week before; renew asks again with the
//! same purpose), and their notifications, marked read once shown.

use atrium_types::{GrantStatus, HeldGrant, MyAccessView, RequestState};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::{GrantBadge, ReadNotifications, RequestAccess, StateBadge, WithdrawRequest, get_my_access};
use crate::api::error_message;
use crate::components::short_date;

#[component]
pub fn MyAccessPage() -> impl IntoView {
    let withdraw = ServerAction::<WithdrawRequest>::new();
    let renew = ServerAction::<RequestAccess>::new();
    let read = ServerAction::<ReadNotifications>::new();
    let mine = Resource::new(
        move || (withdraw.version().get(), renew.version().get(), read.version().get()),
        |_| get_my_access(),
    );
    view! {
        <Title text="My access" />
        <section class="hero">
            <p class="eyebrow">"Access"</p>
            <h1>"My access"</h1>
            <p class="lede">"What you asked for, what you hold and until when. Ask for more on a product's page."</p>
        </section>
        {move || renew.value().get().map(|outcome| match outcome {
            Ok(request) => view! { <p class="notice" role="status">{format!("Renewal requested: request {}.", request.id)}</p> }.into_any(),
            Err(error) => view! { <p class="error-text" role="alert">{error_message(&error)}</p> }.into_any(),
        })}
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match mine.await {
                    Ok(mine) => view! { <MyAccess mine withdraw renew read /> }.into_any(),
                    Err(error) => view! { <p class="error-text">{error_message(&error)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn MyAccess(
    mine: MyAccessView,
    withdraw: ServerAction<WithdrawRequest>,
    renew: ServerAction<RequestAccess>,
    read: ServerAction<ReadNotifications>,
) -> impl IntoView {
    let unread = mine.notifications.iter().any(|notification| !notification.read);
    view! {
        <section class="panel" id="notifications">
            <div class="panel-head">
                <h2>"Notifications"</h2>
                {unread.then(|| view! {
                    <ActionForm action=read>
                        <button type="submit" class="button secondary">"Mark all read"</button>
                    </ActionForm>
                })}
            </div>
            {mine.notifications.is_empty().then(|| view! { <p class="muted">"Nothing yet."</p> })}
            <ul class="notifications">
                {mine.notifications.into_iter().map(|notification| view! {
                    <li class=if notification.read { "read" } else { "unread" }>
                        <span class="muted nowrap">{short_date(&notification.created_at)}</span>
                        " "
                        <span>{notification.message}</span>
                    </li>
                }).collect_view()}
            </ul>
        </section>
        <section class="panel" id="grants">
            <h2>"Grants you hold"</h2>
            {mine.grants.is_empty().then(|| view! { <p class="muted">"No grants."</p> })}
            {(!mine.grants.is_empty()).then(|| view! {
                <div class="table-scroll">
                <table class="table">
                    <thead><tr><th>"Product"</th><th>"Output"</th><th>"Held by"</th><th>"Status"</th><th>"Expires"</th><th></th></tr></thead>
                    <tbody>
                        {mine.grants.into_iter().map(|held| view! { <GrantRow held renew /> }).collect_view()}
                    </tbody>
                </table>
                </div>
            })}
        </section>
        <section class="panel" id="requests">
            <h2>"Your requests"</h2>
            {mine.requests.is_empty().then(|| view! { <p class="muted">"No requests yet."</p> })}
            {(!mine.requests.is_empty()).then(|| view! {
                <div class="table-scroll">
                <table class="table requests">
                    <thead><tr><th>"#"</th><th>"Product"</th><th>"For"</th><th>"State"</th><th>"Asked"</th><th>"Decision"</th><th></th></tr></thead>
                    <tbody>
                        {mine.requests.into_iter().map(|request| {
                            let id = request.id;
                            let href = format!("/products/{}", request.product);
                            let pending = request.state == RequestState::Pending;
                            let decision = match (&request.decided_by, &request.decision_comment) {
                                (Some(by), Some(comment)) => format!("{by}: {comment}"),
                                (Some(by), None) => by.clone(),
                                _ => String::new(),
                            };
                            view! {
                                <tr data-testid="my-request">
                                    <td>{request.id}</td>
                                    <td><A href=href attr:class="mono">{request.product.to_string()}</A></td>
                                    <td class="mono">{request.principal.to_string()}</td>
                                    <td><StateBadge state=request.state /></td>
                                    <td class="nowrap">{short_date(&request.created_at)}</td>
                                    <td>{decision}</td>
                                    <td>
                                        {pending.then(|| view! {
                                            <ActionForm action=withdraw>
                                                <input type="hidden" name="id" value=id />
                                                <button type="submit" class="button secondary">"Withdraw"</button>
                                            </ActionForm>
                                        })}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                </div>
            })}
        </section>
    }
}

#[component]
fn GrantRow(held: HeldGrant, renew: ServerAction<RequestAccess>) -> impl IntoView {
    let grant = held.grant;
    let href = format!("/products/{}", grant.product);
    let active = grant.status == GrantStatus::Active;
    let team = match &grant.principal {
        atrium_types::Principal::Team(team) => team.to_string(),
        atrium_types::Principal::User(_) => String::new(),
    };
    let purpose = held.purpose.unwrap_or_else(|| format!("renew grant {}", grant.id));
    let days = held.duration_days.unwrap_or(atrium_types::DEFAULT_GRANT_DAYS);
    let product = grant.product.to_string();
    let renewable = active && grant.expires_at.is_some();
    let output = grant.output.clone().unwrap_or_default();
    view! {
        <tr class=if held.expiring_soon { "expiring" } else { "" } data-testid="held-grant">
            <td><A href=href attr:class="mono">{grant.product.to_string()}</A></td>
            <td>{grant.output.clone().unwrap_or_else(|| "all".to_owned())}</td>
            <td class="mono">{grant.principal.to_string()}</td>
            <td><GrantBadge status=grant.status/></td>
            <td class="nowrap">
                {grant.expires_at.as_deref().map_or("never".to_owned(), short_date)}
                {held.expiring_soon.then(|| view! { <span class="badge expiring-soon">"expires soon"</span> })}
            </td>
            <td>
                {renewable.then(|| view! {
                    <ActionForm action=renew>
                        <input type="hidden" name="product" value=product.clone() />
                        <input type="hidden" name="output" value=output.clone() />
                        <input type="hidden" name="purpose" value=purpose.clone() />
                        <input type="hidden" name="duration_days" value=days.to_string() />
                        <input type="hidden" name="for_team" value=team.clone() />
                        <button type="submit" class="button secondary">"Renew"</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}
