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
