//! The demo's access story (`atrium demo-access`, run once by `examples/mesh/access.sh`): a
//! request waiting in team-supply's inbox, a grant to crm that expires within the week, and a
//! request of the outsider's that sales denied — each made through the platform as the demo user
//! who would have made it, so that the audit log and the notifications tell it as it happened.

use atrium_platform::{Caller, Platform};
use atrium_types::{ApproveAccess, DenyAccess, NewAccessRequest, ProductId, TeamName, UserName};

use crate::commands::{CommandError, Outcome};

async fn user(platform: &Platform, name: &str) -> Result<Caller, CommandError> {
    let name = UserName::parse(name).map_err(|error| bad(name, error))?;
    Ok(platform.act_as(&Caller::Operator, &name).await?)
}

fn bad(text: &str, error: impl std::fmt::Display) -> CommandError {
    CommandError::BadArgument {
        text: text.to_owned(),
        reason: error.to_string(),
    }
}

fn ask(product: &str, purpose: &str, days: u32, for_team: Option<&str>) -> Result<NewAccessRequest, CommandError> {
    Ok(NewAccessRequest {
        product: ProductId::parse(product).map_err(|error| bad(product, error))?,
        output: None,
        purpose: purpose.to_owned(),
        duration_days: days,
        for_team: for_team
            .map(|team| TeamName::parse(team).map_err(|error| bad(team, error)))
            .transpose()?,
    })
}

pub async fn seed(platform: &Platform) -> Result<Outcome, CommandError> {
    let (mark, cora, olga) = (
        user(platform, "mark").await?,
        user(platform, "cora").await?,
        user(platform, "olga").await?,
    );
    let (sam,) = (user(platform, "sam").await?,);

    let pending = ask(
        "supply.supplier_performance",
        "Campaigns that promise delivery dates should only name suppliers that ship on time.",
        90,
        Some("team-marketing"),
    )?;
    let pending = platform.request_access(&mark, &pending).await?;

    let expiring = ask(
        "sales.line_items",
        "One-off reconciliation of discounts per customer segment before the quarterly review.",
        30,
        Some("team-crm"),
    )?;
    let expiring = platform.request_access(&cora, &expiring).await?;
    let approval = ApproveAccess {
        duration_days: Some(5),
        comment: Some("Five days is enough for the review; renew if it runs late.".to_owned()),
    };
    platform.approve_request(&sam, expiring.id, &approval).await?;

    let denied = ask("sales.orders", "Curious about our biggest customers.", 90, None)?;
    let denied = platform.request_access(&olga, &denied).await?;
    let denial = DenyAccess {
        comment: "Orders carry customer keys; sales.daily_revenue is public and has the totals.".to_owned(),
    };
    platform.deny_request(&sam, denied.id, &denial).await?;
    println!(
        "demo access: request {} waits in team-supply's inbox, request {} was approved for 5 days, request {} was denied",
        pending.id, expiring.id, denied.id
    );
    Ok(Outcome::Success)
}

/// `atrium bench-access`: each query as `user` through the access decision and the audit, and as
/// the operator's unaudited baseline, alternately (so that both meet the same caches), best of
/// `rounds` after a warm-up; prints one line per query and the totals.
pub async fn bench_access(
    platform: &Platform,
    user_name: &str,
    rounds: usize,
    files: &[std::path::PathBuf],
) -> Result<Outcome, CommandError> {
    let reader = user(platform, user_name).await?;
    let (mut checked_total, mut baseline_total) = (0.0_f64, 0.0_f64);
    for (index, file) in files.iter().enumerate() {
        let sql = tokio::fs::read_to_string(file)
            .await
            .map_err(|source| CommandError::Read {
                path: file.clone(),
                source,
            })?;
        let (mut checked, mut baseline) = (f64::MAX, f64::MAX);
        for round in 0..=rounds {
            let started = std::time::Instant::now();
            let rows = platform.query(&reader, &sql).await?.rows.len();
            let with = started.elapsed().as_secs_f64();
            let started = std::time::Instant::now();
            let same = platform.query_unaudited(&Caller::Operator, &sql).await?.rows.len();
            let without = started.elapsed().as_secs_f64();
            if rows != same {
                return Err(bad(
                    &file.display().to_string(),
                    format!("answered {rows} rows checked, {same} without"),
                ));
            }
            // Round 0 warms the caches up.
            if round > 0 {
                checked = checked.min(with);
                baseline = baseline.min(without);
            }
        }
        checked_total += checked;
        baseline_total += baseline;
        println!("Q{:02} checked {checked:.3} s baseline {baseline:.3} s", index + 1);
    }
    let overhead = (checked_total / baseline_total - 1.0) * 100.0;
    println!("total checked {checked_total:.3} s baseline {baseline_total:.3} s overhead {overhead:+.2} %");
    Ok(Outcome::Success)
}
