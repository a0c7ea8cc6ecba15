//! Runs against a real SQLite catalog and real Delta tables in a temporary data directory:
//! publishing, quality checks, interrupted runs, one run at a time, schedules, stream micro-batches.

use atrium_platform::{Caller, DescriptorSource, Platform, PlatformSettings};

async fn open_platform(dir: &tempfile::TempDir) -> Platform {
    Platform::open(&PlatformSettings::embedded(dir.path().to_owned()))
        .await
        .expect("opens")
}

fn source(text: &str, name: &str) -> DescriptorSource {
    DescriptorSource::new(text, Some(name.to_owned()))
}

/// Runs `id` now and returns the recorded run.
async fn run_manually(platform: &Platform, id: &str) -> atrium_types::RunView {
    platform
        .run(&Caller::Operator, id, atrium_platform::RunTrigger::Manual)
        .await
        .expect("runs")
}

/// The catalog of `dir`, as another process (a replica) would open it.
async fn catalog_beside(dir: &tempfile::TempDir) -> atrium_catalog::Catalog {
    atrium_catalog::Catalog::connect(&atrium_catalog::Catalog::sqlite_url(&dir.path().join("atrium.db")))
        .await
        .expect("catalog")
}

const CUSTOMERS: &str = "apiVersion: atrium/v1
kind: DataProduct
metadata: { id: crm.customers, title: Customers, owner: team-crm, description: People. }
inputs:
  - { name: raw, source: { kind: file, format: csv, path: customers.csv } }
transform:
  sql: SELECT id AS customer_id, email, CAST(balance AS DECIMAL(10,2)) AS balance FROM raw
outputs:
  - name: customers
    description: One row per customer.
    columns:
      - { name: customer_id, type: int64, required: true }
      - { name: email, type: string, classification: pii, pii: hash }
      - { name: balance, type: \"decimal(10,2)\" }
    quality:
      - { name: no_negative_balance, sql: \"SELECT count(*) FROM customers WHERE balance < 0\", expect: 0 }
";

/// Writes the customers files into `dir` and deploys them (without running).
async fn deploy_customers(platform: &Platform, dir: &std::path::Path, rows: &str) {
    let descriptor = write_files(dir, rows);
    platform
        .deploy(
            &Caller::Operator,
            &[DescriptorSource::from_file(CUSTOMERS, &descriptor)],
        )
        .await
        .expect("deploys");
}

fn write_files(dir: &std::path::Path, rows: &str) -> std::path::PathBuf {
    std::fs::write(dir.join("customers.csv"), format!("id,email,balance\n{rows}")).expect("csv");
    let descriptor = dir.join("customers.yaml");
    std::fs::write(&descriptor, CUSTOMERS).expect("yaml");
    descriptor
}

#[tokio::test]
async fn a_run_publishes_a_version_and_a_failing_check_keeps_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let platform = open_platform(&dir).await;
    deploy_customers(&platform, dir.path(), "1,ann@example.com,10.50\n").await;

    let first = run_manually(&platform, "crm.customers").await;
    assert_eq!(first.status, atrium_types::RunStatus::Succeeded, "{:?}", first.error);
    assert_eq!((first.rows_read, first.rows_written), (1, 1));
    let detail = platform
        .product(&Caller::Operator, "crm.customers")
        .await
        .expect("reads");
    assert_eq!(detail.outputs[0].published_version, Some(0));

    write_files(dir.path(), "1,ann@example.com,-1.00\n");
    let second = run_manually(&platform, "crm.customers").await;
    assert_eq!(second.status, atrium_types::RunStatus::Failed);
    assert_eq!(
        second.error.as_deref(),
        Some("quality checks failed: no_negative_balance; the previous version stays published")
    );
    let detail = platform
        .product(&Caller::Operator, "crm.customers")
        .await
        .expect("reads");
    assert_eq!(
        detail.outputs[0].published_version,
        Some(0),
        "readers keep the version that passed"
    );
    assert_eq!(
        detail.runs.iter().map(|r| r.id).collect::<Vec<_>>(),
        [second.id, first.id]
    );
}

#[tokio::test]
async fn a_run_killed_mid_write_leaves_the_previous_version_readable_and_fails_once_silent() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let platform = open_platform(&dir).await;
        deploy_customers(&platform, dir.path(), "1,ann@example.com,10.50\n").await;
        let first = run_manually(&platform, "crm.customers").await;
        assert_eq!(first.status, atrium_types::RunStatus::Succeeded, "{:?}", first.error);
    }
    // A second run was killed while writing: its run row says `running`, and a data file it was
    // writing lies in the table folder without any commit in the Delta log.
    let catalog = catalog_beside(&dir).await;
    let id = atrium_types::ProductId::parse("crm.customers").expect("id");
    catalog.start_run(&id, 1, "manual").await.expect("starts");
    drop(catalog);
    let table = dir.path().join("store/crm/customers/customers");
    std::fs::write(
        table.join("part-00000-killed-mid-write.snappy.parquet"),
        b"PAR1 half a file",
    )
    .expect("stray file");

    // A process starting now (another replica, say) leaves the run alone while it may be alive:
    // its last sign of life is fresh, and the product stays busy.
    let replica = open_platform(&dir).await;
    let runs = replica
        .runs(&Caller::Operator, "crm.customers", 10)
        .await
        .expect("runs");
    assert_eq!(runs[0].status, atrium_types::RunStatus::Running);
    let busy = replica
        .run(&Caller::Operator, "crm.customers", atrium_platform::RunTrigger::Manual)
        .await
        .expect_err("the product is busy");
    assert_eq!(busy.code(), atrium_types::ErrorCode::Conflict, "{busy}");
    drop(replica);

    // Silent for three heartbeats, it is taken for abandoned: failed, and nothing of it is read.
    std::thread::sleep(std::time::Duration::from_millis(50));
    let mut settings = PlatformSettings::embedded(dir.path().to_owned());
    settings.run_heartbeat = std::time::Duration::from_millis(10);
    let platform = Platform::open(&settings).await.expect("opens");
    let runs = platform
        .runs(&Caller::Operator, "crm.customers", 10)
        .await
        .expect("runs");
    assert_eq!(runs[0].status, atrium_types::RunStatus::Failed);
    assert!(
        runs[0].error.as_deref().is_some_and(|e| e.starts_with("interrupted")),
        "{:?}",
        runs[0].error
    );
    let sample = platform
        .sample(&Caller::Operator, "crm.customers", None, 10)
        .await
        .expect("reads")
        .expect("published data");
    assert_eq!(
        (sample.version, sample.rows.len()),
        (0, 1),
        "readers still see the version that passed"
    );
    let result = platform
        .query(&Caller::Operator, "SELECT count(*) AS n FROM crm.customers")
        .await
        .expect("queries");
    assert_eq!(result.rows[0]["n"], 1);
}

