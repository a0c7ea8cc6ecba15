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

    // Only its owners remove it: a reader of the domain is refused, and the product stays.
    let reader = app
        .user("rita", &[], &[("sales", atrium_types::Role::Reader)], false)
        .await;
    let refused = reader
        .delete(format!("{}/api/v1/products/sales.deals", app.address))
        .send()
        .await
        .expect("answers");
    assert_eq!(refused.status(), 403);
    assert_eq!(app.get("/api/v1/products/sales.deals").await.status(), 200);
    let removed = app.delete("/api/v1/products/sales.deals").await;
    assert_eq!(removed.status(), 204);
    let after = search(&app.client, &app.address, "deals").await;
    assert!(ids(&after).iter().all(|id| !id.starts_with("sales.deals")), "{after}");
    assert_eq!(app.get("/api/v1/products/sales.deals").await.status(), 404);
    let again = app.delete("/api/v1/products/sales.deals").await;
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

mod restarts_and_replicas;

/// Relevance over the demo mesh (`examples/mesh`, deployed without running): query → the product
/// a user means, first.
#[tokio::test]
async fn over_the_demo_mesh_the_product_meant_comes_first() {
    let app = spawn_app().await;
    let mesh = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/mesh");
    let mut sources = Vec::new();
    for domain in std::fs::read_dir(&mesh).expect("the demo mesh") {
        let domain = domain.expect("an entry").path();
        if !domain.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&domain).expect("a domain folder") {
            let file = file.expect("an entry").path();
            if file.extension().is_some_and(|ext| ext == "yaml") {
                let text = std::fs::read_to_string(&file).expect("a descriptor");
                let mut source = atrium_platform::DescriptorSource::new(text, Some(file.display().to_string()));
                source.base_dir = Some(domain.clone());
                sources.push(source);
            }
        }
    }
    app.platform
        .deploy(&atrium_platform::Caller::Operator, &sources)
        .await
        .expect("the demo mesh deploys");
    let table = [
        ("customers", "crm.customers"),
        ("Customers", "crm.customers"),
        ("crm.customers", "crm.customers"),
        ("customer orders", "sales.orders"),
        ("sales.orders", "sales.orders"),
        ("daily revenue", "sales.daily_revenue"),
        ("daily_revenue", "sales.daily_revenue"),
        ("DailyRevenue", "sales.daily_revenue"),
        ("revenue by nation", "finance.revenue_by_nation"),
        ("revenue nation", "finance.revenue_by_nation"),
        ("supplier performance", "supply.supplier_performance"),
        ("suppliers", "supply.suppliers"),
        ("parts catalogue", "supply.parts"),
        ("customer 360", "marketing.customer_360"),
        ("nations regions", "crm.nations"),
        ("line items", "sales.line_items"),
        ("order status events", "sales.order_events"),
        ("revenue by market segment", "marketing.segment_revenue"),
        ("campaign audience", "marketing.campaign_audience"),
        ("supply cost per part", "finance.supply_costs"),
        ("receivables", "finance.receivables"),
        ("custmers", "crm.customers"),
        ("supplers", "supply.suppliers"),
        ("customer segments", "crm.customer_segments"),
    ];
    let mut failures = Vec::new();
    for (query, expected) in table {
        let results = search(&app.client, &app.address, &format!("{query} type:product")).await;
        let got = ids(&results).into_iter().next();
        if got.as_deref() != Some(expected) {
            failures.push(format!("{query:?}: expected {expected}, got {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `GET /api/v1/products` a page at a time: a full page links to the next, by id, and an
/// outsider's pages leave out the restricted product without a gap in the count.
#[tokio::test]
async fn the_product_list_is_paged_with_a_cursor() {
    let app = spawn_app().await;
    for name in ["deals", "deals_b", "deals_c"] {
        let yaml = DEALS.replace("id: sales.deals", &format!("id: sales.{name}"));
        assert!(app.deploy(&yaml).await.status().is_success());
    }
    app.publish(
        RESTRICTED,
        "hr.employees",
        r#"[{"employee_id": 1, "email": "ann@example.com"}]"#,
    )
    .await;
    let outsider = app.user("olga", &[], &[], false).await;
    let page = |cursor: Option<String>| {
        let client = outsider.clone();
        let address = app.address.clone();
        async move {
            let mut url = format!("{address}/api/v1/products?limit=2");
            if let Some(cursor) = cursor {
                url.push_str(&format!("&cursor={cursor}"));
            }
            let response = client.get(url).send().await.expect("answers");
            assert_eq!(response.status(), 200);
            let link = response
                .headers()
                .get("link")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let body: Vec<serde_json::Value> = response.json().await.expect("json");
            let ids: Vec<String> = body
                .iter()
                .filter_map(|p| p["id"].as_str().map(str::to_owned))
                .collect();
            (ids, link)
        }
    };
    let (first, link) = page(None).await;
    assert_eq!(first, ["sales.deals", "sales.deals_b"]);
    let link = link.expect("a full page links to the next");
    assert!(link.contains("cursor=sales.deals_b"), "{link}");
    let (second, link) = page(Some("sales.deals_b".to_owned())).await;
    assert_eq!(second, ["sales.deals_c"], "the restricted hr.employees is not there");
    assert!(link.is_none());
    let everything: Vec<serde_json::Value> = app.get("/api/v1/products").await.json().await.expect("json");
    assert_eq!(everything.len(), 4, "the admin sees all four");
}
