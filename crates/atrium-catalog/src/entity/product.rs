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

/// The columns a [`atrium_types::ProductSummary`] is made of: lists select these alone (a product's
/// description and SQL can be long, and every value is a copy across sqlx's SQLite thread).
#[derive(Clone, Debug, DerivePartialModel)]
#[sea_orm(entity = "Entity")]
pub struct SummaryRow {
    pub id: String,
    pub domain: String,
    pub title: String,
    pub owner: String,
    pub status: String,
    pub visibility: String,
    pub current_revision: i32,
    pub updated_at: DateTimeUtc,
    pub tags: String,
}

impl Model {
    /// The summary's columns of the whole row.
    pub fn summary_row(&self) -> SummaryRow {
        SummaryRow {
            id: self.id.clone(),
            domain: self.domain.clone(),
            title: self.title.clone(),
            owner: self.owner.clone(),
            status: self.status.clone(),
            visibility: self.visibility.clone(),
            current_revision: self.current_revision,
            updated_at: self.updated_at,
            tags: self.tags.clone(),
        }
    }
}
