//! Grants: a product's owners let a user or a team read it (or one output port), optionally until
//! an expiry instant. The grant takes effect, and stops, through the access decision.

use atrium_catalog::NewGrant;
use atrium_types::{GrantRequest, GrantView, Principal};
use chrono::{DateTime, Utc};

use crate::access::{Action, Caller};
use crate::{Platform, PlatformError, Result};

impl Platform {
    /// Gives a grant; the caller must own the product (or be an admin).
    pub async fn add_grant(&self, caller: &Caller, request: &GrantRequest) -> Result<GrantView> {
        let product = self.guard(caller, &request.product, Action::ManageGrants).await?;
        if let Some(output) = &request.output {
            let detail = self.catalog.product(&product.id).await?;
            if !detail.outputs.iter().any(|candidate| &candidate.name == output) {
                return Err(PlatformError::BadRequest(format!(
                    "`{}` has no output `{output}`; its outputs: {}",
                    product.id,
                    detail
                        .outputs
                        .iter()
                        .map(|o| o.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        let expires_at = request.expires_at.as_deref().map(parse_instant).transpose()?;
        let grant = NewGrant {
            product: product.id.clone(),
            output: request.output.clone(),
            principal: request.principal.clone(),
            expires_at,
            granted_by: caller.label(),
        };
        let record = self.catalog.add_grant(grant, self.clock.now()).await?;
        tracing::info!(grant = record.id, product = %record.product, principal = %record.principal, "grant given");
        Ok(record.view())
    }

    /// The grants the caller may see: those on products they own, and those they hold.
    pub async fn grants(&self, caller: &Caller) -> Result<Vec<GrantView>> {
        let facts = self.facts().await?;
        let held_by_caller = |principal: &Principal| match (caller, principal) {
            (Caller::User(user), Principal::User(name)) => &user.name == name,
            (Caller::User(user), Principal::Team(team)) => user.teams.contains(team),
            _ => false,
        };
        Ok(facts
            .grants
            .iter()
            .filter(|grant| {
                facts.check(caller, &grant.product, Action::ManageGrants).is_ok()
                    || (held_by_caller(&grant.principal) && facts.check(caller, &grant.product, Action::See).is_ok())
            })
            .map(atrium_catalog::GrantRecord::view)
            .collect())
    }

    /// Revokes a grant; the caller must own its product. It stops working at once.
    pub async fn revoke_grant(&self, caller: &Caller, id: i64) -> Result<GrantView> {
        let missing = || PlatformError::NoSuchGrant(id);
        let grant = self.catalog.grant(id).await?.ok_or_else(missing)?;
        let facts = self.facts().await?;
        match facts.check(caller, &grant.product, Action::ManageGrants) {
            Ok(_) => {}
            Err(PlatformError::Refused(crate::Refusal::Hidden { .. })) => return Err(missing()),
            Err(error) => return Err(error),
        }
        self.catalog.revoke_grant(id).await?;
        tracing::info!(grant = id, product = %grant.product, "grant revoked");
        Ok(grant.view())
    }
}

fn parse_instant(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|instant| instant.with_timezone(&Utc))
        .map_err(|error| PlatformError::BadRequest(format!("`{text}` is not an RFC 3339 instant: {error}")))
}
