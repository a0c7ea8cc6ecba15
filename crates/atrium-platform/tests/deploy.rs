//! Deploy against a real SQLite catalog in a temporary data directory.

use atrium_platform::{Caller, DescriptorSource, Platform, PlatformError, PlatformSettings};
use atrium_types::DeployChange;

const ORDERS: &str = "apiVersion: atrium/v1
kind: DataProduct
metadata:
  id: sales.orders
  title: Orders
  owner: team-sales
  description: One row per order.
  tags: [orders]
inputs:
  - { name: customers, product: crm.customers }
outputs:
  - name: orders
    description: Orders.
    columns:
      - { name: order_id, type: int64, primary_key: true }
      - { name: email, type: string, classification: pii, pii: hash }
";

async fn platform(dir: &tempfile::TempDir) -> Platform {
    Platform::open(&PlatformSettings::embedded(dir.path().to_owned()))
        .await
        .expect("opens")
}

fn source(text: &str, name: &str) -> DescriptorSource {
    DescriptorSource::new(text, Some(name.to_owned()))
}

#[tokio::test]
async fn deploy_creates_then_reports_unchanged_then_updates() {
    let dir = tempfile::tempdir().expect("temp dir");
    let platform = platform(&dir).await;

    let first = platform
        .deploy(&Caller::Operator, &[source(ORDERS, "orders.yaml")])
        .await
        .expect("deploys");
    assert_eq!(
        (first[0].change.clone(), first[0].revision, first[0].domain_created),
        (DeployChange::Created, 1, true)
    );
    assert!(
        dir.path().join("store/sales").is_dir(),
        "the domain's storage area exists"
    );

    let again = platform
        .deploy(
            &Caller::Operator,
            &[source(&format!("# a comment\n{ORDERS}"), "orders.yaml")],
        )
        .await
        .expect("deploys");
    assert_eq!(
        (again[0].change.clone(), again[0].revision),
        (DeployChange::Unchanged, 1)
    );

    let edited = ORDERS.replace("title: Orders", "title: Web shop orders");
    let updated = platform
        .deploy(&Caller::Operator, &[source(&edited, "orders.yaml")])
        .await
        .expect("deploys");
    assert_eq!(
        (updated[0].change.clone(), updated[0].revision),
        (DeployChange::Updated, 2)
    );
    assert_eq!(updated[0].changes, ["title: Orders → Web shop orders"]);

    let detail = platform
        .product(&Caller::Operator, "sales.orders")
        .await
        .expect("reads");
    assert_eq!(detail.summary.title, "Web shop orders");
    assert_eq!(detail.revisions.iter().map(|r| r.revision).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(detail.outputs[0].columns[1].pii.map(|p| p.as_str()), Some("hash"));
    assert_eq!(detail.outputs[0].storage_path, "sales/orders/orders/");
    assert!(matches!(
        &detail.inputs[0],
        atrium_types::InputView::Product { registered: false, .. }
    ));
}

#[tokio::test]
async fn dependencies_are_recorded_as_edges() {
    let dir = tempfile::tempdir().expect("temp dir");
    let platform = platform(&dir).await;
    let customers = ORDERS
        .replace("sales.orders", "crm.customers")
        .replace("inputs:\n  - { name: customers, product: crm.customers }\n", "")
        .replace("name: orders\n", "name: customers\n");
    platform
        .deploy(
            &Caller::Operator,
            &[source(ORDERS, "orders.yaml"), source(&customers, "customers.yaml")],
        )
        .await
        .expect("deploys");
    let upstream = platform
        .product(&Caller::Operator, "crm.customers")
        .await
        .expect("reads");
    assert_eq!(
        upstream.consumers.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["sales.orders"]
    );
    let downstream = platform
        .product(&Caller::Operator, "sales.orders")
        .await
        .expect("reads");
    assert!(matches!(
        &downstream.inputs[0],
        atrium_types::InputView::Product { registered: true, .. }
    ));
}

#[tokio::test]
async fn an_invalid_file_in_a_batch_deploys_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let platform = platform(&dir).await;
    let broken = ORDERS
        .replace("sales.orders", "crm.people")
        .replace("type: int64", "type: integer");
    let error = platform
        .deploy(
            &Caller::Operator,
            &[source(ORDERS, "orders.yaml"), source(&broken, "people.yaml")],
        )
        .await
        .expect_err("refused");
    let PlatformError::Invalid(problems) = &error else {
        panic!("expected invalid, got {error}")
    };
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].file.as_deref(), Some("people.yaml"));
    assert_eq!(problems[0].line, 15);
    assert!(
        platform
            .list_products(&Caller::Operator)
            .await
            .expect("lists")
            .is_empty(),
        "nothing half-written"
    );
}

#[tokio::test]
async fn one_product_twice_in_a_batch_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let platform = platform(&dir).await;
    let error = platform
        .deploy(&Caller::Operator, &[source(ORDERS, "a.yaml"), source(ORDERS, "b.yaml")])
        .await
        .expect_err("refused");
    assert_eq!(
        error.diagnostics()[0].message,
        "product `sales.orders` is also declared in a.yaml"
    );
}

#[tokio::test]
async fn unknown_products_are_not_found() {
    let dir = tempfile::tempdir().expect("temp dir");
    let platform = platform(&dir).await;
    let error = platform
        .product(&Caller::Operator, "sales.nope")
        .await
        .expect_err("missing");
    assert_eq!(error.code(), atrium_types::ErrorCode::NotFound);
    let error = platform.product(&Caller::Operator, "Sales").await.expect_err("bad id");
    assert_eq!(error.code(), atrium_types::ErrorCode::BadRequest);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_deploys_of_one_product_queue_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let platform = platform(&dir).await;
    let deploys = (0..16).map(|_| {
        let platform = platform.clone();
        tokio::spawn(async move {
            platform
                .deploy(&Caller::Operator, &[source(ORDERS, "orders.yaml")])
                .await
        })
    });
    let mut created = 0;
    for deploy in deploys {
        let outcome = deploy.await.expect("task").expect("every deploy succeeds");
        created += usize::from(outcome[0].change == DeployChange::Created);
    }
    assert_eq!(
        created, 1,
        "exactly one deploy created the product, the others found it unchanged"
    );
    let detail = platform
        .product(&Caller::Operator, "sales.orders")
        .await
        .expect("reads");
    assert_eq!(detail.revisions.len(), 1);
}
