//! The first catalog schema: domains, products, their tags, revisions, inputs (with the
//! dependency edges between products), outputs, columns and quality checks.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Domains {
    Table,
    Name,
    StoragePrefix,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Domain,
    Name,
    Title,
    Description,
    Owner,
    Status,
    Visibility,
    TransformSql,
    Schedule,
    SloFreshness,
    SloFreshnessSeconds,
    SloAlertWebhook,
    CurrentRevision,
    ContentHash,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProductTags {
    Table,
    ProductId,
    Tag,
}

#[derive(DeriveIden)]
enum ProductRevisions {
    Table,
    Id,
    ProductId,
    Revision,
    ContentHash,
    DescriptorYaml,
    DescriptorJson,
    Source,
    Changes,
    DeployedAt,
}

#[derive(DeriveIden)]
enum ProductInputs {
    Table,
    Id,
    ProductId,
    Position,
    Name,
    Kind,
    Format,
    Location,
    UpstreamProductId,
}

#[derive(DeriveIden)]
enum ProductOutputs {
    Table,
    Id,
    ProductId,
    Position,
    Name,
    Description,
    StoragePath,
}

#[derive(DeriveIden)]
enum OutputColumns {
    Table,
    Id,
    OutputId,
    Position,
    Name,
    DataType,
    Required,
    PrimaryKey,
    Description,
    Classification,
    Pii,
}

#[derive(DeriveIden)]
enum QualityChecks {
    Table,
    Id,
    OutputId,
    Position,
    Name,
    Sql,
    Expect,
}

fn cascade(from: (impl IntoIden, impl IntoIden), to: (impl IntoIden, impl IntoIden)) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Domains::Table)
                    .col(string(Domains::Name).primary_key())
                    .col(string(Domains::StoragePrefix))
                    .col(timestamp_with_time_zone(Domains::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .col(string(Products::Id).primary_key())
                    .col(string(Products::Domain))
                    .col(string(Products::Name))
                    .col(string(Products::Title))
                    .col(text(Products::Description))
                    .col(string(Products::Owner))
                    .col(string(Products::Status))
                    .col(string(Products::Visibility))
                    .col(text_null(Products::TransformSql))
                    .col(string_null(Products::Schedule))
                    .col(string_null(Products::SloFreshness))
                    .col(big_integer_null(Products::SloFreshnessSeconds))
                    .col(string_null(Products::SloAlertWebhook))
                    .col(integer(Products::CurrentRevision))
                    .col(string(Products::ContentHash))
                    .col(timestamp_with_time_zone(Products::CreatedAt))
                    .col(timestamp_with_time_zone(Products::UpdatedAt))
                    .foreign_key(
                        &mut ForeignKey::create()
                            .from(Products::Table, Products::Domain)
                            .to(Domains::Table, Domains::Name)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
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
            .create_index(
                Index::create()
                    .name("idx_products_updated_at")
                    .table(Products::Table)
                    .col(Products::UpdatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProductTags::Table)
                    .col(string(ProductTags::ProductId))
                    .col(string(ProductTags::Tag))
                    .primary_key(Index::create().col(ProductTags::ProductId).col(ProductTags::Tag))
                    .foreign_key(&mut cascade(
                        (ProductTags::Table, ProductTags::ProductId),
                        (Products::Table, Products::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProductRevisions::Table)
                    .col(pk_auto(ProductRevisions::Id))
                    .col(string(ProductRevisions::ProductId))
                    .col(integer(ProductRevisions::Revision))
                    .col(string(ProductRevisions::ContentHash))
                    .col(text(ProductRevisions::DescriptorYaml))
                    .col(text(ProductRevisions::DescriptorJson))
                    .col(string_null(ProductRevisions::Source))
                    .col(text(ProductRevisions::Changes))
                    .col(timestamp_with_time_zone(ProductRevisions::DeployedAt))
                    .foreign_key(&mut cascade(
                        (ProductRevisions::Table, ProductRevisions::ProductId),
                        (Products::Table, Products::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_product_revisions_unique")
                    .table(ProductRevisions::Table)
                    .col(ProductRevisions::ProductId)
                    .col(ProductRevisions::Revision)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProductInputs::Table)
                    .col(pk_auto(ProductInputs::Id))
                    .col(string(ProductInputs::ProductId))
                    .col(integer(ProductInputs::Position))
                    .col(string(ProductInputs::Name))
                    .col(string(ProductInputs::Kind))
                    .col(string_null(ProductInputs::Format))
                    .col(text_null(ProductInputs::Location))
                    // No foreign key: a product may name an upstream that is deployed later.
                    .col(string_null(ProductInputs::UpstreamProductId))
                    .foreign_key(&mut cascade(
                        (ProductInputs::Table, ProductInputs::ProductId),
                        (Products::Table, Products::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_product_inputs_upstream")
                    .table(ProductInputs::Table)
                    .col(ProductInputs::UpstreamProductId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProductOutputs::Table)
                    .col(pk_auto(ProductOutputs::Id))
                    .col(string(ProductOutputs::ProductId))
                    .col(integer(ProductOutputs::Position))
                    .col(string(ProductOutputs::Name))
                    .col(text(ProductOutputs::Description))
                    .col(string(ProductOutputs::StoragePath))
                    .foreign_key(&mut cascade(
                        (ProductOutputs::Table, ProductOutputs::ProductId),
                        (Products::Table, Products::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OutputColumns::Table)
                    .col(pk_auto(OutputColumns::Id))
                    .col(integer(OutputColumns::OutputId))
                    .col(integer(OutputColumns::Position))
                    .col(string(OutputColumns::Name))
                    .col(string(OutputColumns::DataType))
                    .col(boolean(OutputColumns::Required))
                    .col(boolean(OutputColumns::PrimaryKey))
                    .col(text_null(OutputColumns::Description))
                    .col(string_null(OutputColumns::Classification))
                    .col(string_null(OutputColumns::Pii))
                    .foreign_key(&mut cascade(
                        (OutputColumns::Table, OutputColumns::OutputId),
                        (ProductOutputs::Table, ProductOutputs::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(QualityChecks::Table)
                    .col(pk_auto(QualityChecks::Id))
                    .col(integer(QualityChecks::OutputId))
                    .col(integer(QualityChecks::Position))
                    .col(string(QualityChecks::Name))
                    .col(text(QualityChecks::Sql))
                    .col(string(QualityChecks::Expect))
                    .foreign_key(&mut cascade(
                        (QualityChecks::Table, QualityChecks::OutputId),
                        (ProductOutputs::Table, ProductOutputs::Id),
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            QualityChecks::Table.into_iden(),
            OutputColumns::Table.into_iden(),
            ProductOutputs::Table.into_iden(),
            ProductInputs::Table.into_iden(),
            ProductRevisions::Table.into_iden(),
            ProductTags::Table.into_iden(),
            Products::Table.into_iden(),
            Domains::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
