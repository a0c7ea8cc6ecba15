//! Running products: gather what the engine needs from the catalog, run, record the outcome
//! and publish the versions whose checks passed.

use std::path::PathBuf;

use atrium_catalog::RunRecord;
use atrium_engine::{EngineError, RunReport, RunRequest, UpstreamVersions};
use atrium_types::{AuditOutcome, CheckView, ProductId, RunOutputView, RunStatus, RunView};

use crate::access::{Action, Caller, Subject};
use crate::order::dependency_order;
use crate::{Platform, PlatformError, Result};

/// One product of [`Platform::run_all`].
#[derive(Debug, Clone)]
pub enum RunAllEntry {
    Ran(RunView),
    Skipped { product: ProductId, upstream: ProductId },
}

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunTrigger {
    Deploy,
    Manual,
    Schedule,
    /// A micro-batch: rows arrived on a stream input since the last run.
    Stream,
    /// The access a product waited for was approved.
    Access,
}

impl RunTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            RunTrigger::Deploy => "deploy",
            RunTrigger::Manual => "manual",
            RunTrigger::Schedule => "schedule",
            RunTrigger::Stream => "stream",
            RunTrigger::Access => "access",
        }
    }
}

impl Platform {
    /// Runs a product now and returns the recorded run (also when it failed).
    pub async fn run(&self, caller: &Caller, id: &str, trigger: RunTrigger) -> Result<RunView> {
        let id = parse_id(id)?;
        self.guard(caller, &id, Action::Run).await?;
        let runnable = self.catalog.runnable(&id).await?;
        let run_id = self.catalog.start_run(&id, runnable.revision, trigger.as_str()).await?;
        self.carry_out(&id, runnable, run_id, trigger).await
    }

    /// Claims the schedules due at `now` and runs them, upstream products first. Every due slot
    /// runs once, whichever process claims it.
    pub async fn run_due_schedules(&self, caller: &Caller, now: chrono::DateTime<chrono::Utc>) -> Result<Vec<RunView>> {
        self.guard_platform(caller)?;
        let claimed = self.catalog.claim_due_runs(now).await?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let products: Vec<ProductId> = claimed.iter().map(|run| run.product.clone()).collect();
        let edges = self.catalog.dependency_edges().await?;
        let mut views = Vec::with_capacity(claimed.len());
        for product in dependency_order(&products, &edges) {
            let Some(run) = claimed.iter().find(|run| run.product == product) else {
                continue;
            };
            let runnable = self.catalog.runnable(&product).await?;
            views.push(
                self.carry_out(&product, runnable, run.run_id, RunTrigger::Schedule)
                    .await?,
            );
        }
        Ok(views)
    }

