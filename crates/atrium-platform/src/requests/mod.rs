//! Access requests: a user asks for a grant (for themself or one of their teams) with a purpose
//! and a duration; the product's owners approve it — the grant is made in the same transaction,
//! so the requester's next query reads — or deny it; the requester may withdraw it while it is
//! pending. Every step leaves an audit row, a domain event and notifications, in the step's
//! transaction. This module owns the steps; `views` what each side sees of them, `agreement` the
//! requests a deployed product opens on its owner's behalf.

use std::collections::{BTreeMap, BTreeSet};

use atrium_catalog::{Decision, NewGrant, NewRequest, Notice, RequestRecord, Trail, rfc3339};
use atrium_types::{
    AccessRequestView, ApproveAccess, AuditOutcome, DenyAccess, GrantStatus, MAX_GRANT_DAYS, NewAccessRequest,
    Principal, ProductId, ProductSummary, RequestState, TeamName, UserName,
};
use chrono::Duration;

use crate::access::{Action, Caller, Refusal};
use crate::guard::Facts;
use crate::runs::RunTrigger;
use crate::{Platform, PlatformError, Result};

mod agreement;
mod views;

/// The longest purpose or comment kept.
const MAX_TEXT: usize = 4_000;

impl Platform {
    /// Asks for access; answers the pending request.
    pub async fn request_access(&self, caller: &Caller, request: &NewAccessRequest) -> Result<AccessRequestView> {
        let user = caller.as_user().ok_or(PlatformError::NotAUser)?;
        let facts = self.facts().await?;
        let product = facts.check(caller, &request.product, Action::See)?.clone();
        self.check_output(&product.id, request.output.as_deref()).await?;
        let purpose = required_text("purpose", &request.purpose, "say what the data is for")?;
        let principal = match &request.for_team {
            Some(team) if user.teams.contains(team) => Principal::Team(team.clone()),
            Some(_) => {
                return Err(Refusal::NotTheirs("a request is made for oneself or for one of one's own teams").into());
            }
            None => Principal::User(user.name.clone()),
        };
        let days = self.allowed_days(&product.id, request.duration_days).await?;
        if principal_reads(&facts, caller, &principal, &product, request.output.as_deref()) {
            return Err(PlatformError::Conflict(format!(
                "{principal} can already read `{}`{}",
                product.id,
                output_words(request.output.as_deref())
            )));
        }
        self.no_pending_twin(&product.id, &principal, request.output.as_deref())
            .await?;
        let new = NewRequest {
            product: product.id.clone(),
            output: request.output.clone(),
            principal: principal.clone(),
            requested_by: user.name.to_string(),
            for_product: None,
            purpose,
            duration_days: days,
        };
        self.open_request(caller, new, &product).await
    }

    /// Records a request with its trail: the owners are told.
    async fn open_request(
        &self,
        caller: &Caller,
        new: NewRequest,
        product: &ProductSummary,
    ) -> Result<AccessRequestView> {
        let mut record = self.audit_record(caller, "access.request", AuditOutcome::Ok, Some(&product.id));
        record.detail = request_detail(&new.principal, new.output.as_deref(), new.duration_days);
        if let Some(consumer) = &new.for_product {
            record.detail.insert("for_product".to_owned(), consumer.to_string());
        }
        let asker = match &new.for_product {
            Some(consumer) => format!("product `{consumer}` ({})", new.principal),
            None if new.principal.to_string() == format!("user:{}", new.requested_by) => new.requested_by.clone(),
            None => format!("{} for {}", new.requested_by, new.principal),
        };
        let message = format!(
            "{asker} asks to read `{}`{} for {} days: {}",
            product.id,
            output_words(new.output.as_deref()),
            new.duration_days,
            excerpt(&new.purpose)
        );
        let owners = self.owners_of(product).await?;
        let notices = owners
            .into_iter()
            .filter(|owner| owner.as_str() != new.requested_by)
            .map(|recipient| notice(recipient, "access.requested", &product.id, message.clone()))
            .collect();
        let trail = Trail {
            audit: vec![record],
            events: vec![event("access.requested", &product.id, &new.principal, None)],
            notices,
        };
        let stored = self.catalog.create_request(new, trail, self.clock.now()).await?;
        tracing::info!(request = stored.id, product = %stored.product, principal = %stored.principal, "access requested");
        self.request_view(stored).await
    }

