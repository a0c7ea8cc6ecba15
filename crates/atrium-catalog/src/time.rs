//! Timestamps as the views show them: RFC 3339, UTC, whole seconds.

use chrono::{DateTime, SecondsFormat, Utc};

pub(crate) fn rfc3339(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}
