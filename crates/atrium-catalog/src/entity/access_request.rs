//! An access request: a principal asks for a grant on a product (or one output) for a purpose and
//! a number of days; its owners approve (the grant is made) or deny it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "access_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub product_id: String,
    pub output: Option<String>,
    pub principal: String,
    pub requested_by: String,
    pub for_product: Option<String>,
    pub purpose: String,
    pub duration_days: i32,
    pub state: String,
    pub decided_by: Option<String>,
    pub decision_comment: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    pub grant_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
