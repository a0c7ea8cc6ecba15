//! The scheduler of `atrium serve`: wakes up every poll interval and runs the schedules that are
//! due, and every micro-batch interval folds the rows pushed to stream inputs into their products.
//! Claims are made in the database, so several replicas can run these loops side by side; each
//! tick also fails the runs a stopped replica left `running` (silent for three heartbeats) and
//! sweeps the grants that expired (or expire within a week) to tell their holders. A third loop
//! follows the catalog's change feed into the search index.

use std::time::Duration;

use atrium_platform::{Caller, Platform};
use tokio::time::MissedTickBehavior;

/// Runs due schedules until the process stops.
pub async fn run_schedules(platform: Platform, poll: Duration) {
    let mut ticker = tokio::time::interval(poll);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        // Runs of a replica that stopped mid-run would hold their products: fail them first.
        if let Err(error) = platform.fail_abandoned_runs(&Caller::System).await {
            tracing::error!(error = %error, "looking for abandoned runs failed");
        }
        // Grants past their instant are refused already; this marks them and tells their holders.
        if let Err(error) = platform.sweep_grants(&Caller::System).await {
            tracing::error!(error = %atrium_types::error_chain(&error), "the grant sweep failed");
        }
        match platform.run_due_schedules(&Caller::System, platform.now()).await {
            Ok(runs) => {
                for run in runs {
                    tracing::info!(product = %run.product_id, run_id = run.id, status = run.status.as_str(), "scheduled run");
                }
            }
            Err(error) => tracing::error!(error = %error, "scheduled runs failed"),
        }
    }
}

/// Runs, every `every`, the products whose stream inputs received rows since their last run.
pub async fn run_stream_batches(platform: Platform, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match platform.run_fresh_streams(&Caller::System).await {
            Ok(runs) => {
                for run in runs {
                    tracing::info!(product = %run.product_id, run_id = run.id, status = run.status.as_str(), "stream micro-batch");
                }
            }
            Err(error) => tracing::error!(error = %error, "stream micro-batches failed"),
        }
    }
}

/// Follows the catalog's change feed into this replica's search index.
pub async fn follow_catalog_feed(platform: Platform, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(error) = platform.follow_feed().await {
            tracing::error!(error = %atrium_types::error_chain(&error), "following the catalog feed failed");
        }
    }
}
