//! Stream inputs: rows pushed over HTTP are durable once acknowledged, survive a restart, and are
//! folded in by the next run with their PII handled.

use serde_json::{Value, json};

use crate::helpers::{spawn_app, spawn_app_at};

const EVENTS: &str = "apiVersion: atrium/v1
kind: DataProduct
metadata: { id: sales.order_events, title: Order events, owner: team-sales, description: Status changes. }
inputs:
  - { name: events, source: { kind: stream } }
transform:
  sql: SELECT order_id, event, CAST(occurred_at AS TIMESTAMP) AS occurred_at, email FROM events
outputs:
  - name: order_events
    description: One row per status change.
    columns:
      - { name: order_id, type: int64, required: true }
      - { name: event, type: string, classification: internal }
      - { name: occurred_at, type: timestamp }
      - { name: email, type: string, classification: pii, pii: hash }
";

fn bytes_under(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            all.extend(bytes_under(&path));
        } else {
            all.extend(std::fs::read(&path).unwrap_or_default());
        }
    }
    all
}

#[tokio::test]
async fn acknowledged_rows_survive_a_restart_and_land_hashed() {
    let first = spawn_app().await;
    assert_eq!(first.deploy(EVENTS).await.status(), 201);
    first.wait_until_idle("sales.order_events").await;
    let rows_path = "/api/v1/products/sales.order_events/inputs/events/rows";
    let array = r#"[{"order_id": 1, "event": "placed", "occurred_at": "2026-11-01T10:00:00Z", "email": "ann@example.com"},
                    {"order_id": 1, "event": "paid", "occurred_at": "2026-11-01T10:05:00Z", "email": "ann@example.com"}]"#;
    let response = first.post_json(rows_path, array).await;
    assert_eq!(response.status(), 202);
    assert_eq!(response.json::<Value>().await.expect("json"), json!({"accepted": 2}));
    let lines = "{\"order_id\": 2, \"event\": \"placed\", \"occurred_at\": \"2026-11-02T09:00:00Z\", \"email\": \"bob@example.com\"}\n";
    assert_eq!(first.post_json(rows_path, lines).await.status(), 202);
    assert!(
        !bytes_under(&first.data_dir.join("streams"))
            .windows(15)
            .any(|w| w == b"ann@example.com")
    );

    // A new server process over the same data dir: only what is on disk is there.
    let restarted = spawn_app_at(&first.data_dir, |_| {}).await;
    let run = restarted.run_now("sales.order_events").await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["rows_written"], 3);
    let result: Value = restarted
        .query("SELECT order_id, event, email FROM sales.order_events ORDER BY occurred_at")
        .await
        .json()
        .await
        .expect("json");
    let rows = result["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 3);
    assert_eq!(
        (rows[0]["event"].as_str(), rows[2]["order_id"].as_i64()),
        (Some("placed"), Some(2))
    );
    assert_eq!(rows[0]["email"], rows[1]["email"], "hashes stay joinable");
    assert_ne!(rows[0]["email"], "ann@example.com");
}

#[tokio::test]
async fn rows_for_unknown_or_non_stream_inputs_are_refused() {
    let app = spawn_app().await;
    app.deploy(EVENTS).await;
    let unknown = app
        .post_json("/api/v1/products/sales.order_events/inputs/clicks/rows", "[]")
        .await;
    assert_eq!(unknown.status(), 404);
    let bad = app
        .post_json("/api/v1/products/sales.order_events/inputs/events/rows", "[1, 2]")
        .await;
    assert_eq!(bad.status(), 422);
    let body: Value = bad.json().await.expect("json");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("row 1 is not a JSON object"),
        "{body}"
    );
}

