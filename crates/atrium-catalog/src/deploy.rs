//! Applying validated descriptors: one transaction for a whole batch, so that bad input never
//! leaves a half-written product behind.

use atrium_descriptor::{Descriptor, InputSource, describe_changes};
use atrium_types::{DeployChange, DeployOutcome};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Set};

use crate::counts::{CountChanges, CountKey};

use crate::entity::{
    domain, output_column, product, product_input, product_output, product_revision, product_tag, quality_check,
};
use crate::{Catalog, CatalogError, Result};

/// A validated descriptor with where the platform keeps its data.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub descriptor: Descriptor,
    /// The descriptor text as deployed.
    pub yaml: String,
    /// Where the text came from (a file name), if anywhere.
    pub source: Option<String>,
    /// The folder file inputs are relative to: the descriptor's folder when deployed from a file.
    pub base_dir: Option<String>,
    /// The storage prefix of the product's domain, e.g. `store/sales/`.
    pub domain_storage_prefix: String,
    /// The storage path of each output, in the order of `descriptor.outputs`.
    pub output_storage_paths: Vec<String>,
}

impl Catalog {
    /// Applies every deployment in one transaction: all are recorded, or none.
    ///
    /// On SQLite the transaction takes the write lock at once (`BEGIN IMMEDIATE`), so concurrent
    /// deploys queue instead of failing; on PostgreSQL a race on the same new product ends in a
    /// unique violation, reported as a conflict to retry.
    pub async fn apply(&self, deployments: &[Deployment]) -> Result<Vec<DeployOutcome>> {
        let transaction = self.begin_write().await?;
        let mut outcomes = Vec::with_capacity(deployments.len());
        let mut counts = CountChanges::default();
        for deployment in deployments {
            let outcome = apply_one(&transaction, deployment, &mut counts)
                .await
                .map_err(|error| conflict_on_race(error, deployment))?;
            outcomes.push(outcome);
        }
        counts.write(&transaction).await?;
        transaction.commit().await?;
        Ok(outcomes)
    }
}

/// A unique violation while writing means another deploy of the same product won the race.
fn conflict_on_race(error: CatalogError, deployment: &Deployment) -> CatalogError {
    match &error {
        CatalogError::Database(db_error)
            if matches!(db_error.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) =>
        {
            CatalogError::ConcurrentDeploy(deployment.descriptor.id().to_string())
        }
        _ => error,
    }
}

async fn apply_one(
    txn: &DatabaseTransaction,
    deployment: &Deployment,
    counts: &mut CountChanges,
) -> Result<DeployOutcome> {
    let descriptor = &deployment.descriptor;
    let id = descriptor.id().to_string();
    let content_hash = descriptor.content_hash();
    // Locked (PostgreSQL; SQLite's write transaction holds the whole database) so that the counts
    // move from what this row was to what it becomes, whatever else deploys at the same time.
    let existing = product::Entity::find_by_id(id.clone())
        .lock_exclusive()
        .one(txn)
        .await?;
    let restored = existing.as_ref().is_some_and(|current| current.removed_at.is_some());
    if let Some(current) = existing
        .as_ref()
        .filter(|current| current.content_hash == content_hash && !restored)
    {
        return Ok(DeployOutcome {
            product_id: descriptor.id().clone(),
            change: DeployChange::Unchanged,
            revision: current.current_revision,
            changes: Vec::new(),
            domain_created: false,
            missing_grants: Vec::new(),
        });
    }
    let domain_created = ensure_domain(txn, deployment).await?;
    let (revision, mut changes) = match &existing {
        Some(current) if current.content_hash == content_hash => (current.current_revision + 1, Vec::new()),
        Some(current) => (
            current.current_revision + 1,
            changes_since(txn, current, descriptor).await?,
        ),
        None => (1, Vec::new()),
    };
    if restored {
        changes.insert(0, "restored after its removal".to_owned());
    }
    if let Some(current) = existing.as_ref().filter(|_| !restored) {
        counts.add(CountKey::of(current), -1);
    }
    counts.add(
        CountKey {
            domain: descriptor.metadata.domain.to_string(),
            owner: descriptor.metadata.owner.clone(),
            visibility: descriptor.metadata.visibility.as_str().to_owned(),
        },
        1,
    );
    write_product(txn, descriptor, existing.as_ref(), revision, &content_hash).await?;
    write_revision(txn, deployment, revision, &content_hash, &changes).await?;
    crate::schedules::sync_schedule(txn, &id, descriptor.schedule.as_ref()).await?;
    replace_contract(txn, deployment, existing.is_some()).await?;
    let change = if existing.is_some() {
        DeployChange::Updated
    } else {
        DeployChange::Created
    };
    let payload = serde_json::json!({
        "revision": revision,
        "change": if existing.is_some() { "updated" } else { "created" },
        "restored": restored,
        "status": descriptor.metadata.status.as_str(),
        "visibility": descriptor.metadata.visibility.as_str(),
    });
    let event = crate::feed::event(crate::kinds::PRODUCT_DEPLOYED, descriptor.id(), payload);
    crate::feed::append(txn, Utc::now(), vec![event]).await?;
    tracing::info!(product = %id, revision, ?change, "product deployed");
    Ok(DeployOutcome {
        product_id: descriptor.id().clone(),
        change,
        revision,
        changes,
        domain_created,
        missing_grants: Vec::new(),
    })
}

