//! Several replicas on one catalog database: two servers starting at the same moment on a fresh
//! database both come up (on PostgreSQL the migrations take turns behind an advisory lock).

use atrium_platform::{Platform, PlatformSettings};

use crate::helpers::postgres_database_for;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_starting_together_on_a_fresh_database_both_come_up() {
    let shared = tempfile::tempdir().expect("temp dir");
    let database_url = postgres_database_for(shared.path()).await;
    let settings = |dir: &std::path::Path| PlatformSettings {
        database_url: database_url.clone(),
        // Both replicas share the database (and, for SQLite, its file) and the PII secret.
        pii_secret: Some("a secret both replicas share".to_owned()),
        ..PlatformSettings::embedded(dir.to_owned())
    };
    let (one, two) = (settings(shared.path()), settings(shared.path()));
    let (first, second) = tokio::join!(
        tokio::spawn(async move { Platform::open(&one).await.map(|_| ()) }),
        tokio::spawn(async move { Platform::open(&two).await.map(|_| ()) })
    );
    first.expect("joins").expect("the first replica starts");
    second.expect("joins").expect("the second replica starts");
}
