//! Search against the real server: a deploy is found at once, a removed product is gone from
//! search in the very request that removed it, and an outsider's search shows no trace of a
//! restricted product (no hit, no facet count, no suggestion) while its team finds it.

use crate::access::RESTRICTED;
use crate::helpers::{DEALS, spawn_app};

async fn search(client: &reqwest::Client, address: &str, query: &str) -> serde_json::Value {
    let response = client
        .get(format!("{address}/api/v1/search"))
        .query(&[("q", query)])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.expect("json")
}

fn ids(results: &serde_json::Value) -> Vec<String> {
    results["hits"]
        .as_array()
        .map(|hits| {
            hits.iter()
                .filter_map(|hit| hit["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_removed_product_is_gone_from_search_in_the_request_that_removed_it() {
    let app = spawn_app().await;
    app.publish(DEALS, "sales.deals", r#"[{"deal_id": 7}]"#).await;
    let found = search(&app.client, &app.address, "sales.deals").await;
    assert_eq!(ids(&found).first().map(String::as_str), Some("sales.deals"), "{found}");
    assert_eq!(
        found["facets"]["domain"]["sales"].as_u64().map(|n| n > 0),
        Some(true),
        "{found}"
    );

    let removed = app
        .client
        .delete(format!("{}/api/v1/products/sales.deals", app.address))
        .send()
        .await
        .expect("answers");
    assert_eq!(removed.status(), 204);
    let after = search(&app.client, &app.address, "deals").await;
    assert!(ids(&after).iter().all(|id| !id.starts_with("sales.deals")), "{after}");
    assert_eq!(app.get("/api/v1/products/sales.deals").await.status(), 404);
    let again = app
        .client
        .delete(format!("{}/api/v1/products/sales.deals", app.address))
        .send()
        .await
        .expect("answers");
    assert_eq!(again.status(), 404, "removed once");

    // Deploying it again restores it, in search too.
    let restored = app.deploy(DEALS).await;
    assert_eq!(restored.status(), 200, "{:?}", restored.text().await);
    let back = search(&app.client, &app.address, "sales.deals").await;
    assert_eq!(ids(&back).first().map(String::as_str), Some("sales.deals"), "{back}");
}

#[tokio::test]
async fn an_outsiders_search_shows_no_trace_of_a_restricted_product() {
    let app = spawn_app().await;
    app.publish(
        RESTRICTED,
        "hr.employees",
        r#"[{"employee_id": 1, "email": "ann@example.com"}]"#,
    )
    .await;
    app.publish(DEALS, "sales.deals", r#"[{"deal_id": 7}]"#).await;
    let outsider = app.user("olga", &[], &[], false).await;
    let hr = app.user("harry", &["team-hr"], &[], false).await;
    for query in [
        "employees",
        "hr.employees",
        "employee_id",
        "payroll",
        "",
        "domain:hr",
        "type:domain hr",
    ] {
        let results = search(&outsider, &app.address, query).await;
        let text = format!("{} {}", results["hits"], results["facets"]);
        assert!(
            !text.contains("employee") && !text.contains("payroll") && !text.contains("\"hr\""),
            "{query}: {text}"
        );
        assert!(results["facets"]["domain"].get("hr").is_none(), "{query}: {text}");
        let suggestions = outsider
            .get(format!("{}/api/v1/search/suggest", app.address))
            .query(&[("q", query)])
            .send()
            .await
            .expect("answers")
            .text()
            .await
            .expect("text");
        assert!(!suggestions.contains("employee"), "{query}: {suggestions}");
    }
    let everything = search(&outsider, &app.address, "").await;
    assert!(ids(&everything).contains(&"sales.deals".to_owned()), "{everything}");
    let theirs = search(&hr, &app.address, "employees").await;
    assert_eq!(
        ids(&theirs).first().map(String::as_str),
        Some("hr.employees"),
        "{theirs}"
    );
    assert_eq!(theirs["facets"]["domain"]["hr"].as_u64().map(|n| n > 0), Some(true));
}

#[tokio::test]
async fn a_malformed_query_never_fails_and_says_how_it_was_read() {
    let app = spawn_app().await;
    app.publish(DEALS, "sales.deals", r#"[{"deal_id": 7}]"#).await;
    for query in ["\"unclosed", "colour:red deals", "AND OR -", "((((", &"x".repeat(5000)] {
        let results = search(&app.client, &app.address, query).await;
        assert!(
            !results["notes"].as_array().map(Vec::is_empty).unwrap_or(true),
            "{query}: {results}"
        );
    }
}
