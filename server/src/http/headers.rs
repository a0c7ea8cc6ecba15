//! What every answer carries and every request is held to: the security headers (a
//! Content-Security-Policy for answers that set none — pages set their own, with the nonce of
//! their hydration script —, no MIME sniffing, no referrer to other sites, no framing) and the
//! body size limit, answered 413 in the API's error shape.

use atrium_types::ErrorCode;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::HttpError;

/// The policy of answers that are not pages (JSON, files): nothing runs, nothing frames them.
const DEFAULT_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_POLICY),
        );
    }
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