    /// Approves a pending request, optionally for fewer days: the grant is made at once.
    pub async fn approve_request(
        &self,
        caller: &Caller,
        id: i64,
        approval: &ApproveAccess,
    ) -> Result<AccessRequestView> {
        let (request, facts) = self.decidable_request(caller, id).await?;
        let days = approval.duration_days.unwrap_or(request.duration_days);
        if days == 0 || days > request.duration_days {
            return Err(PlatformError::BadRequest(format!(
                "an approval may shorten the duration (asked: {} days), not lengthen it; found {days}",
                request.duration_days
            )));
        }
        let comment = optional_text("comment", approval.comment.as_deref())?;
        let now = self.clock.now();
        let expires_at = now + Duration::days(i64::from(days));
        let grant = NewGrant {
            product: request.product.clone(),
            output: request.output.clone(),
            principal: request.principal.clone(),
            expires_at: Some(expires_at),
            granted_by: caller.label(),
        };
        let mut record = self.audit_record(caller, "access.approve", AuditOutcome::Ok, Some(&request.product));
        record.detail = request_detail(&request.principal, request.output.as_deref(), days);
        if let Some(comment) = &comment {
            record.detail.insert("comment".to_owned(), excerpt(comment));
        }
        let message = format!(
            "{} approved access to `{}`{} until {}{}",
            caller.label(),
            request.product,
            output_words(request.output.as_deref()),
            rfc3339(&expires_at),
            comment
                .as_deref()
                .map(|c| format!(": {}", excerpt(c)))
                .unwrap_or_default()
        );
        let trail = Trail {
            audit: vec![record],
            events: vec![event(
                "access.approved",
                &request.product,
                &request.principal,
                Some(days),
            )],
            notices: self.requester_notices(&request, "access.approved", &message).await?,
        };
        let decision = Decision::Approve {
            grant,
            duration_days: days,
        };
        let decided = self
            .catalog
            .decide_request(id, decision, &caller.label(), comment, trail, now)
            .await?
            .ok_or_else(|| decided_already(id))?;
        tracing::info!(request = id, product = %decided.product, days, "access approved");
        drop(facts);
        if let Some(consumer) = decided.for_product.clone() {
            // The waiting product runs now that it may read its input.
            let platform = self.clone();
            tokio::spawn(async move {
                if let Err(error) = platform
                    .run(&Caller::System, &consumer.to_string(), RunTrigger::Access)
                    .await
                {
                    tracing::warn!(product = %consumer, error = %atrium_types::error_chain(&error), "the run after an approval failed");
                }
            });
        }
        self.request_view(decided).await
    }

    /// Denies a pending request; the comment (why) is required.
    pub async fn deny_request(&self, caller: &Caller, id: i64, denial: &DenyAccess) -> Result<AccessRequestView> {
        let (request, _) = self.decidable_request(caller, id).await?;
        let comment = required_text("comment", &denial.comment, "say why the request is denied")?;
        let mut record = self.audit_record(caller, "access.deny", AuditOutcome::Ok, Some(&request.product));
        record.detail = request_detail(&request.principal, request.output.as_deref(), request.duration_days);
        record.detail.insert("comment".to_owned(), excerpt(&comment));
        let message = format!(
            "{} denied access to `{}`{}: {}",
            caller.label(),
            request.product,
            output_words(request.output.as_deref()),
            excerpt(&comment)
        );
        let trail = Trail {
            audit: vec![record],
            events: vec![event("access.denied", &request.product, &request.principal, None)],
            notices: self.requester_notices(&request, "access.denied", &message).await?,
        };
        let decided = self
            .catalog
            .decide_request(
                id,
                Decision::Deny,
                &caller.label(),
                Some(comment),
                trail,
                self.clock.now(),
            )
            .await?
            .ok_or_else(|| decided_already(id))?;
        self.request_view(decided).await
    }

    /// Withdraws one's own pending request.
    pub async fn withdraw_request(&self, caller: &Caller, id: i64) -> Result<AccessRequestView> {
        let (request, _) = self.visible_request(caller, id).await?;
        let requester = caller
            .as_user()
            .is_some_and(|user| user.name.as_str() == request.requested_by);
        if !requester || request.for_product.is_some() {
            return Err(Refusal::NotTheirs("only the user who asked may withdraw a request").into());
        }
        if request.state != RequestState::Pending {
            return Err(decided_already(id));
        }
        let mut record = self.audit_record(caller, "access.withdraw", AuditOutcome::Ok, Some(&request.product));
        record.detail = request_detail(&request.principal, request.output.as_deref(), request.duration_days);
        let facts = self.facts().await?;
        let owners = match facts.find(&request.product) {
            Some(product) => self.owners_of(product).await?,
            None => BTreeSet::new(),
        };
        let message = format!(
            "{} withdrew the request to read `{}`",
            request.requested_by, request.product
        );
        let trail = Trail {
            audit: vec![record],
            events: vec![event("access.withdrawn", &request.product, &request.principal, None)],
            notices: owners
                .into_iter()
                .map(|owner| notice(owner, "access.withdrawn", &request.product, message.clone()))
                .collect(),
        };
        let decided = self
            .catalog
            .decide_request(id, Decision::Withdraw, &caller.label(), None, trail, self.clock.now())
            .await?
            .ok_or_else(|| decided_already(id))?;
        self.request_view(decided).await
    }

