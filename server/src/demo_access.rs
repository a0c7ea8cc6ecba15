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
    let (mark, cora, olga) = (user(platform, "mark").await?, user(platform, "cora").await?, user(platform, "olga").await?);
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
