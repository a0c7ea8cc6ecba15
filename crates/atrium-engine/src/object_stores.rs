//! Object stores by URL: S3-compatible stores for the Delta tables (`[storage] url = "s3://…"`) and
//! for `object` inputs, configured by the usual `AWS_*` variables (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`…), which the caller
//! passes in. Delta tables on S3 use deltalake's default log store: a commit is a conditional put
//! (`If-None-Match: *`), so concurrent writers never overwrite each other's versions, with no
//! locking service beside the store.

use std::collections::HashMap;
use std::sync::{Arc, Once};

use deltalake::DeltaResult;
use deltalake::logstore::{
    LogStore, LogStoreFactory, ObjectStoreFactory, ObjectStoreRef, StorageConfig, default_logstore, logstore_factories,
    object_store_factories,
};
use object_store::ObjectStore;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as ObjectPath;
use url::Url;

use crate::{EngineError, Result};

/// The schemes served by the S3 client.
const S3_SCHEMES: [&str; 2] = ["s3", "s3a"];

/// How to reach S3-compatible stores.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ObjectStoreOptions {
    s3: Vec<(AmazonS3ConfigKey, String)>,
}

impl std::fmt::Debug for ObjectStoreOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys only: the values hold secrets.
        let keys: Vec<&str> = self.s3.iter().map(|(key, _)| key.as_ref()).collect();
        f.debug_struct("ObjectStoreOptions").field("s3", &keys).finish()
    }
}

impl ObjectStoreOptions {
    /// The `AWS_*` variables among `env`; others are ignored, an unknown `AWS_*` one too (the
    /// AWS tools define many that are not about S3).
    pub fn from_env<'a>(env: impl IntoIterator<Item = (&'a String, &'a String)>) -> Self {
        let s3 = env
            .into_iter()
            .filter(|(key, _)| key.starts_with("AWS_"))
            .filter_map(|(key, value)| {
                key.to_ascii_lowercase()
                    .parse::<AmazonS3ConfigKey>()
                    .ok()
                    .map(|key| (key, value.clone()))
            })
            .collect();
        Self::sorted(s3)
    }

    /// In key order, so that equal settings compare equal.
    fn sorted(mut s3: Vec<(AmazonS3ConfigKey, String)>) -> Self {
        s3.sort_by(|(a, _), (b, _)| a.as_ref().cmp(b.as_ref()));
        Self { s3 }
    }

    fn s3_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        if self.s3.is_empty() {
            return Err(EngineError::Config(
                "S3 is not configured: set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION \
                 (and AWS_ENDPOINT_URL, AWS_ALLOW_HTTP for an S3-compatible server)"
                    .to_owned(),
            ));
        }
        let mut builder = AmazonS3Builder::new();
        for (key, value) in &self.s3 {
            builder = builder.with_config(*key, value);
        }
        let store = builder
            .with_url(url.as_str())
            .build()
            .map_err(|error| EngineError::Config(format!("S3 store for {url}: {error}")))?;
        Ok(Arc::new(store))
    }

    /// The store holding `url` and the object's path in it: `s3://` and `s3a://` through the S3
    /// client, `file://` on the local disk.
    pub fn store_for(&self, url: &Url) -> Result<(Arc<dyn ObjectStore>, ObjectPath)> {
        if S3_SCHEMES.contains(&url.scheme()) {
            let path = ObjectPath::from_url_path(url.path())
                .map_err(|error| EngineError::Config(format!("{url}: {error}")))?;
            return Ok((self.s3_store(url)?, path));
        }
        let (store, path) = object_store::parse_url(url)
            .map_err(|error| EngineError::Config(format!("no object store for {url}: {error}")))?;
        Ok((Arc::from(store), path))
    }

    /// These options as deltalake's storage options, passed with every table it opens.
    pub fn delta_options(&self) -> HashMap<String, String> {
        self.s3
            .iter()
            .map(|(key, value)| (key.as_ref().to_owned(), value.clone()))
            .collect()
    }

    pub(crate) fn from_delta_options(raw: &HashMap<String, String>) -> Self {
        let s3 = raw
            .iter()
            .filter_map(|(key, value)| key.parse::<AmazonS3ConfigKey>().ok().map(|key| (key, value.clone())))
            .collect();
        Self::sorted(s3)
    }
}

/// Teaches deltalake to open `s3://` and `s3a://` tables, once per process. The factory holds no
/// configuration: each table brings its options (see [`ObjectStoreOptions::delta_options`]), so
/// engines with different stores can share a process.
pub fn register_with_delta() {
    static REGISTERED: Once = Once::new();
    REGISTERED.call_once(|| {
        let factory = Arc::new(S3Factory);
        for scheme in S3_SCHEMES {
            if let Ok(key) = Url::parse(&format!("{scheme}://")) {
                object_store_factories().insert(key.clone(), factory.clone());
                logstore_factories().insert(key, factory.clone());
            }
        }
    });
}

struct S3Factory;

impl ObjectStoreFactory for S3Factory {
    fn parse_url_opts(&self, url: &Url, config: &StorageConfig) -> DeltaResult<(ObjectStoreRef, ObjectPath)> {
        ObjectStoreOptions::from_delta_options(&config.raw)
            .store_for(url)
            .map_err(|error| deltalake::DeltaTableError::Generic(error.to_string()))
    }
}

impl LogStoreFactory for S3Factory {
    fn with_options(
        &self,
        prefixed_store: ObjectStoreRef,
        root_store: ObjectStoreRef,
        location: &Url,
        options: &StorageConfig,
    ) -> DeltaResult<Arc<dyn LogStore>> {
        Ok(default_logstore(prefixed_store, root_store, location, options))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn only_s3_variables_are_taken_and_secrets_are_not_shown() {
        let env: BTreeMap<String, String> = [
            ("AWS_ACCESS_KEY_ID", "AK"),
            ("AWS_SECRET_ACCESS_KEY", "very-secret"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:8014"),
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_PROFILE_UNKNOWN_TO_S3", "x"),
            ("HOME", "/root"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let options = ObjectStoreOptions::from_env(&env);
        assert_eq!(options.s3.len(), 4);
        let shown = format!("{options:?}");
        assert!(!shown.contains("very-secret"), "{shown}");
        let url = Url::parse("s3://lake/atrium/sales/").expect("url");
        let (_, path) = options.store_for(&url).expect("store");
        assert_eq!(path.as_ref(), "atrium/sales");
        assert_eq!(
            ObjectStoreOptions::from_delta_options(&options.delta_options()),
            options
        );
    }
}
