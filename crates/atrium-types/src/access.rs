//! Access requests, notifications, the audit log and usage, as the API and the portal show them.
//!
//! Times are RFC 3339 strings in UTC, as in the catalog views.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{AuditOutcome, GrantView, Principal, ProductId, RequestState, TeamName};

/// How long a requested grant lasts when the request does not say.
pub const DEFAULT_GRANT_DAYS: u32 = 90;
/// The longest grant anyone may ask for when the domain sets no maximum.
pub const MAX_GRANT_DAYS: u32 = 365;
/// A grant expiring within this many days is flagged, and its holder told once.
pub const EXPIRING_SOON_DAYS: i64 = 7;

fn default_days() -> u32 {
    DEFAULT_GRANT_DAYS
}

/// What `POST /api/v1/access-requests` takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAccessRequest {
    pub product: ProductId,
    /// One output port; absent: every output of the product.
    #[serde(default)]
    pub output: Option<String>,
    /// Why access is needed; required, shown to the owners.
    pub purpose: String,
    #[serde(default = "default_days")]
    pub duration_days: u32,
    /// Ask for one of one's teams instead of oneself.
    #[serde(default)]
    pub for_team: Option<TeamName>,
}

/// What `POST /api/v1/access-requests/{id}/approve` takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveAccess {
    /// Shorter than asked, never longer.
    #[serde(default)]
    pub duration_days: Option<u32>,
    #[serde(default)]
    pub comment: Option<String>,
}

/// What `POST /api/v1/access-requests/{id}/deny` takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DenyAccess {
    /// Why; required.
    pub comment: String,
}

/// An access request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRequestView {
    pub id: i64,
    pub product: ProductId,
    pub output: Option<String>,
    /// Who would hold the grant: the requester, one of their teams, or a consuming product's
    /// owner team.
    pub principal: Principal,
    /// The user who asked, or `system` for a product-to-product agreement opened at deploy.
    pub requested_by: String,
    /// The consuming product of a product-to-product agreement.
    pub for_product: Option<ProductId>,
    pub purpose: String,
    pub duration_days: u32,
    pub state: RequestState,
    pub decided_by: Option<String>,
    pub decision_comment: Option<String>,
    pub decided_at: Option<String>,
    /// The grant an approval created.
    pub grant: Option<GrantView>,
    pub created_at: String,
}

/// A request as its product's owners see it in their inbox: with what the requester already
/// holds and how they used data before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxEntry {
    pub request: AccessRequestView,
    /// The grants the principal holds now, on products the owner may see.
    pub principal_grants: Vec<GrantView>,
    /// How many reads the requester made over the last 90 days, and of how many products.
    pub reads_last_90_days: u64,
    pub products_read_last_90_days: u64,
}

/// One message of the portal's notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationView {
    pub id: i64,
    /// `access.requested`, `access.approved`, `access.denied`, `access.revoked`,
    /// `access.expiring`, `access.expired`, `access.withdrawn`.
    pub kind: String,
    pub product: Option<ProductId>,
    pub request_id: Option<i64>,
    pub message: String,
    pub created_at: String,
    pub read: bool,
}

/// The counts of the header: requests waiting for the caller's decision, unread notifications.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessCounts {
    pub inbox: u64,
    pub unread: u64,
}

/// The "My access" page: the caller's requests, the grants they hold (through themselves or a
/// team) and their notifications.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyAccessView {
    pub requests: Vec<AccessRequestView>,
    pub grants: Vec<HeldGrant>,
    pub notifications: Vec<NotificationView>,
}

/// A grant the caller holds, with whether it expires soon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldGrant {
    pub grant: GrantView,
    /// Expires within [`EXPIRING_SOON_DAYS`].
    pub expiring_soon: bool,
    /// The request that would renew it, pre-filled: its purpose and duration.
    pub purpose: Option<String>,
    pub duration_days: Option<u32>,
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntryView {
    pub id: i64,
    pub at: String,
    /// `user:NAME`, `product:DOMAIN.NAME` (a run), `operator`, `system`, or the name tried at a
    /// failed sign-in.
    pub actor: String,
    /// The domain the actor acts from (a run's domain, a user's own domain), for usage.
    pub actor_domain: Option<String>,
    /// e.g. `query`, `sample`, `run.read`, `access.request`, `access.approve`, `grant.revoke`,
    /// `sign-in`.
    pub action: String,
    pub outcome: AuditOutcome,
    pub product: Option<ProductId>,
    pub domain: Option<String>,
    /// What else is known: rows, milliseconds, the grant or role used, the reason of a refusal…
    pub detail: BTreeMap<String, String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// One page of the audit log, newest first; `next_before` asks for the page after it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntryView>,
    pub next_before: Option<i64>,
}

/// The filters of `GET /api/v1/audit`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// An actor, e.g. `user:bob`.
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub product: Option<String>,
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    /// RFC 3339: entries at or after.
    #[serde(default)]
    pub since: Option<String>,
    /// RFC 3339: entries before.
    #[serde(default)]
    pub until: Option<String>,
    /// Entries with an id below this one (the previous page's `next_before`).
    #[serde(default)]
    pub before: Option<i64>,
    /// At most this many (default 100, at most 1,000).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// Who read a product over a period, and from where (`GET /api/v1/products/{id}/usage`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductUsage {
    pub product: Option<ProductId>,
    pub days: u32,
    pub reads: u64,
    pub rows: u64,
    pub readers: Vec<UsageCount>,
    pub domains: Vec<UsageCount>,
    /// The consuming products whose runs read it.
    pub products: Vec<UsageCount>,
}

/// A name and how often it read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageCount {
    pub name: String,
    pub reads: u64,
    pub rows: u64,
    pub last_at: String,
}

/// Reads between domains over a period: the cross-domain usage picture.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageGraph {
    pub days: u32,
    pub domains: Vec<String>,
    pub edges: Vec<UsageEdge>,
}

/// `from` (the consuming domain) read products of `to` this many times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageEdge {
    pub from: String,
    pub to: String,
    pub reads: u64,
    /// The products of `to` that were read, and the consuming products of `from` (runs).
    pub products_read: Vec<String>,
    pub consumers: Vec<String>,
}

/// What the caller may do about access on a product's page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductAccess {
    /// The caller reads every output already.
    pub reads_all: bool,
    /// The outputs the caller may not read yet (empty when they read all).
    pub unreadable_outputs: Vec<String>,
    /// The caller owns the product: decides its requests and sees its grants.
    pub owns: bool,
    /// The caller may see the usage section (owners and readers).
    pub sees_usage: bool,
    /// The caller's pending requests on this product.
    pub pending: Vec<AccessRequestView>,
    /// The teams the caller may ask for.
    pub teams: Vec<TeamName>,
    /// The longest grant the product's domain allows.
    pub max_days: u32,
    /// The grants on the product, for its owners.
    pub grants: Vec<GrantView>,
    /// How many requests wait for the owners' decision, for its owners.
    pub pending_for_owners: u64,
}