    /// Runs the products whose stream inputs received rows since their last run started: the
    /// micro-batches of `atrium serve`. A product already running is left to that run (whatever
    /// it did not see is newer than its start, so the next call runs it again).
    pub async fn run_fresh_streams(&self, caller: &Caller) -> Result<Vec<RunView>> {
        self.guard_platform(caller)?;
        let mut views = Vec::new();
        // Only the products rows were ever pushed to: not a pass over the whole catalog.
        for id in atrium_engine::streams::products_with_streams(self.engine.streams_dir()) {
            let runnable = match self.catalog.runnable(&id).await {
                Ok(runnable) => runnable,
                // Removed, or never deployed here: its rows wait for a deploy of the id.
                Err(atrium_catalog::CatalogError::NotFound { .. }) => continue,
                Err(error) => return Err(error.into()),
            };
            let newest = runnable
                .descriptor
                .inputs
                .iter()
                .filter(|input| matches!(input.source, atrium_descriptor::InputSource::Stream))
                .filter_map(|input| {
                    let dir = atrium_engine::streams::stream_dir(self.engine.streams_dir(), &id, &input.name);
                    atrium_engine::streams::newest_segment_nanos(&dir)
                })
                .max();
            let Some(newest) = newest else { continue };
            let last_start = self
                .catalog
                .runs(&id, 1)
                .await?
                .first()
                .and_then(|run| chrono::DateTime::parse_from_rfc3339(&run.started_at).ok())
                .and_then(|start| start.timestamp_nanos_opt())
                .and_then(|nanos| u128::try_from(nanos).ok());
            if last_start.is_some_and(|start| newest < start) {
                continue;
            }
            match self.run(caller, &id.to_string(), RunTrigger::Stream).await {
                Ok(view) => views.push(view),
                Err(PlatformError::Catalog(atrium_catalog::CatalogError::AlreadyRunning(_))) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(views)
    }

    /// Marks failed the runs whose process stopped mid-run (silent for three heartbeats), so that
    /// their products may run again; every replica calls this now and then. Returns how many.
    pub async fn fail_abandoned_runs(&self, caller: &Caller) -> Result<u64> {
        self.guard_platform(caller)?;
        let silence = chrono::Duration::from_std(self.run_heartbeat * 3).unwrap_or(chrono::Duration::MAX);
        let abandoned = self.catalog.fail_abandoned_runs(chrono::Utc::now() - silence).await?;
        if abandoned > 0 {
            tracing::warn!(abandoned, "runs whose process stopped mid-run are marked failed");
        }
        Ok(abandoned)
    }

    /// The earliest time a schedule is due, if any product is scheduled.
    pub async fn next_scheduled_run(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
        Ok(self.catalog.next_due().await?)
    }

    async fn carry_out(
        &self,
        id: &ProductId,
        runnable: atrium_catalog::RunnableProduct,
        run_id: i32,
        trigger: RunTrigger,
    ) -> Result<RunView> {
        tracing::info!(product = %id, run_id, trigger = trigger.as_str(), "run started");
        if let Some(refusal) = self.refused_input(id, run_id, &runnable.descriptor).await? {
            let mut report = RunReport::default();
            report.log.push(format!("waiting for access: {refusal}"));
            let mut record = record_of(report, Some(refusal));
            record.status = RunStatus::WaitingForAccess;
            let view = self.catalog.finish_run(run_id, record).await?;
            self.after_change().await;
            tracing::info!(product = %id, run_id, status = view.status.as_str(), "run waits for access to an input");
            return Ok(view);
        }
        let upstream = self.upstream_versions(&runnable.descriptor).await?;
        let base_dir = runnable.base_dir.map(PathBuf::from);
        let request = RunRequest {
            run_id: i64::from(run_id),
            descriptor: &runnable.descriptor,
            base_dir: base_dir.as_deref(),
            upstream: &upstream,
        };
        // Signs of life while the engine works, so that no replica takes the run for abandoned.
        let (catalog, every) = (self.catalog.clone(), self.run_heartbeat);
        let _heartbeat = AbortOnDrop(tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            ticker.tick().await;
            loop {
                ticker.tick().await;
                if let Err(error) = catalog.beat(run_id).await {
                    tracing::warn!(run_id, error = %error, "a run's heartbeat was not recorded");
                }
            }
        }));
        let outcome = self.engine.run(request).await;
        let record = match outcome {
            Ok(report) => record_of(report, None),
            Err((error, report)) => record_of(report, Some(error)),
        };
        let view = self.catalog.finish_run(run_id, record).await?;
        self.after_change().await;
        tracing::info!(product = %id, run_id, status = view.status.as_str(), "run finished");
        Ok(view)
    }

    /// Runs the products a deploy created or changed, upstream products first. Products without
    /// inputs have nothing to run (their data is written by other tools) and are left alone.
    pub async fn run_deployed(
        &self,
        caller: &Caller,
        outcomes: &[atrium_types::DeployOutcome],
    ) -> Result<Vec<RunView>> {
        let mut changed = Vec::new();
        for outcome in outcomes
            .iter()
            .filter(|o| o.change != atrium_types::DeployChange::Unchanged)
        {
            let runnable = self.catalog.runnable(&outcome.product_id).await?;
            if !runnable.descriptor.inputs.is_empty() {
                changed.push(outcome.product_id.clone());
            }
        }
        let edges = self.catalog.dependency_edges().await?;
        let mut runs = Vec::with_capacity(changed.len());
        for product in dependency_order(&changed, &edges) {
            match self.run(caller, &product.to_string(), RunTrigger::Deploy).await {
                Ok(run) => runs.push(run),
                Err(PlatformError::Catalog(atrium_catalog::CatalogError::AlreadyRunning(_))) => {
                    tracing::warn!(product = %product, "a run is already going; the deploy does not start another");
                }
                Err(error) => return Err(error),
            }
        }
        Ok(runs)
    }

