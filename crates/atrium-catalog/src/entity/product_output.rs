//! An output port of a product and where its table lives.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_outputs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub product_id: String,
    pub position: i32,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub storage_path: String,
    /// The output's own query; `None` when it is the transform (or the single input).
    #[sea_orm(column_type = "Text", nullable)]
    pub sql: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
