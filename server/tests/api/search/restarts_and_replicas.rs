//! The index across restarts and replicas, and what a replica keeps between requests (see
//! `atrium-platform`'s `kept/`), changed through another replica on one database.

use atrium_platform::{Caller, DescriptorSource, PasswordCost, Platform, PlatformSettings, SearchParams};

use crate::helpers::{DEALS, postgres_database_for};

fn settings(dir: &std::path::Path, database_url: Option<String>) -> PlatformSettings {
    PlatformSettings {
        database_url,
        password_cost: PasswordCost::Cheap,
        pii_secret: Some("one secret for every replica".to_owned()),
        ..PlatformSettings::embedded(dir.to_owned())
    }
}

async fn open(settings: &PlatformSettings) -> Platform {
    let platform = Platform::open(settings).await.expect("the platform opens");
    platform.search_ready().await;
    platform
}

async fn found(platform: &Platform, q: &str) -> Vec<String> {
    let params = SearchParams {
        q: q.to_owned(),
        ..SearchParams::default()
    };
    platform
        .search(&Caller::Operator, params)
        .await
        .expect("searches")
        .hits
        .into_iter()
        .map(|hit| hit.id)
        .collect()
}

async fn deploy(platform: &Platform, yaml: &str) {
    platform
        .deploy(
            &Caller::Operator,
            &[DescriptorSource::new(yaml, Some("deals.yaml".to_owned()))],
        )
        .await
        .expect("deploys");
}

/// Two replicas on one catalog database (PostgreSQL when the tests have one), each with its
/// own data directory (kept with them).
async fn two_replicas() -> ([tempfile::TempDir; 2], Platform, Platform) {
    let one_dir = tempfile::tempdir().expect("temp dir");
    let two_dir = tempfile::tempdir().expect("temp dir");
    let shared = database_of(one_dir.path(), postgres_database_for(one_dir.path()).await);
    let one = open(&settings(one_dir.path(), Some(shared.clone()))).await;
    let two = open(&settings(two_dir.path(), Some(shared))).await;
    ([one_dir, two_dir], one, two)
}

/// A user made through `platform`, and an API token of theirs.
async fn user_with_token(
    platform: &Platform,
    name: &atrium_types::UserName,
    settings: atrium_platform::UserSettings,
) -> atrium_types::CreatedToken {
    platform
        .upsert_user(&Caller::Operator, name, settings)
        .await
        .expect("a user");
    platform
        .create_token(&Caller::Operator, name, "cli", None)
        .await
        .expect("a token")
}

fn database_of(dir: &std::path::Path, postgres: Option<String>) -> String {
    postgres.unwrap_or_else(|| atrium_catalog::Catalog::sqlite_url(&dir.join("atrium.db")))
}

#[tokio::test]
async fn a_change_the_index_never_took_is_repaired_on_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let postgres = postgres_database_for(dir.path()).await;
    let settings = settings(dir.path(), postgres.clone());
    let first = open(&settings).await;
    deploy(&first, DEALS).await;
    assert_eq!(
        found(&first, "sales.deals").await.first().map(String::as_str),
        Some("sales.deals")
    );
    drop(first);

    // The catalog commits a removal and the process dies before its index commit: the same
    // as a change written by a process that does not follow the feed.
    let catalog = atrium_catalog::Catalog::connect(&database_of(dir.path(), postgres))
        .await
        .expect("the catalog opens");
    let id = atrium_types::ProductId::parse("sales.deals").expect("an id");
    let removed = catalog
        .remove_product(&id, "operator", atrium_catalog::Trail::default(), chrono::Utc::now())
        .await
        .expect("removes");
    assert!(removed);
    let head = catalog.feed_head().await.expect("the head");

    let second = open(&settings).await;
    assert_eq!(second.search_position(), Some(head), "caught up on start");
    assert!(
        found(&second, "deals")
            .await
            .iter()
            .all(|id| !id.starts_with("sales.deals"))
    );
}

