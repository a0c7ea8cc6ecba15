//! The scheduler of `atrium serve`: wakes up every poll interval and runs the schedules that are
//! due. Claims are made in the database, so several replicas can run this loop side by side.

use std::time::Duration;

use atrium_platform::Platform;
use tokio::time::MissedTickBehavior;

/// Runs due schedules until the process stops.
pub async fn run_schedules(platform: Platform, poll: Duration) {
    let mut ticker = tokio::time::interval(poll);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match platform.run_due_schedules(chrono::Utc::now()).await {
            Ok(runs) => {
                for run in runs {
                    tracing::info!(product = %run.product_id, run_id = run.id, status = run.status.as_str(), "scheduled run");
                }
            }
            Err(error) => tracing::error!(error = %error, "scheduled runs failed"),
        }
    }
}
