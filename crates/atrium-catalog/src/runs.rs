//! Runs: what a run needs to start (the current descriptor, where it was deployed from, the
//! published versions of its upstream products), and the record of what it did.

use std::collections::HashMap;

use atrium_descriptor::Descriptor;
use atrium_types::{CheckView, ProductId, RunOutputView, RunStatus, RunView};
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use crate::entity::{product, product_output, product_revision, published_version, run};
use crate::time::rfc3339;
use crate::{Catalog, CatalogError, Result};

/// The published version of one output, and the name queries give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedOutput {
    pub output: String,
    pub version: u64,
    /// The SQL names it answers to ([`ProductId::table_names`]).
    pub table_names: Vec<String>,
}

/// The current revision of a product, as a run needs it.
#[derive(Debug, Clone)]
pub struct RunnableProduct {
    pub descriptor: Descriptor,
    pub revision: i32,
    pub base_dir: Option<String>,
}

/// What a finished run did, to record.
#[derive(Debug, Clone)]
pub struct RunRecord {
    pub status: RunStatus,
    pub rows_read: u64,
    pub rows_written: u64,
    pub rows_rejected: u64,
    pub bytes_written: u64,
    pub error: Option<String>,
    pub checks: Vec<CheckView>,
    pub outputs: Vec<RunOutputView>,
    pub log: Vec<String>,
}

impl Catalog {
    pub async fn runnable(&self, id: &ProductId) -> Result<RunnableProduct> {
        let id_text = id.to_string();
        let current = product::Entity::find_by_id(id_text.clone())
            .filter(product::Column::RemovedAt.is_null())
            .one(&self.db)
            .await?
            .ok_or_else(|| CatalogError::NotFound {
                what: "product",
                id: id_text.clone(),
            })?;
        let revision = product_revision::Entity::find()
            .filter(product_revision::Column::ProductId.eq(id_text.clone()))
            .filter(product_revision::Column::Revision.eq(current.current_revision))
            .one(&self.db)
            .await?
            .ok_or_else(|| CatalogError::Corrupt(format!("product `{id_text}` has no current revision")))?;
        let descriptor = serde_json::from_str(&revision.descriptor_json).map_err(|error| {
            CatalogError::Corrupt(format!("revision {} of `{id_text}`: {error}", revision.revision))
        })?;
        Ok(RunnableProduct {
            descriptor,
            revision: revision.revision,
            base_dir: revision.base_dir,
        })
    }

    /// The products with at least one published version (live or not: [`Self::published_versions`]
    /// leaves the removed out).
    pub async fn published_product_ids(&self) -> Result<Vec<ProductId>> {
        let ids: Vec<String> = published_version::Entity::find()
            .select_only()
            .column(published_version::Column::ProductId)
            .distinct()
            .into_tuple()
            .all(&self.db)
            .await?;
        ids.iter()
            .map(|id| {
                ProductId::parse(id).map_err(|error| CatalogError::Corrupt(format!("product id `{id}`: {error}")))
            })
            .collect()
    }

    /// The published version of each output of the given products, in the order the product lists
    /// its outputs; an output the current revision no longer has is left out.
    pub async fn published_versions(&self, ids: &[ProductId]) -> Result<HashMap<ProductId, Vec<PublishedOutput>>> {
        let texts: Vec<String> = self
            .live_ids(ids.iter().map(ToString::to_string))
            .await?
            .into_iter()
            .collect();
        let mut declared: HashMap<String, HashMap<String, i32>> = HashMap::new();
        let mut published = Vec::new();
        for chunk in texts.chunks(crate::visible::IN_LIST) {
            for row in product_output::Entity::find()
                .filter(product_output::Column::ProductId.is_in(chunk.iter().cloned()))
                .all(&self.db)
                .await?
            {
                declared
                    .entry(row.product_id)
                    .or_default()
                    .insert(row.name, row.position);
            }
            published.extend(
                published_version::Entity::find()
                    .filter(published_version::Column::ProductId.is_in(chunk.iter().cloned()))
                    .all(&self.db)
                    .await?,
            );
        }
        let mut versions: HashMap<ProductId, Vec<(i32, PublishedOutput)>> = HashMap::new();
        for row in published {
            let Some(outputs) = declared.get(&row.product_id) else {
                continue;
            };
            let Some(&position) = outputs.get(&row.output) else {
                continue;
            };
            let id = ProductId::parse(&row.product_id)
                .map_err(|error| CatalogError::Corrupt(format!("product id `{}`: {error}", row.product_id)))?;
            let index = outputs.values().filter(|&&other| other < position).count();
            let published = PublishedOutput {
                table_names: id.table_names(&row.output, index, outputs.len()),
                output: row.output,
                version: u64::try_from(row.version).unwrap_or(0),
            };
            versions.entry(id).or_default().push((position, published));
        }
        Ok(versions
            .into_iter()
            .map(|(id, mut outputs)| {
                outputs.sort_by_key(|(position, _)| *position);
                (id, outputs.into_iter().map(|(_, published)| published).collect())
            })
            .collect())
    }

