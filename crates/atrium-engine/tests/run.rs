//! Runs on real files and real Delta tables in a temporary store.

use std::collections::HashMap;
use std::path::Path;

use atrium_descriptor::parse_descriptor;
use atrium_engine::{Engine, PiiKey, RunRequest, StoreRoot, UpstreamVersions};
use deltalake::arrow::util::pretty::pretty_format_batches;
use deltalake::datafusion::prelude::SessionContext;

const CUSTOMERS: &str = "apiVersion: atrium/v1
kind: DataProduct
metadata: { id: crm.customers, title: Customers, owner: team-crm, description: People. }
inputs:
  - { name: raw, source: { kind: file, format: csv, path: customers.csv } }
transform:
  sql: SELECT id AS customer_id, email, CAST(balance AS DECIMAL(10,2)) AS balance, country FROM raw
outputs:
  - name: customers
    description: One row per customer.
    columns:
      - { name: customer_id, type: int64, required: true }
      - { name: email, type: string, classification: pii, pii: hash }
      - { name: balance, type: \"decimal(10,2)\" }
      - { name: country, type: string, classification: public }
    quality:
      - { name: no_negative_balance, sql: \"SELECT count(*) FROM customers WHERE balance < 0\", expect: 0 }
";

fn engine(store: &Path) -> Engine {
    let key = PiiKey::new(b"a-test-secret-of-some-length").expect("key");
    Engine::new(
        StoreRoot::local(store).expect("store"),
        store.join("streams"),
        key,
        256 * 1024 * 1024,
    )
}

fn write_csv(dir: &Path, rows: &str) {
    std::fs::write(dir.join("customers.csv"), format!("id,email,balance,country\n{rows}")).expect("csv");
}

async fn read_table(engine: &Engine, version: u64) -> String {
    let ctx = SessionContext::new();
    let descriptor = parse_descriptor(CUSTOMERS, None).expect("valid");
    let location = engine
        .root()
        .output_table(descriptor.id(), &descriptor.outputs[0].name)
        .expect("location");
    atrium_engine::tables::register_version(&ctx, "t", &location, version)
        .await
        .expect("registers");
    let batches = ctx
        .sql("SELECT customer_id, email, balance FROM t ORDER BY customer_id")
        .await
        .expect("sql")
        .collect()
        .await
        .expect("rows");
    pretty_format_batches(&batches).expect("formats").to_string()
}

fn bytes_under(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            all.extend(bytes_under(&path));
        } else {
            all.extend(std::fs::read(&path).expect("file"));
        }
    }
    all
}

#[tokio::test]
async fn a_csv_with_a_pii_column_lands_hashed() {
    let dir = tempfile::tempdir().expect("temp");
    write_csv(dir.path(), "1,ann@example.com,10.50,FR\n2,bob@example.com,3.25,DE\n");
    let store = dir.path().join("store");
    let engine = engine(&store);
    let descriptor = parse_descriptor(CUSTOMERS, None).expect("valid");
    let upstream = UpstreamVersions::new();
    let report = engine
        .run(RunRequest {
            run_id: 1,
            descriptor: &descriptor,
            base_dir: Some(dir.path()),
            upstream: &upstream,
        })
        .await
        .expect("runs");
    assert_eq!((report.rows_read, report.rows_written), (2, 2));
    assert_eq!(report.outputs[0].version, Some(0));
    assert!(report.checks_passed());

    let table = read_table(&engine, 0).await;
    let key = PiiKey::new(b"a-test-secret-of-some-length").expect("key");
    assert!(table.contains(&key.hash("ann@example.com")), "{table}");
    assert!(table.contains("10.50"), "{table}");
    let stored = bytes_under(&store);
    assert!(
        !stored.windows(15).any(|w| w == b"ann@example.com"),
        "raw PII reached the store"
    );
}

