//! Sessions and API tokens: how a request proves who it is. Only hashes of the secrets are
//! stored; the platform makes the secrets and compares them.

use atrium_types::{TokenView, UserName};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::entity::{api_token, session, sign_in_attempt};
use crate::time::rfc3339;
use crate::{Catalog, CatalogError, Result};

/// A live session's user.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub user: UserName,
    pub last_seen_at: DateTime<Utc>,
}

/// A token as the check of a bearer needs it.
#[derive(Clone)]
pub struct TokenRecord {
    pub user: UserName,
    pub secret_hash: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl TokenRecord {
    /// Whether its last use is worth recording now: once a minute at most, so that a token in
    /// steady use costs no write per request.
    pub fn touch_due(&self, now: DateTime<Utc>) -> bool {
        self.last_used_at.is_none_or(|last| now - last >= Duration::minutes(1))
    }
}

impl std::fmt::Debug for TokenRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRecord")
            .field("user", &self.user)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A sign-in through the identity provider under way.
#[derive(Clone)]
pub struct SignInAttempt {
    pub pkce_verifier: String,
    pub nonce: String,
    pub next_path: String,
}

impl std::fmt::Debug for SignInAttempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInAttempt")
            .field("next_path", &self.next_path)
            .finish_non_exhaustive()
    }
}

impl Catalog {
    pub async fn create_sign_in_attempt(
        &self,
        state_hash: &str,
        attempt: SignInAttempt,
        now: DateTime<Utc>,
    ) -> Result<()> {
        // Attempts never finished (the user went away) are cleared as new ones come.
        sign_in_attempt::Entity::delete_many()
            .filter(sign_in_attempt::Column::CreatedAt.lt(now - Duration::hours(1)))
            .exec(&self.db)
            .await?;
        sign_in_attempt::ActiveModel {
            state_hash: Set(state_hash.to_owned()),
            pkce_verifier: Set(attempt.pkce_verifier),
            nonce: Set(attempt.nonce),
            next_path: Set(attempt.next_path),
            created_at: Set(now),
        }
        .insert(&self.db)
        .await?;
        Ok(())
    }

    /// The attempt of that state, once: it is deleted as it is read. `None` when unknown or
    /// older than `max_age`.
    pub async fn take_sign_in_attempt(
        &self,
        state_hash: &str,
        now: DateTime<Utc>,
        max_age: Duration,
    ) -> Result<Option<SignInAttempt>> {
        let Some(row) = sign_in_attempt::Entity::find_by_id(state_hash.to_owned())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let deleted = sign_in_attempt::Entity::delete_by_id(state_hash.to_owned())
            .exec(&self.db)
            .await?;
        if deleted.rows_affected == 0 || row.created_at + max_age <= now {
            return Ok(None);
        }
        Ok(Some(SignInAttempt {
            pkce_verifier: row.pkce_verifier,
            nonce: row.nonce,
            next_path: row.next_path,
        }))
    }

    pub async fn create_session(
        &self,
        id_hash: &str,
        user: &UserName,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        session::ActiveModel {
            id_hash: Set(id_hash.to_owned()),
            user_name: Set(user.to_string()),
            created_at: Set(now),
            last_seen_at: Set(now),
            expires_at: Set(expires_at),
        }
        .insert(&self.db)
        .await?;
        Ok(())
    }

