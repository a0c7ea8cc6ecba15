//! At most one running run per product: two runs of a product at once would race to write the
//! same table. A partial unique index (SQLite and PostgreSQL alike) makes the database refuse the
//! second, across processes and replicas.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX idx_runs_one_running_per_product ON runs (product_id) WHERE status = 'running'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX idx_runs_one_running_per_product")
            .await?;
        Ok(())
    }
}
