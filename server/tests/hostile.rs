//! Hostile queries against the real server: the `atrium` binary serving a data dir with one small
//! product, queries limited to 256 MiB and 4 s. Each query must be answered (a 4xx for what the
//! query asked, never a 5xx, never a dropped connection), and after each the server must answer
//! `/healthz` and `SELECT 1` with its own memory under its bound. The figures (queries, refusals,
//! the server's peak RSS) are printed at the end: `cargo test -p server --test hostile -- --nocapture`.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server's own resident memory must stay under this, whatever a query does (the query's data
/// lives in its worker process).
const SERVER_RSS_BOUND_KB: u64 = 600 * 1024;

/// Whether a query must be refused, or may also be answered within the limits.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Refused,
    AnswerOrRefusal,
}

struct Hostile {
    label: &'static str,
    sql: String,
    expect: Expect,
}

fn hostile_queries() -> Vec<Hostile> {
    use Expect::{AnswerOrRefusal, Refused};
    let q = |label, sql: &str, expect| Hostile {
        label,
        sql: sql.to_owned(),
        expect,
    };
    vec![
        q(
            "unbounded series (scalar)",
            "SELECT generate_series(1, 1000000000)",
            Refused,
        ),
        q(
            "unbounded series in a grouped CTE",
            "WITH t AS (SELECT generate_series(1, 1000000000) AS customer_id, count(*) c \
             FROM sales.orders GROUP BY 1) SELECT * FROM t",
            Refused,
        ),
        q(
            "unbounded range, unnested",
            "SELECT count(*) FROM (SELECT unnest(range(1, 400000000)))",
            Refused,
        ),
        q(
            "huge series table, counted",
            "SELECT count(*) FROM generate_series(1, 100000000000)",
            Refused,
        ),
        q("huge repeat", "SELECT length(repeat('x', 2000000000))", Refused),
        q(
            "large repeat on every row",
            "SELECT repeat('x', 100000000) FROM sales.orders",
            Refused,
        ),
        q("huge pad", "SELECT length(lpad('x', 2000000000, 'ab'))", Refused),
        q(
            "huge array repeat",
            "SELECT cardinality(array_repeat(1, 1000000000))",
            Refused,
        ),
        q(
            "doubling strings in a recursive CTE",
            "WITH RECURSIVE r(n, s) AS (SELECT 1, 'x' UNION ALL SELECT n + 1, s || s FROM r WHERE n < 64) \
             SELECT max(length(s)) FROM r",
            Refused,
        ),
        q(
            "a recursive CTE without end",
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
            Refused,
        ),
        q(
            "a triple cross join, sorted",
            "SELECT a.order_id, b.order_id, c.order_id FROM sales.orders a, sales.orders b, sales.orders c \
             ORDER BY a.clerk, b.clerk, c.clerk DESC LIMIT 5",
            Refused,
        ),
        q(
            "a window over a cross join",
            "SELECT max(rn) FROM (SELECT row_number() OVER (ORDER BY a.clerk, b.clerk) rn \
             FROM sales.orders a, sales.orders b, sales.orders c)",
            Refused,
        ),
        q(
            "string_agg over a cross join",
            "SELECT length(string_agg(a.clerk || b.clerk, ',')) FROM sales.orders a, sales.orders b, sales.orders c",
            Refused,
        ),
        q(
            "array_agg of a huge series",
            "SELECT cardinality(array_agg(x)) FROM generate_series(1, 200000000) t(x)",
            Refused,
        ),
        Hostile {
            label: "parentheses nested 5,000 deep",
            sql: format!("SELECT {}1{}", "(".repeat(5_000), ")".repeat(5_000)),
            expect: Refused,
        },
        Hostile {
            label: "a sum of 20,000 terms",
            sql: format!("SELECT 1{}", " + 1".repeat(20_000)),
            expect: AnswerOrRefusal,
        },
        Hostile {
            label: "CASE nested 40 deep",
            sql: format!(
                "SELECT max({} 1 {}) FROM sales.orders",
                "CASE WHEN order_id > 0 THEN ".repeat(40),
                " ELSE 0 END".repeat(40)
            ),
            expect: AnswerOrRefusal,
        },
        Hostile {
            label: "CASE nested 2,000 deep",
            sql: format!(
                "SELECT max({} 1 {}) FROM sales.orders",
                "CASE WHEN order_id > 0 THEN ".repeat(2_000),
                " ELSE 0 END".repeat(2_000)
            ),
            expect: Refused,
        },
        q("division by zero", "SELECT 1/0", Refused),
        q("a failed cast", "SELECT CAST('x' AS INT)", Refused),
        q(
            "a cast to an unknown type",
            "SELECT o.customer_::id FROM sales.orders o",
            Refused,
        ),
        q(
            "a join that counts to three trillion",
            "SELECT count(*) FROM sales.orders a, sales.orders b, sales.orders c, sales.orders d",
            AnswerOrRefusal,
        ),
    ]
}

