//! What a change leaves behind, written in the change's own transaction: audit rows, domain events
//! (the outbox later consumers read) and notifications. A change either happens with its trail or
//! not at all.

use std::collections::BTreeMap;

use atrium_types::{AuditOutcome, ProductId, UserName};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use crate::entity::{audit_entry, notification};
use crate::{Catalog, Result};

/// One audit row to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub actor_domain: Option<String>,
    pub action: String,
    pub outcome: AuditOutcome,
    pub product: Option<ProductId>,
    /// The domain the row belongs to (a product's, or the domain acted on): its owners see it.
    pub domain: Option<String>,
    pub rows: Option<u64>,
    pub detail: BTreeMap<String, String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// One domain event for the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainEvent {
    pub kind: String,
    pub product: Option<ProductId>,
    pub payload: serde_json::Value,
}

/// One notification for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub recipient: UserName,
    pub kind: String,
    pub product: Option<ProductId>,
    pub request_id: Option<i64>,
    pub message: String,
}

/// The trail of one change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trail {
    pub audit: Vec<AuditRecord>,
    pub events: Vec<DomainEvent>,
    pub notices: Vec<Notice>,
}

impl Trail {
    pub fn audit(record: AuditRecord) -> Self {
        Self {
            audit: vec![record],
            ..Self::default()
        }
    }

    /// Writes it on `db` (the change's transaction); `request_id` fills the notices and events
    /// of a request that did not have its id yet.
    pub(crate) async fn write(
        self,
        db: &impl ConnectionTrait,
        now: DateTime<Utc>,
        request_id: Option<i64>,
    ) -> Result<()> {
        for mut record in self.audit {
            if let Some(id) = request_id {
                record
                    .detail
                    .entry("request".to_owned())
                    .or_insert_with(|| id.to_string());
            }
            audit_row(record)?.insert(db).await?;
        }
        let mut events = self.events;
        for event in &mut events {
            if let (Some(id), serde_json::Value::Object(payload)) = (request_id, &mut event.payload) {
                payload.entry("request").or_insert_with(|| id.into());
            }
        }
        crate::feed::append(db, now, events).await?;
        for notice in self.notices {
            notification::ActiveModel {
                id: sea_orm::NotSet,
                recipient: Set(notice.recipient.to_string()),
                kind: Set(notice.kind),
                product_id: Set(notice.product.map(|product| product.to_string())),
                request_id: Set(notice.request_id.or(request_id)),
                message: Set(notice.message),
                created_at: Set(now),
                read_at: Set(None),
            }
            .insert(db)
            .await?;
        }
        Ok(())
    }
}

fn audit_row(record: AuditRecord) -> Result<audit_entry::ActiveModel> {
    Ok(audit_entry::ActiveModel {
        id: sea_orm::NotSet,
        at: Set(record.at),
        actor: Set(record.actor),
        actor_domain: Set(record.actor_domain),
        action: Set(record.action),
        outcome: Set(record.outcome.as_str().to_owned()),
        product_id: Set(record.product.map(|product| product.to_string())),
        domain: Set(record.domain),
        rows: Set(record.rows.map(|rows| i64::try_from(rows).unwrap_or(i64::MAX))),
        detail: Set(serde_json::to_string(&record.detail).unwrap_or_else(|_| "{}".to_owned())),
        ip: Set(record.ip),
        user_agent: Set(record.user_agent),
    })
}

impl Catalog {
    /// Appends audit rows on their own (a data access: nothing else changed).
    pub async fn append_audit(&self, records: Vec<AuditRecord>) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let rows = records.into_iter().map(audit_row).collect::<Result<Vec<_>>>()?;
        audit_entry::Entity::insert_many(rows).exec(&self.db).await?;
        Ok(())
    }

    /// Writes a trail on its own, in one transaction.
    pub async fn write_trail(&self, trail: Trail, now: DateTime<Utc>) -> Result<()> {
        let txn = self.begin_write().await?;
        trail.write(&txn, now, None).await?;
        txn.commit().await?;
        Ok(())
    }
}
