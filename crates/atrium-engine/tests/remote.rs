//! Remote data: tables on an S3-compatible store and `object` inputs read from it (a real S3
//! server, s3s-fs, in-process over a temporary folder), and `url` inputs fetched over HTTP.

use std::collections::BTreeMap;
use std::path::Path;

use atrium_descriptor::parse_descriptor;
use atrium_engine::{Engine, ObjectStoreOptions, PiiKey, RunRequest, StoreRoot, UpstreamVersions};
use deltalake::datafusion::prelude::SessionContext;
use object_store::{ObjectStoreExt, PutPayload};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CUSTOMERS: &str = "apiVersion: atrium/v1
kind: DataProduct
metadata: { id: crm.customers, title: Customers, owner: team-crm, description: People. }
inputs:
  - { name: raw, source: SOURCE, columns: { balance: \"decimal(10,2)\" } }
transform:
  sql: SELECT id AS customer_id, email, balance FROM raw
outputs:
  - name: customers
    description: One row per customer.
    columns:
      - { name: customer_id, type: int64, required: true }
      - { name: email, type: string, classification: pii, pii: hash }
      - { name: balance, type: \"decimal(10,2)\" }
";

const CSV: &str = "id,email,balance\n1,ann@example.com,10.50\n2,bob@example.com,oops\n3,cy@example.com,3.00\n";

fn key() -> PiiKey {
    PiiKey::new(b"a-test-secret-of-some-length").expect("key")
}

/// Starts s3s-fs on a random port with one bucket, `lake`; returns its endpoint.
async fn start_s3(root: &Path) -> String {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::server::conn::auto::Builder;
    use s3s::auth::SimpleAuth;
    use s3s::service::S3ServiceBuilder;

    std::fs::create_dir_all(root.join("lake")).expect("bucket");
    let fs = s3s_fs::FileSystem::new(root).expect("s3s-fs");
    let mut builder = S3ServiceBuilder::new(fs);
    builder.set_auth(SimpleAuth::from_single("AKTEST", "SKTEST"));
    let service = builder.build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let service = service.clone();
            tokio::spawn(async move {
                let _ = Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(socket), service)
                    .await;
            });
        }
    });
    endpoint
}

