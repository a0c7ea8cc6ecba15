//! Stream inputs: rows pushed over HTTP are made durable before they are acknowledged.
//!
//! Each accepted batch becomes one immutable JSON-lines segment under
//! `<streams-dir>/<domain>/<product>/<input>/`, written to a temporary name, flushed to disk, and
//! renamed into place (then the folder is flushed): a segment is either whole or absent, also
//! across a crash. The PII handling of the product's contract is applied to every row *before* it
//! is written, so raw personal data never lands on disk. Runs read all segments of the input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use atrium_types::{Name, PiiHandling, ProductId};
use serde_json::{Map, Value};

use crate::pii::{PiiKey, mask};
use crate::{EngineError, Result};

/// The extension of a segment; the reader lists only these.
pub const SEGMENT_EXTENSION: &str = "jsonl";

static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// The folder of buffered rows of one stream input.
pub fn stream_dir(streams_root: &Path, product: &ProductId, input: &Name) -> PathBuf {
    streams_root
        .join(product.domain().as_str())
        .join(product.name().as_str())
        .join(input.as_str())
}

/// Parses a request body: a JSON array of objects, or JSON lines (one object a line).
pub fn parse_rows(body: &str) -> Result<Vec<Map<String, Value>>> {
    let trimmed = body.trim_start();
    let values: Vec<(usize, Value)> = if trimmed.starts_with('[') {
        let array: Vec<Value> =
            serde_json::from_str(body).map_err(|error| bad_rows(format!("invalid JSON array: {error}")))?;
        array
            .into_iter()
            .enumerate()
            .map(|(index, value)| (index + 1, value))
            .collect()
    } else {
        body.lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(index, line)| {
                serde_json::from_str(line)
                    .map(|value| (index + 1, value))
                    .map_err(|error| bad_rows(format!("line {}: invalid JSON: {error}", index + 1)))
            })
            .collect::<Result<_>>()?
    };
    values
        .into_iter()
        .map(|(position, value)| match value {
            Value::Object(row) => Ok(row),
            other => Err(bad_rows(format!(
                "row {position} is not a JSON object but {}",
                kind(&other)
            ))),
        })
        .collect()
}

/// What a JSON value is, in words: `a number`, `an array`.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn bad_rows(message: String) -> EngineError {
    EngineError::Input {
        input: "rows".to_owned(),
        message,
    }
}

/// Applies the PII handling to the fields named like PII columns; then writes the rows as one
/// durable segment. Returns how many rows were written.
pub fn append(
    dir: &Path,
    mut rows: Vec<Map<String, Value>>,
    pii: &[(String, PiiHandling)],
    key: &PiiKey,
) -> Result<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    for row in &mut rows {
        protect_row(row, pii, key);
    }
    let mut text = String::new();
    for row in &rows {
        text.push_str(&Value::Object(row.clone()).to_string());
        text.push('\n');
    }
    write_segment(dir, text.as_bytes())?;
    Ok(rows.len())
}

pub(crate) fn protect_row(row: &mut Map<String, Value>, pii: &[(String, PiiHandling)], key: &PiiKey) {
    for (column, handling) in pii {
        match handling {
            // Kept as null so that the transform can still name the column; the output drops it.
            PiiHandling::Drop => {
                if let Some(value) = row.get_mut(column) {
                    *value = Value::Null;
                }
            }
            PiiHandling::Hash | PiiHandling::Mask => {
                if let Some(value) = row.get_mut(column) {
                    let text = match &*value {
                        Value::Null => continue,
                        Value::String(text) => text.clone(),
                        other => other.to_string(),
                    };
                    let protected = if *handling == PiiHandling::Hash {
                        key.hash_once(&text)
                    } else {
                        mask(&text)
                    };
                    *value = Value::String(protected);
                }
            }
            PiiHandling::Keep => {}
        }
    }
}