#[tokio::test]
async fn a_product_runs_once_at_a_time() {
    let dir = tempfile::tempdir().expect("temp dir");
    let platform = open_platform(&dir).await;
    deploy_customers(&platform, dir.path(), "1,ann@example.com,10.50\n").await;
    // Another process (a replica, say) is running the product.
    let catalog = catalog_beside(&dir).await;
    let id = atrium_types::ProductId::parse("crm.customers").expect("id");
    let elsewhere = catalog.start_run(&id, 1, "manual").await.expect("starts");

    let refused = platform
        .run(&Caller::Operator, "crm.customers", atrium_platform::RunTrigger::Manual)
        .await
        .expect_err("refused");
    assert_eq!(refused.code(), atrium_types::ErrorCode::Conflict);
    assert_eq!(
        refused.to_string(),
        "a run of `crm.customers` is already running; wait for it to finish"
    );
    let scheduled = format!("{CUSTOMERS}schedule: \"*/5 * * * *\"\n");
    let descriptor = write_files(dir.path(), "1,ann@example.com,10.50\n");
    std::fs::write(&descriptor, &scheduled).expect("yaml");
    platform
        .deploy(
            &Caller::Operator,
            &[DescriptorSource::from_file(scheduled, &descriptor)],
        )
        .await
        .expect("deploys");
    let due = platform.next_scheduled_run().await.expect("reads").expect("scheduled");
    assert!(
        platform
            .run_due_schedules(&Caller::Operator, due)
            .await
            .expect("claims")
            .is_empty(),
        "a due slot waits while the product runs"
    );

    catalog
        .finish_run(
            elsewhere,
            atrium_catalog::RunRecord {
                status: atrium_types::RunStatus::Failed,
                rows_read: 0,
                rows_written: 0,
                rows_rejected: 0,
                bytes_written: 0,
                error: Some("stopped".to_owned()),
                checks: Vec::new(),
                outputs: Vec::new(),
                log: Vec::new(),
            },
        )
        .await
        .expect("finishes");
    let runs = platform.run_due_schedules(&Caller::Operator, due).await.expect("runs");
    assert_eq!(runs.len(), 1, "the slot that waited runs now");
    assert_eq!(
        runs[0].status,
        atrium_types::RunStatus::Succeeded,
        "{:?}",
        runs[0].error
    );
}

#[tokio::test]
async fn a_due_schedule_runs_once_whoever_claims_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let platform = open_platform(&dir).await;
    let scheduled = format!("{CUSTOMERS}schedule: \"*/5 * * * *\"\n");
    let descriptor = write_files(dir.path(), "1,ann@example.com,10.50\n");
    std::fs::write(&descriptor, &scheduled).expect("yaml");
    platform
        .deploy(
            &Caller::Operator,
            &[DescriptorSource::from_file(scheduled.clone(), &descriptor)],
        )
        .await
        .expect("deploys");

    let due = platform.next_scheduled_run().await.expect("reads").expect("scheduled");
    assert!(
        platform
            .run_due_schedules(&Caller::Operator, due - chrono::Duration::seconds(1))
            .await
            .expect("runs")
            .is_empty()
    );

    // A second server over the same database claims at the same moment: one of them runs it.
    let other = open_platform(&dir).await;
    let (mine, theirs) = tokio::join!(
        platform.run_due_schedules(&Caller::Operator, due),
        other.run_due_schedules(&Caller::Operator, due)
    );
    let runs: Vec<_> = mine.expect("runs").into_iter().chain(theirs.expect("runs")).collect();
    assert_eq!(runs.len(), 1, "one due slot, one run");
    assert_eq!(runs[0].trigger, "schedule");
    assert_eq!(
        runs[0].status,
        atrium_types::RunStatus::Succeeded,
        "{:?}",
        runs[0].error
    );
    assert!(
        platform
            .run_due_schedules(&Caller::Operator, due)
            .await
            .expect("runs")
            .is_empty(),
        "not doubled"
    );

    // The next slot is five minutes later; missed while down, it runs once on the way back.
    let next = platform.next_scheduled_run().await.expect("reads").expect("scheduled");
    assert!(next > due);
    drop((platform, other));
    let restarted = open_platform(&dir).await;
    let late = restarted
        .run_due_schedules(&Caller::Operator, next + chrono::Duration::hours(1))
        .await
        .expect("runs");
    assert_eq!(late.len(), 1);
}

