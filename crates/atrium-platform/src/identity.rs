//! Who a request is: sign-in with a local password (argon2id, hashed off the async threads),
//! server-side sessions, API tokens, and the users, teams and domain roles an admin manages.
//! Secrets are made here and only their SHA-256 reaches the catalog; a secret is compared in
//! constant time.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use atrium_catalog::{UserChange, UserRecord};
use atrium_types::{
    AuditOutcome, CreatedToken, DomainName, MeView, Principal, Role, TeamName, TokenView, UserName, UserView,
};
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::access::{Caller, Origin, User};
use crate::{Platform, PlatformError, Result};

/// How much work a password hash costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCost {
    /// argon2id's recommended parameters (19 MiB, 2 passes).
    Standard,
    /// The least argon2 allows: for tests only.
    Cheap,
}

/// How long sessions last.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after sign-in, however active.
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::hours(12),
            absolute: Duration::days(7),
        }
    }
}

/// A session just started: the cookie's value (the secret) and when it ends at the latest.
pub struct NewSession {
    pub secret: String,
    pub expires_at: DateTime<Utc>,
    pub absolute: Duration,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What `atrium user add` sets; `None` leaves a field as it is.
#[derive(Default)]
pub struct UserSettings {
    pub password: Option<String>,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub admin: Option<bool>,
    /// Replaces the user's teams when given.
    pub teams: Option<Vec<TeamName>>,
    /// Replaces the roles the user holds directly when given.
    pub roles: Option<Vec<(DomainName, Role)>>,
}

/// The prefix every API token starts with, so that a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "atr_";

impl Platform {
    /// Checks a local account's password and starts a session. A wrong name and a wrong
    /// password answer alike, after the same work.
    pub async fn sign_in_with_password(&self, name: &str, password: &str, origin: &Origin) -> Result<NewSession> {
        let record = match UserName::parse(name) {
            Ok(name) => self.catalog.user(&name).await?,
            Err(_) => None,
        };
        let stored = record.as_ref().and_then(|user| user.password_hash.clone());
        let cost = self.password_cost;
        let password = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || {
            // Unknown users are checked against a throwaway hash: the answer takes as long.
            let hash = stored.unwrap_or_else(|| hash_password(cost, "not a password").unwrap_or_default());
            hasher(cost).verify_password(password.as_bytes(), hash.as_str()).is_ok()
        })
        .await
        .map_err(|error| PlatformError::Internal(format!("the password check stopped: {error}")))?;
        let signed_in = record.as_ref().filter(|_| matches);
        let mut audit = self.audit_record(
            &Caller::System,
            "sign-in",
            if signed_in.is_some() {
                AuditOutcome::Ok
            } else {
                AuditOutcome::Refused
            },
            None,
        );
        // The name tried, as typed (cut): a failed sign-in has no user to name.
        audit.actor = match signed_in {
            Some(user) => format!("user:{}", user.name),
            None => format!("sign-in:{}", name.chars().take(64).collect::<String>()),
        };
        audit.ip = origin.ip.clone();
        audit.user_agent = origin.user_agent.clone();
        audit.detail.insert("method".to_owned(), "password".to_owned());
        self.append_audit(vec![audit]).await;
        match signed_in {
            Some(user) => self.start_session(&user.name).await,
            None => Err(PlatformError::SignIn),
        }
    }

    /// Starts a session for a user whose identity is established (a password, the identity
    /// provider).
    pub async fn start_session(&self, user: &UserName) -> Result<NewSession> {
        let secret = random_hex(32)?;
        let now = self.clock.now();
        let expires_at = now + self.sessions.absolute;
        self.catalog
            .create_session(&sha256_hex(&secret), user, now, expires_at)
            .await?;
        tracing::info!(user = %user, "signed in");
        Ok(NewSession {
            secret,
            expires_at,
            absolute: self.sessions.absolute,
        })
    }

    /// The caller of a session cookie; `None` when it names no live session.
    pub async fn session_caller(&self, secret: &str) -> Result<Option<Caller>> {
        let Some(session) = self
            .catalog
            .live_session(&sha256_hex(secret), self.clock.now(), self.sessions.idle)
            .await?
        else {
            return Ok(None);
        };
        self.forget_changed().await?;
        Ok(self
            .kept_user(&session.user)
            .await?
            .map(|user| caller_of(UserRecord::clone(&user))))
    }

    pub async fn end_session(&self, secret: &str) -> Result<()> {
        Ok(self.catalog.delete_session(&sha256_hex(secret)).await?)
    }

