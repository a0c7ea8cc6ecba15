//! `/api/v1/query`: SQL over published product versions, with its limits.

use atrium_platform::{DescriptorSource, RunTrigger};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

const CUSTOMERS: &str = "apiVersion: atrium/v1
kind: DataProduct
metadata: { id: crm.customers, title: Customers, owner: team-crm, description: People., visibility: VISIBILITY }
inputs:
  - { name: raw, source: { kind: file, format: csv, path: customers.csv } }
outputs:
  - name: customers
    description: One row per customer.
    columns:
      - { name: customer_id, type: int64, required: true }
      - { name: country, type: string, classification: public }
";

const ORDERS: &str = "apiVersion: atrium/v1
kind: DataProduct
metadata: { id: sales.orders, title: Orders, owner: team-sales, description: Orders. }
inputs:
  - { name: raw, source: { kind: file, format: csv, path: orders.csv } }
transform:
  sql: SELECT order_id, customer_id, CAST(amount AS DECIMAL(10,2)) AS amount FROM raw
outputs:
  - name: orders
    description: One row per order.
    columns:
      - { name: order_id, type: int64, required: true }
      - { name: customer_id, type: int64, required: true }
      - { name: amount, type: \"decimal(10,2)\" }
";

/// Runs `id` now, as a data owner would from the CLI or the page, and returns the recorded run.
async fn run_manually(app: &TestApp, id: &str) -> atrium_types::RunView {
    app.platform
        .run(&atrium_platform::Caller::Operator, id, RunTrigger::Manual)
        .await
        .expect("runs")
}

/// Deploys and runs the two products from files in the app's data dir.
async fn two_domains(app: &TestApp, customers_visibility: &str) {
    let dir = app.data_dir.join("descriptors");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("customers.csv"), "customer_id,country\n1,FR\n2,DE\n3,FR\n").expect("csv");
    std::fs::write(
        dir.join("orders.csv"),
        "order_id,customer_id,amount\n10,1,5.00\n11,1,7.50\n12,2,1.25\n13,3,2.00\n",
    )
    .expect("csv");
    let sources = [
        (CUSTOMERS.replace("VISIBILITY", customers_visibility), "customers.yaml"),
        (ORDERS.to_owned(), "orders.yaml"),
    ]
    .map(|(text, file)| {
        std::fs::write(dir.join(file), &text).expect("yaml");
        DescriptorSource::from_file(text, &dir.join(file))
    });
    app.platform
        .deploy(&atrium_platform::Caller::Operator, &sources)
        .await
        .expect("deploys");
    for id in ["crm.customers", "sales.orders"] {
        let run = run_manually(app, id).await;
        assert_eq!(run.status, atrium_types::RunStatus::Succeeded, "{id}: {:?}", run.error);
    }
}

#[tokio::test]
async fn a_cross_domain_join_returns_the_right_rows() {
    let app = spawn_app().await;
    two_domains(&app, "internal").await;
    let response = app
        .query(
            "SELECT c.country, count(*) AS orders, sum(o.amount) AS total \
             FROM sales.orders o JOIN crm.customers c ON o.customer_id = c.customer_id \
             GROUP BY c.country ORDER BY c.country",
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body["rows"],
        json!([
            {"country": "DE", "orders": 1, "total": "1.25"},
            {"country": "FR", "orders": 3, "total": "14.50"},
        ])
    );
    assert_eq!(body["columns"][0], json!({"name": "country", "type": "string"}));
    // Decimals are exact: strings in JSON, their type in `columns`.
    assert_eq!(body["columns"][2], json!({"name": "total", "type": "decimal(20,2)"}));
    assert_eq!(body["truncated"], false);
}

#[tokio::test]
async fn restricted_products_cannot_be_queried_by_outsiders() {
    let app = spawn_app().await;
    two_domains(&app, "restricted").await;
    let outsider = app.user("olga", &[], &[], false).await;
    let response = outsider
        .post(format!("{}/api/v1/query", app.address))
        .json(&serde_json::json!({ "sql": "SELECT * FROM crm.customers" }))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 400, "as if it did not exist");
    let body: Value = response.json().await.expect("json");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("crm.customers"),
        "{body}"
    );
}

