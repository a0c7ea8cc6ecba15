//! Sign-ins through an identity provider under way: what the browser's return must match (the
//! state, by its SHA-256), the PKCE verifier and the nonce, and where to go after. Kept in the
//! catalog so that the provider may send the browser back to any replica.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SignInAttempts {
    Table,
    StateHash,
    PkceVerifier,
    Nonce,
    NextPath,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SignInAttempts::Table)
                    .col(string(SignInAttempts::StateHash).primary_key())
                    .col(string(SignInAttempts::PkceVerifier))
                    .col(string(SignInAttempts::Nonce))
                    .col(string(SignInAttempts::NextPath))
                    .col(timestamp_with_time_zone(SignInAttempts::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SignInAttempts::Table).to_owned())
            .await
    }
}