fn write_segment(dir: &Path, bytes: &[u8]) -> Result<()> {
    let storage = |error: std::io::Error| EngineError::Storage(format!("{}: {error}", dir.display()));
    std::fs::create_dir_all(dir).map_err(storage)?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let name = format!("{nanos:020}-{}-{sequence:06}", std::process::id());
    let temporary = dir.join(format!(".{name}.tmp"));
    let target = dir.join(format!("{name}.{SEGMENT_EXTENSION}"));
    let mut file = std::fs::File::create(&temporary).map_err(storage)?;
    file.write_all(bytes).map_err(storage)?;
    file.sync_all().map_err(storage)?;
    std::fs::rename(&temporary, &target).map_err(storage)?;
    // The rename is durable only once the folder itself is flushed.
    std::fs::File::open(dir)
        .and_then(|folder| folder.sync_all())
        .map_err(storage)?;
    Ok(())
}

/// How many small segments make a merge worthwhile, and what counts as small.
const MERGE_AT: usize = 16;
const SMALL_SEGMENT_BYTES: u64 = 8 * 1024 * 1024;
/// The names of the segments a merge replaces, and of the merged segment; hidden from readers.
const MERGE_MANIFEST: &str = ".merge-manifest";

#[derive(serde::Serialize, serde::Deserialize)]
struct MergeManifest {
    /// The merged segment, written under `pending` until the segments it replaces are gone.
    merged: String,
    pending: String,
    replaces: Vec<String>,
}

/// Merges the small segments of a stream input into one when there are many, so that runs read a
/// few files rather than one per request. Rows are neither lost nor doubled, also across a crash:
/// the merged segment is written under a hidden name and made durable, then a manifest naming what
/// it replaces, then the replaced segments go and the merged one takes its place; [`recover`]
/// finishes a merge a crash interrupted. Call it with the product's run in progress (runs are
/// exclusive per product), so that no other merge runs on the folder; appends may go on, they only
/// add segments. Returns how many segments were merged.
pub fn merge_small_segments(dir: &Path) -> Result<usize> {
    recover(dir)?;
    let storage = |error: std::io::Error| EngineError::Storage(format!("{}: {error}", dir.display()));
    let mut small: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(storage)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_segment = !name.starts_with('.') && name.ends_with(&format!(".{SEGMENT_EXTENSION}"));
        if is_segment && entry.metadata().map_err(storage)?.len() < SMALL_SEGMENT_BYTES {
            small.push(name);
        }
    }
    if small.len() < MERGE_AT {
        return Ok(0);
    }
    small.sort();
    let mut bytes = Vec::new();
    for name in &small {
        let mut segment = std::fs::read(dir.join(name)).map_err(storage)?;
        if segment.last().is_some_and(|last| *last != b'\n') {
            segment.push(b'\n');
        }
        bytes.extend_from_slice(&segment);
    }
    let newest = small
        .last()
        .map(|name| name.trim_end_matches(&format!(".{SEGMENT_EXTENSION}")));
    let merged = format!("{}-m.{SEGMENT_EXTENSION}", newest.unwrap_or("merged"));
    let manifest = MergeManifest {
        pending: format!(".{merged}.pending"),
        merged,
        replaces: small,
    };
    write_durably(dir, &manifest.pending, &bytes)?;
    let text = serde_json::to_vec(&manifest).map_err(|error| EngineError::Internal(error.to_string()))?;
    write_durably(dir, MERGE_MANIFEST, &text)?;
    finish_merge(dir, &manifest)?;
    Ok(manifest.replaces.len())
}

/// Finishes a merge a crash interrupted: once its manifest exists the merge goes forward; a merged
/// segment without a manifest is dropped (the segments it would have replaced are all still there).
pub fn recover(dir: &Path) -> Result<()> {
    let storage = |error: std::io::Error| EngineError::Storage(format!("{}: {error}", dir.display()));
    let manifest_path = dir.join(MERGE_MANIFEST);
    let manifest = match std::fs::read(&manifest_path) {
        Ok(text) => Some(
            serde_json::from_slice::<MergeManifest>(&text)
                .map_err(|error| EngineError::Storage(format!("{}: {error}", manifest_path.display())))?,
        ),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(storage(error)),
    };
    if let Some(manifest) = &manifest {
        finish_merge(dir, manifest)?;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // A merge's leftovers only: an append's own temporary file may be about to be renamed.
        let merge_leftover =
            name.ends_with(".pending") || name.ends_with(".pending.tmp") || name == ".merge-manifest.tmp";
        if name.starts_with('.') && merge_leftover {
            std::fs::remove_file(entry.path()).map_err(storage)?;
        }
    }
    Ok(())
}