#[tokio::test]
async fn another_domains_product_is_read_with_a_grant_to_the_readers_owner() {
    let app = spawn_app().await;
    two_domains(&app, "internal").await;
    let reader = |id: &str| {
        format!(
            "apiVersion: atrium/v1
kind: DataProduct
metadata: {{ id: {id}, title: Countries, owner: team, description: Countries. }}
inputs:
  - {{ name: people, product: crm.customers }}
transform:
  sql: SELECT DISTINCT country FROM people
outputs:
  - name: countries
    description: Countries with customers.
    columns:
      - {{ name: country, type: string, classification: public }}
"
        )
    };
    let sources = ["crm.countries", "sales.countries"].map(|id| DescriptorSource::new(reader(id), None));
    let outcomes = app
        .platform
        .deploy(&atrium_platform::Caller::Operator, &sources)
        .await
        .expect("deploys: a missing grant does not stop a deploy");
    assert!(outcomes[0].missing_grants.is_empty(), "its own domain: {outcomes:?}");
    assert_eq!(
        outcomes[1].missing_grants,
        [
            "input `people`: reading `crm.customers` needs a grant: request access on its page, /products/crm.customers, or ask its owner `team-crm` (or an owner of domain \
          `crm`) to grant it, e.g. `atrium grant add crm.customers --to team:team`; access request 1 asks its owners for it, and the product runs once it is approved"
        ]
    );
    let same_domain = run_manually(&app, "crm.countries").await;
    assert_eq!(
        same_domain.status,
        atrium_types::RunStatus::Succeeded,
        "{:?}",
        same_domain.error
    );
    let waiting = run_manually(&app, "sales.countries").await;
    assert_eq!(waiting.status, atrium_types::RunStatus::WaitingForAccess);
    assert!(
        waiting
            .log
            .iter()
            .any(|line| line.contains("waiting for access") && line.contains("crm.customers")),
        "{:?}",
        waiting.log
    );

    let grant = app.grant("crm.customers", None, "team:team").await;
    let granted = run_manually(&app, "sales.countries").await;
    assert_eq!(
        granted.status,
        atrium_types::RunStatus::Succeeded,
        "{:?}",
        granted.error
    );

    // crm.customers becomes restricted: its own domain still reads it, and so does the grant.
    let dir = app.data_dir.join("descriptors");
    let restricted = CUSTOMERS.replace("VISIBILITY", "restricted");
    let source = DescriptorSource::from_file(restricted, &dir.join("customers.yaml"));
    app.platform
        .deploy(&atrium_platform::Caller::Operator, &[source])
        .await
        .expect("redeploys");
    for id in ["crm.countries", "sales.countries"] {
        let run = run_manually(&app, id).await;
        assert_eq!(run.status, atrium_types::RunStatus::Succeeded, "{id}: {:?}", run.error);
    }
    app.platform
        .revoke_grant(&atrium_platform::Caller::Operator, grant.id, None)
        .await
        .expect("revoked");
    let revoked = run_manually(&app, "sales.countries").await;
    assert_eq!(
        revoked.status,
        atrium_types::RunStatus::WaitingForAccess,
        "the grant stopped at once"
    );
}

#[tokio::test]
async fn writes_are_refused() {
    let app = spawn_app().await;
    two_domains(&app, "internal").await;
    for sql in [
        "DROP TABLE sales.orders",
        "CREATE TABLE x AS SELECT 1",
        "INSERT INTO sales.orders VALUES (1, 1, 1)",
    ] {
        let response = app.query(sql).await;
        assert_eq!(response.status(), 400, "{sql}");
        assert_eq!(
            response.json::<Value>().await.expect("json")["error"]["code"],
            "bad_request"
        );
    }
    let still_there: Value = app
        .query("SELECT count(*) AS n FROM sales.orders")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(still_there["rows"], json!([{"n": 4}]));
}

#[tokio::test]
async fn the_row_limit_truncates() {
    let app = spawn_app_with(|settings| settings.query_max_rows = 5).await;
    let body: Value = app
        .query("SELECT * FROM generate_series(1, 100)")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["rows"].as_array().map(Vec::len), Some(5));
    assert_eq!(body["truncated"], true);
}

#[tokio::test]
async fn a_query_over_the_memory_limit_fails_cleanly() {
    let app = spawn_app_with(|settings| settings.memory_limit_bytes = 2 * 1024 * 1024).await;
    let response = app
        .query("SELECT v, count(*) FROM generate_series(1, 3000000) t(v) GROUP BY v ORDER BY v DESC LIMIT 3")
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "limit_exceeded");
    assert_eq!(app.get("/healthz").await.status(), 200, "the server stays healthy");
    let small: Value = app.query("SELECT 1 AS one").await.json().await.expect("json");
    assert_eq!(small["rows"], json!([{"one": 1}]));
}

