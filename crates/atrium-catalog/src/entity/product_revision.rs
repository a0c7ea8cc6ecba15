//! One deployed revision of a product: the descriptor as deployed and what changed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_revisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub product_id: String,
    pub revision: i32,
    pub content_hash: String,
    #[sea_orm(column_type = "Text")]
    pub descriptor_yaml: String,
    #[sea_orm(column_type = "Text")]
    pub descriptor_json: String,
    pub source: Option<String>,
    /// A JSON array of change lines.
    #[sea_orm(column_type = "Text")]
    pub changes: String,
    pub deployed_at: DateTimeUtc,
    /// The folder the descriptor was deployed from; file inputs are relative to it.
    #[sea_orm(column_type = "Text", nullable)]
    pub base_dir: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