    /// Runs every product the caller may run, upstream products first. A product whose upstream
    /// did not succeed is skipped: it would read stale or missing data.
    pub async fn run_all(&self, caller: &Caller, trigger: RunTrigger) -> Result<Vec<RunAllEntry>> {
        let facts = self.facts().await?;
        let products: Vec<ProductId> = facts
            .products
            .iter()
            .filter(|product| facts.decide(caller.into(), Action::Run, product).is_ok())
            .map(|p| p.id.clone())
            .collect();
        let edges = self.catalog.dependency_edges().await?;
        let mut failed: Vec<ProductId> = Vec::new();
        let mut entries = Vec::with_capacity(products.len());
        for product in dependency_order(&products, &edges) {
            let blocked_by = edges
                .iter()
                .find(|(downstream, upstream)| downstream == &product && failed.contains(upstream))
                .map(|(_, upstream)| upstream.clone());
            if let Some(upstream) = blocked_by {
                failed.push(product.clone());
                entries.push(RunAllEntry::Skipped { product, upstream });
                continue;
            }
            let run = self.run(caller, &product.to_string(), trigger).await?;
            if run.status != RunStatus::Succeeded {
                failed.push(product);
            }
            entries.push(RunAllEntry::Ran(run));
        }
        Ok(entries)
    }

    /// Accepts rows for a stream input (a JSON array or JSON lines) and returns how many were
    /// made durable. The product's PII handling is applied before they are written.
    pub async fn append_rows(&self, caller: &Caller, id: &str, input: &str, body: String) -> Result<usize> {
        let id = parse_id(id)?;
        self.guard(caller, &id, Action::PushRows).await?;
        let runnable = self.catalog.runnable(&id).await?;
        let descriptor = &runnable.descriptor;
        let Some(declared) = descriptor
            .inputs
            .iter()
            .find(|candidate| candidate.name.as_str() == input)
        else {
            return Err(PlatformError::NoSuchInput {
                product: id.to_string(),
                input: input.to_owned(),
                reason: "it has no input of that name".to_owned(),
            });
        };
        if !matches!(declared.source, atrium_descriptor::InputSource::Stream) {
            return Err(PlatformError::NoSuchInput {
                product: id.to_string(),
                input: input.to_owned(),
                reason: format!("that input is a `{}` input, not a stream", declared.source.kind()),
            });
        }
        let rules: Vec<_> = descriptor
            .outputs
            .iter()
            .flat_map(atrium_engine::pipeline::pii_rules)
            .collect();
        let dir = atrium_engine::streams::stream_dir(self.engine.streams_dir(), &id, &declared.name);
        let key = self.engine.pii_key().clone();
        let accepted = tokio::task::spawn_blocking(move || {
            let rows = atrium_engine::streams::parse_rows(&body)?;
            atrium_engine::streams::append(&dir, rows, &rules, &key)
        })
        .await
        .map_err(|error| PlatformError::Engine(atrium_engine::EngineError::Internal(error.to_string())))??;
        tracing::info!(product = %id, input, accepted, "stream rows made durable");
        Ok(accepted)
    }

    /// The input rows a run of the product set aside, in input and line order, at most `limit`.
    /// They hold record data: the caller must be allowed to read the product's data.
    pub async fn rejected_rows(
        &self,
        caller: &Caller,
        id: &str,
        run_id: i64,
        limit: usize,
    ) -> Result<Vec<crate::RejectedRow>> {
        let id = parse_id(id)?;
        self.guard(caller, &id, Action::ReadData { output: None }).await?;
        let run = match i32::try_from(run_id) {
            Ok(run_id) => self.catalog.run(run_id).await.ok(),
            Err(_) => None,
        };
        if run.is_none_or(|run| run.product_id != id) {
            return Err(PlatformError::NoSuchRun {
                product: id,
                run: run_id,
            });
        }
        let location = self.engine.root().quarantine_table(&id)?;
        Ok(atrium_engine::quarantine::rows_of_run(&location, run_id, limit).await?)
    }

    pub async fn runs(&self, caller: &Caller, id: &str, limit: u64) -> Result<Vec<RunView>> {
        self.runs_page(caller, id, None, limit).await
    }

    /// A page of a product's runs, newest first, older than the run `before` when given.
    pub async fn runs_page(&self, caller: &Caller, id: &str, before: Option<i64>, limit: u64) -> Result<Vec<RunView>> {
        let id = parse_id(id)?;
        self.guard(caller, &id, Action::See).await?;
        Ok(self.catalog.runs_before(&id, before, limit).await?)
    }

