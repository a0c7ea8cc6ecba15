//! The authorization matrix: every REST route and every server function, asked by each kind of
//! caller, against the real server. The routes come from the router's own source and the server
//! functions from Leptos' registry, so a new one without its row fails here.

use atrium_platform::{Caller, DescriptorSource};
use atrium_types::{Role, UserName};
use reqwest::{Client, Method};

use crate::helpers::{TestApp, spawn_app};

/// A restricted product of `sales` with a stream input: hidden from everyone without a role.
const LEDGER: &str = "apiVersion: atrium/v1
kind: DataProduct
metadata:
  id: sales.ledger
  title: Ledger
  owner: team-sales
  description: Every booking.
  visibility: restricted
inputs:
  - { name: events, source: { kind: stream } }
outputs:
  - name: ledger
    description: One row per booking.
    columns:
      - { name: entry_id, type: int64, required: true }
      - { name: note, type: string, classification: internal }
";

/// An internal product of `crm`: everyone sees it, crm's readers read it, others may ask.
const CONTACTS: &str = "apiVersion: atrium/v1
kind: DataProduct
metadata:
  id: crm.contacts
  title: Contacts
  owner: team-crm
  description: Every contact.
  visibility: internal
inputs:
  - { name: events, source: { kind: stream } }
outputs:
  - name: contacts
    description: One row per contact.
    columns:
      - { name: contact_id, type: int64, required: true }
";

/// The callers of the matrix, in its column order.
const WHO: [&str; 7] = [
    "anonymous",
    "outsider",
    "reader of crm",
    "reader",
    "writer",
    "owner",
    "admin",
];

struct Callers {
    clients: Vec<Client>,
}

async fn callers(app: &TestApp) -> Callers {
    let clients = vec![
        app.anonymous(),
        app.user("olga", &[], &[], false).await,
        app.user("fred", &[], &[("crm", Role::Reader)], false).await,
        app.user("rita", &[], &[("sales", Role::Reader)], false).await,
        app.user("will", &[], &[("sales", Role::Writer)], false).await,
        app.user("owen", &[], &[("sales", Role::Owner)], false).await,
        app.client.clone(),
    ];
    Callers { clients }
}

