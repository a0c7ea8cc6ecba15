//! Read grants on products and output ports. Whether a grant applies (its principal, its output,
//! its expiry against the clock) is the platform's access decision; here they are only stored. A
//! grant that ends (revoked, expired) is kept, marked, for the record.

use atrium_types::{GrantStatus, GrantView, Principal, ProductId};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::entity::grant;
use crate::time::rfc3339;
use crate::{Catalog, CatalogError, Result, Trail};

/// A grant as the access decision needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRecord {
    pub id: i64,
    pub product: ProductId,
    pub output: Option<String>,
    pub principal: Principal,
    pub expires_at: Option<DateTime<Utc>>,
    pub granted_by: String,
    pub created_at: DateTime<Utc>,
    pub request_id: Option<i64>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
}

impl GrantRecord {
    /// Whether it works at `now`: not revoked, and before its expiry instant.
    pub fn status(&self, now: DateTime<Utc>) -> GrantStatus {
        if self.revoked_at.is_some() {
            GrantStatus::Revoked
        } else if self.expires_at.is_some_and(|expiry| expiry <= now) {
            GrantStatus::Expired
        } else {
            GrantStatus::Active
        }
    }

    pub fn view(&self, now: DateTime<Utc>) -> GrantView {
        GrantView {
            id: self.id,
            product: self.product.clone(),
            output: self.output.clone(),
            principal: self.principal.clone(),
            expires_at: self.expires_at.as_ref().map(rfc3339),
            granted_by: self.granted_by.clone(),
            created_at: rfc3339(&self.created_at),
            status: self.status(now),
            request_id: self.request_id,
            revoked_at: self.revoked_at.as_ref().map(rfc3339),
            revoked_by: self.revoked_by.clone(),
            revoke_reason: self.revoke_reason.clone(),
        }
    }
}

/// A grant to record.
#[derive(Debug, Clone)]
pub struct NewGrant {
    pub product: ProductId,
    pub output: Option<String>,
    pub principal: Principal,
    pub expires_at: Option<DateTime<Utc>>,
    pub granted_by: String,
}

pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    grant: NewGrant,
    request_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<grant::Model> {
    Ok(grant::ActiveModel {
        id: sea_orm::NotSet,
        product_id: Set(grant.product.to_string()),
        output: Set(grant.output),
        principal: Set(grant.principal.to_string()),
        expires_at: Set(grant.expires_at),
        granted_by: Set(grant.granted_by),
        created_at: Set(now),
        request_id: Set(request_id),
        revoked_at: Set(None),
        revoked_by: Set(None),
        revoke_reason: Set(None),
        expired_at: Set(None),
        warned_at: Set(None),
    }
    .insert(db)
    .await?)
}

impl Catalog {
    /// Gives a grant, with its trail, in one transaction.
    pub async fn add_grant(&self, grant: NewGrant, trail: Trail, now: DateTime<Utc>) -> Result<GrantRecord> {
        let txn = self.begin_write().await?;
        let row = insert(&txn, grant, None, now).await?;
        let record = record(row)?;
        let mut trail = trail;
        trail.events.push(crate::feed::grant_event(&record, "given"));
        for audit in &mut trail.audit {
            audit.detail.insert("grant".to_owned(), record.id.to_string());
        }
        trail.write(&txn, now, None).await?;
        txn.commit().await?;
        Ok(record)
    }

    /// Every grant not revoked (expired ones too: the decision compares the expiry with its
    /// clock).
    pub async fn grants(&self) -> Result<Vec<GrantRecord>> {
        grant::Entity::find()
            .filter(grant::Column::RevokedAt.is_null())
            .order_by_asc(grant::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(record)
            .collect()
    }

    /// Every grant ever given, revoked ones too.
    pub async fn grant_history(&self) -> Result<Vec<GrantRecord>> {
        grant::Entity::find()
            .order_by_asc(grant::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(record)
            .collect()
    }

    /// Every grant ever given on one product (revoked and expired ones too), oldest first.
    pub async fn grant_history_of(&self, product: &ProductId) -> Result<Vec<GrantRecord>> {
        grant::Entity::find()
            .filter(grant::Column::ProductId.eq(product.to_string()))
            .order_by_asc(grant::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(record)
            .collect()
    }

    pub async fn grant(&self, id: i64) -> Result<Option<GrantRecord>> {
        grant::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(record)
            .transpose()
    }
}

pub(crate) fn record(row: grant::Model) -> Result<GrantRecord> {
    Ok(GrantRecord {
        id: row.id,
        product: ProductId::parse(&row.product_id)
            .map_err(|e| CatalogError::Corrupt(format!("grant product `{}`: {e}", row.product_id)))?,
        principal: Principal::parse(&row.principal)
            .map_err(|e| CatalogError::Corrupt(format!("grant principal `{}`: {e}", row.principal)))?,
        output: row.output,
        expires_at: row.expires_at,
        granted_by: row.granted_by,
        created_at: row.created_at,
        request_id: row.request_id,
        revoked_at: row.revoked_at,
        revoked_by: row.revoked_by,
        revoke_reason: row.revoke_reason,
    })
}
