//! What is kept, and what each event of the feed forgets.

use super::*;

fn id(text: &str) -> ProductId {
    text.parse().expect("a product id")
}

fn event(kind: &str, product: &str) -> FeedEvent {
    FeedEvent {
        seq: 1,
        at: chrono::Utc::now(),
        kind: kind.to_owned(),
        product: Some(id(product)),
        payload: serde_json::Value::Null,
    }
}

fn contract(product: &str) -> Arc<ProductDetail> {
    Arc::new(ProductDetail {
        summary: atrium_types::ProductSummary {
            id: id(product),
            title: product.to_owned(),
            domain: "sales".to_owned(),
            owner: "team-sales".to_owned(),
            status: atrium_types::ProductStatus::Active,
            visibility: atrium_types::Visibility::Internal,
            tags: Vec::new(),
            revision: 1,
            updated_at: String::new(),
        },
        description_markdown: String::new(),
        description_html: String::new(),
        inputs: Vec::new(),
        transform_sql: None,
        outputs: Vec::new(),
        schedule: None,
        slo: None,
        revisions: Vec::new(),
        runs: Vec::new(),
        consumers: Vec::new(),
        created_at: String::new(),
    })
}

fn kept(cache: &KeptViews, product: &str) -> bool {
    cache.get(&id(product)).is_ok()
}

#[test]
fn a_read_begun_before_a_change_is_not_kept_after_it() {
    let cache = KeptViews::default();
    let Err(generation) = cache.get(&id("sales.orders")) else {
        panic!("nothing is kept yet");
    };
    cache.forget(&[event(kinds::PRODUCT_DEPLOYED, "sales.orders")]);
    cache.keep(generation, |kept| {
        kept.contracts.put(id("sales.orders"), contract("sales.orders"));
    });
    assert!(!kept(&cache, "sales.orders"));
    let Err(generation) = cache.get(&id("sales.orders")) else {
        panic!("nothing is kept yet");
    };
    cache.keep(generation, |kept| {
        kept.contracts.put(id("sales.orders"), contract("sales.orders"));
    });
    assert!(kept(&cache, "sales.orders"));
}

#[test]
fn a_deploy_or_removal_forgets_every_contract_a_finished_run_its_own() {
    let cache = KeptViews::default();
    let keep_both = |cache: &KeptViews| {
        for product in ["sales.orders", "crm.customers"] {
            let generation = cache.get(&id(product)).err().unwrap_or_default();
            cache.keep(generation, |kept| {
                kept.contracts.put(id(product), contract(product));
            });
        }
        assert_eq!(cache.len(), 2);
    };
    keep_both(&cache);
    cache.forget(&[event(kinds::GRANT_CHANGED, "sales.orders")]);
    cache.forget(&[event("access.requested", "sales.orders")]);
    assert_eq!(cache.len(), 2, "a grant or an access request changes no contract");
    cache.forget(&[event(kinds::RUN_FINISHED, "sales.orders")]);
    assert!(!kept(&cache, "sales.orders") && kept(&cache, "crm.customers"));
    keep_both(&cache);
    let generation = cache.counts().err().unwrap_or_default();
    cache.keep(generation, |kept| kept.counts = Some(Arc::default()));
    cache.forget(&[event(kinds::RUN_FINISHED, "crm.customers")]);
    assert!(cache.counts().is_ok(), "a run changes no count");
    cache.forget(&[event(kinds::PRODUCT_DEPLOYED, "sales.orders")]);
    assert_eq!(cache.len(), 0, "a deploy may change the consumers and inputs of others");
    assert!(cache.counts().is_err(), "and the counts");
    keep_both(&cache);
    cache.forget(&[event(kinds::PRODUCT_REMOVED, "crm.customers")]);
    assert_eq!(cache.len(), 0);
}

fn keep_callers(cache: &KeptViews) {
    let generation = cache.find(|_| None::<()>).err().unwrap_or_default();
    cache.keep(generation, |kept| {
        for token in ["atr_a", "atr_b"] {
            kept.tokens.put(
                token.to_owned(),
                TokenRecord {
                    user: "ann".parse().expect("a user name"),
                    secret_hash: String::new(),
                    expires_at: None,
                    last_used_at: None,
                },
            );
        }
        let ann: UserName = "ann".parse().expect("a user name");
        kept.users.put(
            ann.clone(),
            Arc::new(UserRecord {
                name: ann,
                display_name: String::new(),
                email: None,
                password_hash: None,
                admin: false,
                teams: Vec::new(),
                roles: std::collections::BTreeMap::new(),
            }),
        );
        kept.grants.put(vec!["user:ann".to_owned()], Arc::default());
        kept.contracts.put(id("sales.orders"), contract("sales.orders"));
    });
}

