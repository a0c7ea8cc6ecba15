//! `/api/v1/products`: deploy, list, read, and the error bodies.

use serde_json::{Value, json};

use crate::helpers::{DEALS, ORDERS, spawn_app};

#[tokio::test]
async fn healthz_answers() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.expect("json"), json!({"status": "ok"}));
}

#[tokio::test]
async fn deploy_is_201_then_200_unchanged_then_200_updated() {
    let app = spawn_app().await;

    let created = app.deploy(ORDERS).await;
    assert_eq!(created.status(), 201);
    let body: Value = created.json().await.expect("json");
    assert_eq!(body["change"], "created");
    assert_eq!(body["revision"], 1);
    assert!(app.data_dir.join("store/sales").is_dir());

    let unchanged = app.deploy(ORDERS).await;
    assert_eq!(unchanged.status(), 200);
    let body: Value = unchanged.json().await.expect("json");
    assert_eq!(
        (body["change"].as_str(), body["revision"].as_i64()),
        (Some("unchanged"), Some(1))
    );

    let updated = app.deploy(&ORDERS.replace("decimal(12,2)", "decimal(14,2)")).await;
    assert_eq!(updated.status(), 200);
    let body: Value = updated.json().await.expect("json");
    assert_eq!(body["change"], "updated");
    assert_eq!(body["revision"], 2);
    assert_eq!(
        body["changes"],
        json!(["output `orders`: column `amount`: type: decimal(12,2) → decimal(14,2)"])
    );
}

#[tokio::test]
async fn an_invalid_descriptor_is_422_with_every_located_problem() {
    let app = spawn_app().await;
    let broken = ORDERS
        .replace("  title: Customer orders\n", "")
        .replace("type: int64", "type: integer")
        .replace("classification: pii, pii: hash", "classification: pii");
    let response = app.deploy(&broken).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "invalid");
    assert_eq!(body["error"]["message"], "the descriptor has 3 problems");
    let located: Vec<(i64, i64, &str)> = body["error"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| {
            (
                d["line"].as_i64().unwrap_or_default(),
                d["column"].as_i64().unwrap_or_default(),
                d["field"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        located,
        [
            (3, 1, "metadata.title"),
            (14, 33, "outputs[0].columns[0].type"),
            (15, 9, "outputs[0].columns[1].pii"),
        ]
    );
    assert!(
        body["error"]["details"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("metadata completeness")
    );
    // Nothing was stored.
    let list: Value = app.get("/api/v1/products").await.json().await.expect("json");
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn bad_bodies_are_400() {
    let app = spawn_app().await;
    let empty = app.deploy("  \n").await;
    assert_eq!(empty.status(), 400);
    let body: Value = empty.json().await.expect("json");
    assert_eq!(body["error"]["code"], "bad_request");
    let not_yaml = app.deploy("apiVersion: [unclosed").await;
    assert_eq!(not_yaml.status(), 422);
    let body: Value = not_yaml.json().await.expect("json");
    assert!(
        body["error"]["details"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("invalid YAML")
    );
}

#[tokio::test]
async fn products_are_listed_and_read() {
    let app = spawn_app().await;
    app.deploy(ORDERS).await;

    let list: Value = app.get("/api/v1/products").await.json().await.expect("json");
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["id"], "sales.orders");
    assert_eq!(list[0]["visibility"], "internal");
    assert_eq!(list[0]["tags"], json!(["orders"]));

    let detail: Value = app
        .get("/api/v1/products/sales.orders")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        detail["description_html"],
        "<p>Every order, <strong>one row per order</strong>.</p>\n"
    );
    assert_eq!(detail["outputs"][0]["table_name"], "sales.orders");
    assert_eq!(detail["outputs"][0]["columns"][1]["pii"], "hash");
    assert_eq!(detail["outputs"][0]["columns"][2]["data_type"], "decimal(12,2)");
    assert_eq!(
        detail["inputs"][0],
        json!({"kind": "product", "name": "customers", "product": "crm.customers", "registered": false})
    );
    assert_eq!(detail["schedule"], "0 */6 * * *");
    assert_eq!(detail["slo"]["freshness_seconds"], 86400);

    let domains: Value = app.get("/api/v1/domains").await.json().await.expect("json");
    assert_eq!(
        domains,
        json!([{"name": "sales", "product_count": 1, "owners": ["team-sales"]}])
    );
}

#[tokio::test]
async fn errors_are_json_with_their_status() {
    let app = spawn_app().await;
    let missing = app.get("/api/v1/products/sales.nope").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.expect("json"),
        json!({"error": {"code": "not_found", "message": "product `sales.nope` does not exist"}})
    );
    let bad_id = app.get("/api/v1/products/Sales").await;
    assert_eq!(bad_id.status(), 400);
    let unknown = app.get("/api/v1/nothing/here").await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.json::<Value>().await.expect("json")["error"]["code"],
        "not_found"
    );
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/openapi.yaml").await;
    assert_eq!(response.status(), 200);
    let document = response.text().await.expect("text");
    for path in [
        "/healthz:",
        "/api/v1/products:",
        "/api/v1/products/{id}:",
        "/api/v1/products/{id}/runs:",
        "/api/v1/products/{id}/inputs/{input}/rows:",
        "/api/v1/query:",
        "/api/v1/domains:",
        "/api/v1/domains/{name}:",
        "/api/v1/openapi.yaml:",
    ] {
        assert!(document.contains(&format!("\n  {path}\n")), "{path} is not documented");
    }
    let routes = include_str!("../../src/http/api.rs");
    let documented = document.lines().filter(|line| line.starts_with("  /")).count();
    let registered = routes
        .split(".route(")
        .skip(1)
        .filter(|rest| rest.trim_start().starts_with('"'))
        .count();
    assert_eq!(documented, registered, "every route is documented, and only those");
}

/// `GET /api/v1/products/{id}/runs` a page at a time, newest first: a full page links to the
/// older runs, and the pages together hold every run once.
#[tokio::test]
async fn the_runs_of_a_product_are_paged_newest_first() {
    let app = spawn_app().await;
    app.publish(DEALS, "sales.deals", r#"[{"deal_id": 1}]"#).await;
    for _ in 0..4 {
        let run = app.run_now("sales.deals").await;
        assert_eq!(run["status"], "succeeded", "{run}");
    }
    let mut seen: Vec<i64> = Vec::new();
    let mut next = Some("/api/v1/products/sales.deals/runs?limit=2".to_owned());
    while let Some(path) = next.take() {
        let response = app.get(&path).await;
        assert_eq!(response.status(), 200);
        next = response
            .headers()
            .get("link")
            .and_then(|value| value.to_str().ok())
            .and_then(|link| link.strip_prefix('<'))
            .and_then(|link| link.split_once('>'))
            .map(|(path, _)| path.to_owned());
        let page: Vec<serde_json::Value> = response.json().await.expect("json");
        assert!(page.len() <= 2);
        seen.extend(page.iter().filter_map(|run| run["id"].as_i64()));
        assert!(seen.len() <= 5, "the pages end");
    }
    assert_eq!(seen.len(), 5, "every run once: {seen:?}");
    assert!(seen.windows(2).all(|pair| pair[0] > pair[1]), "newest first: {seen:?}");
}
