//! Who calls, for every request: a bearer token (`Authorization: Bearer atr_…`) or the session
//! cookie becomes the request's [`Caller`]; a state-changing request without a bearer token must
//! come from the portal's own origin (CSRF); an anonymous request is sent to sign-in (pages) or
//! answered 401 (API and server functions), except for the few public paths.
//! Also the sign-in and sign-out endpoints of local accounts.

use atrium_platform::{Caller, Origin};
use atrium_types::ErrorCode;
use axum::Form;
use axum::extract::{FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{AppState, HttpError};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "atrium_session";

/// Paths anyone may reach: liveness, sign-in, the built site's files, the API's description.
/// The header's and the sign-in page's server functions answer anonymous callers too.
fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/healthz" | "/login" | "/favicon.svg" | "/api/v1/openapi.yaml" | "/portal/me" | "/portal/sign-in"
    ) || path.starts_with("/auth/")
        || path.starts_with("/pkg/")
}

/// The middleware: resolves the caller, guards against cross-site requests, turns anonymous
/// callers away from everything but the public paths.
pub async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let headers = request.headers();
    let bearer = bearer_of(headers).map(str::to_owned);
    if is_state_changing(request.method()) && bearer.is_none() && !same_origin(headers) {
        return HttpError::new(
            ErrorCode::Forbidden,
            "a cross-site request is refused: send it from the portal, or with a bearer token",
        )
        .into_response();
    }
    let path = request.uri().path().to_owned();
    let caller = match (&bearer, session_of(headers)) {
        (Some(token), _) => match state.platform.token_caller(token).await {
            Ok(Some(caller)) => Some(caller),
            // A public path answers whatever credentials come with the request.
            Ok(None) if is_public(&path) => None,
            Ok(None) => {
                return HttpError::new(
                    ErrorCode::Unauthenticated,
                    "the bearer token is unknown, revoked or expired",
                )
                .into_response();
            }
            Err(error) => return HttpError::from(error).into_response(),
        },
        (None, Some(secret)) => match state.platform.session_caller(&secret).await {
            Ok(caller) => caller,
            Err(error) => return HttpError::from(error).into_response(),
        },
        (None, None) => None,
    };
    match caller {
        Some(caller) => {
            let caller = caller.from_origin(origin_of(&request));
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        None if is_public(&path) => next.run(request).await,
        None if path.starts_with("/api/") || path.starts_with("/portal/") => HttpError::new(
            ErrorCode::Unauthenticated,
            "sign in first: send a bearer token or a session cookie",
        )
        .into_response(),
        None => {
            let wanted = request
                .uri()
                .path_and_query()
                .map_or_else(|| path.clone(), |pq| pq.as_str().to_owned());
            Redirect::to(&format!("/login?next={}", encode(&wanted))).into_response()
        }
    }
}

/// Where a request comes from, for the audit log: the peer's address (the server sees no proxy
/// headers it could trust) and the user agent.
pub fn origin_of(request: &Request) -> Origin {
    let ip = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip().to_string());
    Origin {
        ip,
        user_agent: user_agent(request.headers()),
    }
}

fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(|agent| agent.chars().take(256).collect())
}

/// The signed-in caller of a handler; a request without one never reaches it (the middleware
/// answers 401), so its absence is answered the same way.
pub struct Signed(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for Signed {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .map(Signed)
            .ok_or_else(|| HttpError::new(ErrorCode::Unauthenticated, "sign in first"))
    }
}

