//! Identity and access: users (local passwords or signed in through OpenID Connect), team
//! memberships, roles in domains (held by a user or a team), server-side sessions, API tokens
//! (only a hash of the secret is kept) and read grants on products or output ports.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Name,
    DisplayName,
    Email,
    PasswordHash,
    Admin,
    Source,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TeamMembers {
    Table,
    Team,
    UserName,
}

#[derive(DeriveIden)]
enum DomainRoles {
    Table,
    Principal,
    Domain,
    Role,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    IdHash,
    UserName,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    UserName,
    Name,
    SecretHash,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum Grants {
    Table,
    Id,
    ProductId,
    Output,
    Principal,
    ExpiresAt,
    GrantedBy,
    CreatedAt,
}

fn cascade_to_user(from: (impl IntoIden, impl IntoIden)) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(Users::Table, Users::Name)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(string(Users::Name).primary_key())
                    .col(string(Users::DisplayName))
                    .col(string_null(Users::Email))
                    .col(string_null(Users::PasswordHash))
                    .col(boolean(Users::Admin).default(false))
                    .col(string(Users::Source))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TeamMembers::Table)
                    .col(string(TeamMembers::Team))
                    .col(string(TeamMembers::UserName))
                    .primary_key(Index::create().col(TeamMembers::Team).col(TeamMembers::UserName))
                    .foreign_key(&mut cascade_to_user((TeamMembers::Table, TeamMembers::UserName)))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DomainRoles::Table)
                    .col(string(DomainRoles::Principal))
                    .col(string(DomainRoles::Domain))
                    .col(string(DomainRoles::Role))
                    .primary_key(Index::create().col(DomainRoles::Principal).col(DomainRoles::Domain))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(string(Sessions::IdHash).primary_key())
                    .col(string(Sessions::UserName))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::LastSeenAt))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .foreign_key(&mut cascade_to_user((Sessions::Table, Sessions::UserName)))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(string(ApiTokens::Id).primary_key())
                    .col(string(ApiTokens::UserName))
                    .col(string(ApiTokens::Name))
                    .col(string(ApiTokens::SecretHash))
                    .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                    .foreign_key(&mut cascade_to_user((ApiTokens::Table, ApiTokens::UserName)))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Grants::Table)
                    .col(big_integer(Grants::Id).primary_key().auto_increment())
                    .col(string(Grants::ProductId))
                    .col(string_null(Grants::Output))
                    .col(string(Grants::Principal))
                    .col(timestamp_with_time_zone_null(Grants::ExpiresAt))
                    .col(string(Grants::GrantedBy))
                    .col(timestamp_with_time_zone(Grants::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_grants_product_id")
                    .table(Grants::Table)
                    .col(Grants::ProductId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Grants::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
            DomainRoles::Table.into_iden(),
            TeamMembers::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
