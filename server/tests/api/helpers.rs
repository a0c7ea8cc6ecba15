//! `spawn_app()`: starts the application on port 0 and returns a typed client for it.

use std::path::Path;
use std::sync::OnceLock;

use atrium_platform::{Caller, PasswordCost, Platform, PlatformSettings, UserSettings};
use atrium_types::{DomainName, Role, TeamName, UserName};
use server::http::{AppState, leptos_options};

pub struct TestApp {
    pub address: String,
    /// A client signed in as `admin`, a platform admin (a bearer token on every request).
    pub client: reqwest::Client,
    /// The admin's token, for requests made by hand.
    pub admin_token: String,
    pub data_dir: std::path::PathBuf,
    pub platform: Platform,
    /// Removes the data dir when the test ends, if the test app created it.
    _temporary: Option<tempfile::TempDir>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the application with adjusted settings (limits, say).
pub async fn spawn_app_with(adjust: impl FnOnce(&mut PlatformSettings)) -> TestApp {
    let temporary = tempfile::tempdir().expect("temp dir");
    let mut app = spawn_app_at(temporary.path(), adjust).await;
    app._temporary = Some(temporary);
    app
}

/// One long-lived runtime for every test server. Each `#[tokio::test]` has a runtime of its own
/// that ends with the test; Leptos' server-side rendering spawns onto a process-wide executor, so
/// the servers live on this shared runtime instead of the tests' short-lived ones.
fn server_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("the test server runtime starts")
    })
}

/// Starts the application over an existing data dir, as a restarted server would.
pub async fn spawn_app_at(data_dir: &Path, adjust: impl FnOnce(&mut PlatformSettings)) -> TestApp {
    let mut settings = PlatformSettings::embedded(data_dir.to_owned());
    settings.password_cost = PasswordCost::Cheap;
    settings.database_url = postgres_database_for(data_dir).await;
    // Queries run as `serve` runs them: in worker processes of the real binary.
    settings.query_workers = Some(atrium_platform::QueryWorkers::new(
        std::path::PathBuf::from(env!("CARGO_BIN_EXE_atrium")),
        vec!["query-worker".to_owned()],
        4,
    ));
    adjust(&mut settings);
    let (platform, addr) = server_runtime()
        .spawn(async move {
            let platform = Platform::open(&settings).await.expect("platform opens");
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
            let addr = listener.local_addr().expect("has an address");
            let state = AppState::new(leptos_options(Path::new("target/site"), addr), platform.clone());
            tokio::spawn(server::http::serve(listener, state));
            (platform, addr)
        })
        .await
        .expect("the test server starts");
    let mut app = TestApp {
        address: format!("http://{addr}"),
        client: reqwest::Client::new(),
        admin_token: String::new(),
        data_dir: data_dir.to_owned(),
        platform,
        _temporary: None,
    };
    let (client, token) = app.user_with_token("admin", &[], &[], true).await;
    app.client = client;
    app.admin_token = token;
    app
}

/// With `TEST_POSTGRES_URL` set (`make test-postgres`), a database of that server for this data
/// dir, created when missing (a restarted test app finds its catalog again); otherwise `None`,
/// the embedded SQLite file.
pub async fn postgres_database_for(data_dir: &Path) -> Option<String> {
    let base = std::env::var("TEST_POSTGRES_URL").ok()?;
    let name = format!("atrium_{}", stable_hash(&data_dir.display().to_string()));
    let admin = sea_orm::Database::connect(&base)
        .await
        .expect("the test PostgreSQL answers");
    use sea_orm::ConnectionTrait;
    let exists = admin
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
        ))
        .await
        .expect("asks")
        .is_some();
    if !exists {
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("creates the test database");
    }
    let _ = admin.close().await;
    let (server, _) = base.rsplit_once('/').expect("a database URL");
    Some(format!("{server}/{name}"))
}

