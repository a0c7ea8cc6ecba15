//! The error-code table: the only place where an error becomes an HTTP status.
//!
//! Every service error answers one of these codes; the server maps the code to a status once, at
//! the edge, and writes the JSON body `{"error": {"code": "...", "message": "..."}}`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Diagnostic;

/// What kind of failure an error is, as the caller sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    Unauthenticated,
    Forbidden,
    NotFound,
    /// The route exists, not with this method.
    MethodNotAllowed,
    Conflict,
    /// The request was well-formed but its content breaks a rule (e.g. a descriptor policy).
    Invalid,
    /// The request body is larger than the server takes.
    PayloadTooLarge,
    /// The request body is not in a media type the route takes.
    UnsupportedMediaType,
    TooManyRequests,
    /// The request went over a limit of the server that it would go over again (a query's
    /// memory or time): the request must change, waiting does not help.
    LimitExceeded,
    Unavailable,
    Internal,
}

impl ErrorCode {
    /// The HTTP status for this code: the one mapping in the code base.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::Conflict => 409,
            ErrorCode::Invalid => 422,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::TooManyRequests => 429,
            ErrorCode::LimitExceeded => 422,
            ErrorCode::Unavailable => 503,
            ErrorCode::Internal => 500,
        }
    }
}

/// The JSON body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    pub error: ApiError,
}

/// An error as the API reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Located problems, for descriptor errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<Diagnostic>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        for detail in &self.details {
            write!(f, "\n  {detail}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_shape() {
        let body = ApiErrorBody {
            error: ApiError::new(ErrorCode::NotFound, "no product `sales.nope`"),
        };
        let json = serde_json::to_value(&body).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({"error": {"code": "not_found", "message": "no product `sales.nope`"}})
        );
        assert_eq!(ErrorCode::Invalid.http_status(), 422);
    }
}