    /// The caller of a bearer token (`atr_<id>_<secret>`): the token's user; `None` when the
    /// token is unknown, wrong or expired.
    pub async fn token_caller(&self, bearer: &str) -> Result<Option<Caller>> {
        let Some((id, secret)) = bearer.strip_prefix(TOKEN_PREFIX).and_then(|rest| rest.split_once('_')) else {
            return Ok(None);
        };
        let token_id = format!("{TOKEN_PREFIX}{id}");
        self.forget_changed().await?;
        let Some(token) = self.kept_token(&token_id).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        let same: bool = sha256_hex(secret).as_bytes().ct_eq(token.secret_hash.as_bytes()).into();
        if !same || token.expires_at.is_some_and(|expiry| expiry <= now) {
            return Ok(None);
        }
        if token.touch_due(now) {
            self.catalog.touch_token(&token_id, now).await?;
            self.kept_token_touched(&token_id, now);
        }
        Ok(self
            .kept_user(&token.user)
            .await?
            .map(|user| caller_of(UserRecord::clone(&user))))
    }

    /// Creates an API token for `user` (the caller's own, or anyone's for an admin); the secret
    /// is in the answer only.
    pub async fn create_token(
        &self,
        caller: &Caller,
        user: &UserName,
        name: &str,
        expires_in: Option<Duration>,
    ) -> Result<CreatedToken> {
        self.guard_self_or_admin(caller, user)?;
        if self.catalog.user(user).await?.is_none() {
            return Err(PlatformError::NoSuchUser(user.to_string()));
        }
        let id = format!("{TOKEN_PREFIX}{}", random_hex(6)?);
        let secret = random_hex(32)?;
        let now = self.clock.now();
        let token = self
            .catalog
            .create_token(&id, user, name, &sha256_hex(&secret), now, expires_in.map(|d| now + d))
            .await?;
        tracing::info!(user = %user, token = %id, "API token created");
        let mut audit = self.audit_record(caller, "token.create", AuditOutcome::Ok, None);
        audit.detail.insert("token".to_owned(), id.clone());
        audit.detail.insert("user".to_owned(), user.to_string());
        self.append_audit(vec![audit]).await;
        Ok(CreatedToken {
            secret: format!("{id}_{secret}"),
            token,
        })
    }

    /// The caller's own tokens; every token for an admin or the operator when `everyone`.
    pub async fn tokens(&self, caller: &Caller, everyone: bool) -> Result<Vec<TokenView>> {
        if everyone {
            self.guard_platform(caller)?;
            return Ok(self.catalog.tokens(None).await?);
        }
        match caller {
            Caller::User(user) => Ok(self.catalog.tokens(Some(&user.name)).await?),
            Caller::Operator | Caller::System => Ok(self.catalog.tokens(None).await?),
        }
    }

    /// Revokes one of the caller's tokens (or anyone's, for an admin); it stops working at once.
    pub async fn revoke_token(&self, caller: &Caller, id: &str) -> Result<TokenView> {
        let Some(token) = self.catalog.tokens(None).await?.into_iter().find(|t| t.id == id) else {
            return Err(PlatformError::NoSuchToken(id.to_owned()));
        };
        if self.guard_self_or_admin(caller, &token.user).is_err() {
            return Err(PlatformError::NoSuchToken(id.to_owned()));
        }
        self.catalog.revoke_token(id, self.clock.now()).await?;
        tracing::info!(token = %id, "API token revoked");
        let mut audit = self.audit_record(caller, "token.revoke", AuditOutcome::Ok, None);
        audit.detail.insert("token".to_owned(), id.to_owned());
        audit.detail.insert("user".to_owned(), token.user.to_string());
        self.append_audit(vec![audit]).await;
        Ok(token)
    }

