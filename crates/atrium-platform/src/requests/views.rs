//! What the access requests look like to each side: the owners' inbox and lists, the
//! requester's "My access", the header's counts and a product page's access section.

use std::collections::{BTreeMap, BTreeSet};

use atrium_catalog::RequestRecord;
use atrium_types::{
    AccessCounts, AccessRequestView, EXPIRING_SOON_DAYS, GrantStatus, HeldGrant, InboxEntry, MAX_GRANT_DAYS,
    MyAccessView, ProductAccess, RequestRole, RequestState, Role,
};
use chrono::Duration;

use super::{asked, decides};
use crate::access::{Action, Caller};
use crate::{Platform, PlatformError, Result, audit};

impl Platform {
    /// The requests on the caller's products (`owner`) or the caller's own (`requester`).
    pub async fn access_requests(
        &self,
        caller: &Caller,
        role: RequestRole,
        state: Option<RequestState>,
    ) -> Result<Vec<AccessRequestView>> {
        let facts = self.facts().await?;
        let mut views = Vec::new();
        for request in self.catalog.requests(state).await? {
            let keep = match role {
                RequestRole::Owner => decides(&facts, caller, &request),
                RequestRole::Requester => {
                    asked(caller, &request) && facts.check(caller, &request.product, Action::See).is_ok()
                }
            };
            if keep {
                views.push(self.request_view(request).await?);
            }
        }
        Ok(views)
    }

    /// One request, for its requester, the principal's members and the product's owners.
    pub async fn access_request(&self, caller: &Caller, id: i64) -> Result<AccessRequestView> {
        let (request, _) = self.visible_request(caller, id).await?;
        self.request_view(request).await
    }

    /// The pending requests the caller decides, each with what its principal already holds and
    /// how they used data over the last 90 days.
    pub async fn inbox(&self, caller: &Caller) -> Result<Vec<InboxEntry>> {
        let facts = self.facts().await?;
        let pending: Vec<RequestRecord> = self
            .catalog
            .requests(Some(RequestState::Pending))
            .await?
            .into_iter()
            .filter(|request| decides(&facts, caller, request))
            .collect();
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        let since = self.clock.now() - Duration::days(90);
        let reads = self.catalog.read_groups(audit::DATA_ACTIONS, None, since).await?;
        let now = self.clock.now();
        let mut entries = Vec::with_capacity(pending.len());
        for request in pending {
            let actor = match &request.for_product {
                Some(consumer) => format!("product:{consumer}"),
                None => format!("user:{}", request.requested_by),
            };
            let mine: Vec<_> = reads.iter().filter(|group| group.actor == actor).collect();
            let principal_grants = facts
                .grants
                .iter()
                .filter(|grant| grant.principal == request.principal && grant.status(now) == GrantStatus::Active)
                .filter(|grant| facts.check(caller, &grant.product, Action::See).is_ok())
                .map(|grant| grant.view(now))
                .collect();
            entries.push(InboxEntry {
                reads_last_90_days: mine.iter().map(|group| group.reads).sum(),
                products_read_last_90_days: mine.iter().map(|group| &group.product).collect::<BTreeSet<_>>().len()
                    as u64,
                principal_grants,
                request: self.request_view(request).await?,
            });
        }
        Ok(entries)
    }

    /// The caller's requests, the grants they hold and their notifications.
    pub async fn my_access(&self, caller: &Caller) -> Result<MyAccessView> {
        let user = caller.as_user().ok_or(PlatformError::NotAUser)?;
        let facts = self.facts().await?;
        let now = self.clock.now();
        let requests: Vec<RequestRecord> = self
            .catalog
            .requests(None)
            .await?
            .into_iter()
            .filter(|request| asked(caller, request) && facts.check(caller, &request.product, Action::See).is_ok())
            .collect();
        let by_grant: BTreeMap<i64, &RequestRecord> = requests
            .iter()
            .filter_map(|request| request.grant_id.map(|grant| (grant, request)))
            .collect();
        let soon = now + Duration::days(EXPIRING_SOON_DAYS);
        let grants = self
            .catalog
            .grant_history()
            .await?
            .into_iter()
            .filter(|grant| user.is_principal(&grant.principal))
            .filter(|grant| facts.check(caller, &grant.product, Action::See).is_ok())
            .rev()
            .map(|grant| {
                let request = by_grant.get(&grant.id);
                HeldGrant {
                    expiring_soon: grant.status(now) == GrantStatus::Active
                        && grant.expires_at.is_some_and(|expiry| expiry <= soon),
                    purpose: request.map(|request| request.purpose.clone()),
                    duration_days: request.map(|request| request.duration_days),
                    grant: grant.view(now),
                }
            })
            .collect();
        let mut views = Vec::with_capacity(requests.len());
        for request in requests {
            views.push(self.request_view(request).await?);
        }
        Ok(MyAccessView {
            requests: views,
            grants,
            notifications: self.catalog.notifications(&user.name, 50).await?,
        })
    }

