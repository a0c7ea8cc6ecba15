//! Users, teams and domain roles: what the catalog knows of who is who. The decision of what a
//! user may do is not made here (see the platform's `access`); this module only stores the facts.

use std::collections::BTreeMap;

use atrium_types::{DomainName, DomainRoleView, Principal, Role, TeamName, UserName, UserView};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::entity::{domain, domain_role, team_member, user};
use crate::{Catalog, CatalogError, Result};

/// A user as sign-in and the access decision need it.
#[derive(Clone)]
pub struct UserRecord {
    pub name: UserName,
    pub display_name: String,
    pub email: Option<String>,
    /// The argon2id PHC string of a local account.
    pub password_hash: Option<String>,
    pub admin: bool,
    pub teams: Vec<TeamName>,
    /// The roles held directly or through a team, the highest per domain.
    pub roles: BTreeMap<DomainName, Role>,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("name", &self.name)
            .field("admin", &self.admin)
            .field("teams", &self.teams)
            .field("roles", &self.roles)
            .field("password_hash", &self.password_hash.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

/// What to create or change of a user; `None` leaves a field as it is (or at its default for a
/// new user).
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub display_name: Option<String>,
    pub email: Option<Option<String>>,
    pub password_hash: Option<String>,
    pub admin: Option<bool>,
    /// `local` or `oidc`.
    pub source: Option<&'static str>,
    /// Replaces the user's teams.
    pub teams: Option<Vec<TeamName>>,
    /// Replaces the roles the user holds directly.
    pub roles: Option<Vec<(DomainName, Role)>>,
}

impl Catalog {
    /// Creates the user, or changes an existing one (an `identity.changed` event in the same
    /// transaction); returns whether it was created.
    pub async fn upsert_user(&self, name: &UserName, change: UserChange, now: DateTime<Utc>) -> Result<bool> {
        let txn = self.begin_write().await?;
        let existing = user::Entity::find_by_id(name.to_string()).one(&txn).await?;
        let created = existing.is_none();
        let mut row: user::ActiveModel = match existing {
            Some(row) => row.into(),
            None => user::ActiveModel {
                name: Set(name.to_string()),
                display_name: Set(name.to_string()),
                email: Set(None),
                password_hash: Set(None),
                admin: Set(false),
                source: Set("local".to_owned()),
                created_at: Set(now),
            },
        };
        if let Some(display_name) = change.display_name {
            row.display_name = Set(display_name);
        }
        if let Some(email) = change.email {
            row.email = Set(email);
        }
        if let Some(hash) = change.password_hash {
            row.password_hash = Set(Some(hash));
        }
        if let Some(admin) = change.admin {
            row.admin = Set(admin);
        }
        if let Some(source) = change.source {
            row.source = Set(source.to_owned());
        }
        if created {
            row.insert(&txn).await?;
        } else {
            row.update(&txn).await?;
        }
        if let Some(teams) = change.teams {
            team_member::Entity::delete_many()
                .filter(team_member::Column::UserName.eq(name.as_str()))
                .exec(&txn)
                .await?;
            for team in teams {
                team_member::ActiveModel {
                    team: Set(team.to_string()),
                    user_name: Set(name.to_string()),
                }
                .insert(&txn)
                .await?;
            }
        }
        if let Some(roles) = change.roles {
            let principal = Principal::User(name.clone()).to_string();
            domain_role::Entity::delete_many()
                .filter(domain_role::Column::Principal.eq(principal.as_str()))
                .exec(&txn)
                .await?;
            for (domain, role) in roles {
                set_role(&txn, &principal, &domain, role).await?;
            }
        }
        let event = crate::DomainEvent {
            kind: crate::kinds::IDENTITY_CHANGED.to_owned(),
            product: None,
            payload: serde_json::json!({ "user": name.to_string() }),
        };
        crate::feed::append(&txn, now, vec![event]).await?;
        txn.commit().await?;
        Ok(created)
    }

    /// The user with their teams and effective roles; `None` when there is no such user.
    pub async fn user(&self, name: &UserName) -> Result<Option<UserRecord>> {
        let Some(row) = user::Entity::find_by_id(name.to_string()).one(&self.db).await? else {
            return Ok(None);
        };
        let teams: Vec<TeamName> = team_member::Entity::find()
            .filter(team_member::Column::UserName.eq(name.as_str()))
            .order_by_asc(team_member::Column::Team)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|member| parse_team(&member.team))
            .collect::<Result<_>>()?;
        let mut principals = vec![Principal::User(name.clone()).to_string()];
        principals.extend(teams.iter().map(|team| Principal::Team(team.clone()).to_string()));
        let mut roles: BTreeMap<DomainName, Role> = BTreeMap::new();
        for held in domain_role::Entity::find()
            .filter(domain_role::Column::Principal.is_in(principals))
            .all(&self.db)
            .await?
        {
            let (domain, role) = parse_role(&held)?;
            let entry = roles.entry(domain).or_insert(role);
            if role.includes(*entry) {
                *entry = role;
            }
        }
        Ok(Some(UserRecord {
            name: name.clone(),
            display_name: row.display_name,
            email: row.email,
            password_hash: row.password_hash,
            admin: row.admin,
            teams,
            roles,
        }))
    }

