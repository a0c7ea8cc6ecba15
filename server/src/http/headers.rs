//! What every answer carries and every request is held to: the security headers (a
//! Content-Security-Policy — for a page, only its own scripts: the bundle of this origin and the
//! inline hydration script carrying this response's nonce, which the page is rendered with —, no
//! MIME sniffing, no referrer to other sites, no framing) and the body size limit, answered 413 in
//! the API's error shape.

use atrium_types::ErrorCode;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::HttpError;

/// The policy of answers that are not pages (JSON, files): nothing runs, nothing frames them.
const DEFAULT_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The nonce of this response's inline scripts; the pages render with it (see `super::router`).
#[derive(Debug, Clone)]
pub struct CspNonce(pub String);

/// The policy of a page: its own scripts only, the inline ones by `nonce`.
fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

pub async fn security_headers(mut request: Request, next: Next) -> Response {
    let nonce = leptos::nonce::Nonce::new().to_string();
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let is_page = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    let policy = match is_page {
        true => HeaderValue::from_str(&page_policy(&nonce)).unwrap_or(HeaderValue::from_static(DEFAULT_POLICY)),
        false => HeaderValue::from_static(DEFAULT_POLICY),
    };
    headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    response
}

/// Refuses a body whose declared length is over the limit before reading it (a body without a
/// length is cut at the limit by the extractors).
pub async fn limit_body(State(max_bytes): State<usize>, request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max_bytes as u64) {
        return HttpError::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "the request body is larger than the limit of {} ([server] max_body_mb)",
                atrium_types::human_bytes(max_bytes as u64)
            ),
        )
        .into_response();
    }
    next.run(request).await
}