    /// The session's user when it is neither past its absolute expiry nor idle longer than
    /// `idle`; an ended session is deleted. Its last-seen time moves on at most once a minute.
    pub async fn live_session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
        idle: Duration,
    ) -> Result<Option<SessionRecord>> {
        let Some(row) = session::Entity::find_by_id(id_hash.to_owned()).one(&self.db).await? else {
            return Ok(None);
        };
        if row.expires_at <= now || row.last_seen_at + idle <= now {
            session::Entity::delete_by_id(id_hash.to_owned()).exec(&self.db).await?;
            return Ok(None);
        }
        let user = UserName::parse(&row.user_name).map_err(|e| CatalogError::Corrupt(format!("session user: {e}")))?;
        let last_seen_at = row.last_seen_at;
        if now - last_seen_at > Duration::minutes(1) {
            let mut active: session::ActiveModel = row.into();
            active.last_seen_at = Set(now);
            active.update(&self.db).await?;
        }
        Ok(Some(SessionRecord { user, last_seen_at }))
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        session::Entity::delete_by_id(id_hash.to_owned()).exec(&self.db).await?;
        Ok(())
    }

    pub async fn create_token(
        &self,
        id: &str,
        user: &UserName,
        name: &str,
        secret_hash: &str,
        now: DateTime<Utc>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<TokenView> {
        let row = api_token::ActiveModel {
            id: Set(id.to_owned()),
            user_name: Set(user.to_string()),
            name: Set(name.to_owned()),
            secret_hash: Set(secret_hash.to_owned()),
            created_at: Set(now),
            expires_at: Set(expires_at),
            last_used_at: Set(None),
        }
        .insert(&self.db)
        .await?;
        token_view(row)
    }

    pub async fn token(&self, id: &str) -> Result<Option<TokenRecord>> {
        let Some(row) = api_token::Entity::find_by_id(id.to_owned()).one(&self.db).await? else {
            return Ok(None);
        };
        Ok(Some(TokenRecord {
            user: UserName::parse(&row.user_name).map_err(|e| CatalogError::Corrupt(format!("token user: {e}")))?,
            secret_hash: row.secret_hash,
            expires_at: row.expires_at,
            last_used_at: row.last_used_at,
        }))
    }

    /// Records that the token was used now; at most once a minute.
    pub async fn touch_token(&self, id: &str, now: DateTime<Utc>) -> Result<()> {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, sea_orm::sea_query::Expr::value(now))
            .filter(api_token::Column::Id.eq(id))
            .filter(
                sea_orm::Condition::any()
                    .add(api_token::Column::LastUsedAt.is_null())
                    .add(api_token::Column::LastUsedAt.lt(now - Duration::minutes(1))),
            )
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The tokens of one user, or of everyone; newest first.
    pub async fn tokens(&self, user: Option<&UserName>) -> Result<Vec<TokenView>> {
        let mut query = api_token::Entity::find().order_by_desc(api_token::Column::CreatedAt);
        if let Some(user) = user {
            query = query.filter(api_token::Column::UserName.eq(user.as_str()));
        }
        query.all(&self.db).await?.into_iter().map(token_view).collect()
    }

    /// Deletes the token, with a `token.revoked` event in the same transaction (so that every
    /// replica stops taking it at once); `None` when there was none of that id.
    pub async fn revoke_token(&self, id: &str, now: DateTime<Utc>) -> Result<Option<TokenView>> {
        let txn = self.begin_write().await?;
        let Some(row) = api_token::Entity::find_by_id(id.to_owned()).one(&txn).await? else {
            return Ok(None);
        };
        api_token::Entity::delete_by_id(id.to_owned()).exec(&txn).await?;
        let event = crate::DomainEvent {
            kind: crate::kinds::TOKEN_REVOKED.to_owned(),
            product: None,
            payload: serde_json::json!({ "token": id }),
        };
        crate::feed::append(&txn, now, vec![event]).await?;
        txn.commit().await?;
        Ok(Some(token_view(row)?))
    }
}

fn token_view(row: api_token::Model) -> Result<TokenView> {
    Ok(TokenView {
        user: UserName::parse(&row.user_name).map_err(|e| CatalogError::Corrupt(format!("token user: {e}")))?,
        id: row.id,
        name: row.name,
        created_at: rfc3339(&row.created_at),
        expires_at: row.expires_at.as_ref().map(rfc3339),
        last_used_at: row.last_used_at.as_ref().map(rfc3339),
    })
}
