//! The index on disk: opening (and telling a fresh, resumed or damaged index apart), applying a
//! batch of changes with the feed position it covers (Tantivy's commit payload), and rebuilding.
//! Every call here blocks: the platform runs them off the async runtime.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tantivy::collector::Count;
use tantivy::directory::MmapDirectory;
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Term};

use crate::document::{DocKind, SearchDoc};
use crate::schema::{Fields, SCHEMA_VERSION};
use crate::{Result, SearchError};

/// The memory budget of the index writer.
const WRITER_BUDGET: usize = 50_000_000;

/// Takes the lock of the index in `dir` (the file `dir.lock`), without waiting.
fn take_lock(dir: &Path) -> Result<std::fs::File> {
    let path = dir.with_extension("lock");
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| SearchError::Io {
            path: parent.to_owned(),
            source,
        })?;
    }
    let file = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| SearchError::Io {
            path: path.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(SearchError::Busy { path: dir.to_owned() }),
        Err(std::fs::TryLockError::Error(source)) => Err(SearchError::Io { path, source }),
    }
}

/// What a commit records beside the documents.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
struct Payload {
    /// The feed position every change up to which the index holds.
    seq: i64,
    schema: u32,
}

/// How the index was found on opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// No index was there: it is empty, at position 0.
    Fresh,
    /// An index holding the changes up to this position.
    Resumed { seq: i64 },
    /// An index that could not be used (and was set aside): empty, at position 0.
    Damaged { reason: String },
}

/// One change to apply: every document of a product replaced by these (none: the product is
/// gone). The documents of its domain, owner and tags follow.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Product { id: String, docs: Vec<SearchDoc> },
}

/// The search index of one server, under `<data-dir>/index`.
pub struct SearchIndex {
    /// Held while the index is open: one process owns an index directory at a time.
    _lock: Option<std::fs::File>,
    pub(crate) reader: IndexReader,
    pub(crate) fields: Fields,
    writer: Mutex<IndexWriter>,
    position: Mutex<i64>,
    dir: PathBuf,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it when missing; a damaged one (unreadable, another
    /// schema) is moved aside to `dir.damaged` and replaced by an empty one. Nothing is looked at
    /// before the lock beside it (`dir.lock`) is held: when another process holds it (a server,
    /// for a CLI on its data dir), this answers [`SearchError::Busy`] and leaves the index alone.
    pub fn open(dir: &Path) -> Result<(Self, Opened)> {
        let lock = take_lock(dir)?;
        let (mut index, opened) = Self::open_locked(dir)?;
        index._lock = Some(lock);
        Ok((index, opened))
    }

    fn open_locked(dir: &Path) -> Result<(Self, Opened)> {
        match Self::open_existing(dir) {
            Ok(Some((index, seq))) => Ok((index, Opened::Resumed { seq })),
            Ok(None) => Ok((Self::create(dir)?, Opened::Fresh)),
            Err(reason) => {
                let aside = dir.with_extension("damaged");
                let _ = std::fs::remove_dir_all(&aside);
                std::fs::rename(dir, &aside).map_err(|source| SearchError::Io {
                    path: dir.to_owned(),
                    source,
                })?;
                tracing::warn!(dir = %dir.display(), %reason, "the search index was damaged; it is rebuilt");
                Ok((Self::create(dir)?, Opened::Damaged { reason }))
            }
        }
    }

    /// `Ok(None)` when there is no index; `Err(reason)` when there is one that cannot be used.
    fn open_existing(dir: &Path) -> std::result::Result<Option<(Self, i64)>, String> {
        if !dir.join("meta.json").exists() {
            return Ok(None);
        }
        let directory = MmapDirectory::open(dir).map_err(|error| error.to_string())?;
        let index = Index::open(directory).map_err(|error| error.to_string())?;
        let (schema, _) = Fields::schema();
        if index.schema() != schema {
            return Err("its schema is not this version's".to_owned());
        }
        let metas = index.load_metas().map_err(|error| error.to_string())?;
        let payload: Option<Payload> = metas
            .payload
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok());
        let seq = match payload {
            Some(payload) if payload.schema == SCHEMA_VERSION => payload.seq,
            Some(_) => return Err("it was built by another version".to_owned()),
            None if metas.segments.is_empty() => 0,
            None => return Err("its last commit records no feed position".to_owned()),
        };
        let opened = Self::with_index(index, dir).map_err(|error| error.to_string())?;
        // Reading every segment once tells a truncated file now rather than at a query.
        let searcher = opened.reader.searcher();
        for segment in searcher.segment_readers() {
            segment
                .inverted_index(opened.fields.id)
                .map_err(|error| format!("segment {}: {error}", segment.segment_id().uuid_string()))?;
        }
        *opened.lock_position() = seq;
        Ok(Some((opened, seq)))
    }

    fn create(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|source| SearchError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let (schema, _) = Fields::schema();
        let directory = MmapDirectory::open(dir)?;
        let index = Index::create(directory, schema, tantivy::IndexSettings::default())?;
        Self::with_index(index, dir)
    }