fn s3_options(endpoint: &str) -> ObjectStoreOptions {
    let env: BTreeMap<String, String> = [
        ("AWS_ACCESS_KEY_ID", "AKTEST"),
        ("AWS_SECRET_ACCESS_KEY", "SKTEST"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_ALLOW_HTTP", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    ObjectStoreOptions::from_env(&env)
}

async fn balances(engine: &Engine, version: u64) -> Vec<String> {
    let descriptor = parse_descriptor(&CUSTOMERS.replace("SOURCE", "{ kind: stream }"), None).expect("valid");
    let location = engine
        .root()
        .output_table(descriptor.id(), &descriptor.outputs[0].name)
        .expect("location");
    let ctx = SessionContext::new();
    atrium_engine::tables::register_version(&ctx, "t", &location, version)
        .await
        .expect("registers");
    let batches = ctx
        .sql("SELECT CAST(balance AS VARCHAR) AS b FROM t ORDER BY customer_id")
        .await
        .expect("sql")
        .collect()
        .await
        .expect("rows");
    deltalake::arrow::util::pretty::pretty_format_batches(&batches)
        .expect("formats")
        .to_string()
        .lines()
        .filter(|line| line.starts_with("| ") && !line.contains(" b "))
        .map(|line| line.trim_matches(|c| c == '|' || c == ' ').to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_and_object_inputs_live_on_an_s3_compatible_store() {
    let dir = tempfile::tempdir().expect("temp");
    let endpoint = start_s3(dir.path()).await;
    let options = s3_options(&endpoint);
    let source_url = url::Url::parse("s3://lake/raw/customers.csv").expect("url");
    let (store, path) = options.store_for(&source_url).expect("store");
    store
        .put(&path, PutPayload::from(CSV))
        .await
        .expect("put the source object");

    let engine = Engine::new(
        StoreRoot::parse("s3://lake/atrium").expect("root"),
        dir.path().join("streams"),
        key(),
        256 * 1024 * 1024,
    )
    .with_object_stores(options)
    .with_fence(atrium_engine::Fence {
        object_prefixes: vec!["s3://lake/raw/".to_owned()],
        ..atrium_engine::Fence::default()
    });
    let yaml = CUSTOMERS.replace("SOURCE", "{ kind: object, uri: \"s3://lake/raw/customers.csv\" }");
    let descriptor = parse_descriptor(&yaml, None).expect("valid");
    let upstream = UpstreamVersions::new();
    let request = |run_id| RunRequest {
        run_id,
        descriptor: &descriptor,
        base_dir: None,
        upstream: &upstream,
    };
    let first = engine.run(request(1)).await.expect("first run");
    assert_eq!((first.rows_read, first.rows_written, first.rows_rejected), (3, 2, 1));
    assert_eq!(first.outputs[0].version, Some(0));
    let second = engine.run(request(2)).await.expect("second run");
    assert_eq!(second.outputs[0].version, Some(1));
    assert_eq!(balances(&engine, 1).await, ["10.50", "3.00"]);

    // Everything sits in the bucket under the domain's prefix, PII hashed, raw values nowhere.
    let table_dir = dir.path().join("lake/atrium/crm/customers/customers/_delta_log");
    assert!(
        table_dir.join("00000000000000000001.json").is_file(),
        "{}",
        table_dir.display()
    );
    let quarantine = engine.root().quarantine_table(descriptor.id()).expect("location");
    let rejected = atrium_engine::quarantine::rows_of_run(&quarantine, 2, 10)
        .await
        .expect("quarantine");
    assert_eq!(rejected.len(), 1);
    assert_eq!((rejected[0].source.as_str(), rejected[0].line), ("customers.csv", 3));
    let mut stored = Vec::new();
    collect_bytes(&dir.path().join("lake/atrium"), &mut stored);
    assert!(!stored.windows(15).any(|w| w == b"ann@example.com"));

    let missing = CUSTOMERS.replace("SOURCE", "{ kind: object, uri: \"s3://lake/raw/nope.csv\" }");
    let missing = parse_descriptor(&missing, None).expect("valid");
    let (error, _) = engine
        .run(RunRequest {
            run_id: 3,
            descriptor: &missing,
            base_dir: None,
            upstream: &upstream,
        })
        .await
        .expect_err("missing object");
    assert_eq!(
        error.to_string(),
        "input `raw`: cannot read s3://lake/raw/nope.csv: no such object"
    );
}

fn collect_bytes(dir: &Path, into: &mut Vec<u8>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_bytes(&path, into);
        } else {
            into.extend(std::fs::read(&path).unwrap_or_default());
        }
    }
}

/// Serves `body` to every request with status `status`, over plain HTTP/1.1.
async fn serve_http(status: &'static str, body: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = [0_u8; 4096];
            let _ = socket.read(&mut request).await;
            let response = format!(
                "HTTP/1.1 {status}\r\ncontent-type: text/csv\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn url_inputs_are_fetched_over_http() {
    let dir = tempfile::tempdir().expect("temp");
    // The test server is on loopback, which the fence refuses unless the operator allows it.
    let engine = Engine::new(
        StoreRoot::local(&dir.path().join("store")).expect("store"),
        dir.path().join("streams"),
        key(),
        256 * 1024 * 1024,
    )
    .with_fence(atrium_engine::Fence {
        allowed_addresses: vec![std::net::IpAddr::from([127, 0, 0, 1])],
        ..atrium_engine::Fence::default()
    });
    let base = serve_http("200 OK", CSV).await;
    let yaml = CUSTOMERS.replace(
        "SOURCE",
        &format!("{{ kind: url, format: csv, url: \"{base}/exports/customers.csv?day=1\" }}"),
    );
    let descriptor = parse_descriptor(&yaml, None).expect("valid");
    let upstream = UpstreamVersions::new();
    let report = engine
        .run(RunRequest {
            run_id: 1,
            descriptor: &descriptor,
            base_dir: None,
            upstream: &upstream,
        })
        .await
        .expect("runs");
    assert_eq!((report.rows_written, report.rows_rejected), (2, 1));
    assert!(
        report
            .log
            .iter()
            .any(|line| line.contains("rejected customers.csv line 3")),
        "{:#?}",
        report.log
    );

    let gone = serve_http("404 Not Found", "").await;
    let yaml = CUSTOMERS.replace(
        "SOURCE",
        &format!("{{ kind: url, format: csv, url: \"{gone}/x.csv\" }}"),
    );
    let descriptor = parse_descriptor(&yaml, None).expect("valid");
    let (error, _) = engine
        .run(RunRequest {
            run_id: 2,
            descriptor: &descriptor,
            base_dir: None,
            upstream: &upstream,
        })
        .await
        .expect_err("404");
    assert_eq!(
        error.to_string(),
        format!("input `raw`: cannot fetch {gone}/x.csv: the server answered 404 Not Found")
    );
}
