//! Who callers are, kept: the API tokens, the users with their teams and roles, and the grants
//! each set of principals holds. Authentication and the access filter read them on every
//! request; kept, a request asks the catalog for the feed's head instead of four or five
//! statements. The feed forgets them: `identity.changed` (a user, a team's role), `token.revoked`,
//! `grant.changed`. What depends on the clock is decided at each use by the caller of these:
//! a token's expiry, a grant's expiry.

use std::sync::Arc;

use atrium_catalog::{GrantRecord, TokenRecord, UserRecord};
use atrium_types::UserName;

use crate::{Platform, Result};

impl Platform {
    /// The token of this id, as of the feed's head read by the last [`Platform::forget_changed`]
    /// (call it first, once per request).
    pub(crate) async fn kept_token(&self, id: &str) -> Result<Option<TokenRecord>> {
        match self.kept.find(|kept| kept.tokens.get(id).cloned()) {
            Ok(token) => Ok(Some(token)),
            Err(generation) => {
                let token = self.catalog.token(id).await?;
                if let Some(token) = &token {
                    self.kept.keep(generation, |kept| {
                        kept.tokens.put(id.to_owned(), token.clone());
                    });
                }
                Ok(token)
            }
        }
    }

    /// Records in the kept token that its use was written down now (it is written once a
    /// minute at most, decided from the kept time).
    pub(crate) fn kept_token_touched(&self, id: &str, now: chrono::DateTime<chrono::Utc>) {
        self.kept.keep_anyway(|kept| {
            if let Some(token) = kept.tokens.get_mut(id) {
                token.last_used_at = Some(now);
            }
        });
    }

    /// The user with their teams and roles, as of the feed's head read by the last
    /// [`Platform::forget_changed`] (call it first, once per request).
    pub(crate) async fn kept_user(&self, name: &UserName) -> Result<Option<Arc<UserRecord>>> {
        match self.kept.find(|kept| kept.users.get(name).cloned()) {
            Ok(user) => Ok(Some(user)),
            Err(generation) => {
                let user = self.catalog.user(name).await?.map(Arc::new);
                if let Some(user) = &user {
                    self.kept.keep(generation, |kept| {
                        kept.users.put(name.clone(), user.clone());
                    });
                }
                Ok(user)
            }
        }
    }

    /// The unrevoked grants held by these principals, as of the feed's head (read here).
    pub(crate) async fn kept_grants(&self, principals: Vec<String>) -> Result<Arc<Vec<GrantRecord>>> {
        if principals.is_empty() {
            return Ok(Arc::default());
        }
        self.forget_changed().await?;
        match self.kept.find(|kept| kept.grants.get(&principals).cloned()) {
            Ok(grants) => Ok(grants),
            Err(generation) => {
                let grants = Arc::new(self.catalog.grants_held(&principals).await?);
                let kept = grants.clone();
                self.kept.keep(generation, |cache| {
                    cache.grants.put(principals, kept);
                });
                Ok(grants)
            }
        }
    }
}