struct Server {
    child: Child,
    base: String,
    token: String,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server process's current and peak resident memory, in KiB.
    fn rss_kb(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|line| line.starts_with(name))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|value| value.parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

fn atrium(data_dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_atrium"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .expect("atrium runs")
}

/// A data dir with `sales.orders` (2,000 rows), an admin with a token, and the server on it.
fn start_server() -> Server {
    let data = tempfile::tempdir().expect("temp dir");
    let mesh = data.path().join("mesh");
    std::fs::create_dir_all(mesh.join("data")).expect("mesh folder");
    let mut csv = String::from("order_id,clerk,total\n");
    for id in 1..=2_000 {
        csv.push_str(&format!("{id},Clerk#{:09},{}.50\n", id % 97, id * 3));
    }
    std::fs::write(mesh.join("data/orders.csv"), csv).expect("csv");
    std::fs::write(
        mesh.join("orders.yaml"),
        "apiVersion: atrium/v1
kind: DataProduct
metadata: { id: sales.orders, title: Orders, owner: team-sales, description: Orders., visibility: public }
inputs:
  - { name: raw, source: { kind: file, format: csv, path: data/orders.csv } }
transform: { sql: 'SELECT order_id, clerk, total FROM raw' }
outputs:
  - name: orders
    description: One row per order.
    columns:
      - { name: order_id, type: int64, required: true }
      - { name: clerk, type: string, classification: internal }
      - { name: total, type: float64 }
",
    )
    .expect("descriptor");
    let store = data.path().join("atrium");
    let deployed = atrium(&store, &["deploy", mesh.to_str().expect("utf-8 path")]);
    assert!(
        deployed.status.success(),
        "{}",
        String::from_utf8_lossy(&deployed.stderr)
    );
    let admin = atrium(
        &store,
        &["user", "add", "admin", "--password", "hostile-suite", "--admin"],
    );
    assert!(admin.status.success(), "{}", String::from_utf8_lossy(&admin.stderr));
    let created = atrium(&store, &["token", "create", "--user", "admin", "--name", "suite"]);
    let printed = String::from_utf8_lossy(&created.stdout).into_owned();
    let token = printed
        .split_whitespace()
        .find(|word| word.starts_with("atr_") && word.len() > 40)
        .unwrap_or_else(|| panic!("a token in: {printed}"))
        .to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_atrium"))
        .arg("--data-dir")
        .arg(&store)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .env("ATRIUM_ENGINE__MEMORY_LIMIT_MB", "256")
        .env("ATRIUM_ENGINE__QUERY_TIMEOUT_SECS", "4")
        .env("ATRIUM_ENGINE__QUERY_WORKERS", "2")
        .env("ATRIUM_ENGINE__STREAM_BATCH_SECS", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server starts");
    Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        token,
        _data: data,
    }
}

async fn wait_until_up(client: &reqwest::Client, server: &Server) {
    for _ in 0..300 {
        if let Ok(response) = client.get(format!("{}/healthz", server.base)).send().await
            && response.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not come up");
}

async fn query(client: &reqwest::Client, server: &Server, sql: &str) -> (u16, serde_json::Value) {
    let response = client
        .post(format!("{}/api/v1/query", server.base))
        .bearer_auth(&server.token)
        .json(&serde_json::json!({ "sql": sql }))
        .send()
        .await
        .unwrap_or_else(|error| panic!("an answer to {sql:.80}: {error}"));
    let status = response.status().as_u16();
    let body = response
        .json()
        .await
        .unwrap_or_else(|error| panic!("JSON for {sql:.80}: {error}"));
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_queries_are_answered_and_leave_the_server_healthy() {
    let server = start_server();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("a client");
    wait_until_up(&client, &server).await;
    let (status, body) = query(&client, &server, "SELECT count(*) AS n FROM sales.orders").await;
    assert_eq!(
        (status, &body["rows"]),
        (200, &serde_json::json!([{"n": 2000}])),
        "{body}"
    );
    let mut refusals = 0;
    let mut lines = Vec::new();
    for hostile in hostile_queries() {
        let started = Instant::now();
        let (status, body) = query(&client, &server, &hostile.sql).await;
        let elapsed = started.elapsed();
        let said = match body["error"]["message"].as_str() {
            Some(message) => message.chars().take(100).collect::<String>(),
            None => "answered".to_owned(),
        };
        assert!(status < 500, "{}: {status} {body}", hostile.label);
        if status >= 400 {
            refusals += 1;
            let message = body["error"]["message"].as_str().unwrap_or_default();
            assert!(
                body["error"]["code"].is_string() && !message.is_empty(),
                "{}: an error in the one shape: {body}",
                hostile.label
            );
        } else {
            assert_eq!(
                hostile.expect,
                Expect::AnswerOrRefusal,
                "{}: answered {body}",
                hostile.label
            );
        }
        let health = client
            .get(format!("{}/healthz", server.base))
            .send()
            .await
            .expect("healthz answers");
        assert_eq!(health.status(), 200, "healthy after {}", hostile.label);
        let (one, answer) = query(&client, &server, "SELECT 1 AS one").await;
        assert_eq!(
            (one, &answer["rows"]),
            (200, &serde_json::json!([{"one": 1}])),
            "after {}",
            hostile.label
        );
        let (rss, _) = server.rss_kb();
        assert!(
            rss < SERVER_RSS_BOUND_KB,
            "after {}: the server holds {rss} KiB",
            hostile.label
        );
        lines.push(format!(
            "{:<38} {:>4} ms {:>6}  server RSS {:>4} MiB  {said}",
            hostile.label,
            elapsed.as_millis(),
            status,
            rss / 1024
        ));
    }
    let (rss, peak) = server.rss_kb();
    eprintln!("hostile queries against the real server (256 MiB, 4 s per query, 2 workers):");
    for line in &lines {
        eprintln!("  {line}");
    }
    eprintln!(
        "{} queries, {refusals} refused, none answered 5xx; server RSS {} MiB at the end, peak {} MiB",
        lines.len(),
        rss / 1024,
        peak / 1024
    );
}