/// The sign-in form; no `Debug`, so that its password can never reach a log.
#[derive(Deserialize)]
pub struct SignInForm {
    name: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /auth/login`: a local account's name and password; on success a new session (a new id:
/// nothing from before sign-in is kept) and back to where the user wanted to go.
pub async fn sign_in(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let origin = Origin {
        ip: extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip().to_string()),
        user_agent: user_agent(&headers),
    };
    match state
        .platform
        .sign_in_with_password(&form.name, &form.password, &origin)
        .await
    {
        Ok(session) => {
            let secure = state.secure_cookies || forwarded_https(&headers);
            let cookie = session_cookie(&session.secret, session.absolute.num_seconds(), secure);
            let mut response = Redirect::to(&next).into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Err(error) if error.code() == ErrorCode::Unauthenticated => {
            tracing::info!(user = %form.name, "sign-in refused");
            Redirect::to(&format!("/login?error=1&next={}", encode(&next))).into_response()
        }
        Err(error) => HttpError::from(error).into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    next: Option<String>,
}

/// `GET /auth/oidc/start`: off to the identity provider, to come back to `next`.
pub async fn oidc_start(State(state): State<AppState>, Query(query): Query<StartQuery>) -> Response {
    let Some(provider) = &state.oidc else {
        return HttpError::new(ErrorCode::NotFound, "no identity provider is configured").into_response();
    };
    match provider.start(&state.platform, &safe_next(query.next.as_deref())).await {
        Ok(url) => Redirect::to(url.as_str()).into_response(),
        Err(error) => {
            tracing::warn!(error = %error, "sign-in through the identity provider could not start");
            Redirect::to(&format!("/login?error={}", encode(&error.to_string()))).into_response()
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

/// `GET /auth/oidc/callback`: the provider's answer; a new session and back to where the user
/// wanted to go, or the sign-in page saying what went wrong.
pub async fn oidc_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let Some(provider) = &state.oidc else {
        return HttpError::new(ErrorCode::NotFound, "no identity provider is configured").into_response();
    };
    let outcome = match (&query.code, &query.state, &query.error) {
        (_, _, Some(error)) => Err(format!(
            "the identity provider said {error}{}",
            query
                .error_description
                .as_ref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        )),
        (Some(code), Some(sign_in), None) => provider
            .finish(&state.platform, code, sign_in)
            .await
            .map_err(|error| error.to_string()),
        _ => Err("the identity provider's answer has no code".to_owned()),
    };
    match outcome {
        Ok((session, next)) => {
            let secure = state.secure_cookies || forwarded_https(&headers);
            let cookie = session_cookie(&session.secret, session.absolute.num_seconds(), secure);
            let mut response = Redirect::to(&safe_next(Some(&next))).into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Err(message) => {
            tracing::warn!(%message, "sign-in through the identity provider failed");
            Redirect::to(&format!("/login?error={}", encode(&message))).into_response()
        }
    }
}

/// `POST /auth/logout`: ends the session and clears the cookie.
pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(secret) = session_of(&headers)
        && let Err(error) = state.platform.end_session(&secret).await
    {
        return HttpError::from(error).into_response();
    }
    let mut response = Redirect::to("/login").into_response();
    let cleared = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    if let Ok(value) = HeaderValue::from_str(&cleared) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// HttpOnly (no script reads it), SameSite=Lax (Strict would drop it on the identity provider's
/// redirect back), Secure over HTTPS.
fn session_cookie(secret: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}

fn bearer_of(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn session_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether the browser says the request comes from this very origin: `Sec-Fetch-Site:
/// same-origin`, or else an `Origin` equal to the request's own host. A request that says
/// neither is refused: every browser sends one of them on a state-changing request.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "same-origin";
    }
    let (Some(origin), Some(host)) = (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) else {
        return false;
    };
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .unwrap_or_default();
    origin_host == host
}

fn forwarded_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
}

/// Only a path of this site: `/products/x`, never `//evil.example` or `https://…`.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => path.to_owned(),
        _ => "/".to_owned(),
    }
}

/// Percent-encodes a path for a query parameter.
fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).expect("a header"));
        }
        map
    }

    #[test]
    fn only_the_portals_own_origin_changes_state() {
        assert!(same_origin(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(same_origin(&headers(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000")
        ])));
        assert!(!same_origin(&headers(&[
            ("origin", "http://evil.example"),
            ("host", "127.0.0.1:3000")
        ])));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:3000")])), "neither header");
    }

    #[test]
    fn sign_in_goes_back_to_this_site_only() {
        assert_eq!(safe_next(Some("/products/sales.orders")), "/products/sales.orders");
        assert_eq!(safe_next(Some("//evil.example/x")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn cookies_and_bearers_are_read() {
        let map = headers(&[
            ("cookie", "a=1; atrium_session=abc; b=2"),
            ("authorization", "Bearer atr_x_y"),
        ]);
        assert_eq!(session_of(&map).as_deref(), Some("abc"));
        assert_eq!(bearer_of(&map), Some("atr_x_y"));
        let cookie = session_cookie("s", 60, true);
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.ends_with("Secure"));
    }
}
