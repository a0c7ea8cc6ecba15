//! `products.tags`: the product's tags as a JSON array (sorted), beside the rows of
//! `product_tags`, so that a list of products is one row per product.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Tags,
}

#[derive(DeriveIden)]
enum ProductTags {
    Table,
    ProductId,
    Tag,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .add_column(text(Products::Tags).default("[]"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let rows = db
            .query_all_raw(
                backend.build(
                    &Query::select()
                        .columns([ProductTags::ProductId, ProductTags::Tag])
                        .from(ProductTags::Table)
                        .order_by(ProductTags::ProductId, Order::Asc)
                        .order_by(ProductTags::Tag, Order::Asc)
                        .to_owned(),
                ),
            )
            .await?;
        let mut tags: std::collections::BTreeMap<String, Vec<String>> = std::collections::BTreeMap::new();
        for row in rows {
            let product: String = row.try_get("", "product_id")?;
            let tag: String = row.try_get("", "tag")?;
            tags.entry(product).or_default().push(tag);
        }
        for (product, tags) in tags {
            let json = serde_json::to_string(&tags).map_err(|error| DbErr::Migration(error.to_string()))?;
            manager
                .exec_stmt(
                    Query::update()
                        .table(Products::Table)
                        .value(Products::Tags, json)
                        .and_where(Expr::col(Products::Id).eq(product))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .drop_column(Products::Tags)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
