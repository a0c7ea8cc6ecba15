//! One pipeline run of a product, with its counts, check results, outputs and log (JSON text).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub product_id: String,
    pub revision: i32,
    pub trigger: String,
    pub status: String,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    /// The last sign of life of the process running it, while it runs.
    pub heartbeat_at: Option<DateTimeUtc>,
    pub rows_read: i64,
    pub rows_written: i64,
    pub rows_rejected: i64,
    pub bytes_written: i64,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub checks: String,
    #[sea_orm(column_type = "Text")]
    pub outputs: String,
    #[sea_orm(column_type = "Text")]
    pub log: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
