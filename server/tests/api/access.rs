//! Sign-in, sessions, tokens, CSRF, and what each caller may see and read: the holes of the
//! identity issue reproduced and shown closed, against the real server.

use std::sync::Arc;

use atrium_platform::{Caller, Clock, DescriptorSource, ManualClock};
use atrium_types::{Role, UserName};

use crate::helpers::{DEALS, TestApp, spawn_app, spawn_app_with};

/// A restricted product of `hr`: for outsiders it does not exist.
pub const RESTRICTED: &str = "apiVersion: atrium/v1
kind: DataProduct
metadata:
  id: hr.employees
  title: Employees
  owner: team-hr
  description: Everyone on the payroll.
  visibility: restricted
inputs:
  - { name: events, source: { kind: stream } }
outputs:
  - name: employees
    description: One row per employee.
    columns:
      - { name: employee_id, type: int64, required: true }
      - { name: email, type: string, classification: pii, pii: keep }
";

async fn query(client: &reqwest::Client, app: &TestApp, sql: &str) -> (u16, serde_json::Value) {
    let response = client
        .post(format!("{}/api/v1/query", app.address))
        .json(&serde_json::json!({ "sql": sql }))
        .send()
        .await
        .expect("an answer");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn anonymous_callers_get_401_on_the_api_and_sign_in_on_pages() {
    let app = spawn_app().await;
    let anonymous = app.anonymous();
    let response = anonymous
        .get(format!("{}/api/v1/products", app.address))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 401);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "unauthenticated");
    let page = anonymous
        .get(format!("{}/products/sales.orders?tab=runs", app.address))
        .send()
        .await
        .expect("an answer");
    assert_eq!(page.status(), 303);
    assert_eq!(
        page.headers()["location"],
        "/login?next=%2Fproducts%2Fsales.orders%3Ftab%3Druns"
    );
    for public in ["/healthz", "/login", "/api/v1/openapi.yaml"] {
        let status = anonymous
            .get(format!("{}{public}", app.address))
            .send()
            .await
            .expect("an answer")
            .status();
        assert_eq!(status, 200, "{public}");
    }
}

#[tokio::test]
async fn a_local_account_signs_in_and_out_with_a_session_cookie() {
    let app = spawn_app().await;
    app.user("sam", &["team-sales"], &[("sales", Role::Writer)], false)
        .await;
    let browser = app.anonymous();
    let sign_in = |password: &'static str| {
        browser
            .post(format!("{}/auth/login", app.address))
            .header("origin", &app.address)
            .form(&[("name", "sam"), ("password", password), ("next", "/domains/sales")])
            .send()
    };
    let refused = sign_in("wrong").await.expect("an answer");
    assert_eq!(refused.status(), 303);
    assert_eq!(refused.headers()["location"], "/login?error=1&next=%2Fdomains%2Fsales");
    assert!(refused.headers().get("set-cookie").is_none());

    let signed_in = sign_in("secret-sam").await.expect("an answer");
    assert_eq!(signed_in.headers()["location"], "/domains/sales");
    let cookie = signed_in.headers()["set-cookie"].to_str().expect("text").to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let session = cookie.split(';').next().expect("a pair").to_owned();

    let me: serde_json::Value = browser
        .get(format!("{}/api/v1/me", app.address))
        .header("cookie", &session)
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("json");
    assert_eq!(me["user"], "sam");
    assert_eq!(me["teams"], serde_json::json!(["team-sales"]));
    assert_eq!(
        me["roles"],
        serde_json::json!([{ "domain": "sales", "role": "writer" }])
    );

    // The header of every page says who is signed in.
    let home = browser
        .get(format!("{}/", app.address))
        .header("cookie", &session)
        .send()
        .await
        .expect("an answer")
        .text()
        .await
        .expect("html");
    assert!(home.contains("Signed in as"), "{home}");

    // A state change with the cookie but from another site is refused (CSRF).
    let cross_site = browser
        .post(format!("{}/api/v1/tokens", app.address))
        .header("cookie", &session)
        .header("origin", "http://evil.example")
        .json(&serde_json::json!({ "name": "stolen" }))
        .send()
        .await
        .expect("an answer");
    assert_eq!(cross_site.status(), 403);
    let no_origin = browser
        .post(format!("{}/portal/create-token", app.address))
        .header("cookie", &session)
        .form(&[("name", "stolen")])
        .send()
        .await
        .expect("an answer");
    assert_eq!(
        no_origin.status(),
        403,
        "a server function has no CSRF guard of its own"
    );
    let same_site = browser
        .post(format!("{}/api/v1/tokens", app.address))
        .header("cookie", &session)
        .header("sec-fetch-site", "same-origin")
        .json(&serde_json::json!({ "name": "mine" }))
        .send()
        .await
        .expect("an answer");
    assert_eq!(same_site.status(), 201);

    let out = browser
        .post(format!("{}/auth/logout", app.address))
        .header("cookie", &session)
        .header("origin", &app.address)
        .send()
        .await
        .expect("an answer");
    assert_eq!(out.status(), 303);
    let after = browser
        .get(format!("{}/api/v1/me", app.address))
        .header("cookie", &session)
        .send()
        .await
        .expect("an answer");
    assert_eq!(after.status(), 401, "the session ended on the server");
}

