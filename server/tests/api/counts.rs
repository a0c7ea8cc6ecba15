//! The domain counts (home page, domain list) come from counts the deploys and removals keep; they
//! must always equal what the caller's own product list holds, for every caller, after creations,
//! owner and visibility changes, removals and restorations.

use std::collections::BTreeMap;

use crate::helpers::{DEALS, TestApp, spawn_app};

fn product(id: &str, owner: &str, visibility: &str) -> String {
    DEALS
        .replace("id: sales.deals", &format!("id: {id}"))
        .replace("owner: team-sales", &format!("owner: {owner}"))
        .replace("visibility: internal", &format!("visibility: {visibility}"))
}

/// `GET path` as `client`: a JSON array.
async fn list(client: &reqwest::Client, app: &TestApp, path: &str) -> Vec<serde_json::Value> {
    client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json")
}

/// Per domain: (count, owners), from `GET /api/v1/domains` and from `GET /api/v1/products`.
async fn both_views(
    client: &reqwest::Client,
    app: &TestApp,
) -> (
    BTreeMap<String, (u64, Vec<String>)>,
    BTreeMap<String, (u64, Vec<String>)>,
) {
    let domains = list(client, app, "/api/v1/domains").await;
    let counted = domains
        .iter()
        .filter(|d| d["product_count"].as_u64().unwrap_or(0) > 0)
        .map(|d| {
            let owners = d["owners"]
                .as_array()
                .map(|o| o.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            (
                d["name"].as_str().unwrap_or_default().to_owned(),
                (d["product_count"].as_u64().unwrap_or(0), owners),
            )
        })
        .collect();
    let products = list(client, app, "/api/v1/products").await;
    let mut listed: BTreeMap<String, (u64, Vec<String>)> = BTreeMap::new();
    for product in &products {
        let entry = listed
            .entry(product["domain"].as_str().unwrap_or_default().to_owned())
            .or_default();
        entry.0 += 1;
        let owner = product["owner"].as_str().unwrap_or_default().to_owned();
        if !entry.1.contains(&owner) {
            entry.1.push(owner);
        }
    }
    for entry in listed.values_mut() {
        entry.1.sort();
    }
    (counted, listed)
}

#[tokio::test]
async fn domain_counts_equal_each_callers_product_list_through_every_change() {
    let app = spawn_app().await;
    let outsider = app.user("olga", &[], &[], false).await;
    let hr_member = app.user("hana", &["team-hr"], &[], false).await;
    let granted = app.user("gus", &[], &[], false).await;
    let admin = app.client.clone();
    let callers = [
        ("admin", &admin),
        ("outsider", &outsider),
        ("hr member", &hr_member),
        ("grant holder", &granted),
    ];
    let check = |step: &'static str| {
        let app = &app;
        async move {
            for (who, client) in callers {
                let (counted, listed) = both_views(client, app).await;
                assert_eq!(
                    counted, listed,
                    "{step}: the counts {who} is shown differ from the products they see"
                );
            }
        }
    };
    let deploy = |yaml: String| {
        let app = &app;
        async move {
            let response = app.deploy(&yaml).await;
            assert!(
                response.status().is_success(),
                "{}",
                response.text().await.unwrap_or_default()
            );
        }
    };
    for (id, owner, visibility) in [
        ("sales.deals", "team-sales", "internal"),
        ("sales.deals_b", "team-sales", "public"),
        ("sales.forecast", "team-sales", "restricted"),
        ("hr.employees", "team-hr", "restricted"),
        ("hr.payroll", "team-hr", "restricted"),
        ("hr.headcount", "team-hr", "internal"),
    ] {
        deploy(product(id, owner, visibility)).await;
    }
    check("created").await;
    let (counted, _) = both_views(&admin, &app).await;
    assert_eq!(counted["hr"].0, 3);
    assert_eq!(counted["sales"].0, 3);
    let (counted, _) = both_views(&outsider, &app).await;
    assert_eq!(
        counted.get("hr").map(|c| c.0),
        Some(1),
        "the outsider counts only hr.headcount"
    );

    app.grant("hr.payroll", None, "user:gus").await;
    check("a grant on a restricted product").await;
    let (counted, _) = both_views(&granted, &app).await;
    assert_eq!(counted["hr"].0, 2);

    deploy(product("sales.deals_b", "team-sales", "restricted")).await;
    deploy(product("hr.employees", "team-people", "restricted")).await;
    deploy(product("hr.headcount", "team-people", "internal")).await;
    check("visibility and owners changed").await;
    let (counted, _) = both_views(&hr_member, &app).await;
    assert_eq!(
        counted["hr"].0, 2,
        "team-hr still owns hr.payroll; hr.headcount is internal"
    );

    assert_eq!(app.delete("/api/v1/products/hr.payroll").await.status(), 204);
    assert_eq!(app.delete("/api/v1/products/sales.deals").await.status(), 204);
    check("removed").await;
    let (counted, _) = both_views(&granted, &app).await;
    assert_eq!(
        counted.get("hr").map(|c| c.0),
        Some(1),
        "the removed product leaves the grant holder's count"
    );

    deploy(product("hr.payroll", "team-hr", "internal")).await;
    deploy(product("sales.deals", "team-sales", "internal")).await;
    // The same descriptor again changes nothing, and counts nothing twice.
    deploy(product("sales.deals", "team-sales", "internal")).await;
    check("restored").await;
    let (counted, _) = both_views(&admin, &app).await;
    assert_eq!(counted["hr"].0, 3);
    assert_eq!(counted["sales"].0, 3);
}
