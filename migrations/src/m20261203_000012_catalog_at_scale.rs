//! The catalog at 100k products.
//!
//! Indexes on the columns a product's contract is read and replaced by (`product_id` of inputs
//! and outputs, `output_id` of columns and checks): without them every product page and every
//! product of a deploy scanned the whole contract of the catalog.
//!
//! `product_counts`: how many live products each (domain, owner, visibility) has, kept by the
//! transactions that deploy and remove products (increments under the product row's lock), so
//! that the home page and the domain list count without scanning the products.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProductCounts {
    Table,
    Domain,
    Owner,
    Visibility,
    Products,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Domain,
    Owner,
    Visibility,
    RemovedAt,
    Id,
}

#[derive(DeriveIden)]
enum ProductInputs {
    Table,
    ProductId,
    Position,
}

#[derive(DeriveIden)]
enum ProductOutputs {
    Table,
    ProductId,
    Position,
}

#[derive(DeriveIden)]
enum OutputColumns {
    Table,
    OutputId,
    Position,
}

#[derive(DeriveIden)]
enum QualityChecks {
    Table,
    OutputId,
    Position,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let indexes = [
            (
                "idx_product_inputs_product",
                ProductInputs::Table.into_iden(),
                ProductInputs::ProductId.into_iden(),
                ProductInputs::Position.into_iden(),
            ),
            (
                "idx_product_outputs_product",
                ProductOutputs::Table.into_iden(),
                ProductOutputs::ProductId.into_iden(),
                ProductOutputs::Position.into_iden(),
            ),
            (
                "idx_output_columns_output",
                OutputColumns::Table.into_iden(),
                OutputColumns::OutputId.into_iden(),
                OutputColumns::Position.into_iden(),
            ),
            (
                "idx_quality_checks_output",
                QualityChecks::Table.into_iden(),
                QualityChecks::OutputId.into_iden(),
                QualityChecks::Position.into_iden(),
            ),
        ];
        for (name, table, first, second) in indexes {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(table)
                        .col(first)
                        .col(second)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ProductCounts::Table)
                    .col(string(ProductCounts::Domain))
                    .col(string(ProductCounts::Owner))
                    .col(string(ProductCounts::Visibility))
                    .col(big_integer(ProductCounts::Products))
                    .primary_key(
                        Index::create()
                            .col(ProductCounts::Domain)
                            .col(ProductCounts::Owner)
                            .col(ProductCounts::Visibility),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(ProductCounts::Table)
                    .columns([
                        ProductCounts::Domain,
                        ProductCounts::Owner,
                        ProductCounts::Visibility,
                        ProductCounts::Products,
                    ])
                    .select_from(
                        Query::select()
                            .columns([Products::Domain, Products::Owner, Products::Visibility])
                            .expr(Expr::col(Products::Id).count())
                            .from(Products::Table)
                            .and_where(Expr::col(Products::RemovedAt).is_null())
                            .group_by_columns([Products::Domain, Products::Owner, Products::Visibility])
                            .to_owned(),
                    )
                    .map_err(|error| DbErr::Migration(error.to_string()))?
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ProductCounts::Table).to_owned())
            .await?;
        for (name, table) in [
            ("idx_product_inputs_product", ProductInputs::Table.into_iden()),
            ("idx_product_outputs_product", ProductOutputs::Table.into_iden()),
            ("idx_output_columns_output", OutputColumns::Table.into_iden()),
            ("idx_quality_checks_output", QualityChecks::Table.into_iden()),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
