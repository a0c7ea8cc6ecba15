//! The audit log: every decision and every data access leaves a row (who, when, from where, on
//! what, how it ended). Here the rows are made ([`Platform::audit_record`]) and read: admins read
//! all of it, a domain's owners their domain's rows, and no one changes or deletes a row.

use std::collections::BTreeMap;

use atrium_catalog::{AuditQuery, AuditRecord};
use atrium_types::{AuditFilter, AuditOutcome, AuditPage, DomainName, ProductId};
use chrono::{DateTime, Utc};

use crate::access::{Action, Caller, Resource, authorize};
use crate::{Platform, PlatformError, Result};

/// The actions that read data: what the usage views count.
pub const DATA_ACTIONS: &[&str] = &[QUERY, SAMPLE, RUN_READ];
/// A query (SQL console, `POST /api/v1/query`, `atrium query`; a CSV or Arrow answer is a
/// download).
pub const QUERY: &str = "query";
/// The sample rows of a product page.
pub const SAMPLE: &str = "sample";
/// A product's run reading another product through a `product` input.
pub const RUN_READ: &str = "run.read";

/// The most rows one page of the audit log holds.
const PAGE_LIMIT: u32 = 1_000;

impl Platform {
    /// An audit row by `caller` at the platform's now: the caller's origin and home domain
    /// filled in.
    pub(crate) fn audit_record(
        &self,
        caller: &Caller,
        action: &str,
        outcome: AuditOutcome,
        product: Option<&ProductId>,
    ) -> AuditRecord {
        let (ip, user_agent, actor_domain) = match caller.as_user() {
            Some(user) => (
                user.origin.ip.clone(),
                user.origin.user_agent.clone(),
                user.home_domain().map(DomainName::to_string),
            ),
            None => (None, None, None),
        };
        AuditRecord {
            at: self.clock.now(),
            actor: caller.actor(),
            actor_domain,
            action: action.to_owned(),
            outcome,
            product: product.cloned(),
            domain: product.map(|product| product.domain().to_string()),
            rows: None,
            detail: BTreeMap::new(),
            ip,
            user_agent,
        }
    }

    /// Appends audit rows that belong to no other change. A failure to write them is logged,
    /// not answered: the access it records has happened.
    pub(crate) async fn append_audit(&self, records: Vec<AuditRecord>) {
        if let Err(error) = self.catalog.append_audit(records).await {
            tracing::error!(error = %atrium_types::error_chain(&error), "audit rows were not written");
        }
    }

    /// One page of the audit log: everything for an admin, a domain's rows for its owners.
    pub async fn audit(&self, caller: &Caller, filter: &AuditFilter) -> Result<AuditPage> {
        let now = self.clock.now();
        let within_domains = if authorize(caller.into(), Action::ReadAudit, Resource::Platform, now).is_ok() {
            None
        } else {
            let Some(user) = caller.as_user() else {
                return Err(PlatformError::NotAUser);
            };
            let owned: Vec<String> = user
                .roles
                .iter()
                .filter(|(domain, _)| {
                    authorize(caller.into(), Action::ReadAudit, Resource::Domain(domain), now).is_ok()
                })
                .map(|(domain, _)| domain.to_string())
                .collect();
            if owned.is_empty() {
                return Err(PlatformError::Refused(crate::Refusal::AuditReaders));
            }
            Some(owned)
        };
        let query = AuditQuery {
            actor: filter.actor.clone().filter(|actor| !actor.is_empty()),
            product: filter.product.clone().filter(|product| !product.is_empty()),
            domain: filter.domain.clone().filter(|domain| !domain.is_empty()),
            action: filter.action.clone().filter(|action| !action.is_empty()),
            within_domains,
            since: filter.since.as_deref().map(|text| instant("since", text)).transpose()?,
            until: filter.until.as_deref().map(|text| instant("until", text)).transpose()?,
            before: filter.before,
            limit: u64::from(filter.limit.unwrap_or(100).clamp(1, PAGE_LIMIT)),
        };
        let (entries, next_before) = self.catalog.audit_entries(&query).await?;
        Ok(AuditPage { entries, next_before })
    }
}

/// An RFC 3339 instant, or a day (`2026-12-01`, its start in UTC).
pub(crate) fn instant(field: &str, text: &str) -> Result<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|start| start.and_utc())
        .ok_or_else(|| {
            PlatformError::BadRequest(format!(
                "`{field}` must be an RFC 3339 instant or a day (YYYY-MM-DD), found `{text}`"
            ))
        })
}

/// The audit page as CSV: one line per entry, the detail as `key=value` pairs.
pub fn audit_csv(page: &AuditPage) -> String {
    let mut out = String::from("id,at,actor,actor_domain,action,outcome,product,domain,detail,ip,user_agent\n");
    for entry in &page.entries {
        let detail = entry
            .detail
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let fields = [
            entry.id.to_string(),
            entry.at.clone(),
            entry.actor.clone(),
            entry.actor_domain.clone().unwrap_or_default(),
            entry.action.clone(),
            entry.outcome.to_string(),
            entry.product.as_ref().map(ToString::to_string).unwrap_or_default(),
            entry.domain.clone().unwrap_or_default(),
            detail,
            entry.ip.clone().unwrap_or_default(),
            entry.user_agent.clone().unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|field| csv_field(field)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// A CSV field, quoted when it must be; a leading `=`, `+`, `-` or `@` is defused with a quote
/// so that a spreadsheet does not take it for a formula.
fn csv_field(text: &str) -> String {
    let defused = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }

    #[test]
    fn instants_and_days() {
        assert_eq!(
            instant("since", "2026-12-01").expect("a day").to_rfc3339(),
            "2026-12-01T00:00:00+00:00"
        );
        assert!(instant("since", "2026-12-01T10:00:00Z").is_ok());
        let error = instant("until", "yesterday").expect_err("not an instant").to_string();
        assert!(error.contains("`until`") && error.contains("yesterday"), "{error}");
    }
}
