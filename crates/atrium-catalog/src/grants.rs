//! Read grants on products and output ports. Whether a grant applies (its principal, its output,
//! its expiry against the clock) is the platform's access decision; here they are only stored.

use atrium_types::{GrantView, Principal, ProductId};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::entity::grant;
use crate::time::rfc3339;
use crate::{Catalog, CatalogError, Result};

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
}

impl GrantRecord {
    pub fn view(&self) -> GrantView {
        GrantView {
            id: self.id,
            product: self.product.clone(),
            output: self.output.clone(),
            principal: self.principal.clone(),
            expires_at: self.expires_at.as_ref().map(rfc3339),
            granted_by: self.granted_by.clone(),
            created_at: rfc3339(&self.created_at),
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

impl Catalog {
    pub async fn add_grant(&self, grant: NewGrant, now: DateTime<Utc>) -> Result<GrantRecord> {
        let row = grant::ActiveModel {
            id: sea_orm::NotSet,
            product_id: Set(grant.product.to_string()),
            output: Set(grant.output),
            principal: Set(grant.principal.to_string()),
            expires_at: Set(grant.expires_at),
            granted_by: Set(grant.granted_by),
            created_at: Set(now),
        }
        .insert(&self.db)
        .await?;
        record(row)
    }

    /// Every grant recorded (expired ones too: the decision compares the expiry with its clock).
    pub async fn grants(&self) -> Result<Vec<GrantRecord>> {
        grant::Entity::find()
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

    /// Deletes the grant; it stops working at once.
    pub async fn revoke_grant(&self, id: i64) -> Result<()> {
        grant::Entity::delete_many()
            .filter(grant::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

fn record(row: grant::Model) -> Result<GrantRecord> {
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
    })
}
