//! The catalog change feed and removed products.
//!
//! Every event of `domain_events` gets a `seq` taken from the one row of `feed_head` in the
//! transaction that writes it. Taking it updates that row, which holds the row's lock until the
//! transaction ends, so events become visible in the order of their `seq`: a consumer that has
//! seen `seq = n` can never later find a committed event below `n` (an auto-increment id can be
//! taken by one transaction and committed after a later one's, so reading "after the last id"
//! could skip it). A rolled-back transaction leaves a gap, never a late arrival.
//!
//! `products.removed_at` hides a removed product from the catalog; its rows, tables and audit stay.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FeedHead {
    Table,
    Id,
    Seq,
}

#[derive(DeriveIden)]
enum DomainEvents {
    Table,
    Id,
    Seq,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    RemovedAt,
    RemovedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FeedHead::Table)
                    .col(integer(FeedHead::Id).primary_key())
                    .col(big_integer(FeedHead::Seq))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(DomainEvents::Table)
                    .add_column(big_integer(DomainEvents::Seq).default(0))
                    .to_owned(),
            )
            .await?;
        // Events written before the feed existed keep their order.
        manager
            .exec_stmt(
                Query::update()
                    .table(DomainEvents::Table)
                    .value(DomainEvents::Seq, Expr::col(DomainEvents::Id))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(FeedHead::Table)
                    .columns([FeedHead::Id, FeedHead::Seq])
                    .select_from(
                        Query::select()
                            .expr(Expr::val(1))
                            .expr(Func::coalesce([Expr::col(DomainEvents::Id).max(), Expr::val(0i64)]))
                            .from(DomainEvents::Table)
                            .to_owned(),
                    )
                    .map_err(|error| DbErr::Migration(error.to_string()))?
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("domain_events_seq")
                    .table(DomainEvents::Table)
                    .col(DomainEvents::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .add_column(timestamp_with_time_zone_null(Products::RemovedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .add_column(string_null(Products::RemovedBy))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Products::RemovedBy, Products::RemovedAt] {
            manager
                .alter_table(Table::alter().table(Products::Table).drop_column(column).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("domain_events_seq")
                    .table(DomainEvents::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(DomainEvents::Table)
                    .drop_column(DomainEvents::Seq)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(FeedHead::Table).to_owned())
            .await
    }
}
