//! A read grant: a principal may read a product, or one of its outputs, until an optional expiry;
//! kept after it ends (revoked or expired) for the record.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "grants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub product_id: String,
    pub output: Option<String>,
    pub principal: String,
    pub expires_at: Option<DateTimeUtc>,
    pub granted_by: String,
    pub created_at: DateTimeUtc,
    pub request_id: Option<i64>,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
    pub expired_at: Option<DateTimeUtc>,
    pub warned_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
