//! The REST API's extractors: axum's `Json`, `Path` and `Query`, whose rejections answer in the
//! API's one error shape (`{"error": {"code", "message"}}`) and say what is wrong, instead of
//! axum's plain-text bodies. Also the answers for a method a route does not take and for a panic.

use std::any::Any;

use atrium_types::{ApiErrorBody, ErrorCode};
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::HttpError;

/// A JSON body; a body that is not JSON, not of the expected shape or not sent as
/// `application/json` is answered 400 or 415 in the API's error shape.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(HttpError))]
pub struct ApiJson<T>(pub T);

/// Path parameters; one that does not parse (a run id that is not a number) is answered 400.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(HttpError))]
pub struct ApiPath<T>(pub T);

/// Query-string parameters; ones that do not parse are answered 400.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(HttpError))]
pub struct ApiQuery<T>(pub T);

impl From<JsonRejection> for HttpError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => HttpError::new(
                ErrorCode::UnsupportedMediaType,
                "the body must be JSON, sent with `Content-Type: application/json`",
            ),
            JsonRejection::JsonSyntaxError(error) => HttpError::new(
                ErrorCode::BadRequest,
                format!("the body is not valid JSON: {}", serde_cause(&error)),
            ),
            JsonRejection::JsonDataError(error) => HttpError::new(
                ErrorCode::BadRequest,
                format!(
                    "the JSON body does not have the expected fields: {}",
                    serde_cause(&error)
                ),
            ),
            JsonRejection::BytesRejection(error) => body_rejection(&error),
            other => HttpError::new(ErrorCode::BadRequest, other.body_text()),
        }
    }
}

impl From<PathRejection> for HttpError {
    fn from(rejection: PathRejection) -> Self {
        match rejection {
            PathRejection::FailedToDeserializePathParams(error) => HttpError::new(
                ErrorCode::BadRequest,
                format!("a path parameter is wrong: {}", error.body_text()),
            ),
            other => {
                tracing::error!(rejection = %other.body_text(), "path parameters missing for a route");
                HttpError::new(ErrorCode::Internal, "internal error; the server log has the details")
            }
        }
    }
}

impl From<QueryRejection> for HttpError {
    fn from(rejection: QueryRejection) -> Self {
        HttpError::new(
            ErrorCode::BadRequest,
            format!("the query string is wrong: {}", rejection.body_text()),
        )
    }
}

/// A raw body; one over the size limit or cut short is answered in the API's error shape.
pub struct ApiBytes(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBytes {
    type Rejection = HttpError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::body::Bytes::from_request(request, state)
            .await
            .map(ApiBytes)
            .map_err(|rejection| body_rejection(&rejection))
    }
}

/// A body that could not be read: too large, or cut.
fn body_rejection(error: &BytesRejection) -> HttpError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        HttpError::new(
            ErrorCode::PayloadTooLarge,
            "the request body is larger than the server's limit ([server] max_body_mb)",
        )
    } else {
        HttpError::new(
            ErrorCode::BadRequest,
            format!("the request body could not be read: {}", error.body_text()),
        )
    }
}

/// serde's own words for what is wrong (`missing field `sql` at line 1 column 8`), without
/// axum's preamble.
fn serde_cause(error: &dyn std::error::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// The answer for a method the route does not take.
pub async fn method_not_allowed() -> HttpError {
    HttpError::new(
        ErrorCode::MethodNotAllowed,
        "this endpoint does not take that method; see /api/v1/openapi.yaml",
    )
}

/// The answer for a request whose handler panicked: a 500 in the API's shape; the panic is logged.
/// The connection and the server go on.
pub fn panicked(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic".to_owned()
    };
    tracing::error!(panic = %message, "a request's handler panicked");
    let body = ApiErrorBody {
        error: atrium_types::ApiError::new(ErrorCode::Internal, "internal error; the server log has the details"),
    };
    (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
}

/// Leptos answers a server function's malformed arguments (a body it cannot decode, a missing
/// argument) 500, in its own `Variant|message` encoding that the portal's code decodes. They are
/// the caller's fault: the status becomes 400, the body stays as the portal expects it.
pub async fn server_fn_rejections(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let is_server_fn = request.uri().path().starts_with("/portal/");
    let response = next.run(request).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "the answer could not be read").into_response();
    };
    let callers_fault = ["Deserialization|", "Args|", "MissingArg|", "UnsupportedRequestMethod|"]
        .iter()
        .any(|variant| bytes.starts_with(variant.as_bytes()));
    if callers_fault {
        parts.status = StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}
