//! Access requests and what follows them: the requests themselves (pending → approved, denied,
//! withdrawn; an approved one then expired or revoked with its grant), grants kept after they end
//! (revoked or expired, with who and why), a domain's longest grant, the append-only audit log of
//! decisions and data access, the outbox of domain events (written in the transaction of the
//! change, for later consumers such as webhooks), and the portal's notifications.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Grants {
    Table,
    RequestId,
    RevokedAt,
    RevokedBy,
    RevokeReason,
    ExpiredAt,
    WarnedAt,
}

#[derive(DeriveIden)]
enum Domains {
    Table,
    MaxGrantDays,
}

#[derive(DeriveIden)]
enum AccessRequests {
    Table,
    Id,
    ProductId,
    Output,
    Principal,
    RequestedBy,
    ForProduct,
    Purpose,
    DurationDays,
    State,
    DecidedBy,
    DecisionComment,
    DecidedAt,
    GrantId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    Actor,
    ActorDomain,
    Action,
    Outcome,
    ProductId,
    Domain,
    Rows,
    Detail,
    Ip,
    UserAgent,
}

#[derive(DeriveIden)]
enum DomainEvents {
    Table,
    Id,
    OccurredAt,
    Kind,
    ProductId,
    Payload,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    Recipient,
    Kind,
    ProductId,
    RequestId,
    Message,
    CreatedAt,
    ReadAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            big_integer_null(Grants::RequestId),
            timestamp_with_time_zone_null(Grants::RevokedAt),
            string_null(Grants::RevokedBy),
            text_null(Grants::RevokeReason),
            timestamp_with_time_zone_null(Grants::ExpiredAt),
            timestamp_with_time_zone_null(Grants::WarnedAt),
        ] {
            let mut column = column;
            manager
                .alter_table(Table::alter().table(Grants::Table).add_column(&mut column).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Domains::Table)
                    .add_column(integer_null(Domains::MaxGrantDays))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AccessRequests::Table)
                    .col(big_integer(AccessRequests::Id).auto_increment().primary_key())
                    .col(string(AccessRequests::ProductId))
                    .col(string_null(AccessRequests::Output))
                    .col(string(AccessRequests::Principal))
                    .col(string(AccessRequests::RequestedBy))
                    .col(string_null(AccessRequests::ForProduct))
                    .col(text(AccessRequests::Purpose))
                    .col(integer(AccessRequests::DurationDays))
                    .col(string(AccessRequests::State))
                    .col(string_null(AccessRequests::DecidedBy))
                    .col(text_null(AccessRequests::DecisionComment))
                    .col(timestamp_with_time_zone_null(AccessRequests::DecidedAt))
                    .col(big_integer_null(AccessRequests::GrantId))
                    .col(timestamp_with_time_zone(AccessRequests::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("access_requests_by_product")
                    .table(AccessRequests::Table)
                    .col(AccessRequests::ProductId)
                    .col(AccessRequests::State)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(big_integer(AuditLog::Id).auto_increment().primary_key())
                    .col(timestamp_with_time_zone(AuditLog::At))
                    .col(string(AuditLog::Actor))
                    .col(string_null(AuditLog::ActorDomain))
                    .col(string(AuditLog::Action))
                    .col(string(AuditLog::Outcome))
                    .col(string_null(AuditLog::ProductId))
                    .col(string_null(AuditLog::Domain))
                    .col(big_integer_null(AuditLog::Rows))
                    .col(text(AuditLog::Detail))
                    .col(string_null(AuditLog::Ip))
                    .col(text_null(AuditLog::UserAgent))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("audit_log_by_time", None),
            ("audit_log_by_product", Some(AuditLog::ProductId)),
            ("audit_log_by_domain", Some(AuditLog::Domain)),
            ("audit_log_by_actor", Some(AuditLog::Actor)),
        ] {
            let mut index = Index::create();
            index.name(name).table(AuditLog::Table);
            if let Some(column) = column {
                index.col(column);
            }
            manager.create_index(index.col(AuditLog::At).to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(DomainEvents::Table)
                    .col(big_integer(DomainEvents::Id).auto_increment().primary_key())
                    .col(timestamp_with_time_zone(DomainEvents::OccurredAt))
                    .col(string(DomainEvents::Kind))
                    .col(string_null(DomainEvents::ProductId))
                    .col(text(DomainEvents::Payload))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(big_integer(Notifications::Id).auto_increment().primary_key())
                    .col(string(Notifications::Recipient))
                    .col(string(Notifications::Kind))
                    .col(string_null(Notifications::ProductId))
                    .col(big_integer_null(Notifications::RequestId))
                    .col(text(Notifications::Message))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notifications_by_recipient")
                    .table(Notifications::Table)
                    .col(Notifications::Recipient)
                    .col(Notifications::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Notifications::Table.into_iden(),
            DomainEvents::Table.into_iden(),
            AuditLog::Table.into_iden(),
            AccessRequests::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Domains::Table)
                    .drop_column(Domains::MaxGrantDays)
                    .to_owned(),
            )
            .await?;
        for column in [
            Grants::RequestId,
            Grants::RevokedAt,
            Grants::RevokedBy,
            Grants::RevokeReason,
            Grants::ExpiredAt,
            Grants::WarnedAt,
        ] {
            manager
                .alter_table(Table::alter().table(Grants::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