fn finish_merge(dir: &Path, manifest: &MergeManifest) -> Result<()> {
    let storage = |error: std::io::Error| EngineError::Storage(format!("{}: {error}", dir.display()));
    for name in &manifest.replaces {
        match std::fs::remove_file(dir.join(name)) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(storage(error)),
        }
    }
    sync_folder(dir)?;
    let pending = dir.join(&manifest.pending);
    if pending.exists() {
        std::fs::rename(&pending, dir.join(&manifest.merged)).map_err(storage)?;
        sync_folder(dir)?;
    }
    std::fs::remove_file(dir.join(MERGE_MANIFEST)).map_err(storage)?;
    sync_folder(dir)
}

/// Writes `name` in `dir` whole or not at all: a temporary name, flushed, renamed, folder flushed.
fn write_durably(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let storage = |error: std::io::Error| EngineError::Storage(format!("{}: {error}", dir.display()));
    let temporary = dir.join(format!(".{}.tmp", name.trim_start_matches('.')));
    let mut file = std::fs::File::create(&temporary).map_err(storage)?;
    file.write_all(bytes).map_err(storage)?;
    file.sync_all().map_err(storage)?;
    std::fs::rename(&temporary, dir.join(name)).map_err(storage)?;
    sync_folder(dir)
}

fn sync_folder(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|folder| folder.sync_all())
        .map_err(|error| EngineError::Storage(format!("{}: {error}", dir.display())))
}

/// When the newest segment of the input was written (nanoseconds since the epoch, from its name).
pub fn newest_segment_nanos(dir: &Path) -> Option<u128> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !name.ends_with(SEGMENT_EXTENSION) {
                return None;
            }
            name.split('-').next()?.parse::<u128>().ok()
        })
        .max()
}

/// The products with a folder of stream inputs under `streams_root` (rows were pushed to them at
/// some time), by id: what the micro-batches look at, whatever the size of the catalog.
pub fn products_with_streams(streams_root: &Path) -> Vec<ProductId> {
    let mut found = Vec::new();
    let Ok(domains) = std::fs::read_dir(streams_root) else {
        return found;
    };
    for domain in domains.flatten().filter(|entry| entry.path().is_dir()) {
        let Ok(products) = std::fs::read_dir(domain.path()) else {
            continue;
        };
        for product in products.flatten().filter(|entry| entry.path().is_dir()) {
            let id = format!(
                "{}.{}",
                domain.file_name().to_string_lossy(),
                product.file_name().to_string_lossy()
            );
            if let Ok(id) = ProductId::parse(&id) {
                found.push(id);
            }
        }
    }
    found.sort();
    found
}

