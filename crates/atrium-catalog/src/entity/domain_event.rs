//! The outbox of domain events: written in the transaction of the change it tells, read later by
//! consumers that keep their own position, in the order of `seq` (see `feed.rs`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "domain_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The event's place in the feed, taken from `feed_head` in the writing transaction.
    pub seq: i64,
    pub occurred_at: DateTimeUtc,
    pub kind: String,
    pub product_id: Option<String>,
    /// A JSON object.
    pub payload: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