#[tokio::test]
async fn a_failing_check_writes_nothing_and_keeps_the_old_version() {
    let dir = tempfile::tempdir().expect("temp");
    let store = dir.path().join("store");
    let engine = engine(&store);
    let descriptor = parse_descriptor(CUSTOMERS, None).expect("valid");
    let upstream: UpstreamVersions = HashMap::new();
    let request = || RunRequest {
        run_id: 1,
        descriptor: &descriptor,
        base_dir: Some(dir.path()),
        upstream: &upstream,
    };

    write_csv(dir.path(), "1,ann@example.com,10.50,FR\n");
    engine.run(request()).await.expect("first run");
    write_csv(dir.path(), "1,ann@example.com,-5.00,FR\n");
    let report = engine.run(request()).await.expect("second run completes");
    assert!(!report.checks_passed());
    assert_eq!(report.checks[0].actual, "1");
    assert_eq!(report.outputs[0].version, None);
    assert!(read_table(&engine, 0).await.contains("10.50"));
}

#[tokio::test]
async fn schema_drift_fails_the_run_naming_the_column() {
    let dir = tempfile::tempdir().expect("temp");
    write_csv(dir.path(), "1,ann@example.com,10.50,FR\n");
    let engine = engine(&dir.path().join("store"));
    let drifting = CUSTOMERS.replace("CAST(balance AS DECIMAL(10,2)) AS balance", "balance");
    let descriptor = parse_descriptor(&drifting, None).expect("valid");
    let upstream = UpstreamVersions::new();
    let (error, report) = engine
        .run(RunRequest {
            run_id: 1,
            descriptor: &descriptor,
            base_dir: Some(dir.path()),
            upstream: &upstream,
        })
        .await
        .expect_err("drift");
    assert_eq!(
        error.to_string(),
        "column `balance`: the transform produces float64 but the contract says decimal(10,2); cast it in the SQL"
    );
    assert!(
        report
            .log
            .last()
            .is_some_and(|line| line.starts_with("failed: column `balance`"))
    );
}

#[tokio::test]
async fn bad_input_rows_go_to_the_quarantine_with_their_reason() {
    let dir = tempfile::tempdir().expect("temp");
    write_csv(
        dir.path(),
        "1,ann@example.com,10.50,FR\n2,bob@example.com,lots,DE\n3,cy@example.com,1.00\n4,dan@example.com,2.00,ES\n",
    );
    let store = dir.path().join("store");
    let engine = engine(&store);
    let declared = CUSTOMERS.replace(
        "path: customers.csv } }",
        "path: customers.csv }, columns: { balance: \"decimal(10,2)\" } }",
    );
    let descriptor = parse_descriptor(&declared, None).expect("valid");
    let upstream = UpstreamVersions::new();
    let report = engine
        .run(RunRequest {
            run_id: 7,
            descriptor: &descriptor,
            base_dir: Some(dir.path()),
            upstream: &upstream,
        })
        .await
        .expect("runs");
    assert_eq!((report.rows_read, report.rows_written, report.rows_rejected), (4, 2, 2));
    assert!(report.bytes_written > 0);
    assert!(
        report
            .log
            .iter()
            .any(|line| line.contains("customers.csv line 3: column `balance`: `lots` is not a valid decimal(10,2)")),
        "{:#?}",
        report.log
    );

    let location = engine.root().quarantine_table(descriptor.id()).expect("location");
    let rejected = atrium_engine::quarantine::rows_of_run(&location, 7, 100)
        .await
        .expect("quarantine");
    let found: Vec<(i64, Option<&str>, &str)> = rejected
        .iter()
        .map(|row| (row.line, row.column.as_deref(), row.reason.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (3, Some("balance"), "`lots` is not a valid decimal(10,2)"),
            (4, None, "3 fields where the header has 4"),
        ]
    );
    assert!(
        rejected
            .iter()
            .all(|row| row.input == "raw" && row.source == "customers.csv")
    );
    // The record is kept with the PII handling applied: hashed, never raw.
    let key = PiiKey::new(b"a-test-secret-of-some-length").expect("key");
    let record = rejected[0].record.as_deref().expect("record");
    assert!(
        record.contains(&key.hash("bob@example.com")) && record.contains("lots"),
        "{record}"
    );
    let stored = bytes_under(&store);
    for raw in [&b"bob@example.com"[..], b"cy@example.com"] {
        assert!(
            !stored.windows(raw.len()).any(|w| w == raw),
            "raw PII reached the store"
        );
    }
    assert!(
        atrium_engine::quarantine::rows_of_run(&location, 8, 100)
            .await
            .expect("other run")
            .is_empty()
    );
}