#[tokio::test]
async fn a_damaged_index_is_set_aside_and_rebuilt_on_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = settings(dir.path(), postgres_database_for(dir.path()).await);
    let first = open(&settings).await;
    deploy(&first, DEALS).await;
    drop(first);
    std::fs::write(dir.path().join("index").join("meta.json"), b"{ torn").expect("damages");

    let second = open(&settings).await;
    assert!(dir.path().join("index.damaged").is_dir(), "kept for a post-mortem");
    assert_eq!(
        found(&second, "sales.deals").await.first().map(String::as_str),
        Some("sales.deals")
    );
}

#[tokio::test]
async fn a_deploy_through_another_replica_reaches_this_ones_search() {
    let (_dirs, one, two) = two_replicas().await;
    deploy(&two, DEALS).await;
    assert_eq!(
        found(&two, "sales.deals").await.first().map(String::as_str),
        Some("sales.deals")
    );
    assert!(found(&one, "sales.deals").await.is_empty(), "not followed yet");
    // What `atrium serve` does every 250 ms.
    one.follow_feed().await.expect("follows");
    assert_eq!(
        found(&one, "sales.deals").await.first().map(String::as_str),
        Some("sales.deals")
    );
    assert_eq!(one.search_position(), two.search_position());
}

/// A product page's contract is kept between views; a change through another replica (or
/// `atrium deploy`) shows on the next view, without waiting for the follower.
#[tokio::test]
async fn a_product_page_shows_a_change_through_another_replica_on_the_next_view() {
    let (_dirs, one, two) = two_replicas().await;
    deploy(&two, DEALS).await;
    let page = |platform: &Platform| {
        let platform = platform.clone();
        async move { platform.product(&Caller::Operator, "sales.deals").await }
    };
    let first = page(&one).await.expect("the page");
    assert_eq!((first.summary.title.as_str(), first.summary.revision), ("Deals", 1));
    assert_eq!(page(&one).await.expect("the page again"), first, "the kept contract");
    deploy(&two, &DEALS.replace("title: Deals", "title: Won deals")).await;
    let second = page(&one).await.expect("the page");
    assert_eq!(
        (second.summary.title.as_str(), second.summary.revision),
        ("Won deals", 2)
    );
    assert_eq!(second.revisions.len(), 2);
    deploy(
        &two,
        &crate::helpers::ORDERS
            .replace("crm.customers", "sales.deals")
            .replace("id: sales.orders", "id: sales.won"),
    )
    .await;
    let consumed = page(&one).await.expect("the page");
    assert_eq!(consumed.consumers, vec!["sales.won".parse().expect("an id")]);
    two.remove_product(&Caller::Operator, "sales.deals")
        .await
        .expect("removes");
    assert!(page(&one).await.is_err(), "gone on the next view");
}

/// Who a bearer is (its token, the user's teams and roles) is kept between requests and
/// forgotten through the feed: a role given and a token revoked through another replica hold
/// on the next request.
#[tokio::test]
async fn a_callers_roles_and_token_change_through_another_replica_on_the_next_request() {
    let (_dirs, one, two) = two_replicas().await;
    let ann: atrium_types::UserName = "ann".parse().expect("a name");
    let team: atrium_types::TeamName = "team-x".parse().expect("a team");
    let settings = atrium_platform::UserSettings {
        teams: Some(vec![team.clone()]),
        ..atrium_platform::UserSettings::default()
    };
    let token = user_with_token(&two, &ann, settings).await;
    let roles = |platform: &Platform| {
        let (platform, secret) = (platform.clone(), token.secret.clone());
        async move {
            let caller = platform.token_caller(&secret).await.expect("the check answers");
            caller.map(|caller| caller.as_user().map(|user| user.roles.len()).unwrap_or_default())
        }
    };
    assert_eq!(roles(&one).await, Some(0));
    assert_eq!(roles(&one).await, Some(0), "kept");
    two.add_domain(&Caller::Operator, &"sales".parse().expect("a domain"), &team)
        .await
        .expect("a domain owned by the team");
    assert_eq!(roles(&one).await, Some(1), "the team's new role, on the next request");
    two.revoke_token(&Caller::Operator, &token.token.id)
        .await
        .expect("revokes");
    assert_eq!(roles(&one).await, None, "refused on the next request");
}