    /// The users who decide on a product's requests: its owner (a user, or a team's members)
    /// and the owners of its domain.
    pub(crate) async fn owners_of(&self, product: &ProductSummary) -> Result<BTreeSet<UserName>> {
        let mut principals = self.catalog.domain_owners(product.id.domain()).await?;
        if let Ok(team) = TeamName::parse(&product.owner) {
            principals.push(Principal::Team(team));
        }
        if let Ok(user) = UserName::parse(&product.owner) {
            principals.push(Principal::User(user));
        }
        Ok(self.catalog.users_behind(&principals).await?)
    }

    /// The users a grant's or a request's principal names.
    pub(crate) async fn holders(&self, principal: &Principal) -> Result<BTreeSet<UserName>> {
        Ok(self.catalog.users_behind(std::slice::from_ref(principal)).await?)
    }

    async fn requester_notices(&self, request: &RequestRecord, kind: &str, message: &str) -> Result<Vec<Notice>> {
        let mut recipients = self.holders(&request.principal).await?;
        if let Ok(user) = UserName::parse(&request.requested_by) {
            recipients.insert(user);
        }
        Ok(recipients
            .into_iter()
            .map(|recipient| notice(recipient, kind, &request.product, message.to_owned()))
            .collect())
    }

    /// The request when the caller may know of it: its requester, a member of its principal,
    /// or an owner of its product.
    async fn visible_request(&self, caller: &Caller, id: i64) -> Result<(RequestRecord, Facts)> {
        let missing = || PlatformError::NoSuchRequest(id);
        let request = self.catalog.request(id).await?.ok_or_else(missing)?;
        let facts = self.facts().await?;
        let sees = facts.check(caller, &request.product, Action::See).is_ok();
        let involved = asked(caller, &request) || decides(&facts, caller, &request);
        if !(sees && involved) {
            return Err(missing());
        }
        Ok((request, facts))
    }

    /// The request when the caller decides on it (an owner of its product) and it is pending.
    async fn decidable_request(&self, caller: &Caller, id: i64) -> Result<(RequestRecord, Facts)> {
        let (request, facts) = self.visible_request(caller, id).await?;
        facts.check(caller, &request.product, Action::ManageGrants)?;
        if request.state != RequestState::Pending {
            return Err(decided_already(id));
        }
        Ok((request, facts))
    }