/// Creates the domain on first use; returns whether it was created.
async fn ensure_domain(txn: &DatabaseTransaction, deployment: &Deployment) -> Result<bool> {
    let name = deployment.descriptor.metadata.domain.to_string();
    if domain::Entity::find_by_id(name.clone()).one(txn).await?.is_some() {
        return Ok(false);
    }
    domain::ActiveModel {
        name: Set(name),
        storage_prefix: Set(deployment.domain_storage_prefix.clone()),
        created_at: Set(Utc::now()),
        max_grant_days: Set(None),
    }
    .insert(txn)
    .await?;
    Ok(true)
}

async fn changes_since(txn: &DatabaseTransaction, current: &product::Model, new: &Descriptor) -> Result<Vec<String>> {
    let previous = product_revision::Entity::find()
        .filter(product_revision::Column::ProductId.eq(current.id.clone()))
        .filter(product_revision::Column::Revision.eq(current.current_revision))
        .one(txn)
        .await?
        .ok_or_else(|| CatalogError::Corrupt(format!("product `{}` has no current revision", current.id)))?;
    let old: Descriptor = serde_json::from_str(&previous.descriptor_json).map_err(|error| {
        CatalogError::Corrupt(format!("revision {} of `{}`: {error}", previous.revision, current.id))
    })?;
    let mut changes = describe_changes(&old, new);
    if changes.is_empty() {
        changes.push("order of columns, inputs or checks changed".to_owned());
    }
    Ok(changes)
}

async fn write_product(
    txn: &DatabaseTransaction,
    descriptor: &Descriptor,
    existing: Option<&product::Model>,
    revision: i32,
    content_hash: &str,
) -> Result<()> {
    let metadata = &descriptor.metadata;
    let now = Utc::now();
    let row = product::ActiveModel {
        id: Set(metadata.id.to_string()),
        domain: Set(metadata.domain.to_string()),
        name: Set(metadata.id.name().to_string()),
        title: Set(metadata.title.clone()),
        description: Set(metadata.description.clone()),
        owner: Set(metadata.owner.clone()),
        status: Set(metadata.status.as_str().to_owned()),
        visibility: Set(metadata.visibility.as_str().to_owned()),
        transform_sql: Set(descriptor.transform.as_ref().map(|t| t.sql.clone())),
        schedule: Set(descriptor.schedule.as_ref().map(|s| s.cron.clone())),
        slo_freshness: Set(descriptor.slo.as_ref().map(|s| s.freshness.clone())),
        slo_freshness_seconds: Set(descriptor
            .slo
            .as_ref()
            .map(|s| i64::try_from(s.freshness_seconds).unwrap_or(i64::MAX))),
        slo_alert_webhook: Set(descriptor.slo.as_ref().and_then(|s| s.alert_webhook.clone())),
        current_revision: Set(revision),
        content_hash: Set(content_hash.to_owned()),
        created_at: Set(existing.map_or(now, |current| current.created_at)),
        updated_at: Set(now),
        removed_at: Set(None),
        removed_by: Set(None),
        tags: Set(serde_json::to_string(&sorted_tags(descriptor)).unwrap_or_else(|_| "[]".to_owned())),
    };
    if existing.is_some() {
        row.update(txn).await?;
    } else {
        row.insert(txn).await?;
    }
    Ok(())
}