    /// Creates or changes a user (admins only); returns whether it was created.
    pub async fn upsert_user(&self, caller: &Caller, name: &UserName, settings: UserSettings) -> Result<bool> {
        self.guard_platform(caller)?;
        let password_hash = match settings.password {
            Some(password) => {
                let cost = self.password_cost;
                Some(
                    tokio::task::spawn_blocking(move || hash_password(cost, &password))
                        .await
                        .map_err(|error| PlatformError::Internal(format!("the password hash stopped: {error}")))??,
                )
            }
            None => None,
        };
        let mut audit = self.audit_record(caller, "user.change", AuditOutcome::Ok, None);
        audit.detail.insert("user".to_owned(), name.to_string());
        if let Some(admin) = settings.admin {
            audit.detail.insert("admin".to_owned(), admin.to_string());
        }
        if let Some(teams) = &settings.teams {
            audit.detail.insert(
                "teams".to_owned(),
                teams.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "),
            );
        }
        if let Some(roles) = &settings.roles {
            audit.detail.insert(
                "roles".to_owned(),
                roles
                    .iter()
                    .map(|(domain, role)| format!("{domain}:{role}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        if password_hash.is_some() {
            audit.detail.insert("password".to_owned(), "set".to_owned());
        }
        let change = UserChange {
            display_name: settings.display_name,
            email: settings.email.map(Some),
            password_hash,
            admin: settings.admin,
            source: None,
            teams: settings.teams,
            roles: settings.roles,
        };
        let created = self.catalog.upsert_user(name, change, self.clock.now()).await?;
        audit.action = if created { "user.create" } else { "user.change" }.to_owned();
        self.append_audit(vec![audit]).await;
        Ok(created)
    }

    /// Every user (admins only).
    pub async fn users(&self, caller: &Caller) -> Result<Vec<UserView>> {
        self.guard_platform(caller)?;
        Ok(self.catalog.users().await?)
    }

    /// Creates a domain owned by a team (admins only); gives the team the owner role when the
    /// domain exists.
    pub async fn add_domain(&self, caller: &Caller, domain: &DomainName, owner: &TeamName) -> Result<()> {
        self.guard_platform(caller)?;
        self.engine.root().provision_domain(domain)?;
        let prefix = atrium_engine::location::domain_key(domain);
        self.catalog
            .add_domain_role(
                domain,
                &prefix,
                &Principal::Team(owner.clone()),
                Role::Owner,
                self.clock.now(),
            )
            .await?;
        let mut audit = self.audit_record(caller, "role.grant", AuditOutcome::Ok, None);
        audit.domain = Some(domain.to_string());
        audit
            .detail
            .insert("principal".to_owned(), Principal::Team(owner.clone()).to_string());
        audit.detail.insert("role".to_owned(), Role::Owner.to_string());
        self.append_audit(vec![audit]).await;
        Ok(())
    }

    /// The caller a user is, for the operator acting on their behalf on the data directory
    /// (seeding the demo). Nobody else may.
    pub async fn act_as(&self, caller: &Caller, name: &UserName) -> Result<Caller> {
        if !matches!(caller, Caller::Operator) {
            return Err(crate::Refusal::NotTheirs("only the operator acts as another user").into());
        }
        let record = self
            .catalog
            .user(name)
            .await?
            .ok_or_else(|| PlatformError::NoSuchUser(name.to_string()))?;
        Ok(caller_of(record))
    }

    /// The caller as `GET /api/v1/me` shows it.
    pub fn me(&self, caller: &Caller) -> Result<MeView> {
        match caller {
            Caller::User(user) => Ok(user.me()),
            Caller::Operator | Caller::System => Err(PlatformError::NotAUser),
        }
    }

    fn guard_self_or_admin(&self, caller: &Caller, user: &UserName) -> Result<()> {
        match caller {
            Caller::User(me) if &me.name == user => Ok(()),
            _ => self.guard_platform(caller),
        }
    }
}

/// The caller a stored user signs in as.
pub(crate) fn caller_of(record: UserRecord) -> Caller {
    Caller::user(User {
        name: record.name,
        display_name: record.display_name,
        email: record.email,
        admin: record.admin,
        teams: record.teams.into_iter().collect(),
        roles: record.roles,
        origin: crate::access::Origin::default(),
    })
}

fn hasher(cost: PasswordCost) -> Argon2<'static> {
    match cost {
        PasswordCost::Standard => Argon2::default(),
        PasswordCost::Cheap => {
            let params = Params::new(Params::MIN_M_COST, 1, 1, None).unwrap_or_default();
            Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        }
    }
}

fn hash_password(cost: PasswordCost, password: &str) -> Result<String> {
    hasher(cost)
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|error| PlatformError::Internal(format!("cannot hash the password: {error}")))
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(|error| PlatformError::Internal(format!("no randomness: {error}")))?;
    Ok(hex(&buffer))
}

fn sha256_hex(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_against_their_hash_only() {
        let hash = hash_password(PasswordCost::Cheap, "correct horse").expect("hashes");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(
            hasher(PasswordCost::Cheap)
                .verify_password(b"correct horse", hash.as_str())
                .is_ok()
        );
        assert!(
            hasher(PasswordCost::Cheap)
                .verify_password(b"wrong", hash.as_str())
                .is_err()
        );
    }
}
