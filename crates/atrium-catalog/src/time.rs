//! Timestamps as the views show them: RFC 3339, UTC, whole seconds.

use chrono::{DateTime, SecondsFormat, Utc};

/// An instant as the views show it.
pub fn rfc3339(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}
