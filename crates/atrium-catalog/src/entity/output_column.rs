//! A column of an output contract, with its classification and PII handling.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "output_columns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub output_id: i32,
    pub position: i32,
    pub name: String,
    pub data_type: String,
    pub required: bool,
    pub primary_key: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    pub classification: Option<String>,
    pub pii: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
