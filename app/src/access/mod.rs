//! Access in the portal: requesting access on a product's page, the owners' inbox, "My access",
//! the audit log, and usage (a product's readers, the cross-domain picture). The server functions
//! here are thin calls into the platform, like those of `api.rs`.

mod audit;
mod inbox;
mod my_access;
mod product_access;
mod usage;

pub use audit::AuditPage;
pub use inbox::InboxPage;
pub use my_access::MyAccessPage;
pub use product_access::{AccessSection, UsageSection};
pub use usage::UsagePage;

use atrium_types::{
    AccessCounts, AccessRequestView, AuditPage as AuditEntries, GrantView, InboxEntry, MyAccessView, ProductAccess,
    ProductUsage, UsageGraph,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::{caller, platform, portal_error};

/// The header's counts: requests to decide, unread notifications.
#[server(prefix = "/portal", endpoint = "access-counts")]
pub async fn get_access_counts() -> Result<AccessCounts, ServerFnError> {
    let Some(caller) = crate::api::signed_in() else {
        return Ok(AccessCounts::default());
    };
    platform()?.access_counts(&caller).await.map_err(portal_error)
}

/// What the caller may do about access on a product's page.
#[server(prefix = "/portal", endpoint = "product-access")]
pub async fn get_product_access(id: String) -> Result<ProductAccess, ServerFnError> {
    platform()?.product_access(&caller()?, &id).await.map_err(portal_error)
}

/// Asks for access to a product (or one output), for oneself or one of one's teams.
#[server(prefix = "/portal", endpoint = "request-access")]
pub async fn request_access(
    product: String,
    output: Option<String>,
    purpose: String,
    duration_days: u32,
    for_team: Option<String>,
) -> Result<AccessRequestView, ServerFnError> {
    let product = atrium_types::ProductId::parse(&product).map_err(|error| ServerFnError::new(error.to_string()))?;
    let for_team = for_team
        .filter(|team| !team.is_empty())
        .map(|team| atrium_types::TeamName::parse(&team))
        .transpose()
        .map_err(|error| ServerFnError::new(format!("not a team: {error}")))?;
    let request = atrium_types::NewAccessRequest {
        product,
        output: output.filter(|output| !output.is_empty()),
        purpose,
        duration_days,
        for_team,
    };
    platform()?
        .request_access(&caller()?, &request)
        .await
        .map_err(portal_error)
}

#[server(prefix = "/portal", endpoint = "inbox")]
pub async fn get_inbox() -> Result<Vec<InboxEntry>, ServerFnError> {
    platform()?.inbox(&caller()?).await.map_err(portal_error)
}

#[server(prefix = "/portal", endpoint = "approve-request")]
pub async fn approve_request(
    id: i64,
    duration_days: Option<u32>,
    comment: Option<String>,
) -> Result<AccessRequestView, ServerFnError> {
    let approval = atrium_types::ApproveAccess { duration_days, comment };
    platform()?
        .approve_request(&caller()?, id, &approval)
        .await
        .map_err(portal_error)
}

#[server(prefix = "/portal", endpoint = "deny-request")]
pub async fn deny_request(id: i64, comment: String) -> Result<AccessRequestView, ServerFnError> {
    let denial = atrium_types::DenyAccess { comment };
    platform()?
        .deny_request(&caller()?, id, &denial)
        .await
        .map_err(portal_error)
}

#[server(prefix = "/portal", endpoint = "withdraw-request")]
pub async fn withdraw_request(id: i64) -> Result<AccessRequestView, ServerFnError> {
    platform()?.withdraw_request(&caller()?, id).await.map_err(portal_error)
}

#[server(prefix = "/portal", endpoint = "my-access")]
pub async fn get_my_access() -> Result<MyAccessView, ServerFnError> {
    platform()?.my_access(&caller()?).await.map_err(portal_error)
}

#[server(prefix = "/portal", endpoint = "read-notifications")]
pub async fn read_notifications() -> Result<(), ServerFnError> {
    platform()?.read_notifications(&caller()?).await.map_err(portal_error)
}

#[server(prefix = "/portal", endpoint = "revoke-grant")]
pub async fn revoke_grant(id: i64, reason: Option<String>) -> Result<GrantView, ServerFnError> {
    platform()?
        .revoke_grant(&caller()?, id, reason.as_deref())
        .await
        .map_err(portal_error)
}

/// One page of the audit log under the page's filters.
#[server(prefix = "/portal", endpoint = "audit")]
pub async fn get_audit(
    actor: Option<String>,
    product: Option<String>,
    action: Option<String>,
    since: Option<String>,
    until: Option<String>,
    before: Option<i64>,
) -> Result<AuditEntries, ServerFnError> {
    let filter = atrium_types::AuditFilter {
        actor,
        product,
        domain: None,
        action,
        since: since.filter(|text| !text.is_empty()),
        until: until.filter(|text| !text.is_empty()),
        before,
        limit: Some(50),
    };
    platform()?.audit(&caller()?, &filter).await.map_err(portal_error)
}

#[server(prefix = "/portal", endpoint = "product-usage")]
pub async fn get_product_usage(id: String, days: u32) -> Result<ProductUsage, ServerFnError> {
    platform()?
        .product_usage(&caller()?, &id, days)
        .await
        .map_err(portal_error)
}

#[server(prefix = "/portal", endpoint = "usage-graph")]
pub async fn get_usage_graph(days: u32) -> Result<UsageGraph, ServerFnError> {
    platform()?.usage_graph(&caller()?, days).await.map_err(portal_error)
}

/// A grant's status as a badge.
#[component]
fn GrantBadge(status: atrium_types::GrantStatus) -> impl IntoView {
    view! { <span class=format!("badge grant-{status}")>{status.as_str()}</span> }
}

/// A request's state as a badge.
#[component]
fn StateBadge(state: atrium_types::RequestState) -> impl IntoView {
    view! { <span class=format!("badge state-{state}")>{state.as_str()}</span> }
}