    /// Records a run as started; returns its id.
    /// Records a run as `running`; refused while another run of the product is running.
    pub async fn start_run(&self, id: &ProductId, revision: i32, trigger: &str) -> Result<i32> {
        let row = new_run(&id.to_string(), revision, trigger, Utc::now())
            .insert(&self.db)
            .await
            .map_err(|error| already_running(error, id))?;
        Ok(row.id)
    }

    /// Records the end of a run and, in the same transaction, publishes the versions it wrote.
    pub async fn finish_run(&self, run_id: i32, record: RunRecord) -> Result<RunView> {
        let transaction = self.begin_write().await?;
        let existing = run::Entity::find_by_id(run_id)
            .one(&transaction)
            .await?
            .ok_or_else(|| CatalogError::NotFound {
                what: "run",
                id: run_id.to_string(),
            })?;
        let now = Utc::now();
        let mut published = Vec::new();
        if record.status == RunStatus::Succeeded {
            for output in &record.outputs {
                let Some(version) = output.version else { continue };
                published.push(serde_json::json!({ "output": output.name, "version": version }));
                let row = published_version::ActiveModel {
                    product_id: Set(existing.product_id.clone()),
                    output: Set(output.name.clone()),
                    version: Set(i64::try_from(version).unwrap_or(i64::MAX)),
                    run_id: Set(run_id),
                    published_at: Set(now),
                };
                published_version::Entity::insert(row)
                    .on_conflict(
                        OnConflict::columns([published_version::Column::ProductId, published_version::Column::Output])
                            .update_columns([
                                published_version::Column::Version,
                                published_version::Column::RunId,
                                published_version::Column::PublishedAt,
                            ])
                            .to_owned(),
                    )
                    .exec(&transaction)
                    .await?;
            }
        }
        let mut row: run::ActiveModel = existing.into();
        row.status = Set(record.status.as_str().to_owned());
        row.finished_at = Set(Some(now));
        row.rows_read = Set(to_i64(record.rows_read));
        row.rows_written = Set(to_i64(record.rows_written));
        row.rows_rejected = Set(to_i64(record.rows_rejected));
        row.bytes_written = Set(to_i64(record.bytes_written));
        row.error = Set(record.error);
        row.checks = Set(to_json(&record.checks));
        row.outputs = Set(to_json(&record.outputs));
        row.log = Set(to_json(&record.log));
        let row = row.update(&transaction).await?;
        let product = parse_product(&row.product_id)?;
        let payload = serde_json::json!({ "run": run_id, "status": row.status, "published": published });
        let event = crate::feed::event(crate::kinds::RUN_FINISHED, &product, payload);
        crate::feed::append(&transaction, now, vec![event]).await?;
        transaction.commit().await?;
        run_view(row)
    }