/// The sample of a product page is of the version its latest run published, however many
/// times it was shown before, when that run ran on another replica.
#[tokio::test]
async fn a_sample_shows_the_version_a_run_through_another_replica_published() {
    // Replicas share the tables' store as they share the database (S3 in production).
    let (one_dir, two_dir) = (
        tempfile::tempdir().expect("temp dir"),
        tempfile::tempdir().expect("temp dir"),
    );
    let shared = database_of(one_dir.path(), postgres_database_for(one_dir.path()).await);
    let store = format!("file://{}/", one_dir.path().join("store").display());
    let sharing = |dir: &std::path::Path| PlatformSettings {
        store_url: Some(store.clone()),
        ..settings(dir, Some(shared.clone()))
    };
    let one = open(&sharing(one_dir.path())).await;
    let two = open(&sharing(two_dir.path())).await;
    deploy(&two, DEALS).await;
    let run = |rows: &'static str| {
        let two = two.clone();
        async move {
            two.append_rows(&Caller::Operator, "sales.deals", "events", rows.to_owned())
                .await
                .expect("rows");
            let run = two
                .run(&Caller::Operator, "sales.deals", atrium_platform::RunTrigger::Manual)
                .await
                .expect("runs");
            assert_eq!(run.status, atrium_types::RunStatus::Succeeded, "{run:?}");
        }
    };
    let sample = |platform: &Platform| {
        let platform = platform.clone();
        async move {
            platform
                .sample(&Caller::Operator, "sales.deals", None, 10)
                .await
                .expect("a sample")
        }
    };
    assert!(sample(&one).await.is_none(), "nothing published yet");
    run(r#"[{"deal_id": 7}]"#).await;
    let first = sample(&one).await.expect("published");
    assert_eq!(sample(&one).await.expect("kept").version, first.version);
    run(r#"[{"deal_id": 8}]"#).await;
    let second = sample(&one).await.expect("published");
    assert!(
        second.version > first.version,
        "{} after {}",
        second.version,
        first.version
    );
}

/// The decision's facts about a product (its visibility, the grants on it) are kept between
/// requests and forgotten through the feed: a grant given and revoked, and a change of
/// visibility, through another replica, decide the next request here.
#[tokio::test]
async fn a_products_grants_and_visibility_change_through_another_replica_on_the_next_request() {
    let (_dirs, one, two) = two_replicas().await;
    let restricted = DEALS.replace("visibility: internal", "visibility: restricted");
    deploy(&two, &restricted).await;
    let ann: atrium_types::UserName = "ann".parse().expect("a name");
    let token = user_with_token(&two, &ann, atrium_platform::UserSettings::default()).await;
    let ann_sees = |platform: &Platform| {
        let (platform, secret) = (platform.clone(), token.secret.clone());
        async move {
            let caller = platform
                .token_caller(&secret)
                .await
                .expect("the check answers")
                .expect("a caller");
            platform.product(&caller, "sales.deals").await.is_ok()
        }
    };
    assert!(!ann_sees(&one).await, "restricted");
    assert!(!ann_sees(&one).await, "restricted, kept");
    let grant = two
        .add_grant(
            &Caller::Operator,
            &atrium_types::GrantRequest {
                product: "sales.deals".parse().expect("an id"),
                output: None,
                principal: "user:ann".parse().expect("a principal"),
                expires_at: None,
            },
        )
        .await
        .expect("a grant");
    assert!(ann_sees(&one).await, "the grant, on the next request");
    two.revoke_grant(&Caller::Operator, grant.id, None)
        .await
        .expect("revokes");
    assert!(!ann_sees(&one).await, "revoked, on the next request");
    deploy(&two, DEALS).await;
    assert!(ann_sees(&one).await, "made internal, on the next request");
    deploy(&two, &restricted).await;
    assert!(!ann_sees(&one).await, "restricted again, on the next request");
}
