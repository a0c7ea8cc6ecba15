//! Sign-in through an OpenID Connect provider: the authorization code flow with PKCE, the
//! provider's metadata discovered on first use and discovered again (with its signing keys) when
//! an ID token names a key it does not have, so that a provider that rotates its keys never
//! breaks sign-in. The HTTP client follows no redirects. The verified claims go to the platform,
//! which makes the user.

use atrium_platform::{ExternalClaims, GroupTable, NewSession, Platform, external_user};
use atrium_types::error_chain;
use openidconnect::core::{CoreClient, CoreIdTokenClaims, CoreProviderMetadata, CoreResponseType};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use secrecy::ExposeSecret;
use tokio::sync::RwLock;

use crate::config::OidcConfig;

/// Why a sign-in through the provider failed, in words for the sign-in page and the log.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the identity provider's address is not valid: {0}")]
    Config(String),
    #[error("the identity provider could not be reached: {0}")]
    Discovery(String),
    #[error("the identity provider refused the sign-in: {0}")]
    Exchange(String),
    #[error("the identity provider's answer does not check out: {0}")]
    Verification(String),
    #[error(transparent)]
    Platform(#[from] atrium_platform::PlatformError),
}

/// The provider of an installation.
pub struct OidcProvider {
    config: OidcConfig,
    http: openidconnect::reqwest::Client,
    metadata: RwLock<Option<CoreProviderMetadata>>,
}

impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProvider")
            .field("issuer", &self.config.issuer)
            .finish_non_exhaustive()
    }
}

impl OidcProvider {
    pub fn new(config: OidcConfig) -> Result<Self, OidcError> {
        let http = openidconnect::reqwest::ClientBuilder::new()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|error| OidcError::Config(error.to_string()))?;
        Ok(Self {
            config,
            http,
            metadata: RwLock::new(None),
        })
    }

    /// What the sign-in button says.
    pub fn label(&self) -> &str {
        &self.config.label
    }

    /// The provider's metadata and keys: the ones read before, or read now (`refresh`, or none yet).
    async fn metadata(&self, refresh: bool) -> Result<CoreProviderMetadata, OidcError> {
        if !refresh && let Some(metadata) = self.metadata.read().await.as_ref() {
            return Ok(metadata.clone());
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone()).map_err(|e| OidcError::Config(e.to_string()))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|error| OidcError::Discovery(error_chain(&error)))?;
        *self.metadata.write().await = Some(metadata.clone());
        tracing::info!(issuer = %self.config.issuer, refresh, "identity provider discovered");
        Ok(metadata)
    }

    fn client(
        &self,
        metadata: CoreProviderMetadata,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        OidcError,
    > {
        let redirect =
            RedirectUrl::new(self.config.redirect_url.clone()).map_err(|e| OidcError::Config(e.to_string()))?;
        let secret = self
            .config
            .client_secret
            .as_ref()
            .map(|secret| ClientSecret::new(secret.expose_secret().to_owned()));
        Ok(
            CoreClient::from_provider_metadata(metadata, ClientId::new(self.config.client_id.clone()), secret)
                .set_redirect_uri(redirect),
        )
    }

    /// Where to send the browser to sign in; the attempt is recorded so that the answer can be
    /// checked (state, PKCE verifier, nonce), on whichever replica it arrives.
    pub async fn start(&self, platform: &Platform, next: &str) -> Result<url::Url, OidcError> {
        let client = self.client(self.metadata(false).await?)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in self.config.scopes.iter().filter(|scope| *scope != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        platform
            .begin_external_sign_in(state.secret(), verifier.secret(), nonce.secret(), next)
            .await?;
        Ok(url)
    }

    /// Finishes a sign-in: the code exchanged (with the PKCE verifier), the ID token checked
    /// (signature, issuer, audience, expiry, nonce), the user made, a session started. Returns
    /// the session and where the user wanted to go.
    pub async fn finish(
        &self,
        platform: &Platform,
        code: &str,
        state: &str,
    ) -> Result<(NewSession, String), OidcError> {
        let attempt = platform.take_external_sign_in(state).await?;
        let client = self.client(self.metadata(false).await?)?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|error| OidcError::Config(error.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(attempt.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|error| OidcError::Exchange(error_chain(&error)))?;
        let id_token = response
            .id_token()
            .ok_or_else(|| OidcError::Verification("the answer holds no ID token".to_owned()))?;
        let nonce = Nonce::new(attempt.nonce.clone());
        let claims: CoreIdTokenClaims = match id_token.claims(&client.id_token_verifier(), &nonce) {
            Ok(claims) => claims.clone(),
            // A key the provider did not have when it was read: it rotated its keys.
            Err(ClaimsVerificationError::SignatureVerification(_)) => {
                let refreshed = self.client(self.metadata(true).await?)?;
                id_token
                    .claims(&refreshed.id_token_verifier(), &nonce)
                    .map_err(|error| OidcError::Verification(error_chain(&error)))?
                    .clone()
            }
            Err(error) => return Err(OidcError::Verification(error_chain(&error))),
        };
        let external = ExternalClaims {
            subject: claims.subject().to_string(),
            preferred_username: claims.preferred_username().map(|name| name.to_string()),
            email: claims.email().map(|email| email.to_string()),
            name: claims
                .name()
                .and_then(|name| name.get(None))
                .map(|name| name.to_string()),
            groups: groups_of(&id_token.to_string(), &self.config.groups_claim),
        };
        let table: GroupTable = self.config.groups.clone();
        let user = external_user(&external, &table)?;
        tracing::info!(user = %user.name, teams = user.teams.len(), "signed in through the identity provider");
        let session = platform.sign_in_external(user).await?;
        Ok((session, attempt.next_path))
    }
}

/// The groups claim of a verified ID token (its payload, the JWT's middle part).
fn groups_of(jwt: &str, claim: &str) -> Vec<String> {
    use base64::Engine;
    let Some(payload) = jwt.split('.').nth(1) else {
        return Vec::new();
    };
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload) else {
        return Vec::new();
    };
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Vec::new();
    };
    match &json[claim] {
        serde_json::Value::Array(items) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .collect(),
        serde_json::Value::String(one) => vec![one.clone()],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_come_from_the_configured_claim() {
        use base64::Engine;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"sub":"ivy","groups":["team-crm","analysts"],"roles":"one"}"#);
        let jwt = format!("header.{payload}.signature");
        assert_eq!(groups_of(&jwt, "groups"), ["team-crm", "analysts"]);
        assert_eq!(groups_of(&jwt, "roles"), ["one"]);
        assert!(groups_of(&jwt, "missing").is_empty());
        assert!(groups_of("not a jwt", "groups").is_empty());
    }
}
