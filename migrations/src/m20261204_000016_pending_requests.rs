//! The header counts the pending access requests an owner may decide, on every page:
//! `access_requests_by_state` (`state`, `id`) reads the pending ones, newest first, without
//! reading the decided ones (which only grow).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AccessRequests {
    Table,
    State,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("access_requests_by_state")
                    .table(AccessRequests::Table)
                    .col(AccessRequests::State)
                    .col(AccessRequests::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("access_requests_by_state")
                    .table(AccessRequests::Table)
                    .to_owned(),
            )
            .await
    }
}
