//! The data fence and web security, as an attacker would try them: inputs that reach another
//! product's files, host files or private addresses; oversized bodies; markup in descriptor text.

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

const PUBLIC_WITH_SOURCE: &str = "apiVersion: atrium/v1
kind: DataProduct
metadata: { id: sales.leak, title: Leak, owner: team-sales, description: Tries., visibility: public }
inputs:
  - { name: raw, source: SOURCE }
outputs:
  - name: leak
    description: Whatever it reads.
    columns:
      - { name: line, type: string, classification: public }
";

async fn deploy_with(app: &TestApp, source: &str) -> (u16, serde_json::Value) {
    let response = app.deploy(&PUBLIC_WITH_SOURCE.replace("SOURCE", source)).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

fn first_problem(body: &serde_json::Value) -> (String, String) {
    let detail = &body["error"]["details"][0];
    (
        detail["field"].as_str().unwrap_or_default().to_owned(),
        detail["message"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn inputs_cannot_reach_host_files_or_the_platforms_own_store() {
    let app = spawn_app().await;
    let (status, body) = deploy_with(
        &app,
        "{ kind: file, format: csv, path: ../../../../../../etc/hostname }",
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (field, message) = first_problem(&body);
    assert_eq!(field, "inputs[0].source.path");
    assert!(message.contains("leaves the descriptor's folder"), "{message}");
    assert_eq!(body["error"]["details"][0]["line"], 5, "located in the file: {body}");

    let store = app.data_dir.join("store/hr/employees/employees/part-0.parquet");
    let (status, body) = deploy_with(
        &app,
        &format!("{{ kind: object, uri: \"file://{}\" }}", store.display()),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (field, message) = first_problem(&body);
    assert_eq!(field, "inputs[0].source.uri");
    assert!(message.contains("policy: data fence"), "{message}");

    // A descriptor posted over the API has no folder: its file inputs need an operator's root.
    let (status, body) = deploy_with(&app, "{ kind: file, format: csv, path: data/x.csv }").await;
    assert_eq!(status, 422, "{body}");
    assert!(first_problem(&body).1.contains("file_roots"), "{body}");

    // An object store the operator does not list: the run refuses it (the list may change).
    let (status, body) = deploy_with(&app, "{ kind: object, uri: \"s3://anyone/x.csv\" }").await;
    assert_eq!(status, 201, "{body}");
    app.wait_until_idle("sales.leak").await;
    let run = app.run_now("sales.leak").await;
    assert_eq!(run["status"], "failed", "{run}");
    assert!(
        run["error"]
            .as_str()
            .unwrap_or_default()
            .contains("object_prefixes: none"),
        "{run}"
    );
}

/// A one-request HTTP server on loopback that answers `body`; returns its base URL.
async fn serve_once(status: &'static str, headers: &'static str, body: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = [0u8; 4096];
            let _ = socket.read(&mut buffer).await;
            let answer = format!(
                "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n{headers}\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    format!("http://{address}")
}

/// The New-product page's URL preview of `url`: its status and text.
async fn preview(app: &TestApp, url: &str) -> (u16, String) {
    let response = app
        .client
        .post(format!("{}/portal/profile-url", app.address))
        .form(&[("url", url)])
        .send()
        .await
        .expect("an answer");
    (response.status().as_u16(), response.text().await.unwrap_or_default())
}

#[tokio::test]
async fn url_inputs_and_previews_do_not_reach_private_addresses() {
    let app = spawn_app().await;
    let base = serve_once("200 OK", "", "line\nsecret\n").await;
    let (status, body) = deploy_with(&app, &format!("{{ kind: url, format: csv, url: \"{base}/x.csv\" }}")).await;
    assert_eq!(status, 201, "deployed: the address is checked when fetched, {body}");
    app.wait_until_idle("sales.leak").await;
    let run = app.run_now("sales.leak").await;
    assert_eq!(run["status"], "failed", "{run}");
    let error = run["error"].as_str().unwrap_or_default();
    assert!(error.contains("loopback, link-local or private address"), "{error}");

    let refused = preview(&app, &format!("{base}/x.csv")).await;
    assert_eq!(refused.0, 422);
    assert!(refused.1.contains("private address"), "{}", refused.1);

    // A public name that redirects to loopback is refused at the redirect.
    let allowed = spawn_app_with(|settings| {
        settings.fence.allowed_addresses = vec![std::net::IpAddr::from([127, 0, 0, 1])];
    })
    .await;
    let target = serve_once("200 OK", "", "line\nfine\n").await;
    let redirect = serve_once("302 Found", "location: http://[::1]:9/x.csv\r\n", "").await;
    let fetched = preview(&allowed, &format!("{target}/x.csv")).await;
    assert_eq!(fetched.0, 200, "allowed explicitly: {}", fetched.1);
    let redirected = preview(&allowed, &format!("{redirect}/x.csv")).await;
    assert!(
        redirected.1.contains("a redirect to http://[::1]:9/x.csv"),
        "{}",
        redirected.1
    );
}

#[tokio::test]
async fn a_fetch_larger_than_the_cap_is_refused() {
    let app = spawn_app_with(|settings| {
        settings.fence.allowed_addresses = vec![std::net::IpAddr::from([127, 0, 0, 1])];
        settings.fence.max_fetch_bytes = 8;
    })
    .await;
    let base = serve_once("200 OK", "", "line\nmuch more than eight bytes\n").await;
    let capped = preview(&app, &format!("{base}/x.csv")).await;
    assert!(capped.1.contains("larger than the limit of 8 bytes"), "{}", capped.1);
}

/// The request declares a body over the limit and sends only its head: the server must answer 413
/// from the declared length alone (a client writing the whole body could find the connection closed
/// under it, which is the point of refusing early).
#[tokio::test]
async fn bodies_over_the_limit_are_answered_413() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let host = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("a connection");
    let head = format!(
        "POST /api/v1/products/sales.orders/inputs/events/rows HTTP/1.1\r\nHost: {host}\r\n\
         Authorization: Bearer {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        app.admin_token,
        65 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.expect("the head sent");
    let mut answer = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(30), stream.read_to_end(&mut answer))
        .await
        .expect("the server answers without waiting for the body")
        .expect("an answer");
    let answer = String::from_utf8_lossy(&answer);
    let (status_line, rest) = answer.split_once("\r\n").expect("a status line");
    assert!(status_line.contains(" 413 "), "{answer}");
    let (_, body) = rest.split_once("\r\n\r\n").expect("a body");
    let body: serde_json::Value = serde_json::from_str(body).expect("json");
    assert_eq!(body["error"]["code"], "payload_too_large");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("max_body_mb"),
        "{body}"
    );
}

#[tokio::test]
async fn descriptor_text_cannot_inject_markup_and_pages_send_security_headers() {
    let app = spawn_app().await;
    let hostile = "apiVersion: atrium/v1
kind: DataProduct
metadata:
  id: sales.clicks
  title: \"Clicks </title><script>alert(1)</script>\"
  owner: \"<img src=x onerror=alert(2)>\"
  description: \"<script>alert(3)</script> *fine*\"
  tags: [\"<b>x</b>\"]
inputs:
  - { name: events, source: { kind: stream } }
outputs:
  - name: clicks
    description: \"<iframe src=//evil.example>\"
    columns:
      - { name: click_id, type: int64, description: \"<svg onload=alert(4)>\" }
";
    assert_eq!(app.deploy(hostile).await.status(), 201);
    let page = app.get("/products/sales.clicks").await;
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(policy.contains("script-src 'self' 'nonce-"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert_eq!(page.headers()["referrer-policy"], "same-origin");
    let html = page.text().await.expect("html");
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the policy's nonce"
    );
    assert!(
        html.contains("<title>Clicks &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; · Atrium</title>"),
        "{html}"
    );
    for raw in ["<script>alert", "<img src=x", "<iframe", "<svg onload", "<b>x</b>"] {
        assert!(!html.contains(raw), "{raw} reached the page as markup");
    }
    let api = app.get("/api/v1/products").await;
    assert!(
        api.headers()["content-security-policy"]
            .to_str()
            .unwrap_or_default()
            .contains("default-src 'none'")
    );
}