fn stable_hash(text: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// A user of the test: its teams and its roles (`("sales", Role::Writer)`).
pub type Roles<'a> = &'a [(&'a str, Role)];

impl TestApp {
    /// Creates (or updates) a user with a password `secret-<name>`, and returns a client that
    /// sends a fresh token of theirs on every request.
    pub async fn user(&self, name: &str, teams: &[&str], roles: Roles<'_>, admin: bool) -> reqwest::Client {
        self.user_with_token(name, teams, roles, admin).await.0
    }

    /// [`TestApp::user`], and the token's secret.
    pub async fn user_with_token(
        &self,
        name: &str,
        teams: &[&str],
        roles: Roles<'_>,
        admin: bool,
    ) -> (reqwest::Client, String) {
        let user = UserName::parse(name).expect("a user name");
        let settings = UserSettings {
            password: Some(format!("secret-{name}")),
            admin: Some(admin),
            teams: Some(teams.iter().map(|t| TeamName::parse(t).expect("a team")).collect()),
            roles: Some(
                roles
                    .iter()
                    .map(|(d, r)| (DomainName::parse(d).expect("a domain"), *r))
                    .collect(),
            ),
            ..UserSettings::default()
        };
        self.platform
            .upsert_user(&Caller::Operator, &user, settings)
            .await
            .expect("the user is saved");
        let token = self
            .platform
            .create_token(&Caller::Operator, &user, "test", None)
            .await
            .expect("a token");
        (bearer_client(&token.secret), token.secret)
    }

    /// Gives `to` (`user:…`, `team:…`) a grant on `product` (or one output), as the operator.
    pub async fn grant(&self, product: &str, output: Option<&str>, to: &str) -> atrium_types::GrantView {
        let request = atrium_types::GrantRequest {
            product: atrium_types::ProductId::parse(product).expect("a product id"),
            output: output.map(str::to_owned),
            principal: atrium_types::Principal::parse(to).expect("a principal"),
            expires_at: None,
        };
        self.platform
            .add_grant(&Caller::Operator, &request)
            .await
            .expect("a grant")
    }

    /// The caller a test user is, as the platform sees it (through a fresh token of theirs).
    pub async fn caller_of(&self, name: &str) -> Caller {
        let user = UserName::parse(name).expect("a user name");
        let token = self
            .platform
            .create_token(&Caller::Operator, &user, "test caller", None)
            .await
            .expect("a token");
        self.platform
            .token_caller(&token.secret)
            .await
            .expect("resolves")
            .expect("a caller")
    }

    /// A client that signs in as nobody.
    pub fn anonymous(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client")
    }

    pub async fn query(&self, sql: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/api/v1/query", self.address))
            .json(&serde_json::json!({ "sql": sql }))
            .send()
            .await
            .expect("request")
    }

    /// A GET. Rarely (about one CI run in ten, never reproduced locally in 40 runs) a page request
    /// of an in-process test server got no answer at all while the server's threads sat idle; a
    /// GET that gets no answer in 20 s is therefore asked once more, loudly, and fails the test if
    /// that one hangs too. The browser tests, against the real binary, never showed it.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        let url = format!("{}{path}", self.address);
        let attempt = || self.client.get(&url).timeout(std::time::Duration::from_secs(20)).send();
        match attempt().await {
            Ok(response) => response,
            Err(error) if error.is_timeout() => {
                eprintln!("warning: GET {path} got no answer in 20 s; asking once more");
                attempt().await.expect("the second request answers")
            }
            Err(error) => panic!("GET {path}: {error}"),
        }
    }

    /// Runs `product` now through `POST /api/v1/products/{id}/runs` and returns the recorded run.
    pub async fn run_now(&self, product: &str) -> serde_json::Value {
        self.post_json(&format!("/api/v1/products/{product}/runs"), "")
            .await
            .json()
            .await
            .expect("a run as JSON")
    }

    pub async fn post_json(&self, path: &str, body: &str) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.address))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("request")
    }

    /// Waits for the run a deploy starts in the background to be over: `product` has a run and
    /// none is running.
    pub async fn wait_until_idle(&self, product: &str) {
        for _ in 0..200 {
            let runs: serde_json::Value = self
                .get(&format!("/api/v1/products/{product}/runs"))
                .await
                .json()
                .await
                .expect("json");
            let idle = runs
                .as_array()
                .is_some_and(|runs| !runs.is_empty() && runs.iter().all(|run| run["status"] != "running"));
            if idle {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("{product} has not run, or is still running, after 10 s");
    }

    /// Deploys a stream-fed product as the operator, appends `rows` (JSON) to its `events` input
    /// and runs it: its output is published.
    pub async fn publish(&self, yaml: &str, id: &str, rows: &str) {
        self.platform
            .deploy(
                &Caller::Operator,
                &[atrium_platform::DescriptorSource::new(yaml, Some(format!("{id}.yaml")))],
            )
            .await
            .expect("deploys");
        self.platform
            .append_rows(&Caller::Operator, id, "events", rows.to_owned())
            .await
            .expect("rows");
        let run = self
            .platform
            .run(&Caller::Operator, id, atrium_platform::RunTrigger::Manual)
            .await
            .expect("runs");
        assert_eq!(run.status, atrium_types::RunStatus::Succeeded, "{run:?}");
    }

    /// `DELETE path` as the admin.
    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.client
            .delete(format!("{}{path}", self.address))
            .send()
            .await
            .expect("an answer")
    }

    pub async fn deploy(&self, yaml: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/api/v1/products?file=orders.yaml", self.address))
            .header("content-type", "application/yaml")
            .body(yaml.to_owned())
            .send()
            .await
            .expect("request")
    }
}

/// An internal product of `sales`, fed by a stream: everyone signed in sees it, only grant
/// holders and `sales` readers read it.
pub const DEALS: &str = "apiVersion: atrium/v1
kind: DataProduct
metadata:
  id: sales.deals
  title: Deals
  owner: team-sales
  description: Every deal.
  visibility: internal
inputs:
  - { name: events, source: { kind: stream } }
outputs:
  - name: deals
    description: One row per deal.
    columns:
      - { name: deal_id, type: int64, required: true }
";

pub const ORDERS: &str = "apiVersion: atrium/v1
kind: DataProduct
metadata:
  id: sales.orders
  title: Customer orders
  owner: team-sales
  description: Every order, **one row per order**.
  tags: [orders]
inputs:
  - { name: customers, product: crm.customers }
outputs:
  - name: orders
    description: One row per order.
    columns:
      - { name: order_id, type: int64, required: true, primary_key: true }
      - { name: email, type: string, classification: pii, pii: hash }
      - { name: amount, type: decimal(12,2) }
schedule: \"0 */6 * * *\"
slo: { freshness: 24h }
";

/// A client that sends `Authorization: Bearer <secret>` on every request.
pub fn bearer_client(secret: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        reqwest::header::HeaderValue::from_str(&format!("Bearer {secret}")).expect("a header"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}
