//! The platform's clock: grant expiries, sessions and tokens are judged by it, so that tests move
//! time instead of sleeping.

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

/// Where the platform reads the time.
pub trait Clock: Debug + Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to (tests).
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn starting_at(now: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(now)))
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The system's clock moved by a number of seconds read from a file at every look (no file: not
/// moved). For browser tests, which move the time of a running server; never for production.
#[derive(Debug, Clone)]
pub struct OffsetFileClock {
    path: std::path::PathBuf,
}

impl OffsetFileClock {
    pub fn new(path: std::path::PathBuf) -> Self {
        Self { path }
    }
}

impl Clock for OffsetFileClock {
    fn now(&self) -> DateTime<Utc> {
        let seconds = std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|text| text.trim().parse::<i64>().ok())
            .unwrap_or(0);
        Utc::now() + chrono::Duration::seconds(seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offset_file_moves_the_clock() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("offset");
        let clock = OffsetFileClock::new(path.clone());
        let before = clock.now();
        std::fs::write(&path, "7200\n").expect("writes");
        let moved = clock.now() - before;
        assert!(
            moved >= chrono::Duration::hours(2) && moved < chrono::Duration::hours(3),
            "{moved}"
        );
    }
}