/// Whether the input has received any rows.
pub fn has_segments(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .any(|entry| entry.path().extension().is_some_and(|ext| ext == SEGMENT_EXTENSION))
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_arrays_or_json_lines() {
        assert_eq!(parse_rows(r#"[{"a": 1}, {"a": 2}]"#).expect("array").len(), 2);
        assert_eq!(parse_rows("{\"a\": 1}\n\n{\"a\": 2}\n").expect("lines").len(), 2);
        let error = parse_rows("{\"a\": 1}\n{oops}\n").expect_err("bad line");
        assert!(error.to_string().contains("line 2: invalid JSON"), "{error}");
        let error = parse_rows("[1]").expect_err("not an object");
        assert!(
            error.to_string().contains("row 1 is not a JSON object but a number"),
            "{error}"
        );
    }

    fn segment_names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("dir")
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn all_rows(dir: &Path) -> Vec<String> {
        let mut rows: Vec<String> = segment_names(dir)
            .iter()
            .filter(|name| !name.starts_with('.'))
            .flat_map(|name| {
                std::fs::read_to_string(dir.join(name))
                    .expect("segment")
                    .lines()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect();
        rows.sort();
        rows
    }

    fn append_requests(dir: &Path, count: usize) {
        let key = PiiKey::new(b"a-stream-test-key-16").expect("key");
        for n in 0..count {
            let rows = parse_rows(&format!("{{\"n\": {n}}}")).expect("rows");
            append(dir, rows, &[], &key).expect("appends");
        }
    }

    #[test]
    fn many_small_segments_are_merged_into_one_with_every_row_once() {
        let dir = tempfile::tempdir().expect("temp");
        append_requests(dir.path(), MERGE_AT - 1);
        assert_eq!(merge_small_segments(dir.path()).expect("merges"), 0, "not worth it yet");
        append_requests(dir.path(), 1);
        let before = all_rows(dir.path());
        assert_eq!(merge_small_segments(dir.path()).expect("merges"), MERGE_AT);
        assert_eq!(all_rows(dir.path()), before);
        let names = segment_names(dir.path());
        assert_eq!(names.len(), 1, "{names:?}");
        assert!(names[0].ends_with("-m.jsonl"), "{names:?}");
        assert!(has_segments(dir.path()));
    }

    #[test]
    fn a_merge_cut_short_by_a_crash_is_finished_or_dropped_never_doubled() {
        // Crashed after the manifest, with some replaced segments already gone: rolls forward.
        let dir = tempfile::tempdir().expect("temp");
        append_requests(dir.path(), 3);
        let before = all_rows(dir.path());
        let segments: Vec<String> = segment_names(dir.path());
        let merged_bytes: String = segments
            .iter()
            .map(|name| std::fs::read_to_string(dir.path().join(name)).expect("segment"))
            .collect();
        let manifest = MergeManifest {
            merged: "99999999999999999999-m.jsonl".to_owned(),
            pending: ".99999999999999999999-m.jsonl.pending".to_owned(),
            replaces: segments.clone(),
        };
        write_durably(dir.path(), &manifest.pending, merged_bytes.as_bytes()).expect("pending");
        write_durably(
            dir.path(),
            MERGE_MANIFEST,
            &serde_json::to_vec(&manifest).expect("json"),
        )
        .expect("manifest");
        std::fs::remove_file(dir.path().join(&segments[0])).expect("one gone");
        recover(dir.path()).expect("recovers");
        assert_eq!(all_rows(dir.path()), before);
        assert_eq!(segment_names(dir.path()), ["99999999999999999999-m.jsonl"]);

        // Crashed before the manifest: the merged file is dropped, the segments stay.
        let dir = tempfile::tempdir().expect("temp");
        append_requests(dir.path(), 3);
        let before = all_rows(dir.path());
        write_durably(dir.path(), ".x-m.jsonl.pending", b"{\"n\": 0}\n").expect("pending");
        recover(dir.path()).expect("recovers");
        assert_eq!(all_rows(dir.path()), before);
        assert!(segment_names(dir.path()).iter().all(|name| !name.starts_with('.')));
    }

    #[test]
    fn segments_are_whole_and_protected() {
        let dir = tempfile::tempdir().expect("temp");
        let key = PiiKey::new(b"a-stream-test-key-16").expect("key");
        let rows = parse_rows(r#"[{"id": 1, "email": "ann@example.com", "ip": "10.0.0.1"}]"#).expect("rows");
        let rules = [
            ("email".to_owned(), PiiHandling::Hash),
            ("ip".to_owned(), PiiHandling::Drop),
        ];
        assert_eq!(append(dir.path(), rows, &rules, &key).expect("appends"), 1);
        assert!(has_segments(dir.path()));
        let files: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .flatten()
            .map(|e| e.path())
            .collect();
        assert_eq!(files.len(), 1, "no temporary file is left behind");
        let text = std::fs::read_to_string(&files[0]).expect("segment");
        assert!(
            !text.contains("ann@example.com") && !text.contains("10.0.0.1"),
            "{text}"
        );
        assert!(text.contains(&key.hash("ann@example.com")));
    }
}
