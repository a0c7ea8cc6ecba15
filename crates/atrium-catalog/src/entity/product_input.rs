//! An input of a product; `upstream_product_id` is the dependency edge to another product.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_inputs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub product_id: String,
    pub position: i32,
    pub name: String,
    pub kind: String,
    pub format: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub location: Option<String>,
    pub upstream_product_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
