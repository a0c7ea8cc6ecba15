//! Access requests, the grants they make and end, the audit log and usage, against the real
//! server: the whole loop over the REST API and expiry judged by an injected clock (the
//! agreements a deploy opens are in `agreements.rs`).

use std::sync::Arc;

use atrium_platform::{Caller, ManualClock};
use atrium_types::Role;
use reqwest::Client;
use serde_json::{Value, json};

use crate::helpers::{DEALS, TestApp, spawn_app, spawn_app_with};

pub(crate) async fn publish_deals(app: &TestApp) {
    app.publish(
        DEALS,
        "sales.deals",
        r#"[{"deal_id": 1}, {"deal_id": 2}, {"deal_id": 3}]"#,
    )
    .await;
}

async fn send(
    client: &Client,
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = client.request(method, format!("{}{path}", app.address));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("an answer");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

pub(crate) async fn post(client: &Client, app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    send(client, app, reqwest::Method::POST, path, Some(body)).await
}

pub(crate) async fn get(client: &Client, app: &TestApp, path: &str) -> (u16, Value) {
    send(client, app, reqwest::Method::GET, path, None).await
}

/// The header's counts (`inbox`: requests waiting for the caller's decision, `unread`).
async fn header_counts(client: &Client, app: &TestApp) -> Value {
    let response = client
        .post(format!("{}/portal/access-counts", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

async fn count_deals(client: &Client, app: &TestApp) -> (u16, Value) {
    post(
        client,
        app,
        "/api/v1/query",
        json!({ "sql": "SELECT count(*) AS n FROM sales.deals" }),
    )
    .await
}

/// The audit rows of `sales.deals`, oldest first, as `action outcome actor`.
async fn audit_lines(client: &Client, app: &TestApp) -> Vec<String> {
    let (status, page) = get(client, app, "/api/v1/audit?product=sales.deals&limit=1000").await;
    assert_eq!(status, 200, "{page}");
    let mut lines: Vec<String> = page["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| {
            let rows = entry["detail"]["rows"]
                .as_str()
                .map(|rows| format!(" rows={rows}"))
                .unwrap_or_default();
            format!(
                "{} {} {}{rows}",
                entry["action"].as_str().unwrap_or_default(),
                entry["outcome"].as_str().unwrap_or_default(),
                entry["actor"].as_str().unwrap_or_default()
            )
        })
        .collect();
    lines.reverse();
    lines
}

#[tokio::test]
async fn request_approve_read_revoke_with_every_step_audited() {
    let app = spawn_app().await;
    publish_deals(&app).await;
    let bob = app.user("bob", &["team-crm"], &[("crm", Role::Reader)], false).await;
    let owen = app
        .user("owen", &["team-sales"], &[("sales", Role::Owner)], false)
        .await;

    // Refused, with the way to ask.
    let (status, refused) = count_deals(&bob, &app).await;
    assert_eq!(status, 403, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("request access"),
        "{refused}"
    );

    // Asking needs a purpose, a duration within the domain's maximum, and one's own team.
    let ask = |purpose: &str, days: u32| json!({ "product": "sales.deals", "purpose": purpose, "duration_days": days });
    assert_eq!(post(&bob, &app, "/api/v1/access-requests", ask("  ", 30)).await.0, 400);
    assert_eq!(
        post(&bob, &app, "/api/v1/access-requests", ask("churn model", 400))
            .await
            .0,
        400
    );
    let for_other_team = json!({ "product": "sales.deals", "purpose": "x", "for_team": "team-sales" });
    assert_eq!(post(&bob, &app, "/api/v1/access-requests", for_other_team).await.0, 403);
    let (status, request) = post(&bob, &app, "/api/v1/access-requests", ask("churn model", 60)).await;
    assert_eq!(status, 201, "{request}");
    assert_eq!(request["state"], "pending");
    assert_eq!(request["principal"], "user:bob");
    let id = request["id"].as_i64().expect("an id");
    assert_eq!(
        post(&bob, &app, "/api/v1/access-requests", ask("again", 60)).await.0,
        409
    );

    // The owner's inbox: the request, and its count in the header's source.
    let (_, mine) = get(&owen, &app, "/api/v1/access-requests?role=owner&state=pending").await;
    assert_eq!(mine.as_array().map(Vec::len), Some(1), "{mine}");
    assert_eq!(header_counts(&owen, &app).await["inbox"], 1);
    assert_eq!(header_counts(&bob, &app).await["inbox"], 0, "bob decides nothing");
    let (_, asked) = get(&bob, &app, "/api/v1/access-requests").await;
    assert_eq!(asked[0]["id"], id);
    // Bob may not decide his own request; an approval may only shorten it.
    assert_eq!(
        post(&bob, &app, &format!("/api/v1/access-requests/{id}/approve"), json!({}))
            .await
            .0,
        403
    );
    let longer = json!({ "duration_days": 90 });
    assert_eq!(
        post(&owen, &app, &format!("/api/v1/access-requests/{id}/approve"), longer)
            .await
            .0,
        400
    );
    let (status, approved) = post(
        &owen,
        &app,
        &format!("/api/v1/access-requests/{id}/approve"),
        json!({ "duration_days": 30, "comment": "for the churn study only" }),
    )
    .await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["state"], "approved");
    assert_eq!(approved["duration_days"], 30);
    assert_eq!(approved["grant"]["status"], "active");
    assert!(approved["grant"]["expires_at"].is_string(), "{approved}");
    assert_eq!(
        post(
            &owen,
            &app,
            &format!("/api/v1/access-requests/{id}/deny"),
            json!({"comment": "x"})
        )
        .await
        .0,
        409
    );

    // The very next query reads.
    let (status, answer) = count_deals(&bob, &app).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["rows"][0]["n"], 3);

    // Revoked, with a reason: refused again at once.
    let grant = approved["grant"]["id"].as_i64().expect("a grant");
    let (status, revoked) = send(
        &owen,
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/grants/{grant}?reason=study%20over"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["revoke_reason"], "study over");
    assert_eq!(count_deals(&bob, &app).await.0, 403);
    let (_, after) = get(&bob, &app, &format!("/api/v1/access-requests/{id}")).await;
    assert_eq!(after["state"], "revoked");

    assert_eq!(
        audit_lines(&owen, &app).await,
        [
            "query refused user:bob",
            "access.request ok user:bob",
            "access.approve ok user:owen",
            "query ok user:bob rows=1",
            "grant.revoke ok user:owen",
            "query refused user:bob",
        ]
    );
    // Only admins and the domain's owners read the audit log.
    assert_eq!(get(&bob, &app, "/api/v1/audit").await.0, 403);
    let csv = owen
        .get(format!("{}/api/v1/audit?product=sales.deals&format=csv", app.address))
        .send()
        .await
        .expect("an answer")
        .text()
        .await
        .expect("text");
    assert!(
        csv.starts_with("id,at,actor,actor_domain,action,outcome,product"),
        "{csv}"
    );
    assert!(csv.contains("access.approve,ok,sales.deals"), "{csv}");

    // Bob was told each step; the usage of the product shows his read from crm.
    let (_, usage) = get(&owen, &app, "/api/v1/products/sales.deals/usage?days=7").await;
    assert_eq!(usage["reads"], 1, "{usage}");
    assert_eq!(usage["readers"][0]["name"], "user:bob");
    assert_eq!(usage["domains"][0]["name"], "crm");
    let (_, graph) = get(&owen, &app, "/api/v1/usage/domains?days=7").await;
    assert_eq!(graph["edges"][0]["from"], "crm", "{graph}");
    assert_eq!(graph["edges"][0]["to"], "sales");
}

#[tokio::test]
async fn deny_needs_a_reason_and_only_the_requester_withdraws() {
    let app = spawn_app().await;
    publish_deals(&app).await;
    let bob = app.user("bob", &[], &[("crm", Role::Reader)], false).await;
    let carl = app.user("carl", &[], &[("crm", Role::Reader)], false).await;
    let owen = app.user("owen", &[], &[("sales", Role::Owner)], false).await;
    let ask = json!({ "product": "sales.deals", "output": "deals", "purpose": "forecast" });
    let (status, first) = post(&bob, &app, "/api/v1/access-requests", ask.clone()).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["duration_days"], 90, "the default duration");
    let first = first["id"].as_i64().expect("an id");
    // Carl is not involved: the request does not exist for him.
    assert_eq!(
        get(&carl, &app, &format!("/api/v1/access-requests/{first}")).await.0,
        404
    );
    assert_eq!(
        post(
            &carl,
            &app,
            &format!("/api/v1/access-requests/{first}/withdraw"),
            json!({})
        )
        .await
        .0,
        404
    );
    assert_eq!(
        post(
            &owen,
            &app,
            &format!("/api/v1/access-requests/{first}/withdraw"),
            json!({})
        )
        .await
        .0,
        403
    );
    assert_eq!(
        post(
            &owen,
            &app,
            &format!("/api/v1/access-requests/{first}/deny"),
            json!({"comment": " "})
        )
        .await
        .0,
        400
    );
    let (status, denied) = post(
        &owen,
        &app,
        &format!("/api/v1/access-requests/{first}/deny"),
        json!({ "comment": "use the public summary instead" }),
    )
    .await;
    assert_eq!(status, 200, "{denied}");
    assert_eq!(denied["state"], "denied");
    assert_eq!(denied["decision_comment"], "use the public summary instead");

    let (_, second) = post(&bob, &app, "/api/v1/access-requests", ask).await;
    let second = second["id"].as_i64().expect("an id");
    let (status, withdrawn) = post(
        &bob,
        &app,
        &format!("/api/v1/access-requests/{second}/withdraw"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{withdrawn}");
    assert_eq!(withdrawn["state"], "withdrawn");
    let (_, inbox) = get(&owen, &app, "/api/v1/access-requests?role=owner&state=pending").await;
    assert_eq!(inbox, json!([]));
    let mine = app
        .platform
        .my_access(&app.caller_of("bob").await)
        .await
        .expect("my access");
    let kinds: Vec<&str> = mine.notifications.iter().map(|n| n.kind.as_str()).collect();
    assert_eq!(kinds, ["access.denied"], "{mine:?}");
}

#[tokio::test]
async fn a_grant_is_refused_at_its_instant_and_the_sweep_marks_it_expired() {
    let clock = ManualClock::starting_at(chrono::Utc::now());
    let shared = clock.clone();
    let app = spawn_app_with(move |settings| settings.clock = Arc::new(shared)).await;
    publish_deals(&app).await;
    let bob = app.user("bob", &[], &[("crm", Role::Reader)], false).await;
    let owen = app.user("owen", &[], &[("sales", Role::Owner)], false).await;
    let (_, request) = post(
        &bob,
        &app,
        "/api/v1/access-requests",
        json!({ "product": "sales.deals", "purpose": "a look", "duration_days": 2 }),
    )
    .await;
    let id = request["id"].as_i64().expect("an id");
    let (status, _) = post(&owen, &app, &format!("/api/v1/access-requests/{id}/approve"), json!({})).await;
    assert_eq!(status, 200);

    // Within a week of its end: the holder is told once.
    let report = app.platform.sweep_grants(&Caller::System).await.expect("sweeps");
    assert_eq!((report.expired, report.warned), (0, 1));
    assert_eq!(
        app.platform.sweep_grants(&Caller::System).await.expect("sweeps").warned,
        0
    );
    clock.advance(chrono::Duration::days(2) - chrono::Duration::seconds(1));
    assert_eq!(count_deals(&bob, &app).await.0, 200, "a second before its instant");
    clock.advance(chrono::Duration::seconds(1));
    assert_eq!(count_deals(&bob, &app).await.0, 403, "at its instant, before any sweep");
    let (_, before_sweep) = get(&bob, &app, &format!("/api/v1/access-requests/{id}")).await;
    assert_eq!(before_sweep["state"], "approved");
    assert_eq!(before_sweep["grant"]["status"], "expired");

    let report = app.platform.sweep_grants(&Caller::System).await.expect("sweeps");
    assert_eq!(report.expired, 1);
    assert_eq!(
        app.platform
            .sweep_grants(&Caller::System)
            .await
            .expect("sweeps")
            .expired,
        0
    );
    let (_, after) = get(&bob, &app, &format!("/api/v1/access-requests/{id}")).await;
    assert_eq!(after["state"], "expired");
    let mine = app.platform.my_access(&app.caller_of("bob").await).await.expect("mine");
    let kinds: Vec<&str> = mine.notifications.iter().map(|n| n.kind.as_str()).collect();
    assert_eq!(kinds, ["access.expired", "access.expiring", "access.approved"]);
    let audit = app
        .platform
        .audit(
            &Caller::Operator,
            &atrium_types::AuditFilter {
                action: Some("grant.expire".to_owned()),
                ..Default::default()
            },
        )
        .await
        .expect("audit");
    assert_eq!(audit.entries.len(), 1);
    assert_eq!(audit.entries[0].actor, "system");
}

#[tokio::test]
async fn two_owners_deciding_at_once_decide_once() {
    let app = spawn_app().await;
    publish_deals(&app).await;
    let bob = app.user("bob", &[], &[("crm", Role::Reader)], false).await;
    let owen = app.user("owen", &[], &[("sales", Role::Owner)], false).await;
    let sam = app.user("sam", &["team-sales"], &[], false).await;
    let (_, request) = post(
        &bob,
        &app,
        "/api/v1/access-requests",
        json!({ "product": "sales.deals", "purpose": "x" }),
    )
    .await;
    let id = request["id"].as_i64().expect("an id");
    let (approve_path, deny_path) = (
        format!("/api/v1/access-requests/{id}/approve"),
        format!("/api/v1/access-requests/{id}/deny"),
    );
    let approve = post(&owen, &app, &approve_path, json!({}));
    let deny = post(&sam, &app, &deny_path, json!({ "comment": "no" }));
    let ((approved, _), (denied, _)) = tokio::join!(approve, deny);
    let mut statuses = [approved, denied];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "exactly one decision lands");
    let grants = app.platform.grants(&Caller::Operator).await.expect("grants");
    let (_, decided) = get(&bob, &app, &format!("/api/v1/access-requests/{id}")).await;
    match decided["state"].as_str() {
        Some("approved") => assert_eq!(grants.len(), 1),
        Some("denied") => assert!(grants.is_empty(), "a denied request made no grant: {grants:?}"),
        other => panic!("decided as {other:?}"),
    }
}