    /// The first `product` input whose upstream this product may not read (it reads as its
    /// owner), as the reason the run waits.
    /// Decides each `product` input of a run as the product's owner would read it, and records
    /// each decision in the audit log (`run.read`); the first refusal stops the run.
    async fn refused_input(
        &self,
        id: &ProductId,
        run_id: i32,
        descriptor: &atrium_descriptor::Descriptor,
    ) -> Result<Option<EngineError>> {
        let upstream: Vec<ProductId> = descriptor.upstream_products().cloned().collect();
        if upstream.is_empty() {
            return Ok(None);
        }
        let facts = self.facts_for(&upstream).await?;
        let subject = Subject::ProductRun {
            product: id,
            owner: &descriptor.metadata.owner,
        };
        let mut records = Vec::new();
        let mut refused = None;
        for input in &descriptor.inputs {
            let atrium_descriptor::InputSource::Product { product, output } = &input.source else {
                continue;
            };
            let Some(upstream) = facts.find(product) else {
                continue;
            };
            let first_output = self.first_output_name(product).await?;
            let output = output.as_ref().map(|o| o.to_string()).or(first_output);
            let decision = crate::access::read_basis(subject, facts.of(upstream), output.as_deref(), facts.now);
            let outcome = if decision.is_ok() {
                AuditOutcome::Ok
            } else {
                AuditOutcome::Refused
            };
            let mut record = self.audit_record(&Caller::System, crate::audit::RUN_READ, outcome, Some(product));
            record.actor = format!("product:{id}");
            record.actor_domain = Some(id.domain().to_string());
            record.detail.insert("run".to_owned(), run_id.to_string());
            record.detail.insert("input".to_owned(), input.name.to_string());
            if let Some(output) = &output {
                record.detail.insert("output".to_owned(), output.clone());
            }
            match decision {
                Ok(basis) => {
                    record.detail.insert("via".to_owned(), basis.to_string());
                }
                Err(refusal) => {
                    record
                        .detail
                        .insert("reason".to_owned(), crate::requests::excerpt(&refusal.to_string()));
                    refused.get_or_insert(EngineError::Input {
                        input: input.name.to_string(),
                        message: format!("may not read `{product}`: {refusal}"),
                    });
                }
            }
            records.push(record);
            if refused.is_some() {
                break;
            }
        }
        self.append_audit(records).await;
        Ok(refused)
    }

    async fn first_output_name(&self, product: &ProductId) -> Result<Option<String>> {
        let runnable = self.catalog.runnable(product).await?;
        Ok(runnable.descriptor.outputs.first().map(|o| o.name.to_string()))
    }

    /// The published table each `product` input reads: the upstream's first output, or the one
    /// it names.
    async fn upstream_versions(&self, descriptor: &atrium_descriptor::Descriptor) -> Result<UpstreamVersions> {
        let ids: Vec<ProductId> = descriptor.upstream_products().cloned().collect();
        let published = self.published_outputs(&ids).await?;
        let mut versions = UpstreamVersions::new();
        for input in &descriptor.inputs {
            let atrium_descriptor::InputSource::Product { product, output } = &input.source else {
                continue;
            };
            let Some(outputs) = published.get(product) else {
                continue;
            };
            let table = match output {
                Some(output) => outputs.iter().find(|table| table.output == output.as_str()),
                None => outputs.first(),
            };
            if let Some(table) = table {
                versions.insert(
                    (product.clone(), output.clone()),
                    (table.location.clone(), table.version),
                );
            }
        }
        Ok(versions)
    }
}

/// Stops a task when dropped: a run's heartbeat ends with the run, also when the run's future
/// is dropped half-way.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub(crate) fn parse_id(id: &str) -> Result<ProductId> {
    ProductId::parse(id).map_err(|error| PlatformError::BadId {
        id: id.to_owned(),
        reason: error.to_string(),
    })
}

fn record_of(report: RunReport, error: Option<EngineError>) -> RunRecord {
    let failed_checks: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.name.as_str())
        .collect();
    let (status, error) = match (error, failed_checks.is_empty()) {
        (Some(error), _) => (RunStatus::Failed, Some(error.to_string())),
        (None, false) => (
            RunStatus::Failed,
            Some(format!(
                "quality checks failed: {}; the previous version stays published",
                failed_checks.join(", ")
            )),
        ),
        (None, true) => (RunStatus::Succeeded, None),
    };
    RunRecord {
        status,
        rows_read: report.rows_read,
        rows_written: report.rows_written,
        rows_rejected: report.rows_rejected,
        bytes_written: report.bytes_written,
        error,
        checks: report
            .checks
            .into_iter()
            .map(|c| CheckView {
                output: c.output,
                name: c.name,
                passed: c.passed,
                actual: c.actual,
                expected: c.expected,
            })
            .collect(),
        outputs: report
            .outputs
            .into_iter()
            .map(|o| RunOutputView {
                name: o.name,
                rows: o.rows,
                version: o.version,
            })
            .collect(),
        log: report.log,
    }
}