    /// Every user, by name, with their teams and the roles they hold directly.
    pub async fn users(&self) -> Result<Vec<UserView>> {
        let mut teams: BTreeMap<String, Vec<TeamName>> = BTreeMap::new();
        for member in team_member::Entity::find()
            .order_by_asc(team_member::Column::Team)
            .all(&self.db)
            .await?
        {
            teams
                .entry(member.user_name.clone())
                .or_default()
                .push(parse_team(&member.team)?);
        }
        let mut roles: BTreeMap<String, Vec<DomainRoleView>> = BTreeMap::new();
        for held in domain_role::Entity::find()
            .order_by_asc(domain_role::Column::Domain)
            .all(&self.db)
            .await?
        {
            if let Some(user) = held.principal.strip_prefix("user:") {
                let (domain, role) = parse_role(&held)?;
                roles.entry(user.to_owned()).or_default().push(DomainRoleView {
                    domain: domain.to_string(),
                    role,
                });
            }
        }
        user::Entity::find()
            .order_by_asc(user::Column::Name)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| {
                Ok(UserView {
                    name: UserName::parse(&row.name).map_err(|e| CatalogError::Corrupt(format!("user name: {e}")))?,
                    teams: teams.remove(&row.name).unwrap_or_default(),
                    roles: roles.remove(&row.name).unwrap_or_default(),
                    display_name: row.display_name,
                    email: row.email,
                    admin: row.admin,
                    source: row.source,
                })
            })
            .collect()
    }

    /// Creates the domain when it does not exist yet (with its storage prefix) and gives
    /// `principal` the role in it (`domain.created` and `identity.changed` events in the same
    /// transaction).
    pub async fn add_domain_role(
        &self,
        domain: &DomainName,
        storage_prefix: &str,
        principal: &Principal,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let txn = self.begin_write().await?;
        if domain::Entity::find_by_id(domain.to_string())
            .one(&txn)
            .await?
            .is_none()
        {
            domain::ActiveModel {
                name: Set(domain.to_string()),
                storage_prefix: Set(storage_prefix.to_owned()),
                created_at: Set(now),
                max_grant_days: Set(None),
            }
            .insert(&txn)
            .await?;
            let event = crate::DomainEvent {
                kind: crate::kinds::DOMAIN_CREATED.to_owned(),
                product: None,
                payload: serde_json::json!({ "domain": domain.to_string() }),
            };
            crate::feed::append(&txn, now, vec![event]).await?;
        }
        set_role(&txn, &principal.to_string(), domain, role).await?;
        let event = crate::DomainEvent {
            kind: crate::kinds::IDENTITY_CHANGED.to_owned(),
            product: None,
            payload: serde_json::json!({ "principal": principal.to_string() }),
        };
        crate::feed::append(&txn, now, vec![event]).await?;
        txn.commit().await?;
        Ok(())
    }
}

async fn set_role(db: &impl ConnectionTrait, principal: &str, domain: &DomainName, role: Role) -> Result<()> {
    domain_role::Entity::delete_many()
        .filter(domain_role::Column::Principal.eq(principal))
        .filter(domain_role::Column::Domain.eq(domain.as_str()))
        .exec(db)
        .await?;
    domain_role::ActiveModel {
        principal: Set(principal.to_owned()),
        domain: Set(domain.to_string()),
        role: Set(role.as_str().to_owned()),
    }
    .insert(db)
    .await?;
    Ok(())
}

fn parse_team(text: &str) -> Result<TeamName> {
    TeamName::parse(text).map_err(|error| CatalogError::Corrupt(format!("team `{text}`: {error}")))
}

fn parse_role(row: &domain_role::Model) -> Result<(DomainName, Role)> {
    let domain = DomainName::parse(&row.domain)
        .map_err(|error| CatalogError::Corrupt(format!("domain `{}`: {error}", row.domain)))?;
    let role = row
        .role
        .parse::<Role>()
        .map_err(|()| CatalogError::Corrupt(format!("role `{}`", row.role)))?;
    Ok((domain, role))
}