    /// Refuses an output the product does not have, naming those it has.
    pub(crate) async fn check_output(&self, product: &ProductId, output: Option<&str>) -> Result<()> {
        let Some(output) = output else {
            return Ok(());
        };
        let detail = self.catalog.product(product).await?;
        if detail.outputs.iter().any(|candidate| candidate.name == output) {
            return Ok(());
        }
        Err(PlatformError::BadRequest(format!(
            "`{product}` has no output `{output}`; its outputs: {}",
            detail
                .outputs
                .iter()
                .map(|o| o.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }

    /// The days asked for, when the product's domain allows them.
    async fn allowed_days(&self, product: &ProductId, days: u32) -> Result<u32> {
        let max = self
            .catalog
            .max_grant_days(product.domain().as_str())
            .await?
            .unwrap_or(MAX_GRANT_DAYS);
        if days == 0 || days > max {
            return Err(PlatformError::BadRequest(format!(
                "`duration_days` must be between 1 and {max} (the longest grant domain `{}` gives), found {days}",
                product.domain()
            )));
        }
        Ok(days)
    }

    async fn pending_twin(
        &self,
        product: &ProductId,
        principal: &Principal,
        output: Option<&str>,
    ) -> Result<Option<i64>> {
        Ok(self
            .catalog
            .requests(Some(RequestState::Pending))
            .await?
            .into_iter()
            .find(|request| {
                &request.product == product && &request.principal == principal && request.output.as_deref() == output
            })
            .map(|request| request.id))
    }

    async fn no_pending_twin(&self, product: &ProductId, principal: &Principal, output: Option<&str>) -> Result<()> {
        match self.pending_twin(product, principal, output).await? {
            Some(id) => Err(PlatformError::Conflict(format!(
                "request {id} for {principal} to read `{product}`{} is already pending",
                output_words(output)
            ))),
            None => Ok(()),
        }
    }

    async fn request_view(&self, request: RequestRecord) -> Result<AccessRequestView> {
        let now = self.clock.now();
        let grant = match request.grant_id {
            Some(id) => self.catalog.grant(id).await?.map(|grant| grant.view(now)),
            None => None,
        };
        Ok(AccessRequestView {
            id: request.id,
            product: request.product,
            output: request.output,
            principal: request.principal,
            requested_by: request.requested_by,
            for_product: request.for_product,
            purpose: request.purpose,
            duration_days: request.duration_days,
            state: request.state,
            decided_by: request.decided_by,
            decision_comment: request.decision_comment,
            decided_at: request.decided_at.as_ref().map(rfc3339),
            grant,
            created_at: rfc3339(&request.created_at),
        })
    }
}

/// Whether the caller decides on the request: they manage the grants of its product.
fn decides(facts: &Facts, caller: &Caller, request: &RequestRecord) -> bool {
    facts.check(caller, &request.product, Action::ManageGrants).is_ok()
}

/// Whether the caller asked (or is a member of the team it was asked for).
fn asked(caller: &Caller, request: &RequestRecord) -> bool {
    caller.as_user().is_some_and(|user| {
        user.name.as_str() == request.requested_by
            || (request.for_product.is_none() && user.is_principal(&request.principal))
    })
}

/// Whether the principal reads the product (or the output) for good already: through a role,
/// ownership, its visibility or a grant without expiry. Reading through an expiring grant does
/// not count: a request then renews it.
fn principal_reads(
    facts: &Facts,
    caller: &Caller,
    principal: &Principal,
    product: &ProductSummary,
    output: Option<&str>,
) -> bool {
    let lasting_grant = |grant: &atrium_catalog::GrantRecord| {
        &grant.principal == principal
            && grant.product == product.id
            && grant.status(facts.now) == GrantStatus::Active
            && grant.expires_at.is_none()
            && (grant.output.is_none() || grant.output.as_deref() == output)
    };
    match principal {
        Principal::User(_) => match crate::access::read_basis(caller.into(), facts.of(product), output, facts.now) {
            Ok(crate::access::ReadBasis::Grant(id)) => facts
                .grants
                .iter()
                .any(|grant| grant.id == id && grant.expires_at.is_none()),
            Ok(_) => true,
            Err(_) => false,
        },
        Principal::Team(_) => facts.grants.iter().any(lasting_grant),
    }
}

fn required_text(field: &str, text: &str, hint: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(PlatformError::BadRequest(format!("`{field}` is required: {hint}")));
    }
    optional_text(field, Some(text)).map(Option::unwrap_or_default)
}

fn optional_text(field: &str, text: Option<&str>) -> Result<Option<String>> {
    match text.map(str::trim).filter(|text| !text.is_empty()) {
        Some(text) if text.chars().count() > MAX_TEXT => Err(PlatformError::BadRequest(format!(
            "`{field}` is longer than {MAX_TEXT} characters"
        ))),
        Some(text) => Ok(Some(text.to_owned())),
        None => Ok(None),
    }
}

fn decided_already(id: i64) -> PlatformError {
    PlatformError::Conflict(format!("access request {id} is no longer pending"))
}

fn output_words(output: Option<&str>) -> String {
    output.map(|output| format!(" (output `{output}`)")).unwrap_or_default()
}

/// The first 200 characters of a text, on one line.
pub(crate) fn excerpt(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    truncate(&line, 200)
}

fn truncate(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

fn request_detail(principal: &Principal, output: Option<&str>, days: u32) -> BTreeMap<String, String> {
    let mut detail = BTreeMap::from([
        ("principal".to_owned(), principal.to_string()),
        ("duration_days".to_owned(), days.to_string()),
    ]);
    if let Some(output) = output {
        detail.insert("output".to_owned(), output.to_owned());
    }
    detail
}

pub(crate) fn notice(recipient: UserName, kind: &str, product: &ProductId, message: String) -> Notice {
    Notice {
        recipient,
        kind: kind.to_owned(),
        product: Some(product.clone()),
        request_id: None,
        message,
    }
}

pub(crate) fn event(
    kind: &str,
    product: &ProductId,
    principal: &Principal,
    days: Option<u32>,
) -> atrium_catalog::DomainEvent {
    let mut payload = serde_json::json!({ "product": product.to_string(), "principal": principal.to_string() });
    if let (Some(days), serde_json::Value::Object(map)) = (days, &mut payload) {
        map.insert("duration_days".to_owned(), days.into());
    }
    atrium_catalog::DomainEvent {
        kind: kind.to_owned(),
        product: Some(product.clone()),
        payload,
    }
}
