//! The portal's notifications, and who receives them: the users behind principals (a team's
//! members) and the owners of a domain.

use std::collections::BTreeSet;

use atrium_types::{DomainName, NotificationView, Principal, ProductId, Role, TeamName, UserName};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entity::{domain_role, notification, team_member, user};
use crate::time::rfc3339;
use crate::{Catalog, CatalogError, Result};

impl Catalog {
    /// The newest notifications of `user`.
    pub async fn notifications(&self, recipient: &UserName, limit: u64) -> Result<Vec<NotificationView>> {
        notification::Entity::find()
            .filter(notification::Column::Recipient.eq(recipient.as_str()))
            .order_by_desc(notification::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| {
                Ok(NotificationView {
                    id: row.id,
                    kind: row.kind,
                    product: row
                        .product_id
                        .as_deref()
                        .map(|text| {
                            ProductId::parse(text)
                                .map_err(|e| CatalogError::Corrupt(format!("notification product `{text}`: {e}")))
                        })
                        .transpose()?,
                    request_id: row.request_id,
                    message: row.message,
                    created_at: rfc3339(&row.created_at),
                    read: row.read_at.is_some(),
                })
            })
            .collect()
    }

    pub async fn unread_notifications(&self, recipient: &UserName) -> Result<u64> {
        Ok(notification::Entity::find()
            .filter(notification::Column::Recipient.eq(recipient.as_str()))
            .filter(notification::Column::ReadAt.is_null())
            .count(&self.db)
            .await?)
    }

    pub async fn mark_notifications_read(&self, recipient: &UserName, now: DateTime<Utc>) -> Result<()> {
        notification::Entity::update_many()
            .col_expr(notification::Column::ReadAt, Expr::value(now))
            .filter(notification::Column::Recipient.eq(recipient.as_str()))
            .filter(notification::Column::ReadAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The users behind `principals`: a user names themself (when they exist), a team its
    /// members.
    pub async fn users_behind(&self, principals: &[Principal]) -> Result<BTreeSet<UserName>> {
        let mut users = BTreeSet::new();
        let teams: Vec<&str> = principals
            .iter()
            .filter_map(|principal| match principal {
                Principal::Team(team) => Some(team.as_str()),
                Principal::User(_) => None,
            })
            .collect();
        let named: Vec<&str> = principals
            .iter()
            .filter_map(|principal| match principal {
                Principal::User(name) => Some(name.as_str()),
                Principal::Team(_) => None,
            })
            .collect();
        if !named.is_empty() {
            for row in user::Entity::find()
                .filter(user::Column::Name.is_in(named))
                .all(&self.db)
                .await?
            {
                users.insert(parse_user(&row.name)?);
            }
        }
        if !teams.is_empty() {
            for row in team_member::Entity::find()
                .filter(team_member::Column::Team.is_in(teams))
                .all(&self.db)
                .await?
            {
                users.insert(parse_user(&row.user_name)?);
            }
        }
        Ok(users)
    }

    /// Who holds the `owner` role in `domain`.
    pub async fn domain_owners(&self, domain: &DomainName) -> Result<Vec<Principal>> {
        domain_role::Entity::find()
            .filter(domain_role::Column::Domain.eq(domain.as_str()))
            .filter(domain_role::Column::Role.eq(Role::Owner.as_str()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| {
                Principal::parse(&row.principal)
                    .map_err(|e| CatalogError::Corrupt(format!("role principal `{}`: {e}", row.principal)))
            })
            .collect()
    }

    /// The members of a team.
    pub async fn team_members(&self, team: &TeamName) -> Result<Vec<UserName>> {
        Ok(self
            .users_behind(&[Principal::Team(team.clone())])
            .await?
            .into_iter()
            .collect())
    }
}

fn parse_user(text: &str) -> Result<UserName> {
    UserName::parse(text).map_err(|e| CatalogError::Corrupt(format!("user `{text}`: {e}")))
}
