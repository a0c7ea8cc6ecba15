//! Schedules: kept in step with each deployed revision, and claimed when due. A claim moves the
//! schedule to its next time and records the run in one transaction guarded by the due time it
//! read, so two replicas (or a restarted server) never run one due slot twice, and a slot missed
//! while the server was down runs once when it comes back.

use atrium_descriptor::Schedule;
use atrium_types::ProductId;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::entity::{product, schedule};
use crate::{Catalog, CatalogError, Result};

/// A scheduled run that this process claimed and must now carry out.
#[derive(Debug, Clone)]
pub struct ClaimedRun {
    pub product: ProductId,
    pub revision: i32,
    pub run_id: i32,
}

/// Sets a product's schedule for a new revision; an unchanged cron keeps its due time.
pub(crate) async fn sync_schedule(txn: &DatabaseTransaction, id: &str, wanted: Option<&Schedule>) -> Result<()> {
    let existing = schedule::Entity::find_by_id(id.to_owned()).one(txn).await?;
    match (wanted, existing) {
        (None, None) => Ok(()),
        (None, Some(_)) => {
            schedule::Entity::delete_by_id(id.to_owned()).exec(txn).await?;
            Ok(())
        }
        (Some(wanted), Some(existing)) if existing.cron == wanted.cron => Ok(()),
        (Some(wanted), existing) => {
            let next = wanted
                .next_after(Utc::now())
                .ok_or_else(|| CatalogError::Corrupt(format!("schedule `{}` of `{id}` never fires", wanted.cron)))?;
            let row = schedule::ActiveModel {
                product_id: Set(id.to_owned()),
                cron: Set(wanted.cron.clone()),
                next_run_at: Set(next),
            };
            if existing.is_some() {
                row.update(txn).await?;
            } else {
                row.insert(txn).await?;
            }
            Ok(())
        }
    }
}

impl Catalog {
    /// Claims every schedule due at `now`: each claimed one has its run recorded as running.
    pub async fn claim_due_runs(&self, now: DateTime<Utc>) -> Result<Vec<ClaimedRun>> {
        let due = schedule::Entity::find()
            .filter(schedule::Column::NextRunAt.lte(now))
            .order_by_asc(schedule::Column::NextRunAt)
            .all(&self.db)
            .await?;
        let mut claimed = Vec::with_capacity(due.len());
        for slot in due {
            if let Some(run) = self.claim(slot, now).await? {
                claimed.push(run);
            }
        }
        Ok(claimed)
    }

    /// The earliest due time of all schedules, for the scheduler's sleep.
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(schedule::Entity::find()
            .order_by_asc(schedule::Column::NextRunAt)
            .one(&self.db)
            .await?
            .map(|slot| slot.next_run_at))
    }

    async fn claim(&self, slot: schedule::Model, now: DateTime<Utc>) -> Result<Option<ClaimedRun>> {
        let next = Schedule {
            cron: slot.cron.clone(),
        }
        .next_after(now)
        .ok_or_else(|| {
            CatalogError::Corrupt(format!("schedule `{}` of `{}` never fires", slot.cron, slot.product_id))
        })?;
        let transaction = self.begin_write().await?;
        let moved = schedule::Entity::update_many()
            .col_expr(schedule::Column::NextRunAt, sea_orm::sea_query::Expr::value(next))
            .filter(schedule::Column::ProductId.eq(slot.product_id.clone()))
            .filter(schedule::Column::NextRunAt.eq(slot.next_run_at))
            .exec(&transaction)
            .await?;
        if moved.rows_affected != 1 {
            // Another process claimed this slot first.
            transaction.rollback().await?;
            return Ok(None);
        }
        match record_scheduled_run(&transaction, &slot.product_id, now).await {
            Ok(claimed) => {
                transaction.commit().await?;
                Ok(claimed)
            }
            // The product is still running: the slot stays due and is claimed once it is done.
            Err(CatalogError::AlreadyRunning(_)) => {
                transaction.rollback().await?;
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }
}

async fn record_scheduled_run(txn: &impl ConnectionTrait, id: &str, now: DateTime<Utc>) -> Result<Option<ClaimedRun>> {
    let Some(current) = product::Entity::find_by_id(id.to_owned()).one(txn).await? else {
        return Ok(None);
    };
    let row = crate::runs::new_run(id, current.current_revision, "schedule", now)
        .insert(txn)
        .await
        .map_err(|error| crate::runs::already_running(error, &id))?;
    let product = ProductId::parse(id).map_err(|error| CatalogError::Corrupt(format!("product id `{id}`: {error}")))?;
    Ok(Some(ClaimedRun {
        product,
        revision: current.current_revision,
        run_id: row.id,
    }))
}
