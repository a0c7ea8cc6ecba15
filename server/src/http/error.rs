//! Errors at the HTTP edge: the one place where an error code becomes a status and a JSON body
//! `{"error": {"code", "message", "details"?}}`. Internal faults are logged here, once, with their
//! cause chain, and answered with an opaque message.

use atrium_platform::PlatformError;
use atrium_types::{ApiError, ApiErrorBody, ErrorCode, error_chain};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub struct HttpError(pub ApiError);

impl HttpError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self(ApiError::new(code, message))
    }
}

impl From<PlatformError> for HttpError {
    fn from(error: PlatformError) -> Self {
        let code = error.code();
        if code == ErrorCode::Internal {
            tracing::error!(error = %error_chain(&error), "request failed");
            return Self::new(code, "internal error; the server log has the details");
        }
        let mut api_error = ApiError::new(code, error.to_string());
        api_error.details = error.diagnostics().to_vec();
        Self(api_error)
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(ApiErrorBody { error: self.0 })).into_response()
    }
}
