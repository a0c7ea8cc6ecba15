//! The catalog change feed: every change of the catalog appends its events to `domain_events` in
//! the change's own transaction (an outbox), each with a `seq` taken from the one row of
//! `feed_head`. Taking a `seq` updates that row, and the update's lock is held until the
//! transaction ends, so a later `seq` never becomes visible before an earlier one: a consumer that
//! reads "after the last `seq` I applied" cannot skip an event (a plain auto-increment id could be
//! committed out of order on PostgreSQL). A rolled-back change leaves a gap, never a late arrival.
//!
//! Consumers (the search index; later the lineage graph, monitors and webhooks) keep their own
//! position and read [`Catalog::feed_after`].

use atrium_types::ProductId;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use crate::entity::domain_event;
use crate::{Catalog, CatalogError, DomainEvent, Result};

/// The kinds of change the catalog itself records (the access requests add theirs, `access.*`).
pub mod kinds {
    /// A product was deployed (created, updated, or restored after a removal).
    pub const PRODUCT_DEPLOYED: &str = "product.deployed";
    /// A product was removed from the catalog.
    pub const PRODUCT_REMOVED: &str = "product.removed";
    /// A run ended (succeeded, failed, or interrupted); `published` lists the versions it made
    /// current.
    pub const RUN_FINISHED: &str = "run.finished";
    /// A grant was given, revoked or expired.
    pub const GRANT_CHANGED: &str = "grant.changed";
    /// A domain was created without a deploy (`atrium domain add`); its name is in the payload.
    pub const DOMAIN_CREATED: &str = "domain.created";
    /// Who someone is changed: a user created or changed (teams, roles, admin), or a role given
    /// to a user or a team (the payload names the `user` or the `principal`).
    pub const IDENTITY_CHANGED: &str = "identity.changed";
    /// An API token was revoked (its id, never its secret, in the payload).
    pub const TOKEN_REVOKED: &str = "token.revoked";
}

/// A position in the feed: the `seq` of the last event a consumer applied (0 before any).
pub type FeedSeq = i64;

/// One event of the feed, as consumers read it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEvent {
    pub seq: FeedSeq,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub product: Option<ProductId>,
    pub payload: serde_json::Value,
}

/// Appends `events` on `db` (the change's transaction), taking their `seq`s from `feed_head`.
pub(crate) async fn append(db: &impl ConnectionTrait, now: DateTime<Utc>, events: Vec<DomainEvent>) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let count = i64::try_from(events.len()).unwrap_or(i64::MAX);
    let head = Alias::new("feed_head");
    let seq = Alias::new("seq");
    let update = Query::update()
        .table(head.clone())
        .value(seq.clone(), Expr::col(seq.clone()).add(count))
        .and_where(Expr::col(Alias::new("id")).eq(1))
        .to_owned();
    db.execute(&update).await?;
    let last = current_head(db).await?;
    let first = last - count + 1;
    let rows = events
        .into_iter()
        .zip(first..)
        .map(|(event, seq)| domain_event::ActiveModel {
            id: sea_orm::NotSet,
            seq: Set(seq),
            occurred_at: Set(now),
            kind: Set(event.kind),
            product_id: Set(event.product.map(|product| product.to_string())),
            payload: Set(event.payload.to_string()),
        });
    for row in rows {
        row.insert(db).await?;
    }
    Ok(())
}

async fn current_head(db: &impl ConnectionTrait) -> Result<FeedSeq> {
    let select = Query::select()
        .column(Alias::new("seq"))
        .from(Alias::new("feed_head"))
        .and_where(Expr::col(Alias::new("id")).eq(1))
        .to_owned();
    let row = db
        .query_one(&select)
        .await?
        .ok_or_else(|| CatalogError::Corrupt("the feed has no head row".to_owned()))?;
    Ok(row.try_get::<i64>("", "seq")?)
}

/// One catalog-made event about `product`.
pub(crate) fn event(kind: &str, product: &ProductId, payload: serde_json::Value) -> DomainEvent {
    DomainEvent {
        kind: kind.to_owned(),
        product: Some(product.clone()),
        payload,
    }
}

/// The event of a grant given, revoked or expired (`change`).
pub(crate) fn grant_event(grant: &crate::GrantRecord, change: &str) -> DomainEvent {
    event(
        kinds::GRANT_CHANGED,
        &grant.product,
        serde_json::json!({
            "grant": grant.id,
            "principal": grant.principal.to_string(),
            "output": grant.output,
            "change": change,
        }),
    )
}

impl Catalog {
    /// The `seq` of the latest committed event.
    pub async fn feed_head(&self) -> Result<FeedSeq> {
        current_head(&self.db).await
    }

    /// Up to `limit` events after `after`, in order.
    pub async fn feed_after(&self, after: FeedSeq, limit: u64) -> Result<Vec<FeedEvent>> {
        domain_event::Entity::find()
            .filter(domain_event::Column::Seq.gt(after))
            .order_by_asc(domain_event::Column::Seq)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| {
                let product = row
                    .product_id
                    .as_deref()
                    .map(ProductId::parse)
                    .transpose()
                    .map_err(|error| CatalogError::Corrupt(format!("event {}: {error}", row.seq)))?;
                Ok(FeedEvent {
                    seq: row.seq,
                    at: row.occurred_at,
                    kind: row.kind,
                    product,
                    payload: serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::Null),
                })
            })
            .collect()
    }
}