#[tokio::test]
async fn results_come_as_csv_or_arrow_on_request() {
    let app = spawn_app().await;
    two_domains(&app, "internal").await;
    let sql = json!({"sql": "SELECT customer_id, country FROM crm.customers ORDER BY customer_id"});
    let csv = app
        .client
        .post(format!("{}/api/v1/query", app.address))
        .header("accept", "text/csv")
        .json(&sql)
        .send()
        .await
        .expect("request");
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(csv.headers()["x-atrium-truncated"], "false");
    assert_eq!(
        csv.text().await.expect("text"),
        "customer_id,country\n1,FR\n2,DE\n3,FR\n"
    );

    let arrow = app
        .client
        .post(format!("{}/api/v1/query", app.address))
        .header("accept", "application/vnd.apache.arrow.stream")
        .json(&sql)
        .send()
        .await
        .expect("request");
    assert_eq!(arrow.headers()["content-type"], "application/vnd.apache.arrow.stream");
    let bytes = arrow.bytes().await.expect("bytes");
    let reader = deltalake::arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(bytes.to_vec()), None)
        .expect("an Arrow stream");
    // Tables are scanned with string views; answers carry the classic string type every client reads.
    assert_eq!(
        reader.schema().field_with_name("country").expect("country").data_type(),
        &deltalake::arrow::datatypes::DataType::Utf8
    );
    let rows: usize = reader.map(|batch| batch.expect("batch").num_rows()).sum();
    assert_eq!(rows, 3);
}

#[tokio::test]
async fn older_published_versions_are_read_with_version_or_timestamp_as_of() {
    let app = spawn_app().await;
    two_domains(&app, "internal").await;
    let before_second_run = chrono::Utc::now();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(
        app.data_dir.join("descriptors/orders.csv"),
        "order_id,customer_id,amount\n10,1,5.00\n",
    )
    .expect("csv");
    let run = run_manually(&app, "sales.orders").await;
    assert_eq!(run.outputs[0].version, Some(1));

    assert_eq!(count(&app, "SELECT count(*) AS n FROM sales.orders").await, json!(1));
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM sales.orders VERSION AS OF 0").await,
        json!(4)
    );
    let at = format!(
        "SELECT count(*) AS n FROM sales.orders TIMESTAMP AS OF '{}' o JOIN crm.customers c ON o.customer_id = c.customer_id",
        before_second_run.to_rfc3339()
    );
    let body: Value = app.query(&at).await.json().await.expect("json");
    assert_eq!(body["rows"][0]["n"], json!(4), "{body}");

    let response = app.query("SELECT * FROM sales.orders VERSION AS OF 7").await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body["error"]["message"],
        "SQL error: `sales.orders` has no published version 7; the current one is 1"
    );
}

async fn count(app: &TestApp, sql: &str) -> Value {
    let body: Value = app.query(sql).await.json().await.expect("json");
    body["rows"][0]["n"].clone()
}

const ORDER_BOOK: &str = "apiVersion: atrium/v1
kind: DataProduct
metadata: { id: sales.book, title: Order book, owner: team-sales, description: Orders and totals. }
inputs:
  - { name: raw, source: { kind: file, format: csv, path: book.csv } }
transform:
  sql: SELECT order_id, customer, CAST(amount AS DECIMAL(10,2)) AS amount FROM raw
