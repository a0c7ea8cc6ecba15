//! A data product's current state; its history is in `product_revisions`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub domain: String,
    pub name: String,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub owner: String,
    pub status: String,
    pub visibility: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub transform_sql: Option<String>,
    pub schedule: Option<String>,
    pub slo_freshness: Option<String>,
    pub slo_freshness_seconds: Option<i64>,
    pub slo_alert_webhook: Option<String>,
    pub current_revision: i32,
    pub content_hash: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When the product was removed from the catalog (hidden; its rows, tables and audit stay).
    pub removed_at: Option<DateTimeUtc>,
    pub removed_by: Option<String>,
    /// The tags as a JSON array, sorted (`product_tags` holds them as rows too).
    #[sea_orm(column_type = "Text")]
    pub tags: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
