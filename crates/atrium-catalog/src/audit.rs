//! Reading the audit log: pages of entries under filters (newest first, by id), and the reads
//! grouped for the usage views. Rows are appended with a change's [`crate::Trail`] or on their own
//! ([`Catalog::append_audit`]); nothing here, or anywhere, updates or deletes them.

use std::collections::BTreeMap;

use atrium_types::{AuditEntryView, ProductId};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, Func};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entity::audit_entry;
use crate::time::rfc3339;
use crate::{Catalog, CatalogError, Result};

/// Which entries to read.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub product: Option<String>,
    pub domain: Option<String>,
    pub action: Option<String>,
    /// Only entries of these domains (a domain owner's view); `None`: every entry.
    pub within_domains: Option<Vec<String>>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub before: Option<i64>,
    pub limit: u64,
}

/// Reads grouped by who read what: one row per (actor, actor's domain, product, action).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadGroup {
    pub actor: String,
    pub actor_domain: Option<String>,
    pub product: ProductId,
    pub action: String,
    pub reads: u64,
    pub rows: u64,
    pub last_at: DateTime<Utc>,
}

/// A grouped row as the database answers it: actor, actor's domain, product, action, reads,
/// rows, last time.
type GroupRow = (String, Option<String>, Option<String>, String, i64, i64, DateTime<Utc>);

impl Catalog {
    /// One page of entries, newest first, and the id to ask the next page before.
    pub async fn audit_entries(&self, query: &AuditQuery) -> Result<(Vec<AuditEntryView>, Option<i64>)> {
        let mut select = audit_entry::Entity::find().order_by_desc(audit_entry::Column::Id);
        if let Some(actor) = &query.actor {
            select = select.filter(audit_entry::Column::Actor.eq(actor.as_str()));
        }
        if let Some(product) = &query.product {
            select = select.filter(audit_entry::Column::ProductId.eq(product.as_str()));
        }
        if let Some(domain) = &query.domain {
            select = select.filter(audit_entry::Column::Domain.eq(domain.as_str()));
        }
        if let Some(action) = &query.action {
            select = select.filter(audit_entry::Column::Action.eq(action.as_str()));
        }
        if let Some(domains) = &query.within_domains {
            select = select.filter(audit_entry::Column::Domain.is_in(domains.iter().map(String::as_str)));
        }
        if let Some(since) = query.since {
            select = select.filter(audit_entry::Column::At.gte(since));
        }
        if let Some(until) = query.until {
            select = select.filter(audit_entry::Column::At.lt(until));
        }
        if let Some(before) = query.before {
            select = select.filter(audit_entry::Column::Id.lt(before));
        }
        let limit = query.limit.max(1);
        let mut rows = select.limit(limit + 1).all(&self.db).await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next = if more { rows.last().map(|row| row.id) } else { None };
        let entries = rows.into_iter().map(entry_view).collect::<Result<Vec<_>>>()?;
        Ok((entries, next))
    }

    /// The successful reads (`actions`) since `since`, grouped; of one product, or of all.
    pub async fn read_groups(
        &self,
        actions: &[&str],
        product: Option<&ProductId>,
        since: DateTime<Utc>,
    ) -> Result<Vec<ReadGroup>> {
        let mut select = audit_entry::Entity::find()
            .select_only()
            .column(audit_entry::Column::Actor)
            .column(audit_entry::Column::ActorDomain)
            .column(audit_entry::Column::ProductId)
            .column(audit_entry::Column::Action)
            .column_as(audit_entry::Column::Id.count(), "reads")
            .column_as(
                Expr::expr(Func::cast_as(
                    Func::coalesce([
                        Expr::expr(Func::sum(Expr::col(audit_entry::Column::Rows))),
                        Expr::val(0),
                    ]),
                    Alias::new("BIGINT"),
                )),
                "rows",
            )
            .column_as(audit_entry::Column::At.max(), "last_at")
            .filter(audit_entry::Column::Action.is_in(actions.iter().copied()))
            .filter(audit_entry::Column::Outcome.eq("ok"))
            .filter(audit_entry::Column::ProductId.is_not_null())
            .filter(audit_entry::Column::At.gte(since));
        if let Some(product) = product {
            select = select.filter(audit_entry::Column::ProductId.eq(product.to_string()));
        }
        let groups: Vec<GroupRow> = select
            .group_by(audit_entry::Column::Actor)
            .group_by(audit_entry::Column::ActorDomain)
            .group_by(audit_entry::Column::ProductId)
            .group_by(audit_entry::Column::Action)
            .into_tuple()
            .all(&self.db)
            .await?;
        groups
            .into_iter()
            .filter_map(|(actor, actor_domain, product, action, reads, rows, last_at)| {
                let product = product?;
                Some(
                    ProductId::parse(&product)
                        .map_err(|e| CatalogError::Corrupt(format!("audit product `{product}`: {e}")))
                        .map(|product| ReadGroup {
                            actor,
                            actor_domain,
                            product,
                            action,
                            reads: u64::try_from(reads).unwrap_or(0),
                            rows: u64::try_from(rows).unwrap_or(0),
                            last_at,
                        }),
                )
            })
            .collect()
    }
}

fn entry_view(row: audit_entry::Model) -> Result<AuditEntryView> {
    let detail: BTreeMap<String, String> = serde_json::from_str(&row.detail)
        .map_err(|e| CatalogError::Corrupt(format!("audit row {} detail: {e}", row.id)))?;
    Ok(AuditEntryView {
        id: row.id,
        at: rfc3339(&row.at),
        actor: row.actor,
        actor_domain: row.actor_domain,
        action: row.action,
        outcome: row
            .outcome
            .parse()
            .map_err(|()| CatalogError::Corrupt(format!("audit row {} outcome `{}`", row.id, row.outcome)))?,
        product: row
            .product_id
            .as_deref()
            .map(|text| {
                ProductId::parse(text).map_err(|e| CatalogError::Corrupt(format!("audit product `{text}`: {e}")))
            })
            .transpose()?,
        domain: row.domain,
        detail: {
            let mut detail = detail;
            if let Some(rows) = row.rows {
                detail.insert("rows".to_owned(), rows.to_string());
            }
            detail
        },
        ip: row.ip,
        user_agent: row.user_agent,
    })
}