/// (tokens, users, grant sets, contracts) kept.
fn kept_callers(cache: &KeptViews) -> (usize, usize, usize, usize) {
    let kept = cache.lock();
    (
        kept.tokens.len(),
        kept.users.len(),
        kept.grants.len(),
        kept.contracts.len(),
    )
}

fn no_product(kind: &str, payload: serde_json::Value) -> FeedEvent {
    FeedEvent {
        product: None,
        payload,
        ..event(kind, "sales.orders")
    }
}

#[test]
fn who_someone_is_is_forgotten_by_its_own_events_only() {
    let cache = KeptViews::default();
    keep_callers(&cache);
    assert_eq!(kept_callers(&cache), (2, 1, 1, 1));
    cache.forget(&[event(kinds::RUN_FINISHED, "crm.customers")]);
    cache.forget(&[no_product(kinds::DOMAIN_CREATED, serde_json::json!({ "domain": "hr" }))]);
    assert_eq!(
        kept_callers(&cache),
        (2, 1, 1, 0),
        "pages are forgotten, callers are not"
    );
    keep_callers(&cache);
    cache.forget(&[no_product(
        kinds::TOKEN_REVOKED,
        serde_json::json!({ "token": "atr_a" }),
    )]);
    assert_eq!(kept_callers(&cache), (1, 1, 1, 1), "the revoked token only");
    cache.forget(&[no_product(
        kinds::IDENTITY_CHANGED,
        serde_json::json!({ "user": "ann" }),
    )]);
    assert_eq!(
        kept_callers(&cache),
        (1, 0, 1, 1),
        "every user (a team's role reaches many)"
    );
    cache.forget(&[event(kinds::GRANT_CHANGED, "sales.orders")]);
    assert_eq!(kept_callers(&cache), (1, 0, 0, 1), "the grants held, not the contracts");
    keep_callers(&cache);
    cache.forget(&[no_product("something.new", serde_json::Value::Null)]);
    assert_eq!(
        kept_callers(&cache),
        (0, 0, 0, 0),
        "a kind not known here forgets everything"
    );
}

/// Requests waiting while a read of the head is under way share the next read, which begins
/// after they arrived; none takes the answer of a read that began before it arrived.
#[tokio::test]
async fn requests_arriving_together_share_one_read_of_the_head_begun_after_them() {
    use std::sync::atomic::AtomicI64;
    let shared = Arc::new(SharedHead::default());
    let database_head = Arc::new(AtomicI64::new(1));
    let reads = Arc::new(AtomicU64::new(0));
    let (release_first, first_released) = tokio::sync::oneshot::channel::<()>();
    let first = {
        let (shared, database_head, reads) = (shared.clone(), database_head.clone(), reads.clone());
        tokio::spawn(async move {
            shared
                .read(|| async move {
                    reads.fetch_add(1, Ordering::SeqCst);
                    let head = database_head.load(Ordering::SeqCst);
                    let _ = first_released.await;
                    Ok(head)
                })
                .await
        })
    };
    while reads.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    // A change commits while the first read is under way; then two requests arrive.
    database_head.store(2, Ordering::SeqCst);
    let later: Vec<_> = (0..2)
        .map(|_| {
            let (shared, database_head, reads) = (shared.clone(), database_head.clone(), reads.clone());
            tokio::spawn(async move {
                shared
                    .read(|| async move {
                        reads.fetch_add(1, Ordering::SeqCst);
                        Ok(database_head.load(Ordering::SeqCst))
                    })
                    .await
            })
        })
        .collect();
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    release_first.send(()).expect("the first read waits");
    assert_eq!(first.await.expect("joined").expect("read"), 1);
    for request in later {
        assert_eq!(
            request.await.expect("joined").expect("read"),
            2,
            "a head read after arriving"
        );
    }
    assert_eq!(
        reads.load(Ordering::SeqCst),
        2,
        "the two later requests shared one read"
    );
}

#[test]
fn the_position_only_moves_on() {
    let cache = KeptViews::default();
    assert_eq!(cache.position(), None);
    cache.forget_all(7);
    assert_eq!(cache.position(), Some(7));
    let mut late = event(kinds::GRANT_CHANGED, "sales.orders");
    late.seq = 9;
    cache.forget(&[late]);
    assert_eq!(cache.position(), Some(9));
    cache.forget_all(8);
    assert_eq!(cache.position(), Some(9));
}
