//! Product-to-product agreements: a deploy whose `product` input its owner may not read opens
//! a request for the owner team, its runs wait, and the approval runs it; an input the deployer
//! may not see tells nothing.

use atrium_platform::Caller;
use atrium_types::Role;
use serde_json::{Value, json};

use crate::helpers::{DEALS, spawn_app};
use crate::requests::{get, post, publish_deals};

/// A product of `crm` that reads `sales.deals`: its owner team needs a grant.
const DEAL_COUNT: &str = "apiVersion: atrium/v1
kind: DataProduct
metadata:
  id: crm.deal_count
  title: Deal count
  owner: team-crm
  description: How many deals there are.
  visibility: internal
inputs:
  - { name: deals, product: sales.deals }
transform:
  sql: SELECT count(*) AS deals FROM deals
outputs:
  - name: deal_count
    description: One row.
    columns:
      - { name: deals, type: int64, required: true }
";

#[tokio::test]
async fn a_product_deployed_with_an_ungranted_input_asks_waits_and_runs_once_approved() {
    let app = spawn_app().await;
    publish_deals(&app).await;
    let crm_writer = app.user("cleo", &["team-crm"], &[("crm", Role::Writer)], false).await;
    let owen = app.user("owen", &[], &[("sales", Role::Owner)], false).await;
    let response = crm_writer
        .post(format!("{}/api/v1/products?file=deal_count.yaml", app.address))
        .header("content-type", "application/yaml")
        .body(DEAL_COUNT)
        .send()
        .await
        .expect("an answer");
    let status = response.status();
    let outcome: Value = response.json().await.expect("json");
    assert_eq!(status, 201, "{outcome}");
    let missing = outcome["missing_grants"][0].as_str().unwrap_or_default().to_owned();
    assert!(missing.contains("access request 1 asks its owners"), "{outcome}");
    app.wait_until_idle("crm.deal_count").await;
    let (_, runs) = get(&owen, &app, "/api/v1/products/crm.deal_count/runs").await;
    assert_eq!(runs[0]["status"], "waiting_for_access", "{runs}");

    let (_, inbox) = get(&owen, &app, "/api/v1/access-requests?role=owner").await;
    assert_eq!(inbox[0]["for_product"], "crm.deal_count", "{inbox}");
    assert_eq!(inbox[0]["principal"], "team:team-crm");
    assert!(
        inbox[0]["purpose"]
            .as_str()
            .unwrap_or_default()
            .contains("SELECT count(*)"),
        "{inbox}"
    );
    // A second deploy of a changed revision does not ask twice while one is pending.
    let (status, approved) = post(&owen, &app, "/api/v1/access-requests/1/approve", json!({})).await;
    assert_eq!(status, 200, "{approved}");
    // The waiting product runs by itself once approved.
    for _ in 0..200 {
        let (_, runs) = get(&owen, &app, "/api/v1/products/crm.deal_count/runs").await;
        if runs[0]["status"] == "succeeded" {
            assert_eq!(runs[0]["trigger"], "access", "{runs}");
            let usage = app
                .platform
                .product_usage(&Caller::Operator, "sales.deals", 7)
                .await
                .expect("usage");
            assert_eq!(
                usage.products.first().map(|p| p.name.as_str()),
                Some("crm.deal_count"),
                "{usage:?}"
            );
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("crm.deal_count did not run after the approval");
}

#[tokio::test]
async fn a_deploy_naming_a_restricted_input_learns_no_more_than_of_a_missing_one() {
    let app = spawn_app().await;
    let restricted = DEALS.replace("visibility: internal", "visibility: restricted");
    app.publish(&restricted, "sales.deals", r#"[{"deal_id": 1}]"#).await;
    let crm_writer = app.user("cleo", &["team-crm"], &[("crm", Role::Writer)], false).await;
    let deploy = |yaml: String| {
        let client = crm_writer.clone();
        let address = app.address.clone();
        async move {
            let response = client
                .post(format!("{address}/api/v1/products?file=deal_count.yaml"))
                .header("content-type", "application/yaml")
                .body(yaml)
                .send()
                .await
                .expect("an answer");
            let status = response.status().as_u16();
            let outcome: Value = response.json().await.expect("json");
            (status, outcome)
        }
    };
    let (status, hidden) = deploy(DEAL_COUNT.to_owned()).await;
    assert_eq!(status, 201, "{hidden}");
    let (status, missing) = deploy(DEAL_COUNT.replace("sales.deals", "sales.nothing")).await;
    assert_eq!(status, 200, "a new revision: {missing}");
    assert_eq!(
        hidden["missing_grants"], missing["missing_grants"],
        "{hidden} / {missing}"
    );
    assert!(!hidden.to_string().contains("sales.deals"), "{hidden}");
    let requests = app
        .platform
        .access_requests(&Caller::Operator, atrium_types::RequestRole::Owner, None)
        .await
        .expect("requests");
    assert!(requests.is_empty(), "{requests:?}");
}