async fn write_revision(
    txn: &DatabaseTransaction,
    deployment: &Deployment,
    revision: i32,
    content_hash: &str,
    changes: &[String],
) -> Result<()> {
    let id = deployment.descriptor.id().to_string();
    product_revision::ActiveModel {
        product_id: Set(id),
        revision: Set(revision),
        content_hash: Set(content_hash.to_owned()),
        descriptor_yaml: Set(deployment.yaml.clone()),
        descriptor_json: Set(deployment.descriptor.canonical_json()),
        source: Set(deployment.source.clone()),
        changes: Set(serde_json::to_string(changes).unwrap_or_else(|_| "[]".to_owned())),
        deployed_at: Set(Utc::now()),
        base_dir: Set(deployment.base_dir.clone()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Replaces tags, inputs, outputs, columns and checks with those of the new revision: one
/// statement per kind (and one per output for its id), whatever the size of the contract.
async fn replace_contract(txn: &DatabaseTransaction, deployment: &Deployment, existed: bool) -> Result<()> {
    let descriptor = &deployment.descriptor;
    let id = descriptor.id().to_string();
    if existed {
        delete_contract(txn, &id).await?;
    }
    let tags = descriptor.metadata.tags.iter().map(|tag| product_tag::ActiveModel {
        product_id: Set(id.clone()),
        tag: Set(tag.clone()),
    });
    insert_all::<product_tag::Entity, _>(txn, tags).await?;
    let inputs = descriptor.inputs.iter().enumerate().map(|(position, input)| {
        let (format, location, upstream) = match &input.source {
            InputSource::File { format, path } => (Some(format.as_str()), Some(path.clone()), None),
            InputSource::Url { format, url } => (Some(format.as_str()), Some(url.clone()), None),
            InputSource::Object { format, uri } => (Some(format.as_str()), Some(uri.clone()), None),
            InputSource::Stream => (None, None, None),
            InputSource::Product { product, .. } => (None, None, Some(product.to_string())),
        };
        product_input::ActiveModel {
            product_id: Set(id.clone()),
            position: Set(as_position(position)),
            name: Set(input.name.to_string()),
            kind: Set(input.source.kind().to_owned()),
            format: Set(format.map(str::to_owned)),
            location: Set(location),
            upstream_product_id: Set(upstream),
            ..Default::default()
        }
    });
    insert_all::<product_input::Entity, _>(txn, inputs).await?;
    let mut columns = Vec::new();
    let mut checks = Vec::new();
    for (position, output) in descriptor.outputs.iter().enumerate() {
        let storage_path = deployment
            .output_storage_paths
            .get(position)
            .cloned()
            .unwrap_or_default();
        let row = product_output::ActiveModel {
            product_id: Set(id.clone()),
            position: Set(as_position(position)),
            name: Set(output.name.to_string()),
            description: Set(output.description.clone()),
            storage_path: Set(storage_path),
            sql: Set(output.sql.clone()),
            ..Default::default()
        };
        let output_id = product_output::Entity::insert(row).exec(txn).await?.last_insert_id;
        columns.extend(output_columns(output_id, output));
        checks.extend(output_checks(output_id, output));
    }
    insert_all::<output_column::Entity, _>(txn, columns).await?;
    insert_all::<quality_check::Entity, _>(txn, checks).await?;
    Ok(())
}

/// Rows per `INSERT`: well under SQLite's 32,766 parameters with the widest row (10 columns).
const ROWS_PER_INSERT: usize = 1_000;

/// Inserts the rows in as few statements as the parameter limit allows (none for no rows).
async fn insert_all<E, A>(txn: &DatabaseTransaction, rows: impl IntoIterator<Item = A>) -> Result<()>
where
    E: EntityTrait,
    A: ActiveModelTrait<Entity = E>,
{
    let rows: Vec<A> = rows.into_iter().collect();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        E::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
    }
    Ok(())
}

fn output_columns(
    output_id: i32,
    output: &atrium_descriptor::Output,
) -> impl Iterator<Item = output_column::ActiveModel> {
    output
        .columns
        .iter()
        .enumerate()
        .map(move |(position, column)| output_column::ActiveModel {
            output_id: Set(output_id),
            position: Set(as_position(position)),
            name: Set(column.name.to_string()),
            data_type: Set(column.data_type.to_string()),
            required: Set(column.required),
            primary_key: Set(column.primary_key),
            description: Set(column.description.clone()),
            classification: Set(column.classification.map(|c| c.as_str().to_owned())),
            pii: Set(column.pii.map(|p| p.as_str().to_owned())),
            ..Default::default()
        })
}

fn output_checks(
    output_id: i32,
    output: &atrium_descriptor::Output,
) -> impl Iterator<Item = quality_check::ActiveModel> {
    output
        .quality
        .iter()
        .enumerate()
        .map(move |(position, check)| quality_check::ActiveModel {
            output_id: Set(output_id),
            position: Set(as_position(position)),
            name: Set(check.name.to_string()),
            sql: Set(check.sql.clone()),
            expect: Set(check.expect.to_json()),
            ..Default::default()
        })
}

async fn delete_contract(txn: &DatabaseTransaction, id: &str) -> Result<()> {
    let output_ids: Vec<i32> = product_output::Entity::find()
        .filter(product_output::Column::ProductId.eq(id))
        .all(txn)
        .await?
        .into_iter()
        .map(|output| output.id)
        .collect();
    if !output_ids.is_empty() {
        output_column::Entity::delete_many()
            .filter(output_column::Column::OutputId.is_in(output_ids.clone()))
            .exec(txn)
            .await?;
        quality_check::Entity::delete_many()
            .filter(quality_check::Column::OutputId.is_in(output_ids))
            .exec(txn)
            .await?;
    }
    product_output::Entity::delete_many()
        .filter(product_output::Column::ProductId.eq(id))
        .exec(txn)
        .await?;
    product_input::Entity::delete_many()
        .filter(product_input::Column::ProductId.eq(id))
        .exec(txn)
        .await?;
    product_tag::Entity::delete_many()
        .filter(product_tag::Column::ProductId.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}

/// A descriptor's tags, sorted and each once, as summaries list them.
fn sorted_tags(descriptor: &Descriptor) -> Vec<String> {
    let tags: std::collections::BTreeSet<&String> = descriptor.metadata.tags.iter().collect();
    tags.into_iter().cloned().collect()
}

/// Positions are small list indices; a list that long was refused long before.
fn as_position(index: usize) -> i32 {
    i32::try_from(index).unwrap_or(i32::MAX)
}
