//! The data engine: product outputs are Delta Lake tables on object storage (a local folder by
//! default); runs read the inputs, transform them with DataFusion SQL, check the contract, apply
//! the PII handling, run the quality checks and write one new version.
//!
//! Architecture invariant: no HTTP, no Leptos, no database. The platform tells the engine what to
//! run (descriptor, upstream versions) and records what it did; every write passes
//! [`location::DomainWriter`], the one place that keeps a domain inside its prefix.

pub mod answer;
pub mod contract;
mod error;
pub mod fence;
pub mod ingest;
pub mod inputs;
pub mod location;
pub mod object_stores;
pub mod pii;
pub mod pipeline;
pub mod profile;
pub mod quality;
pub mod quarantine;
pub mod query;
pub mod streams;
pub mod tables;
pub mod time_travel;
pub mod worker;

pub use answer::{AnswerChunk, AnswerStream, StreamFormat};
pub use error::{EngineError, Result};
pub use fence::Fence;
pub use inputs::UpstreamVersions;
pub use location::{StoreRoot, TableLocation};
pub use object_stores::ObjectStoreOptions;
pub use pii::PiiKey;
pub use pipeline::{OutputReport, RunReport, RunRequest};
pub use quality::CheckResult;
pub use query::{QueryColumn, QueryLimits, QueryResult, ReadableTable, named_tables};
pub use worker::QueryWorkers;

use std::sync::Arc;

use deltalake::datafusion::execution::memory_pool::FairSpillPool;
use deltalake::datafusion::execution::runtime_env::RuntimeEnvBuilder;
use deltalake::datafusion::prelude::{SessionConfig, SessionContext};

/// The engine of one installation.
#[derive(Debug, Clone)]
pub struct Engine {
    root: StoreRoot,
    streams_dir: std::path::PathBuf,
    pii_key: PiiKey,
    memory_limit_bytes: usize,
    object_stores: ObjectStoreOptions,
    fence: Fence,
    /// Where queries run: `None` in this process, else in worker processes ([`worker`]).
    query_workers: Option<QueryWorkers>,
}

impl Engine {
    /// `streams_dir` holds the durable buffers of stream inputs.
    pub fn new(root: StoreRoot, streams_dir: std::path::PathBuf, pii_key: PiiKey, memory_limit_bytes: usize) -> Self {
        Self {
            root,
            streams_dir,
            pii_key,
            memory_limit_bytes,
            object_stores: ObjectStoreOptions::default(),
            fence: Fence::default(),
            query_workers: None,
        }
    }

    /// Runs queries in worker processes, each under an operating-system memory limit.
    pub fn with_query_workers(mut self, workers: QueryWorkers) -> Self {
        self.query_workers = Some(workers);
        self
    }

    /// Reads inputs and fetches URLs within `fence`.
    pub fn with_fence(mut self, fence: Fence) -> Self {
        self.fence = fence;
        self
    }

    pub fn fence(&self) -> &Fence {
        &self.fence
    }

    /// Fetches `url` through the data fence; the error is in words.
    pub async fn fetch_url(&self, url: &str) -> std::result::Result<bytes::Bytes, String> {
        self.fence.fetch(url).await
    }

    /// Reaches S3-compatible stores (tables under an `s3://` root, `object` inputs) with `options`.
    pub fn with_object_stores(mut self, options: ObjectStoreOptions) -> Self {
        object_stores::register_with_delta();
        self.root = self.root.with_object_stores(options.clone());
        self.object_stores = options;
        self
    }

    pub fn object_stores(&self) -> &ObjectStoreOptions {
        &self.object_stores
    }

    pub fn streams_dir(&self) -> &std::path::Path {
        &self.streams_dir
    }

    pub fn pii_key(&self) -> &PiiKey {
        &self.pii_key
    }

    pub fn root(&self) -> &StoreRoot {
        &self.root
    }

    /// A SQL session bounded by the engine's memory limit.
    pub(crate) fn session(&self) -> SessionContext {
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(FairSpillPool::new(self.memory_limit_bytes)))
            .build_arc();
        let config = SessionConfig::new().with_information_schema(false);
        match runtime {
            Ok(runtime) => SessionContext::new_with_config_rt(config, runtime),
            Err(_) => SessionContext::new_with_config(config),
        }
    }
}