    /// The header's counts: requests waiting for the caller's decision, unread notifications.
    pub async fn access_counts(&self, caller: &Caller) -> Result<AccessCounts> {
        let Some(user) = caller.as_user() else {
            return Ok(AccessCounts::default());
        };
        // Only an owner decides (a domain's owners, the product's owner team, an admin): the
        // candidates are the requests on the products they own, and the decision picks from them.
        let pending = if user.admin {
            self.catalog.requests(Some(RequestState::Pending)).await?
        } else {
            let domains: Vec<String> = user
                .roles
                .iter()
                .filter(|(_, role)| role.includes(Role::Owner))
                .map(|(domain, _)| domain.to_string())
                .collect();
            let mut owners: Vec<String> = user.teams.iter().map(ToString::to_string).collect();
            owners.push(user.name.to_string());
            self.catalog.pending_requests_on(&domains, &owners).await?
        };
        let facts = self.facts_of_requests(&pending).await?;
        let inbox = pending
            .iter()
            .filter(|request| decides(&facts, caller, request))
            .count() as u64;
        Ok(AccessCounts {
            inbox,
            unread: self.catalog.unread_notifications(&user.name).await?,
        })
    }

    /// Marks the caller's notifications read.
    pub async fn read_notifications(&self, caller: &Caller) -> Result<()> {
        let user = caller.as_user().ok_or(PlatformError::NotAUser)?;
        Ok(self
            .catalog
            .mark_notifications_read(&user.name, self.clock.now())
            .await?)
    }

    /// What the caller may do about access on a product's page: ask (and what), decide, revoke.
    pub async fn product_access(&self, caller: &Caller, id: &str) -> Result<ProductAccess> {
        let id = crate::runs::parse_id(id)?;
        let facts = self.facts_for(std::slice::from_ref(&id)).await?;
        let product = facts.check(caller, &id, Action::See)?.clone();
        let detail = self.product_detail(&id).await?;
        let unreadable_outputs: Vec<String> = detail
            .outputs
            .iter()
            .filter(|output| {
                facts
                    .decide(
                        caller.into(),
                        Action::ReadData {
                            output: Some(&output.name),
                        },
                        &product,
                    )
                    .is_err()
            })
            .map(|output| output.name.clone())
            .collect();
        let owns = facts.decide(caller.into(), Action::ManageGrants, &product).is_ok();
        let requests = self.catalog.requests_on(&id, Some(RequestState::Pending)).await?;
        let mut pending = Vec::new();
        let mut pending_for_owners = 0;
        for request in requests {
            if owns {
                pending_for_owners += 1;
            }
            if asked(caller, &request) {
                pending.push(self.request_view(request).await?);
            }
        }
        let now = self.clock.now();
        let grants = if owns {
            self.catalog
                .grant_history_of(&id)
                .await?
                .into_iter()
                .rev()
                .map(|grant| grant.view(now))
                .collect()
        } else {
            Vec::new()
        };
        let max_days = self
            .catalog
            .max_grant_days(id.domain().as_str())
            .await?
            .unwrap_or(MAX_GRANT_DAYS);
        Ok(ProductAccess {
            reads_all: unreadable_outputs.is_empty(),
            sees_usage: owns || unreadable_outputs.len() < detail.outputs.len(),
            unreadable_outputs,
            owns,
            pending,
            teams: caller
                .as_user()
                .map(|user| user.teams.iter().cloned().collect())
                .unwrap_or_default(),
            max_days,
            grants,
            pending_for_owners,
        })
    }
}
