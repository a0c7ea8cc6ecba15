//! A domain's page lists its products by id, a page at a time: `idx_products_domain` became
//! `(domain, id)`, so a page reads its own rows in order instead of every product of the domain
//! and a sort.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Products {
    Table,
    Domain,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_products_domain_id")
                    .table(Products::Table)
                    .col(Products::Domain)
                    .col(Products::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_products_domain")
                    .table(Products::Table)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_products_domain")
                    .table(Products::Table)
                    .col(Products::Domain)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_products_domain_id")
                    .table(Products::Table)
                    .to_owned(),
            )
            .await
    }
}