#[tokio::test]
async fn rows_of_the_wrong_type_are_quarantined_and_listed_with_their_reason() {
    let app = spawn_app().await;
    let declared = EVENTS.replace(
        "{ name: events, source: { kind: stream } }",
        "{ name: events, source: { kind: stream }, columns: { order_id: int64 } }",
    );
    assert_eq!(app.deploy(&declared).await.status(), 201);
    app.wait_until_idle("sales.order_events").await;
    let rows = "{\"order_id\": 1, \"event\": \"placed\", \"occurred_at\": \"2026-11-01T10:00:00Z\", \"email\": \"ann@example.com\"}\n\
                {\"order_id\": \"one\", \"event\": \"paid\", \"occurred_at\": \"2026-11-01T10:05:00Z\", \"email\": \"bob@example.com\"}\n";
    let rows_path = "/api/v1/products/sales.order_events/inputs/events/rows";
    assert_eq!(app.post_json(rows_path, rows).await.status(), 202);

    let run = app.run_now("sales.order_events").await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(
        (run["rows_read"].as_u64(), run["rows_written"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(run["rows_rejected"], 1, "{run}");
    assert!(run["bytes_written"].as_u64().unwrap_or(0) > 0, "{run}");

    let path = format!("/api/v1/products/sales.order_events/runs/{}/rejected", run["id"]);
    let response = app.get(&path).await;
    assert_eq!(response.status(), 200);
    let rejected: Value = response.json().await.expect("json");
    let rejected = rejected.as_array().expect("array");
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    let row = &rejected[0];
    assert_eq!((row["input"].as_str(), row["line"].as_i64()), (Some("events"), Some(2)));
    assert_eq!(row["column"], "order_id");
    assert_eq!(row["reason"], "`one` is not a valid int64");
    assert!(
        row["source"].as_str().is_some_and(|source| source.ends_with(".jsonl")),
        "{row}"
    );
    let record = row["record"].as_str().expect("record");
    assert!(
        record.contains("paid") && !record.contains("bob@example.com"),
        "{record}"
    );

    assert_eq!(
        app.get("/api/v1/products/sales.nope/runs/1/rejected").await.status(),
        404
    );
}

#[tokio::test]
async fn many_small_requests_are_merged_by_the_next_run_and_every_row_counts_once() {
    let app = spawn_app().await;
    assert_eq!(app.deploy(EVENTS).await.status(), 201);
    app.wait_until_idle("sales.order_events").await;
    let rows_path = "/api/v1/products/sales.order_events/inputs/events/rows";
    for order in 1..=40 {
        let line = format!(
            "{{\"order_id\": {order}, \"event\": \"placed\", \"occurred_at\": \"2026-11-02T09:00:00Z\", \"email\": \"x{order}@example.com\"}}"
        );
        assert_eq!(app.post_json(rows_path, &line).await.status(), 202);
    }
    let buffer = app.data_dir.join("streams/sales/order_events/events");
    let segments = || std::fs::read_dir(&buffer).expect("buffer").flatten().count();
    assert_eq!(segments(), 40, "one segment per request");
    for _ in 0..2 {
        let run = app.run_now("sales.order_events").await;
        assert_eq!(run["status"], "succeeded", "{run}");
        assert_eq!(run["rows_written"], 40, "{run}");
    }
    assert_eq!(segments(), 1, "merged into one by the first run");
    let body: Value = app
        .query("SELECT count(*) AS n, count(DISTINCT order_id) AS orders FROM sales.order_events")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["rows"], json!([{"n": 40, "orders": 40}]));
}

#[tokio::test]
async fn rows_without_a_required_value_are_set_aside_and_the_rest_is_published() {
    let app = spawn_app().await;
    let clicks = "apiVersion: atrium/v1
kind: DataProduct
metadata: { id: web.clicks, title: Clicks, owner: team-web, description: Clicks. }
inputs:
  - { name: clicks, source: { kind: stream } }
outputs:
  - name: clicks
    description: One row per click.
    columns:
      - { name: page, type: string, required: true, classification: public }
      - { name: at, type: timestamp, required: true }
";
    assert_eq!(app.deploy(clicks).await.status(), 201);
    app.wait_until_idle("web.clicks").await;
    let rows = "{\"page\": \"/\", \"at\": \"2026-11-22T10:00:00Z\"}\n{\"path\": \"/oops\", \"at\": \"2026-11-22T10:01:00Z\"}\n";
    assert_eq!(
        app.post_json("/api/v1/products/web.clicks/inputs/clicks/rows", rows)
            .await
            .status(),
        202
    );
    let run = app.run_now("web.clicks").await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(
        (run["rows_written"].clone(), run["rows_rejected"].clone()),
        (json!(1), json!(1))
    );
    let rejected: Value = app
        .get(&format!("/api/v1/products/web.clicks/runs/{}/rejected", run["id"]))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(rejected[0]["column"], "page", "{rejected}");
    assert_eq!(
        rejected[0]["reason"], "required, but the row has no value",
        "{rejected}"
    );
}