    /// An index in memory (tests, benchmarks).
    pub fn in_memory() -> Result<Self> {
        let (schema, _) = Fields::schema();
        let index = Index::create_in_ram(schema);
        Self::with_index(index, Path::new(":memory:"))
    }

    fn with_index(mut index: Index, dir: &Path) -> Result<Self> {
        crate::tokenize::register(index.tokenizers());
        // The segments of one search are read side by side (the machine's cores, at most 4).
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        index.set_multithread_executor(threads)?;
        let (_, fields) = Fields::schema();
        let writer = index.writer_with_num_threads(1, WRITER_BUDGET)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(Self {
            _lock: None,
            reader,
            fields,
            writer: Mutex::new(writer),
            position: Mutex::new(0),
            dir: dir.to_owned(),
        })
    }

    fn lock_position(&self) -> std::sync::MutexGuard<'_, i64> {
        self.position.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The feed position the index holds every change up to.
    pub fn position(&self) -> i64 {
        *self.lock_position()
    }

    /// Applies `changes` and commits them with `seq` as the position covered; searchers see them
    /// when this returns. The documents of the domains, owners and tags the changed products had
    /// or have are recomputed from the index: a first commit holds the products' documents at the
    /// old position (so that a crash before the second replays the batch), the second the groups'
    /// at `seq`.
    pub fn apply(&self, changes: Vec<Change>, seq: i64) -> Result<()> {
        let mut writer = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let searcher = self.reader.searcher();
        let mut groups = std::collections::BTreeSet::new();
        for Change::Product { id, docs } in &changes {
            groups.extend(self.groups_of_product(&searcher, id)?);
            for doc in docs.iter().filter(|doc| doc.kind() == DocKind::Product) {
                groups.extend(crate::groups::keys_of(doc));
            }
        }
        drop(searcher);
        for Change::Product { id, docs } in changes {
            writer.delete_term(Term::from_field_text(self.fields.product, &id));
            for doc in &docs {
                writer.add_document(self.fields.document(doc))?;
            }
        }
        if groups.is_empty() {
            return self.commit(&mut writer, seq);
        }
        let before = self.position();
        self.commit(&mut writer, before)?;
        let searcher = self.reader.searcher();
        for group in groups {
            writer.delete_term(Term::from_field_text(self.fields.group, &group.key()));
            if let Some(doc) = crate::groups::document(self, &searcher, &group)? {
                writer.add_document(self.fields.document(&doc))?;
            }
        }
        self.commit(&mut writer, seq)
    }

    /// Replaces everything by `docs`, at position `seq`.
    pub fn rebuild(&self, docs: impl IntoIterator<Item = SearchDoc>, seq: i64) -> Result<u64> {
        let mut writer = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        writer.delete_all_documents()?;
        let mut count = 0;
        let mut groups = std::collections::BTreeSet::new();
        for doc in docs {
            groups.extend(crate::groups::keys_of(&doc));
            writer.add_document(self.fields.document(&doc))?;
            count += 1;
        }
        // Until the groups are in, the index claims no position: a crash here rebuilds again.
        self.commit(&mut writer, 0)?;
        let searcher = self.reader.searcher();
        for group in groups {
            if let Some(doc) = crate::groups::document(self, &searcher, &group)? {
                writer.add_document(self.fields.document(&doc))?;
                count += 1;
            }
        }
        self.commit(&mut writer, seq)?;
        Ok(count)
    }

    fn commit(&self, writer: &mut IndexWriter, seq: i64) -> Result<()> {
        let payload = serde_json::to_string(&Payload {
            seq,
            schema: SCHEMA_VERSION,
        })
        .map_err(|error| SearchError::Payload(error.to_string()))?;
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.reader.reload()?;
        *self.lock_position() = seq;
        Ok(())
    }

    /// The groups a product's documents in the index belong to now.
    fn groups_of_product(&self, searcher: &tantivy::Searcher, id: &str) -> Result<Vec<crate::groups::GroupKey>> {
        let query = TermQuery::new(Term::from_field_text(self.fields.id, id), IndexRecordOption::Basic);
        let mut keys = Vec::new();
        for (_, address) in searcher.search(&query, &tantivy::collector::TopDocs::with_limit(1).order_by_score())? {
            let doc: tantivy::TantivyDocument = searcher.doc(address)?;
            keys.extend(crate::groups::keys_of_stored(&self.fields, &doc));
        }
        Ok(keys)
    }

    /// How many documents of `kind` the index holds.
    pub fn count(&self, kind: DocKind) -> Result<u64> {
        let searcher = self.reader.searcher();
        let query = TermQuery::new(
            Term::from_field_text(self.fields.kind, kind.as_str()),
            IndexRecordOption::Basic,
        );
        Ok(searcher.search(&query, &Count)? as u64)
    }

    /// The size of the index files, in bytes.
    pub fn size_bytes(&self) -> u64 {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return 0;
        };
        entries
            .filter_map(std::result::Result::ok)
            .filter_map(|entry| entry.metadata().ok())
            .map(|meta| meta.len())
            .sum()
    }
}