#[tokio::test]
async fn stream_rows_are_folded_in_by_micro_batches() {
    let dir = tempfile::tempdir().expect("temp dir");
    let platform = open_platform(&dir).await;
    let clicks = "apiVersion: atrium/v1
kind: DataProduct
metadata: { id: sales.clicks, title: Clicks, owner: team-sales, description: Clicks. }
inputs:
  - { name: clicks, source: { kind: stream } }
outputs:
  - name: clicks
    description: One row per click.
    columns:
      - { name: click_id, type: int64 }
";
    platform
        .deploy(&Caller::Operator, &[source(clicks, "clicks.yaml")])
        .await
        .expect("deploys");
    assert!(
        platform
            .run_fresh_streams(&Caller::Operator)
            .await
            .expect("looks")
            .is_empty(),
        "no rows yet, no run"
    );

    platform
        .append_rows(
            &Caller::Operator,
            "sales.clicks",
            "clicks",
            "{\"click_id\": 1}\n{\"click_id\": 2}\n".to_owned(),
        )
        .await
        .expect("appends");
    let runs = platform.run_fresh_streams(&Caller::Operator).await.expect("runs");
    assert_eq!(runs.len(), 1);
    assert_eq!((runs[0].trigger.as_str(), runs[0].rows_written), ("stream", 2));
    // Nothing new since that run started: the next batch has nothing to do. (Run start times
    // are kept to the second; a second later every row of the first batch is older.)
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let again = platform.run_fresh_streams(&Caller::Operator).await.expect("looks");
    assert!(
        again.len() <= 1,
        "at most the one redundant run of rows written in the same second"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(
        platform
            .run_fresh_streams(&Caller::Operator)
            .await
            .expect("looks")
            .is_empty()
    );

    platform
        .append_rows(
            &Caller::Operator,
            "sales.clicks",
            "clicks",
            "{\"click_id\": 3}\n".to_owned(),
        )
        .await
        .expect("appends");
    let runs = platform.run_fresh_streams(&Caller::Operator).await.expect("runs");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].rows_written, 3, "a run folds in every row received");

    // Rows pushed to a product removed since wait, and keep nothing else from running.
    platform
        .append_rows(
            &Caller::Operator,
            "sales.clicks",
            "clicks",
            "{\"click_id\": 4}\n".to_owned(),
        )
        .await
        .expect("appends");
    platform
        .remove_product(&Caller::Operator, "sales.clicks")
        .await
        .expect("removes");
    assert!(
        platform
            .run_fresh_streams(&Caller::Operator)
            .await
            .expect("looks past the removed product")
            .is_empty()
    );
}

#[tokio::test]
async fn a_run_that_shows_signs_of_life_is_never_taken_for_abandoned() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = PlatformSettings::embedded(dir.path().to_owned());
    settings.run_heartbeat = std::time::Duration::from_millis(100);
    let platform = Platform::open(&settings).await.expect("opens");
    deploy_customers(&platform, dir.path(), "1,ann@example.com,10.50\n").await;
    // Another replica runs the product and beats every 20 ms (silence would count after 300 ms).
    let catalog = catalog_beside(&dir).await;
    let id = atrium_types::ProductId::parse("crm.customers").expect("id");
    let run = catalog.start_run(&id, 1, "manual").await.expect("starts");
    for _ in 0..20 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        catalog.beat(run).await.expect("beats");
        assert_eq!(platform.fail_abandoned_runs(&Caller::Operator).await.expect("looks"), 0);
    }
    // It stops beating (the replica died): three heartbeats later it is failed, once.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(platform.fail_abandoned_runs(&Caller::Operator).await.expect("looks"), 1);
    assert_eq!(platform.fail_abandoned_runs(&Caller::Operator).await.expect("looks"), 0);
    let runs = platform
        .runs(&Caller::Operator, "crm.customers", 1)
        .await
        .expect("runs");
    assert_eq!(runs[0].status, atrium_types::RunStatus::Failed);
    // The product can run again.
    let again = run_manually(&platform, "crm.customers").await;
    assert_eq!(again.status, atrium_types::RunStatus::Succeeded, "{:?}", again.error);
}