outputs:
  - name: lines
    description: One row per order.
    columns:
      - { name: order_id, type: int64, required: true }
      - { name: customer, type: string, classification: pii, pii: hash }
      - { name: amount, type: \"decimal(10,2)\" }
  - name: by_customer
    description: Totals per customer.
    sql: SELECT customer, count(*) AS orders, sum(amount) AS total FROM lines GROUP BY customer
    columns:
      - { name: customer, type: string, classification: pii, pii: hash }
      - { name: orders, type: int64 }
      - { name: total, type: \"decimal(20,2)\" }
    quality:
      - { name: no_negative_totals, sql: \"SELECT count(*) FROM by_customer WHERE total < 0\", expect: 0 }
";

#[tokio::test]
async fn a_product_with_two_outputs_publishes_both_at_once_under_their_names() {
    let app = spawn_app().await;
    let dir = app.data_dir.join("descriptors");
    std::fs::create_dir_all(&dir).expect("dir");
    let csv = dir.join("book.csv");
    std::fs::write(&csv, "order_id,customer,amount\n1,ann,5.00\n2,ann,7.50\n3,bob,1.25\n").expect("csv");
    std::fs::write(dir.join("book.yaml"), ORDER_BOOK).expect("yaml");
    let source = DescriptorSource::from_file(ORDER_BOOK.to_owned(), &dir.join("book.yaml"));
    app.platform
        .deploy(&atrium_platform::Caller::Operator, &[source])
        .await
        .expect("deploys");
    let run = run_manually(&app, "sales.book").await;
    assert_eq!(run.status, atrium_types::RunStatus::Succeeded, "{:?}", run.error);
    assert_eq!(run.outputs.len(), 2);

    let rows = |sql: &'static str| {
        let app = &app;
        async move {
            let body: Value = app.query(sql).await.json().await.expect("json");
            assert!(body.get("error").is_none(), "{sql}: {body}");
            body["rows"].clone()
        }
    };
    assert_eq!(
        rows("SELECT count(*) AS n FROM sales.book.lines").await,
        json!([{"n": 3}])
    );
    // The first output keeps the product's own name, so adding an output renames nothing.
    assert_eq!(rows("SELECT count(*) AS n FROM sales.book").await, json!([{"n": 3}]));
    assert_eq!(
        rows("SELECT orders, total FROM sales.book.by_customer ORDER BY total").await,
        json!([{"orders": 1, "total": "1.25"}, {"orders": 2, "total": "12.50"}])
    );
    // The second output was built from the first after its PII handling: the hashes join.
    assert_eq!(
        rows("SELECT count(*) AS n FROM sales.book.lines l JOIN sales.book.by_customer c ON l.customer = c.customer")
            .await,
        json!([{"n": 3}])
    );
    assert_eq!(
        rows("SELECT count(*) AS n FROM sales.book.lines WHERE customer = 'ann'").await,
        json!([{"n": 0}])
    );

    // A failing check on the second output publishes neither: readers keep both previous versions.
    std::fs::write(&csv, "order_id,customer,amount\n1,ann,5.00\n4,cy,-9.00\n").expect("csv");
    let run = run_manually(&app, "sales.book").await;
    assert_eq!(run.status, atrium_types::RunStatus::Failed);
    assert!(
        run.error.as_deref().unwrap_or_default().contains("no_negative_totals"),
        "{:?}",
        run.error
    );
    assert_eq!(
        rows("SELECT count(*) AS n FROM sales.book.lines").await,
        json!([{"n": 3}])
    );
    assert_eq!(
        rows("SELECT count(*) AS n FROM sales.book.by_customer").await,
        json!([{"n": 2}])
    );

    // Time travel names an output the same way.
    assert_eq!(
        rows("SELECT count(*) AS n FROM sales.book.lines VERSION AS OF 0").await,
        json!([{"n": 3}])
    );

    // A downstream product reads one output by its three-part name.
    let totals = "apiVersion: atrium/v1
kind: DataProduct
metadata: { id: finance.totals, title: Totals, owner: team-finance, description: Totals. }
inputs:
  - { name: book, product: sales.book.by_customer }
transform:
  sql: SELECT sum(orders) AS orders FROM book
outputs:
  - name: totals
    description: All orders.
    columns:
      - { name: orders, type: int64 }
";
    let source = DescriptorSource::from_file(totals.to_owned(), &dir.join("totals.yaml"));
    app.platform
        .deploy(&atrium_platform::Caller::Operator, &[source])
        .await
        .expect("deploys");
    // A grant on that one output is enough for the finance team's product.
    app.grant("sales.book", Some("by_customer"), "team:team-finance").await;
    let run = run_manually(&app, "finance.totals").await;
    assert_eq!(run.status, atrium_types::RunStatus::Succeeded, "{:?}", run.error);
    assert_eq!(rows("SELECT orders FROM finance.totals").await, json!([{"orders": 3}]));

    let product: Value = app.get("/api/v1/products/sales.book").await.json().await.expect("json");
    let names: Vec<&str> = product["outputs"]
        .as_array()
        .expect("outputs")
        .iter()
        .map(|output| output["table_name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(names, ["sales.book", "sales.book.by_customer"]);
    assert_eq!(product["outputs"][0]["sql"], Value::Null);
    assert!(
        product["outputs"][1]["sql"]
            .as_str()
            .unwrap_or_default()
            .contains("GROUP BY customer"),
        "{product}"
    );
}
