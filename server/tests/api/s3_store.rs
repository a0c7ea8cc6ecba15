//! An installation whose tables live on an S3-compatible store (`[storage] url = "s3://…"`): a real
//! S3 server (s3s-fs, in-process, SigV4) over a temporary folder.

use std::collections::BTreeMap;
use std::path::Path;

use atrium_platform::ObjectStoreOptions;
use object_store::{ObjectStoreExt, PutPayload};
use serde_json::Value;

use crate::helpers::spawn_app_with;

const NATIONS: &str = "apiVersion: atrium/v1
kind: DataProduct
metadata: { id: crm.nations, title: Nations, owner: team-crm, description: Countries. }
inputs:
  - { name: raw, source: { kind: object, uri: \"s3://lake/raw/nations.csv\" } }
outputs:
  - name: nations
    description: One row per nation.
    columns:
      - { name: nation_id, type: int64, required: true }
      - { name: name, type: string, classification: public }
";

/// Starts s3s-fs on a random port with one bucket, `lake`; returns its endpoint.
async fn start_s3(root: &Path) -> String {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::server::conn::auto::Builder;

    std::fs::create_dir_all(root.join("lake")).expect("bucket");
    let mut builder = s3s::service::S3ServiceBuilder::new(s3s_fs::FileSystem::new(root).expect("s3s-fs"));
    builder.set_auth(s3s::auth::SimpleAuth::from_single("AKTEST", "SKTEST"));
    let service = builder.build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn products_run_and_answer_queries_from_an_s3_store() {
    let bucket_root = tempfile::tempdir().expect("temp");
    let endpoint = start_s3(bucket_root.path()).await;
    let env: BTreeMap<String, String> = [
        ("AWS_ACCESS_KEY_ID", "AKTEST"),
        ("AWS_SECRET_ACCESS_KEY", "SKTEST"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ALLOW_HTTP", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let options = ObjectStoreOptions::from_env(&env);
    let source = url::Url::parse("s3://lake/raw/nations.csv").expect("url");
    let (store, path) = options.store_for(&source).expect("store");
    store
        .put(&path, PutPayload::from("nation_id,name\n0,ALGERIA\n1,ARGENTINA\n"))
        .await
        .expect("put");

    let app = spawn_app_with(|settings| {
        settings.store_url = Some("s3://lake/atrium".to_owned());
        settings.object_stores = options;
        settings.fence.object_prefixes = vec!["s3://lake/raw/".to_owned()];
    })
    .await;
    assert_eq!(app.deploy(NATIONS).await.status(), 201);
    app.wait_until_idle("crm.nations").await;
    let run = app.run_now("crm.nations").await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["rows_written"], 2);

    let result: Value = app
        .query("SELECT name FROM crm.nations ORDER BY nation_id")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        result["rows"],
        serde_json::json!([{"name": "ALGERIA"}, {"name": "ARGENTINA"}]),
        "{result}"
    );
    let log = bucket_root
        .path()
        .join("lake/atrium/crm/nations/nations/_delta_log/00000000000000000000.json");
    assert!(log.is_file(), "the table is in the bucket under the domain's prefix");
    assert!(!app.data_dir.join("store").exists(), "nothing in the local store");
}
