//! A row of the append-only audit log: a decision or a data access, who, when, from where, and
//! how it ended. Nothing updates or deletes these rows.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    pub actor: String,
    pub actor_domain: Option<String>,
    pub action: String,
    pub outcome: String,
    pub product_id: Option<String>,
    pub domain: Option<String>,
    pub rows: Option<i64>,
    /// A JSON object of strings.
    pub detail: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
