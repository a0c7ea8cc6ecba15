//! A quality check of an output: a SQL query and the value it must return (JSON text).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quality_checks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub output_id: i32,
    pub position: i32,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub sql: String,
    pub expect: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
