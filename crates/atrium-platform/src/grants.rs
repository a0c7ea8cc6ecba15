//! Grants: a product's owners let a user or a team read it (or one output port), optionally until
//! an expiry instant — by hand here, or by approving an access request (`requests.rs`). The grant
//! takes effect, and stops, through the access decision, at once. A revoked grant is kept, with
//! who revoked it and why; the sweep marks expired grants and tells their holders, and warns them
//! a week before.

use atrium_catalog::{NewGrant, Trail, rfc3339};
use atrium_types::{AuditOutcome, EXPIRING_SOON_DAYS, GrantRequest, GrantView, Principal};
use chrono::{DateTime, Duration, Utc};

use crate::access::{Action, Caller};
use crate::requests::{event, notice};
use crate::{Platform, PlatformError, Result};

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub expired: usize,
    pub warned: usize,
}

impl Platform {
    /// Gives a grant; the caller must own the product (or be an admin).
    pub async fn add_grant(&self, caller: &Caller, request: &GrantRequest) -> Result<GrantView> {
        let product = self.guard(caller, &request.product, Action::ManageGrants).await?;
        self.check_output(&product.id, request.output.as_deref()).await?;
        let expires_at = request.expires_at.as_deref().map(parse_instant).transpose()?;
        let grant = NewGrant {
            product: product.id.clone(),
            output: request.output.clone(),
            principal: request.principal.clone(),
            expires_at,
            granted_by: caller.label(),
        };
        let mut record = self.audit_record(caller, "grant.add", AuditOutcome::Ok, Some(&product.id));
        record
            .detail
            .insert("principal".to_owned(), request.principal.to_string());
        if let Some(output) = &request.output {
            record.detail.insert("output".to_owned(), output.clone());
        }
        if let Some(expiry) = &expires_at {
            record.detail.insert("expires_at".to_owned(), rfc3339(expiry));
        }
        let trail = Trail {
            audit: vec![record],
            events: vec![event("grant.added", &product.id, &request.principal, None)],
            notices: Vec::new(),
        };
        let now = self.clock.now();
        let record = self.catalog.add_grant(grant, trail, now).await?;
        tracing::info!(grant = record.id, product = %record.product, principal = %record.principal, "grant given");
        Ok(record.view(now))
    }

    /// The grants the caller may see: those on products they own, and those they hold; ended
    /// ones too, with their status.
    pub async fn grants(&self, caller: &Caller) -> Result<Vec<GrantView>> {
        let facts = self.facts().await?;
        let held_by_caller = |principal: &Principal| caller.as_user().is_some_and(|user| user.is_principal(principal));
        Ok(self
            .catalog
            .grant_history()
            .await?
            .iter()
            .filter(|grant| {
                facts.check(caller, &grant.product, Action::ManageGrants).is_ok()
                    || (held_by_caller(&grant.principal) && facts.check(caller, &grant.product, Action::See).is_ok())
            })
            .map(|grant| grant.view(facts.now))
            .collect())
    }

    /// Revokes a grant; the caller must own its product. It stops working at once; the reason is
    /// recorded and the holders are told.
    pub async fn revoke_grant(&self, caller: &Caller, id: i64, reason: Option<&str>) -> Result<GrantView> {
        let missing = || PlatformError::NoSuchGrant(id);
        let grant = self.catalog.grant(id).await?.ok_or_else(missing)?;
        let facts = self.facts_for(std::slice::from_ref(&grant.product)).await?;
        match facts.check(caller, &grant.product, Action::ManageGrants) {
            Ok(_) => {}
            Err(PlatformError::Refused(crate::Refusal::Hidden { .. })) => return Err(missing()),
            Err(error) => return Err(error),
        }
        if grant.revoked_at.is_some() {
            return Err(PlatformError::Conflict(format!("grant {id} is already revoked")));
        }
        let reason = reason
            .map(str::trim)
            .filter(|reason| !reason.is_empty())
            .map(str::to_owned);
        let mut record = self.audit_record(caller, "grant.revoke", AuditOutcome::Ok, Some(&grant.product));
        record.detail.insert("grant".to_owned(), id.to_string());
        record
            .detail
            .insert("principal".to_owned(), grant.principal.to_string());
        if let Some(reason) = &reason {
            record
                .detail
                .insert("reason".to_owned(), crate::requests::excerpt(reason));
        }
        let message = format!(
            "{} revoked your access to `{}`{}",
            caller.label(),
            grant.product,
            reason
                .as_deref()
                .map(|r| format!(": {}", crate::requests::excerpt(r)))
                .unwrap_or_default()
        );
        let trail = Trail {
            audit: vec![record],
            events: vec![event("access.revoked", &grant.product, &grant.principal, None)],
            notices: self
                .holders(&grant.principal)
                .await?
                .into_iter()
                .map(|holder| notice(holder, "access.revoked", &grant.product, message.clone()))
                .collect(),
        };
        let now = self.clock.now();
        if !self
            .catalog
            .revoke_grant(id, &caller.label(), reason, trail, now)
            .await?
        {
            return Err(PlatformError::Conflict(format!("grant {id} is already revoked")));
        }
        tracing::info!(grant = id, product = %grant.product, "grant revoked");
        let revoked = self.catalog.grant(id).await?.ok_or_else(missing)?;
        Ok(revoked.view(now))
    }