#[tokio::test]
async fn sessions_end_when_idle_and_tokens_at_their_expiry_or_revocation() {
    let clock = ManualClock::starting_at(chrono::Utc::now());
    let shared = clock.clone();
    let app = spawn_app_with(move |settings| settings.clock = Arc::new(shared)).await;
    app.user("sam", &[], &[], false).await;
    let sam = UserName::parse("sam").expect("a name");
    let session = app
        .platform
        .sign_in_with_password("sam", "secret-sam", &atrium_platform::Origin::default())
        .await
        .expect("signs in");
    let token = app
        .platform
        .create_token(&Caller::Operator, &sam, "ci", Some(chrono::Duration::days(30)))
        .await
        .expect("a token");
    assert!(token.secret.starts_with("atr_"), "a recognisable prefix");
    let with_token = crate::helpers::bearer_client(&token.secret);
    let me = format!("{}/api/v1/me", app.address);
    assert_eq!(with_token.get(&me).send().await.expect("an answer").status(), 200);
    let cookie = format!("atrium_session={}", session.secret);
    let by_cookie = || app.anonymous().get(&me).header("cookie", cookie.clone()).send();
    assert_eq!(by_cookie().await.expect("an answer").status(), 200);

    let listed: serde_json::Value = with_token
        .get(format!("{}/api/v1/tokens", app.address))
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("json");
    let ci = listed
        .as_array()
        .and_then(|all| all.iter().find(|t| t["name"] == "ci"))
        .expect("the token is listed");
    assert!(ci["last_used_at"].is_string(), "the last use is recorded: {listed}");
    assert!(
        !listed.to_string().contains(&token.secret[20..]),
        "no secret in the list"
    );

    clock.advance(chrono::Duration::hours(13));
    assert_eq!(
        by_cookie().await.expect("an answer").status(),
        401,
        "idle for longer than 12 h"
    );
    assert_eq!(with_token.get(&me).send().await.expect("an answer").status(), 200);
    clock.advance(chrono::Duration::days(30));
    let expired = with_token.get(&me).send().await.expect("an answer");
    assert_eq!(expired.status(), 401, "past its expiry");

    let other = app
        .platform
        .create_token(&Caller::Operator, &sam, "other", None)
        .await
        .expect("a token");
    let other_client = crate::helpers::bearer_client(&other.secret);
    assert_eq!(other_client.get(&me).send().await.expect("an answer").status(), 200);
    let revoked = other_client
        .delete(format!("{}/api/v1/tokens/{}", app.address, other.token.id))
        .send()
        .await
        .expect("an answer");
    assert_eq!(revoked.status(), 200);
    assert_eq!(other_client.get(&me).send().await.expect("an answer").status(), 401);
    let forged = crate::helpers::bearer_client(&format!("{}_{}", other.token.id, "0".repeat(64)));
    assert_eq!(forged.get(&me).send().await.expect("an answer").status(), 401);
}

