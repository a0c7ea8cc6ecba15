//! Malformed requests and faults of the user's SQL: each answers a 4xx in the one JSON shape,
//! saying what is wrong; none is a 500, and none answers in plain text.

use serde_json::Value;

use crate::helpers::spawn_app;

/// Status, `error.code`, `error.message` of an answer that must be a JSON error.
async fn error_of(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.starts_with("application/json"), "{status}: {content_type}");
    let body: Value = response.json().await.expect("a JSON body");
    let text = |key: &str| body["error"][key].as_str().unwrap_or_default().to_owned();
    (status, text("code"), text("message"))
}

#[tokio::test]
async fn malformed_requests_answer_in_the_one_shape_saying_what_is_wrong() {
    let app = spawn_app().await;
    let post = |path: &str, content_type: Option<&str>, body: Vec<u8>| {
        let mut request = app.client.post(format!("{}{path}", app.address)).body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        request.send()
    };
    let json = Some("application/json");

    let (status, code, message) = error_of(
        post("/api/v1/query", json, b"{\"sql\": 1".to_vec())
            .await
            .expect("answer"),
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "bad_request"), "{message}");
    assert!(message.starts_with("the JSON body"), "{message}");

    let (status, _, message) = error_of(
        post("/api/v1/query", json, b"{\"sq\": \"x\"}".to_vec())
            .await
            .expect("answer"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(message.contains("missing field `sql`"), "{message}");

    let (status, code, _) = error_of(
        post("/api/v1/query", None, b"{\"sql\": \"SELECT 1\"}".to_vec())
            .await
            .expect("answer"),
    )
    .await;
    assert_eq!((status, code.as_str()), (415, "unsupported_media_type"));

    let garbage: Vec<u8> = (0..=255).rev().collect();
    let (status, _, message) = error_of(post("/api/v1/products", None, garbage).await.expect("answer")).await;
    assert_eq!(status, 400);
    assert!(message.contains("not UTF-8 text (byte 0"), "{message}");

    let (status, _, message) = error_of(app.get("/api/v1/products/..%2F..%2Fetc").await).await;
    assert_eq!(status, 400);
    assert!(
        message.contains("has the domain ``, which must not be empty"),
        "{message}"
    );

    let (status, _, message) = error_of(app.get("/api/v1/products/sales.orders/runs/abc/rejected").await).await;
    assert_eq!(status, 400);
    assert!(message.contains("`abc`"), "{message}");

    let put = app
        .client
        .put(format!("{}/api/v1/query", app.address))
        .send()
        .await
        .expect("answer");
    let (status, code, _) = error_of(put).await;
    assert_eq!((status, code.as_str()), (405, "method_not_allowed"));

    let (status, code, _) = error_of(app.get("/api/v1/no/such/route").await).await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
}

#[tokio::test]
async fn faults_of_the_sql_are_400_with_the_engines_words() {
    let app = spawn_app().await;
    for (sql, words) in [
        ("SELECT 1/0", "Divide by zero"),
        ("SELECT CAST('x' AS INT)", "Cannot cast string 'x'"),
        ("SELECT CAST(1 AS nosuchtype)", "Unsupported SQL type nosuchtype"),
        ("SELECT nosuchcolumn", "nosuchcolumn"),
    ] {
        let (status, code, message) = error_of(app.query(sql).await).await;
        assert_eq!((status, code.as_str()), (400, "bad_request"), "{sql}: {message}");
        assert!(message.contains(words), "{sql}: {message}");
    }
    let (status, _, _) = error_of(app.query("SELECT generate_series(1, 1000000000)").await).await;
    assert!((400..500).contains(&status), "{status}");
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn the_rejected_rows_of_a_run_that_set_none_aside_are_empty_and_of_no_run_404() {
    let app = spawn_app().await;
    let deployed = app
        .deploy(
            "apiVersion: atrium/v1
kind: DataProduct
metadata: { id: sales.events, title: Events, owner: team-sales, description: Events. }
inputs:
  - { name: events, source: { kind: stream } }
outputs:
  - name: events
    description: Events.
    columns:
      - { name: n, type: int64 }
",
        )
        .await;
    assert_eq!(deployed.status(), 201);
    app.wait_until_idle("sales.events").await;
    let run = app.run_now("sales.events").await;
    let run_id = run["id"].as_i64().expect("a run id");
    let none: Value = app
        .get(&format!("/api/v1/products/sales.events/runs/{run_id}/rejected"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(none, serde_json::json!([]));
    let (status, code, message) = error_of(app.get("/api/v1/products/sales.events/runs/99999/rejected").await).await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
    assert_eq!(message, "`sales.events` has no run 99999");
}

#[tokio::test]
async fn a_wrong_token_on_a_public_path_is_ignored_and_server_functions_refuse_bad_bodies_with_400() {
    let app = spawn_app().await;
    let wrong = crate::helpers::bearer_client("atr_000000000000_0000");
    let health = wrong
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .expect("answer");
    assert_eq!(health.status(), 200);
    let garbage = app
        .client
        .post(format!("{}/portal/product", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, 0x00])
        .send()
        .await
        .expect("answer");
    assert_eq!(garbage.status(), 400);
}