/// One row: a request and the status each caller gets.
struct Row {
    method: Method,
    /// The route as the router registers it, e.g. `/api/v1/products/{id}`.
    route: &'static str,
    path: &'static str,
    body: Option<(&'static str, String)>,
    expected: [u16; 7],
}

fn row(method: Method, route: &'static str, path: &'static str, expected: [u16; 7]) -> Row {
    Row {
        method,
        route,
        path,
        body: None,
        expected,
    }
}

fn with_body(mut row: Row, content_type: &'static str, body: impl Into<String>) -> Row {
    row.body = Some((content_type, body.into()));
    row
}

async fn ask(client: &Client, app: &TestApp, row: &Row, path: &str) -> u16 {
    let mut request = client
        .request(row.method.clone(), format!("{}{path}", app.address))
        // A browser's form or fetch from the portal itself.
        .header("origin", &app.address);
    if let Some((content_type, body)) = &row.body {
        request = request.header("content-type", *content_type).body(body.clone());
    }
    request.send().await.expect("an answer").status().as_u16()
}

async fn fixture() -> (TestApp, Callers) {
    let app = spawn_app().await;
    app.platform
        .deploy(
            &Caller::Operator,
            &[
                DescriptorSource::new(LEDGER, Some("ledger.yaml".to_owned())),
                DescriptorSource::new(CONTACTS, Some("contacts.yaml".to_owned())),
            ],
        )
        .await
        .expect("deploys");
    app.platform
        .append_rows(
            &Caller::Operator,
            "sales.ledger",
            "events",
            r#"[{"entry_id": 1, "note": "x"}, {"entry_id": "bad"}]"#.to_owned(),
        )
        .await
        .expect("rows");
    let run = app
        .platform
        .run(&Caller::Operator, "sales.ledger", atrium_platform::RunTrigger::Manual)
        .await
        .expect("runs");
    assert_eq!(run.id, 1, "the matrix asks for run 1");
    let callers = callers(&app).await;
    (app, callers)
}

#[tokio::test]
async fn every_rest_route_answers_each_caller_as_the_rules_say() {
    let (app, callers) = fixture().await;
    let deploy = with_body(
        row(
            Method::POST,
            "/products",
            "/api/v1/products?file=ledger.yaml",
            [401, 403, 403, 403, 200, 200, 200],
        ),
        "application/yaml",
        LEDGER,
    );
    let query = with_body(
        row(
            Method::POST,
            "/query",
            "/api/v1/query",
            [401, 400, 400, 200, 200, 200, 200],
        ),
        "application/json",
        r#"{"sql": "SELECT count(*) AS n FROM sales.ledger"}"#,
    );
    let push = with_body(
        row(
            Method::POST,
            "/products/{id}/inputs/{input}/rows",
            "/api/v1/products/sales.ledger/inputs/events/rows",
            [401, 404, 404, 403, 202, 202, 202],
        ),
        "application/json",
        r#"[{"entry_id": 2}]"#,
    );
    let grant = with_body(
        row(
            Method::POST,
            "/grants",
            "/api/v1/grants",
            [401, 404, 404, 403, 403, 201, 201],
        ),
        "application/json",
        r#"{"product": "sales.ledger", "principal": "team:auditors"}"#,
    );
    let token = with_body(
        row(
            Method::POST,
            "/tokens",
            "/api/v1/tokens",
            [401, 201, 201, 201, 201, 201, 201],
        ),
        "application/json",
        r#"{"name": "matrix"}"#,
    );
    let request_access = with_body(
        row(
            Method::POST,
            "/access-requests",
            "/api/v1/access-requests",
            [401, 201, 409, 201, 201, 201, 409],
        ),
        "application/json",
        r#"{"product": "crm.contacts", "purpose": "the matrix", "duration_days": 7}"#,
    );
    let deny = with_body(
        row(
            Method::POST,
            "/access-requests/{id}/deny",
            "/api/v1/access-requests/{request}/deny",
            [401, 403, 404, 404, 404, 404, 200],
        ),
        "application/json",
        r#"{"comment": "no"}"#,
    );
    let table = vec![
        row(Method::GET, "/healthz", "/healthz", [200; 7]),
        request_access,
        row(
            Method::GET,
            "/access-requests",
            "/api/v1/access-requests",
            [401, 200, 200, 200, 200, 200, 200],
        ),
        // Olga's request on crm.contacts: she and an admin know of it; crm's owners would.
        row(
            Method::GET,
            "/access-requests/{id}",
            "/api/v1/access-requests/{request}",
            [401, 200, 404, 404, 404, 404, 200],
        ),
        row(
            Method::POST,
            "/access-requests/{id}/approve",
            "/api/v1/access-requests/{request}/approve",
            [401, 403, 404, 404, 404, 404, 200],
        ),
        deny,
        row(
            Method::POST,
            "/access-requests/{id}/withdraw",
            "/api/v1/access-requests/{request}/withdraw",
            [401, 200, 404, 404, 404, 404, 403],
        ),
        row(
            Method::GET,
            "/audit",
            "/api/v1/audit",
            [401, 403, 403, 403, 403, 200, 200],
        ),
        row(
            Method::GET,
            "/products/{id}/usage",
            "/api/v1/products/sales.ledger/usage",
            [401, 404, 404, 200, 200, 200, 200],
        ),
        row(
            Method::GET,
            "/usage/domains",
            "/api/v1/usage/domains",
            [401, 200, 200, 200, 200, 200, 200],
        ),
        row(Method::GET, "/openapi.yaml", "/api/v1/openapi.yaml", [200; 7]),
        row(
            Method::GET,
            "/search",
            "/api/v1/search?q=ledger",
            [401, 200, 200, 200, 200, 200, 200],
        ),
        row(
            Method::GET,
            "/search/suggest",
            "/api/v1/search/suggest?q=led",
            [401, 200, 200, 200, 200, 200, 200],
        ),
        row(
            Method::GET,
            "/products",
            "/api/v1/products",
            [401, 200, 200, 200, 200, 200, 200],
        ),
        deploy,
        row(
            Method::GET,
            "/products/{id}",
            "/api/v1/products/sales.ledger",
            [401, 404, 404, 200, 200, 200, 200],
        ),
        row(
            Method::GET,
            "/products/{id}/runs",
            "/api/v1/products/sales.ledger/runs",
            [401, 404, 404, 200, 200, 200, 200],
        ),
        row(
            Method::POST,
            "/products/{id}/runs",
            "/api/v1/products/sales.ledger/runs",
            [401, 404, 404, 403, 201, 201, 201],
        ),
        row(
            Method::GET,
            "/products/{id}/runs/{run}/rejected",
            "/api/v1/products/sales.ledger/runs/1/rejected",
            [401, 404, 404, 200, 200, 200, 200],
        ),
        push,
        query,
        row(
            Method::GET,
            "/domains",
            "/api/v1/domains",
            [401, 200, 200, 200, 200, 200, 200],
        ),
        row(
            Method::GET,
            "/domains/{name}",
            "/api/v1/domains/sales",
            [401, 200, 200, 200, 200, 200, 200],
        ),
        row(Method::GET, "/me", "/api/v1/me", [401, 200, 200, 200, 200, 200, 200]),
        row(
            Method::GET,
            "/grants",
            "/api/v1/grants",
            [401, 200, 200, 200, 200, 200, 200],
        ),
        grant,
        row(
            Method::DELETE,
            "/grants/{id}",
            "/api/v1/grants/{grant}",
            [401, 404, 404, 403, 403, 200, 200],
        ),
        row(
            Method::GET,
            "/tokens",
            "/api/v1/tokens",
            [401, 200, 200, 200, 200, 200, 200],
        ),
        token,
        // Each caller tries to revoke one of the owner's tokens: only the owner and an admin may.
        row(
            Method::DELETE,
            "/tokens/{id}",
            "/api/v1/tokens/{token}",
            [401, 404, 404, 404, 404, 200, 200],
        ),
    ];
    let registered = registered_routes();
    for route in &registered {
        assert!(
            table.iter().any(|row| row.route == *route),
            "route `{route}` has no row in the authorization matrix"
        );
    }
    let mut failures = Vec::new();
    for row in &table {
        assert!(
            registered.contains(&row.route),
            "the matrix has a row for `{}`, which the router does not register",
            row.route
        );
        for (index, client) in callers.clients.iter().enumerate() {
            let path = concrete_path(&app, row.path).await;
            let status = ask(client, &app, row, &path).await;
            if status != row.expected[index] {
                failures.push(format!(
                    "{} {} as {}: {status}, expected {}",
                    row.method, row.path, WHO[index], row.expected[index]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Fills a path's placeholders with a fresh grant or token to revoke, or a pending request of
/// the outsider's.
async fn concrete_path(app: &TestApp, path: &str) -> String {
    if path.contains("{request}") {
        let olga = app.caller_of("olga").await;
        let pending = app
            .platform
            .access_requests(
                &olga,
                atrium_types::RequestRole::Requester,
                Some(atrium_types::RequestState::Pending),
            )
            .await
            .expect("her requests");
        let id = match pending.first() {
            Some(request) => request.id,
            None => {
                let request = atrium_types::NewAccessRequest {
                    product: atrium_types::ProductId::parse("crm.contacts").expect("an id"),
                    output: None,
                    purpose: "the matrix".to_owned(),
                    duration_days: 7,
                    for_team: None,
                };
                app.platform
                    .request_access(&olga, &request)
                    .await
                    .expect("a request")
                    .id
            }
        };
        return path.replace("{request}", &id.to_string());
    }
    if path.contains("{grant}") {
        let grant = app.grant("sales.ledger", None, "team:auditors").await;
        return path.replace("{grant}", &grant.id.to_string());
    }
    if path.contains("{token}") {
        let owner = UserName::parse("owen").expect("a name");
        let token = app
            .platform
            .create_token(&Caller::Operator, &owner, "to revoke", None)
            .await
            .expect("a token");
        return path.replace("{token}", &token.token.id);
    }
    path.to_owned()
}

/// The routes of the REST API as `api.rs` registers them.
fn registered_routes() -> Vec<&'static str> {
    let source = include_str!("../../src/http/api.rs");
    source
        .split(".route(")
        .skip(1)
        .filter_map(|rest| rest.trim_start().strip_prefix('"')?.split('"').next())
        .collect()
}

/// Every server function of the portal, asked anonymously and by an outsider: none but the
/// header's and the sign-in page's answers an anonymous caller, and an outsider learns nothing
/// of the restricted product through any of them.
#[tokio::test]
async fn every_server_function_needs_a_caller_and_hides_restricted_products() {
    let (app, callers) = fixture().await;
    let (anonymous, outsider, reader) = (&callers.clients[0], &callers.clients[1], &callers.clients[3]);
    const FORM: &str = "application/x-www-form-urlencoded";
    const JSON: &str = "application/json";
    const MULTIPART: &str = "multipart/form-data; boundary=matrix";
    let sample = "--matrix\r\ncontent-disposition: form-data; name=\"file\"; filename=\"deals.csv\"\r\n\
                  content-type: text/csv\r\n\r\ndeal_id,amount\n1,2.5\n\r\n--matrix--\r\n";
    let form = r#"{"domain":"sales","name":"deals","title":"Deals","owner":"team-sales","description":"Deals.","visibility":"internal","pii":[]}"#;
    let create = format!(
        "--matrix\r\ncontent-disposition: form-data; name=\"file\"; filename=\"deals.csv\"\r\n\
         content-type: text/csv\r\n\r\ndeal_id,amount\n1,2.5\n\r\n--matrix\r\n\
         content-disposition: form-data; name=\"form\"\r\n\r\n{form}\r\n--matrix--\r\n"
    );
    let profile = r#"{"file":"deals.csv","format":"csv","rows":1,"rejected":0,"rejected_examples":[],"columns":[{"name":"deal_id","data_type":"int64","nulls":0,"pii":null}],"preview":[["1"]]}"#;
    let starter = format!(r#"{{"profile":{profile},"form":{form},"url":null}}"#);
    let create_url = format!(r#"{{"url":"http://127.0.0.1:9/deals.csv","form":{form}}}"#);
    // (endpoint, content type, body, anonymous status, outsider status, reader status)
    // Creating a product deploys it: only the domain's writers may (the reader too is refused).
    let table: Vec<(&str, &str, &str, u16, u16, u16)> = vec![
        ("home", FORM, "", 401, 200, 200),
        ("domains", FORM, "", 401, 200, 200),
        ("domain", FORM, "name=sales", 401, 200, 200),
        ("product", FORM, "id=sales.ledger", 401, 404, 200),
        ("sample", FORM, "id=sales.ledger", 401, 404, 200),
        ("run", FORM, "id=sales.ledger", 401, 404, 403),
        ("query", FORM, "sql=SELECT+count(*)+FROM+sales.ledger", 401, 400, 200),
        ("profile", MULTIPART, sample, 401, 200, 200),
        (
            "profile-url",
            FORM,
            "url=http%3A%2F%2F127.0.0.1%3A9%2Fx.csv",
            401,
            422,
            422,
        ),
        ("starter", JSON, &starter, 401, 200, 200),
        ("create-url", JSON, &create_url, 401, 422, 422),
        ("create", MULTIPART, &create, 401, 403, 403),
        ("me", FORM, "", 200, 200, 200),
        ("sign-in", FORM, "", 200, 200, 200),
        ("tokens", FORM, "", 401, 200, 200),
        ("create-token", FORM, "name=matrix", 401, 200, 200),
        ("revoke-token", FORM, "id=atr_000000000000", 401, 404, 404),
        ("access-counts", FORM, "", 401, 200, 200),
        ("product-access", FORM, "id=sales.ledger", 401, 404, 200),
        (
            "request-access",
            FORM,
            "product=sales.ledger&purpose=x&duration_days=30",
            401,
            404,
            409,
        ),
        ("inbox", FORM, "", 401, 200, 200),
        ("approve-request", FORM, "id=999999", 401, 404, 404),
        ("deny-request", FORM, "id=999999&comment=x", 401, 404, 404),
        ("withdraw-request", FORM, "id=999999", 401, 404, 404),
        ("my-access", FORM, "", 401, 200, 200),
        ("read-notifications", FORM, "", 401, 200, 200),
        ("revoke-grant", FORM, "id=999999", 401, 404, 404),
        ("audit", FORM, "", 401, 403, 403),
        ("product-usage", FORM, "id=sales.ledger&days=7", 401, 404, 200),
        ("usage-graph", FORM, "days=7", 401, 200, 200),
        // The outsider finds nothing of the restricted ledger (nor its title in a count).
        ("search", FORM, "q=ledger&offset=0", 401, 200, 200),
        ("suggest", FORM, "q=led", 401, 200, 200),
    ];
    let registered: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/portal/").to_owned())
        .collect();
    for endpoint in &registered {
        assert!(
            table.iter().any(|(name, ..)| name == endpoint),
            "server function `{endpoint}` has no row in the authorization matrix"
        );
    }
    let mut failures = Vec::new();
    for (endpoint, content_type, body, expected_anonymous, expected_outsider, expected_reader) in &table {
        for (who, client, expected) in [
            ("anonymous", anonymous, expected_anonymous),
            ("outsider", outsider, expected_outsider),
            ("reader", reader, expected_reader),
        ] {
            let response = client
                .post(format!("{}/portal/{endpoint}", app.address))
                .header("origin", &app.address)
                .header("content-type", *content_type)
                .body(body.to_string())
                .send()
                .await
                .expect("an answer");
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            if status != *expected {
                failures.push(format!("{endpoint} as {who}: {status}, expected {expected}: {text}"));
            }
            if who == "outsider" && text.contains("Ledger") {
                failures.push(format!("{endpoint} shows the outsider the restricted product: {text}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
