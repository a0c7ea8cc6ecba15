//! An output port may be built by its own query (`outputs[].sql`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProductOutputs {
    Table,
    Sql,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProductOutputs::Table)
                    .add_column(text_null(ProductOutputs::Sql))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProductOutputs::Table)
                    .drop_column(ProductOutputs::Sql)
                    .to_owned(),
            )
            .await
    }
}
