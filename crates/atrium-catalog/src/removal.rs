//! Removing a product from the catalog: it is hidden (from lists, pages, runs, schedules and the
//! feed's consumers) while its rows, revisions, run history, Delta tables and audit stay. A later
//! deploy of the same id restores it as a new revision.

use atrium_types::ProductId;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::entity::{product, schedule};
use crate::{Catalog, Result, Trail};

impl Catalog {
    /// Removes `id` with its trail in one transaction; `false` when there was no such product (or
    /// it was removed already: two owners removing at once remove it once).
    pub async fn remove_product(
        &self,
        id: &ProductId,
        removed_by: &str,
        trail: Trail,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let txn = self.begin_write().await?;
        let removed = product::Entity::update_many()
            .col_expr(product::Column::RemovedAt, Expr::value(now))
            .col_expr(product::Column::RemovedBy, Expr::value(removed_by.to_owned()))
            .filter(product::Column::Id.eq(id.to_string()))
            .filter(product::Column::RemovedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected;
        if removed != 1 {
            txn.rollback().await?;
            return Ok(false);
        }
        if let Some(row) = product::Entity::find_by_id(id.to_string()).one(&txn).await? {
            let mut counts = crate::counts::CountChanges::default();
            counts.add(crate::counts::CountKey::of(&row), -1);
            counts.write(&txn).await?;
        }
        schedule::Entity::delete_by_id(id.to_string()).exec(&txn).await?;
        let mut trail = trail;
        trail.events.push(crate::feed::event(
            crate::kinds::PRODUCT_REMOVED,
            id,
            serde_json::json!({ "removed_by": removed_by }),
        ));
        trail.write(&txn, now, None).await?;
        txn.commit().await?;
        tracing::info!(product = %id, removed_by, "product removed");
        Ok(true)
    }
}