    /// Marks the grants past their instant expired and tells their holders; tells the holders
    /// of grants expiring within a week, once. The decision already refuses an expired grant at
    /// its instant; this keeps the records and the people in step. Safe on several replicas.
    pub async fn sweep_grants(&self, caller: &Caller) -> Result<SweepReport> {
        self.guard_platform(caller)?;
        let now = self.clock.now();
        let mut report = SweepReport::default();
        for grant in self.catalog.grants_to_expire(now).await? {
            let mut record = self.audit_record(caller, "grant.expire", AuditOutcome::Ok, Some(&grant.product));
            record.detail.insert("grant".to_owned(), grant.id.to_string());
            record
                .detail
                .insert("principal".to_owned(), grant.principal.to_string());
            let message = format!(
                "your access to `{}` expired at {}",
                grant.product,
                grant.expires_at.as_ref().map(rfc3339).unwrap_or_default()
            );
            let trail = Trail {
                audit: vec![record],
                events: vec![event("access.expired", &grant.product, &grant.principal, None)],
                notices: self
                    .holders(&grant.principal)
                    .await?
                    .into_iter()
                    .map(|holder| notice(holder, "access.expired", &grant.product, message.clone()))
                    .collect(),
            };
            if self.catalog.mark_expired(grant.id, trail, now).await? {
                report.expired += 1;
            }
        }
        let soon = now + Duration::days(EXPIRING_SOON_DAYS);
        for grant in self.catalog.grants_to_warn(now, soon).await? {
            let message = format!(
                "your access to `{}` expires at {}; renew it from My access",
                grant.product,
                grant.expires_at.as_ref().map(rfc3339).unwrap_or_default()
            );
            let trail = Trail {
                audit: Vec::new(),
                events: vec![event("access.expiring", &grant.product, &grant.principal, None)],
                notices: self
                    .holders(&grant.principal)
                    .await?
                    .into_iter()
                    .map(|holder| notice(holder, "access.expiring", &grant.product, message.clone()))
                    .collect(),
            };
            if self.catalog.mark_warned(grant.id, trail, now).await? {
                report.warned += 1;
            }
        }
        if report != SweepReport::default() {
            tracing::info!(expired = report.expired, warned = report.warned, "grants swept");
        }
        Ok(report)
    }

    /// Sets the longest grant an access request may ask for in a domain (its owners, admins).
    pub async fn set_max_grant_days(
        &self,
        caller: &Caller,
        domain: &atrium_types::DomainName,
        days: Option<u32>,
    ) -> Result<()> {
        crate::access::authorize(
            caller.into(),
            Action::ManageGrants,
            crate::access::Resource::Domain(domain),
            self.clock.now(),
        )?;
        if !self.catalog.set_max_grant_days(domain.as_str(), days).await? {
            return Err(PlatformError::BadRequest(format!("domain `{domain}` does not exist")));
        }
        let mut record = self.audit_record(caller, "domain.max-grant-days", AuditOutcome::Ok, None);
        record.domain = Some(domain.to_string());
        record.detail.insert(
            "max_grant_days".to_owned(),
            days.map_or("none".to_owned(), |d| d.to_string()),
        );
        self.catalog.write_trail(Trail::audit(record), self.clock.now()).await?;
        Ok(())
    }
}

fn parse_instant(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|instant| instant.with_timezone(&Utc))
        .map_err(|error| PlatformError::BadRequest(format!("`{text}` is not an RFC 3339 instant: {error}")))
}
