//! Runs and published versions: the history of every pipeline run with its counts, checks and
//! log, and, per output, the table version readers see (the last one whose checks passed). Also
//! the folder each revision was deployed from, which file inputs are relative to.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProductRevisions {
    Table,
    BaseDir,
}

#[derive(DeriveIden)]
enum Runs {
    Table,
    Id,
    ProductId,
    Revision,
    Trigger,
    Status,
    StartedAt,
    FinishedAt,
    RowsRead,
    RowsWritten,
    RowsRejected,
    Error,
    Checks,
    Outputs,
    Log,
}

#[derive(DeriveIden)]
enum PublishedVersions {
    Table,
    ProductId,
    Output,
    Version,
    RunId,
    PublishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProductRevisions::Table)
                    .add_column(text_null(ProductRevisions::BaseDir))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Runs::Table)
                    .col(pk_auto(Runs::Id))
                    .col(string(Runs::ProductId))
                    .col(integer(Runs::Revision))
                    .col(string(Runs::Trigger))
                    .col(string(Runs::Status))
                    .col(timestamp_with_time_zone(Runs::StartedAt))
                    .col(timestamp_with_time_zone_null(Runs::FinishedAt))
                    .col(big_integer(Runs::RowsRead))
                    .col(big_integer(Runs::RowsWritten))
                    .col(big_integer(Runs::RowsRejected))
                    .col(text_null(Runs::Error))
                    .col(text(Runs::Checks))
                    .col(text(Runs::Outputs))
                    .col(text(Runs::Log))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_runs_product_started")
                    .table(Runs::Table)
                    .col(Runs::ProductId)
                    .col(Runs::StartedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PublishedVersions::Table)
                    .col(string(PublishedVersions::ProductId))
                    .col(string(PublishedVersions::Output))
                    .col(big_integer(PublishedVersions::Version))
                    .col(integer(PublishedVersions::RunId))
                    .col(timestamp_with_time_zone(PublishedVersions::PublishedAt))
                    .primary_key(
                        Index::create()
                            .col(PublishedVersions::ProductId)
                            .col(PublishedVersions::Output),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PublishedVersions::Table).to_owned())
            .await?;
        manager.drop_table(Table::drop().table(Runs::Table).to_owned()).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ProductRevisions::Table)
                    .drop_column(ProductRevisions::BaseDir)
                    .to_owned(),
            )
            .await
    }
}
