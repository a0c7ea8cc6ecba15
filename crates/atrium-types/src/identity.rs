//! Who is who: user and team names, principals (who a grant or a role is given to), and the views
//! of the signed-in caller, their API tokens and the grants.
//!
//! Times are RFC 3339 strings in UTC, as in the catalog views.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::string_name;
use crate::{ProductId, Role};

/// Why a string is not a user or team name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandleError {
    #[error("must not be empty")]
    Empty,
    #[error("is longer than 64 characters")]
    TooLong,
    #[error("may hold only lower-case letters, digits, `.`, `_`, `-` and `@`, found `{0}`")]
    BadChar(char),
    #[error("must have the form `user:NAME` or `team:NAME`")]
    NotAPrincipal,
}

fn check_handle(candidate: &str) -> Result<(), HandleError> {
    if candidate.is_empty() {
        return Err(HandleError::Empty);
    }
    if candidate.len() > 64 {
        return Err(HandleError::TooLong);
    }
    match candidate
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '@')))
    {
        Some(bad) => Err(HandleError::BadChar(bad)),
        None => Ok(()),
    }
}

string_name!(
    /// A user's sign-in name, e.g. `alice` or `alice@example.com`.
    UserName,
    check_handle,
    HandleError
);
string_name!(
    /// A team (a group of users), e.g. `team-sales`; a product's `owner` names one (or a user).
    TeamName,
    check_handle,
    HandleError
);

/// Who a grant or a role is given to: `user:NAME` or `team:NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Principal {
    User(UserName),
    Team(TeamName),
}

impl Principal {
    pub fn parse(candidate: &str) -> Result<Self, HandleError> {
        match candidate.split_once(':') {
            Some(("user", name)) => Ok(Principal::User(UserName::parse(name)?)),
            Some(("team", name)) => Ok(Principal::Team(TeamName::parse(name)?)),
            _ => Err(HandleError::NotAPrincipal),
        }
    }
}

impl FromStr for Principal {
    type Err = HandleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::User(name) => write!(f, "user:{name}"),
            Principal::Team(name) => write!(f, "team:{name}"),
        }
    }
}

impl Serialize for Principal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Principal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// How one signs in on this installation, for the sign-in page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInMethods {
    /// The identity provider's label, when one is configured.
    pub provider: Option<String>,
    /// In a demo data directory, where the demo logins are.
    pub demo_hint: Option<String>,
}

/// A role held in a domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainRoleView {
    pub domain: String,
    pub role: Role,
}

/// The signed-in caller (`GET /api/v1/me`, the portal's header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeView {
    pub user: UserName,
    pub display_name: String,
    pub email: Option<String>,
    pub admin: bool,
    pub teams: Vec<TeamName>,
    /// The roles the user holds, directly or through a team, the highest per domain.
    pub roles: Vec<DomainRoleView>,
}

/// A user as `atrium user list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub name: UserName,
    pub display_name: String,
    pub email: Option<String>,
    pub admin: bool,
    /// `local` (a password) or `oidc` (signed in through the identity provider).
    pub source: String,
    pub teams: Vec<TeamName>,
    /// The roles held by the user directly (not through a team).
    pub roles: Vec<DomainRoleView>,
}

/// An API token, without its secret (shown once, at creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    /// The public part of the token, e.g. `atr_3f9c21d0a7b4`: what the list shows and revoke takes.
    pub id: String,
    pub user: UserName,
    pub name: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
}

/// A token just created: its view and the secret, shown this once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub token: TokenView,
    pub secret: String,
}

/// Without the secret: a `Debug` print must not leak it into a log.
impl fmt::Debug for CreatedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedToken")
            .field("token", &self.token)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// A grant: `principal` may read `product` (or only its `output`) until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantView {
    pub id: i64,
    pub product: ProductId,
    pub output: Option<String>,
    pub principal: Principal,
    pub expires_at: Option<String>,
    pub granted_by: String,
    pub created_at: String,
    /// Whether it still works at the time of the answer.
    pub status: crate::GrantStatus,
    /// The access request it was given for, if any.
    pub request_id: Option<i64>,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
}

/// What `POST /api/v1/grants` takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRequest {
    pub product: ProductId,
    #[serde(default)]
    pub output: Option<String>,
    pub principal: Principal,
    /// RFC 3339; absent: no expiry.
    #[serde(default)]
    pub expires_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_round_trip() {
        for text in ["user:alice", "team:team-sales", "user:a.b@example.com"] {
            let principal = Principal::parse(text).expect(text);
            assert_eq!(principal.to_string(), text);
            let json = serde_json::to_string(&principal).expect("serializes");
            assert_eq!(serde_json::from_str::<Principal>(&json).expect("parses"), principal);
        }
        assert_eq!(Principal::parse("alice"), Err(HandleError::NotAPrincipal));
        assert_eq!(Principal::parse("group:x"), Err(HandleError::NotAPrincipal));
        assert_eq!(Principal::parse("user:"), Err(HandleError::Empty));
        assert_eq!(UserName::parse("Alice"), Err(HandleError::BadChar('A')));
        assert_eq!(TeamName::parse("a b"), Err(HandleError::BadChar(' ')));
    }
}