#[tokio::test]
async fn an_outsider_sees_no_trace_of_a_restricted_product() {
    let app = spawn_app().await;
    app.publish(
        RESTRICTED,
        "hr.employees",
        r#"[{"employee_id": 1, "email": "ann@example.com"}]"#,
    )
    .await;
    let outsider = app.user("olga", &[], &[], false).await;
    let hr = app.user("harry", &["team-hr"], &[], false).await;
    let get = |client: &reqwest::Client, path: &str| {
        let url = format!("{}{path}", app.address);
        let client = client.clone();
        async move {
            // Bounded: a request that never answers fails here, naming its path, rather than
            // holding the suite (seen once in CI, not understood yet).
            let response = client
                .get(&url)
                .timeout(std::time::Duration::from_secs(60))
                .send()
                .await
                .unwrap_or_else(|error| panic!("{url} did not answer: {error}"));
            (response.status().as_u16(), response.text().await.expect("text"))
        }
    };
    for path in [
        "/api/v1/products",
        "/api/v1/domains",
        "/api/v1/domains/hr",
        "/",
        "/domains/hr",
    ] {
        let (status, text) = get(&outsider, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            !text.contains("employees") && !text.contains("Employees"),
            "{path} shows it: {text}"
        );
        let (_, own) = get(&hr, path).await;
        if path != "/api/v1/domains" {
            assert!(own.contains("employees"), "{path} shows it to its team");
        }
    }
    let (_, domains) = get(&outsider, "/api/v1/domains").await;
    let domains: serde_json::Value = serde_json::from_str(&domains).expect("json");
    let hr_domain = domains
        .as_array()
        .and_then(|all| all.iter().find(|d| d["name"] == "hr"))
        .expect("the domain itself is listed");
    assert_eq!(hr_domain["product_count"], 0, "it is not counted");
    for path in [
        "/api/v1/products/hr.employees",
        "/api/v1/products/hr.employees/runs",
        "/api/v1/products/hr.employees/runs/1/rejected",
        "/products/hr.employees",
    ] {
        let (status, text) = get(&outsider, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(!text.contains("ann@example.com"), "{path}");
        let missing = get(&outsider, &path.replace("employees", "nobody")).await;
        assert_eq!(missing.0, 404, "a product that does not exist answers alike");
    }
    let (_, product) = get(&outsider, "/api/v1/products/hr.employees").await;
    assert!(product.contains("product `hr.employees` does not exist"), "{product}");
    let (status, body) = query(&outsider, &app, "SELECT * FROM hr.employees").await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not found"),
        "{body}"
    );
    let (status, _) = query(&hr, &app, "SELECT * FROM hr.employees").await;
    assert_eq!(status, 200, "its team reads it");
    // The page of a restricted product does not carry its rows to anyone but its readers.
    let (status, page) = get(&hr, "/products/hr.employees").await;
    assert_eq!(status, 200);
    assert!(page.contains("Employees"));
}

