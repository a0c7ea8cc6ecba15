//! Sign-in through an identity provider (OpenID Connect): the attempts under way, and what a
//! provider's verified claims make of a user — their name, teams and roles, by the operator's
//! group table. The protocol itself (discovery, the code exchange, ID-token checks) is the
//! server's; this module gets claims that were already verified.

use std::collections::BTreeMap;

use atrium_catalog::{SignInAttempt, UserChange};
use atrium_types::{DomainName, Role, TeamName, UserName};
use sha2::{Digest, Sha256};

use crate::access::Caller;
use crate::identity::NewSession;
use crate::{Platform, PlatformError, Result};

/// How long a sign-in at the provider may take.
const ATTEMPT_LIFETIME: chrono::Duration = chrono::Duration::minutes(10);

/// The verified claims of an ID token that make a user.
#[derive(Debug, Clone, Default)]
pub struct ExternalClaims {
    pub subject: String,
    pub preferred_username: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub groups: Vec<String>,
}

/// What each group gives beyond the team of its own name: `team:NAME`, `DOMAIN:ROLE`, `admin`.
pub type GroupTable = BTreeMap<String, Vec<String>>;

/// A user as the provider's claims and the group table make them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalUser {
    pub name: UserName,
    pub display_name: String,
    pub email: Option<String>,
    pub admin: bool,
    pub teams: Vec<TeamName>,
    pub roles: Vec<(DomainName, Role)>,
}

/// Maps verified claims to a user. The name is the preferred username, else the email, else the
/// subject, lower-cased, with what a name may not hold replaced by `-`. Every group whose name is
/// a team name is that team; the table adds teams, roles and admin.
pub fn external_user(claims: &ExternalClaims, table: &GroupTable) -> Result<ExternalUser> {
    let raw = claims
        .preferred_username
        .as_deref()
        .or(claims.email.as_deref())
        .unwrap_or(&claims.subject);
    let cleaned: String = raw
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '@') {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    let name = UserName::parse(&cleaned).map_err(|error| {
        PlatformError::BadRequest(format!("the provider's user `{raw}` gives no user name: it {error}"))
    })?;
    let mut teams: Vec<TeamName> = Vec::new();
    let mut roles: Vec<(DomainName, Role)> = Vec::new();
    let mut admin = false;
    for group in &claims.groups {
        if let Ok(team) = TeamName::parse(group) {
            teams.push(team);
        }
        for given in table.get(group).into_iter().flatten() {
            match given.split_once(':') {
                None if given == "admin" => admin = true,
                Some(("team", team)) => match TeamName::parse(team) {
                    Ok(team) => teams.push(team),
                    Err(error) => tracing::warn!(group, given, %error, "a group gives an invalid team"),
                },
                Some((domain, role)) => match (DomainName::parse(domain), role.parse::<Role>()) {
                    (Ok(domain), Ok(role)) => roles.push((domain, role)),
                    _ => tracing::warn!(group, given, "a group gives an invalid role"),
                },
                None => tracing::warn!(group, given, "a group gives something unknown"),
            }
        }
    }
    teams.sort();
    teams.dedup();
    roles.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.includes(a.1).cmp(&a.1.includes(b.1))));
    roles.dedup_by(|later, earlier| later.0 == earlier.0);
    Ok(ExternalUser {
        display_name: claims.name.clone().unwrap_or_else(|| name.to_string()),
        name,
        email: claims.email.clone(),
        admin,
        teams,
        roles,
    })
}

impl Platform {
    /// Records a sign-in sent to the provider, under the SHA-256 of its `state`.
    pub async fn begin_external_sign_in(
        &self,
        state: &str,
        pkce_verifier: &str,
        nonce: &str,
        next: &str,
    ) -> Result<()> {
        let attempt = SignInAttempt {
            pkce_verifier: pkce_verifier.to_owned(),
            nonce: nonce.to_owned(),
            next_path: next.to_owned(),
        };
        Ok(self
            .catalog
            .create_sign_in_attempt(&state_hash(state), attempt, self.clock.now())
            .await?)
    }

    /// The attempt the provider's answer names, once; a state seen before, unknown or too old
    /// is refused.
    pub async fn take_external_sign_in(&self, state: &str) -> Result<SignInAttempt> {
        self.catalog
            .take_sign_in_attempt(&state_hash(state), self.clock.now(), ATTEMPT_LIFETIME)
            .await?
            .ok_or_else(|| {
                PlatformError::BadRequest("this sign-in is unknown, used or expired; sign in again".to_owned())
            })
    }

    /// Creates or updates the provider's user (its teams and roles as the provider says now) and
    /// starts a session.
    pub async fn sign_in_external(&self, user: ExternalUser) -> Result<NewSession> {
        let change = UserChange {
            display_name: Some(user.display_name),
            email: Some(user.email),
            password_hash: None,
            admin: Some(user.admin),
            source: Some("oidc"),
            teams: Some(user.teams),
            roles: Some(user.roles),
        };
        self.catalog.upsert_user(&user.name, change, self.clock.now()).await?;
        let mut audit = self.audit_record(&Caller::System, "sign-in", atrium_types::AuditOutcome::Ok, None);
        audit.actor = format!("user:{}", user.name);
        audit.detail.insert("method".to_owned(), "oidc".to_owned());
        self.append_audit(vec![audit]).await;
        self.start_session(&user.name).await
    }
}

fn state_hash(state: &str) -> String {
    Sha256::digest(state.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(username: Option<&str>, groups: &[&str]) -> ExternalClaims {
        ExternalClaims {
            subject: "a1b2-C3".to_owned(),
            preferred_username: username.map(str::to_owned),
            email: Some("Ivy.Lee@Example.com".to_owned()),
            name: Some("Ivy Lee".to_owned()),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        }
    }

    #[test]
    fn claims_and_groups_make_a_user() {
        let table: GroupTable = [
            (
                "sales-analysts".to_owned(),
                vec!["team:team-sales".to_owned(), "sales:reader".to_owned()],
            ),
            ("leads".to_owned(), vec!["sales:owner".to_owned()]),
            ("platform".to_owned(), vec!["admin".to_owned()]),
        ]
        .into();
        let user = external_user(
            &claims(Some("Ivy"), &["team-crm", "sales-analysts", "leads", "Has Space"]),
            &table,
        )
        .expect("a user");
        assert_eq!(user.name.as_str(), "ivy");
        assert_eq!(user.display_name, "Ivy Lee");
        let teams: Vec<&str> = user.teams.iter().map(TeamName::as_str).collect();
        assert_eq!(teams, ["leads", "sales-analysts", "team-crm", "team-sales"]);
        assert_eq!(user.roles.len(), 1, "{:?}", user.roles);
        assert_eq!(user.roles[0].1, Role::Owner, "the highest role of a domain");
        assert!(!user.admin);
        assert!(
            external_user(&claims(None, &["platform"]), &table)
                .expect("a user")
                .admin
        );
        let by_email = external_user(&claims(None, &[]), &table).expect("a user");
        assert_eq!(by_email.name.as_str(), "ivy.lee@example.com");
        let by_subject = external_user(
            &ExternalClaims {
                email: None,
                ..claims(None, &[])
            },
            &table,
        )
        .expect("a user");
        assert_eq!(by_subject.name.as_str(), "a1b2-c3");
    }
}
