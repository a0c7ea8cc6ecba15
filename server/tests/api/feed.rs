//! The catalog change feed on the test's database (SQLite, and PostgreSQL under
//! `make test-postgres`): a consumer that reads "after the last `seq` I applied" while two writers
//! append concurrently sees every event exactly once, in order; and every catalog change leaves
//! its event.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use atrium_catalog::{Catalog, DomainEvent, Trail, kinds};

use crate::helpers::{DEALS, postgres_database_for, spawn_app};

async fn catalog_for(dir: &std::path::Path) -> Catalog {
    let url = match postgres_database_for(dir).await {
        Some(url) => url,
        None => Catalog::sqlite_url(&dir.join("atrium.db")),
    };
    Catalog::connect(&url).await.expect("the catalog opens")
}

fn trail_of(writer: usize, n: usize) -> Trail {
    Trail {
        events: vec![DomainEvent {
            kind: "test.written".to_owned(),
            product: None,
            payload: serde_json::json!({ "writer": writer, "n": n }),
        }],
        ..Trail::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_consumer_following_two_concurrent_writers_misses_no_event() {
    const PER_WRITER: usize = 150;
    let dir = tempfile::tempdir().expect("temp dir");
    let catalog = catalog_for(dir.path()).await;
    let start = catalog.feed_head().await.expect("the head");
    let done = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..2)
        .map(|writer| {
            let catalog = catalog.clone();
            tokio::spawn(async move {
                for n in 0..PER_WRITER {
                    catalog
                        .write_trail(trail_of(writer, n), chrono::Utc::now())
                        .await
                        .expect("writes");
                }
            })
        })
        .collect();
    let consumer = {
        let (catalog, done) = (catalog.clone(), done.clone());
        tokio::spawn(async move {
            let mut cursor = start;
            let mut seen = Vec::new();
            loop {
                let finished = done.load(Ordering::SeqCst);
                for event in catalog.feed_after(cursor, 7).await.expect("reads") {
                    assert!(event.seq > cursor, "the feed goes forward");
                    cursor = event.seq;
                    seen.push((event.seq, event.payload));
                }
                if finished && catalog.feed_after(cursor, 1).await.expect("reads").is_empty() {
                    return seen;
                }
                tokio::task::yield_now().await;
            }
        })
    };
    for writer in writers {
        writer.await.expect("the writer ends");
    }
    done.store(true, Ordering::SeqCst);
    let seen = consumer.await.expect("the consumer ends");
    let everything: Vec<_> = catalog
        .feed_after(start, 10_000)
        .await
        .expect("reads")
        .into_iter()
        .map(|event| (event.seq, event.payload))
        .collect();
    assert_eq!(everything.len(), 2 * PER_WRITER, "every write left one event");
    assert_eq!(seen, everything, "the consumer saw every event, in order, once");
    let writes: BTreeSet<_> = seen
        .iter()
        .map(|(_, payload)| (payload["writer"].as_u64(), payload["n"].as_u64()))
        .collect();
    assert_eq!(writes.len(), 2 * PER_WRITER);
    assert_eq!(
        catalog.feed_head().await.expect("the head"),
        seen.last().expect("events").0
    );
}

#[tokio::test]
async fn every_catalog_change_leaves_its_event_in_the_feed() {
    let app = spawn_app().await;
    let catalog = catalog_for(&app.data_dir).await;
    let start = catalog.feed_head().await.expect("the head");
    app.publish(DEALS, "sales.deals", r#"[{"deal_id": 7}]"#).await;
    let kinds_after = |events: Vec<atrium_catalog::FeedEvent>| {
        events
            .into_iter()
            .map(|event| (event.kind, event.product.map(|p| p.to_string())))
            .collect::<Vec<_>>()
    };
    let events = kinds_after(catalog.feed_after(start, 100).await.expect("reads"));
    let deals = Some("sales.deals".to_owned());
    assert!(
        events.contains(&(kinds::PRODUCT_DEPLOYED.to_owned(), deals.clone())),
        "{events:?}"
    );
    assert!(
        events.contains(&(kinds::RUN_FINISHED.to_owned(), deals.clone())),
        "{events:?}"
    );
    let position = catalog.feed_head().await.expect("the head");
    let removed = app.delete("/api/v1/products/sales.deals").await;
    assert_eq!(removed.status(), 204);
    let events = kinds_after(catalog.feed_after(position, 100).await.expect("reads"));
    assert_eq!(events, vec![(kinds::PRODUCT_REMOVED.to_owned(), deals)]);
}