#[tokio::test]
async fn an_internal_product_is_read_with_a_grant_until_it_expires() {
    let clock = ManualClock::starting_at(chrono::Utc::now());
    let shared = clock.clone();
    let app = spawn_app_with(move |settings| settings.clock = Arc::new(shared)).await;
    app.publish(DEALS, "sales.deals", r#"[{"deal_id": 7}]"#).await;
    let reader = app
        .user("fred", &["team-finance"], &[("finance", Role::Owner)], false)
        .await;
    let owner = app.user("owen", &["team-sales"], &[], false).await;

    let (status, _) = (
        reader
            .get(format!("{}/api/v1/products/sales.deals", app.address))
            .send()
            .await
            .expect("an answer")
            .status(),
        (),
    );
    assert_eq!(status, 200, "its contract is shown to everyone signed in");
    let (status, body) = query(&reader, &app, "SELECT deal_id FROM sales.deals").await;
    assert_eq!(status, 403, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("needs a grant"), "{message}");
    assert!(
        message.contains("atrium grant add sales.deals --to user:fred"),
        "{message}"
    );
    let sample = reader
        .post(format!("{}/portal/sample", app.address))
        .header("origin", &app.address)
        .form(&[("id", "sales.deals")])
        .send()
        .await
        .expect("an answer");
    assert_eq!(sample.status(), 403, "no sample rows without a grant");

    // A reader may not grant themselves access; the product's owner team may.
    let by_reader = reader
        .post(format!("{}/api/v1/grants", app.address))
        .json(&serde_json::json!({ "product": "sales.deals", "principal": "user:fred" }))
        .send()
        .await
        .expect("an answer");
    assert_eq!(by_reader.status(), 403);
    let until = (clock.now() + chrono::Duration::hours(2)).to_rfc3339();
    let granted = owner
        .post(format!("{}/api/v1/grants", app.address))
        .json(&serde_json::json!({ "product": "sales.deals", "principal": "team:team-finance", "expires_at": until }))
        .send()
        .await
        .expect("an answer");
    assert_eq!(granted.status(), 201);
    let (status, body) = query(&reader, &app, "SELECT deal_id FROM sales.deals").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rows"], serde_json::json!([{ "deal_id": 7 }]));

    clock.advance(chrono::Duration::hours(2));
    let (status, _) = query(&reader, &app, "SELECT deal_id FROM sales.deals").await;
    assert_eq!(status, 403, "the grant stops at its instant, with no sweep");
}

#[tokio::test]
async fn deploy_needs_a_role_in_the_domain() {
    let app = spawn_app().await;
    let outsider = app.user("olga", &[], &[], false).await;
    let writer = app.user("will", &[], &[("sales", Role::Writer)], false).await;
    let post = |client: &reqwest::Client| {
        client
            .post(format!("{}/api/v1/products?file=deals.yaml", app.address))
            .body(DEALS)
            .send()
    };
    let refused = post(&outsider).await.expect("an answer");
    assert_eq!(refused.status(), 403);
    let body: serde_json::Value = refused.json().await.expect("json");
    assert_eq!(
        body["error"]["message"],
        "this needs the `writer` role in domain `sales`"
    );
    assert_eq!(post(&writer).await.expect("an answer").status(), 201);
    assert_eq!(
        post(&outsider).await.expect("an answer").status(),
        403,
        "nor may they change it"
    );
}

#[tokio::test]
async fn a_cross_domain_input_waits_for_its_grant() {
    let app = spawn_app().await;
    app.publish(DEALS, "sales.deals", r#"[{"deal_id": 7}]"#).await;
    let report = "apiVersion: atrium/v1
kind: DataProduct
metadata: { id: finance.deal_report, title: Deal report, owner: team-finance, description: Deals. }
inputs:
  - { name: deals, product: sales.deals }
outputs:
  - name: deal_report
    description: Deals.
    columns:
      - { name: deal_id, type: int64 }
";
    let outcomes = app
        .platform
        .deploy(
            &Caller::Operator,
            &[DescriptorSource::new(report, Some("report.yaml".to_owned()))],
        )
        .await
        .expect("deploys: the missing grant does not stop it");
    assert_eq!(outcomes[0].missing_grants.len(), 1, "{outcomes:?}");
    assert!(
        outcomes[0].missing_grants[0].contains("--to team:team-finance"),
        "{outcomes:?}"
    );
    let waiting = app.run_now("finance.deal_report").await;
    assert_eq!(waiting["status"], "waiting_for_access", "{waiting}");
    assert!(
        waiting["error"].as_str().unwrap_or_default().contains("sales.deals"),
        "{waiting}"
    );
    app.grant("sales.deals", None, "team:team-finance").await;
    let ran = app.run_now("finance.deal_report").await;
    assert_eq!(ran["status"], "succeeded", "{ran}");
}