    /// A sign of life of a running run's process; the run is left alone by
    /// [`Catalog::fail_abandoned_runs`] as long as these keep coming.
    pub async fn beat(&self, run_id: i32) -> Result<()> {
        run::Entity::update_many()
            .col_expr(run::Column::HeartbeatAt, sea_orm::sea_query::Expr::value(Utc::now()))
            .filter(run::Column::Id.eq(run_id))
            .filter(run::Column::Status.eq(RunStatus::Running.as_str()))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Marks failed the runs still `running` whose process gave no sign of life since
    /// `silent_since` (it stopped or crashed mid-run): nothing of theirs was published, and the
    /// product may run again. Safe with several replicas on one database: a run whose process is
    /// alive keeps beating.
    pub async fn fail_abandoned_runs(&self, silent_since: chrono::DateTime<Utc>) -> Result<u64> {
        let silent = || {
            Condition::all()
                .add(run::Column::Status.eq(RunStatus::Running.as_str()))
                .add(
                    Condition::any()
                        .add(run::Column::HeartbeatAt.is_null())
                        .add(run::Column::HeartbeatAt.lt(silent_since)),
                )
        };
        let transaction = self.begin_write().await?;
        let abandoned = run::Entity::find().filter(silent()).all(&transaction).await?;
        if abandoned.is_empty() {
            transaction.rollback().await?;
            return Ok(0);
        }
        let now = Utc::now();
        let ids: Vec<i32> = abandoned.iter().map(|row| row.id).collect();
        let failed = run::Entity::update_many()
            .col_expr(
                run::Column::Status,
                sea_orm::sea_query::Expr::value(RunStatus::Failed.as_str()),
            )
            .col_expr(run::Column::FinishedAt, sea_orm::sea_query::Expr::value(now))
            .col_expr(
                run::Column::Error,
                sea_orm::sea_query::Expr::value(
                    "interrupted: the process running it stopped during the run; nothing was published",
                ),
            )
            .filter(silent())
            .filter(run::Column::Id.is_in(ids))
            .exec(&transaction)
            .await?;
        let mut events = Vec::with_capacity(abandoned.len());
        for row in &abandoned {
            let payload = serde_json::json!({ "run": row.id, "status": RunStatus::Failed.as_str(), "published": [] });
            events.push(crate::feed::event(
                crate::kinds::RUN_FINISHED,
                &parse_product(&row.product_id)?,
                payload,
            ));
        }
        crate::feed::append(&transaction, now, events).await?;
        transaction.commit().await?;
        Ok(failed.rows_affected)
    }

    /// The latest runs of a product, newest first.
    /// The product's latest `limit` runs, newest first.
    pub async fn runs(&self, id: &ProductId, limit: u64) -> Result<Vec<RunView>> {
        self.runs_before(id, None, limit).await
    }

    /// A page of the product's runs, newest first, older than the run `before` when given.
    pub async fn runs_before(&self, id: &ProductId, before: Option<i64>, limit: u64) -> Result<Vec<RunView>> {
        let mut select = run::Entity::find().filter(run::Column::ProductId.eq(id.to_string()));
        if let Some(before) = before {
            select = select.filter(run::Column::Id.lt(before));
        }
        select
            .order_by_desc(run::Column::Id)
            .limit(limit.min(i64::MAX as u64))
            .all(&self.db)
            .await?
            .into_iter()
            .map(run_view)
            .collect()
    }

    pub async fn run(&self, run_id: i32) -> Result<RunView> {
        let row = run::Entity::find_by_id(run_id)
            .one(&self.db)
            .await?
            .ok_or_else(|| CatalogError::NotFound {
                what: "run",
                id: run_id.to_string(),
            })?;
        run_view(row)
    }
}

/// The database's refusal of a second running run, in the catalog's words.
pub(crate) fn already_running(error: sea_orm::DbErr, id: &impl std::fmt::Display) -> CatalogError {
    match error.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => CatalogError::AlreadyRunning(id.to_string()),
        _ => CatalogError::Database(error),
    }
}

/// A run row in the `running` state.
pub(crate) fn new_run(
    product_id: &str,
    revision: i32,
    trigger: &str,
    started_at: chrono::DateTime<Utc>,
) -> run::ActiveModel {
    run::ActiveModel {
        product_id: Set(product_id.to_owned()),
        revision: Set(revision),
        trigger: Set(trigger.to_owned()),
        status: Set(RunStatus::Running.as_str().to_owned()),
        started_at: Set(started_at),
        finished_at: Set(None),
        heartbeat_at: Set(Some(started_at)),
        rows_read: Set(0),
        rows_written: Set(0),
        rows_rejected: Set(0),
        bytes_written: Set(0),
        error: Set(None),
        checks: Set("[]".to_owned()),
        outputs: Set("[]".to_owned()),
        log: Set("[]".to_owned()),
        ..Default::default()
    }
}

fn to_i64(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".to_owned())
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, run_id: i32, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|error| CatalogError::Corrupt(format!("{what} of run {run_id}: {error}")))
}

fn run_view(row: run::Model) -> Result<RunView> {
    let status = match row.status.as_str() {
        "running" => RunStatus::Running,
        "succeeded" => RunStatus::Succeeded,
        "failed" => RunStatus::Failed,
        "waiting_for_access" => RunStatus::WaitingForAccess,
        other => return Err(CatalogError::Corrupt(format!("run status `{other}`"))),
    };
    Ok(RunView {
        id: row.id,
        product_id: ProductId::parse(&row.product_id)
            .map_err(|error| CatalogError::Corrupt(format!("product id `{}`: {error}", row.product_id)))?,
        revision: row.revision,
        trigger: row.trigger,
        status,
        started_at: rfc3339(&row.started_at),
        finished_at: row.finished_at.as_ref().map(rfc3339),
        rows_read: u64::try_from(row.rows_read).unwrap_or(0),
        rows_written: u64::try_from(row.rows_written).unwrap_or(0),
        rows_rejected: u64::try_from(row.rows_rejected).unwrap_or(0),
        bytes_written: u64::try_from(row.bytes_written).unwrap_or(0),
        error: row.error,
        checks: from_json("checks", row.id, &row.checks)?,
        outputs: from_json("outputs", row.id, &row.outputs)?,
        log: from_json("log", row.id, &row.log)?,
    })
}

fn parse_product(id: &str) -> Result<ProductId> {
    ProductId::parse(id).map_err(|error| CatalogError::Corrupt(format!("run of product `{id}`: {error}")))
}
