//! Reads `inputs`: files, URLs, object-store objects, streams and other products.

use atrium_types::{Name, ProductId};

use crate::reader::{Mapping, read_named_list};
use crate::source_map::SourceMap;
use crate::{DataType, Format, Input, InputColumn, InputSource, policy};

const INPUT_FIELDS: &[&str] = &["name", "source", "product", "columns"];
const FORMATS: &str = "csv | json | parquet";

/// `None` when some input is invalid (already reported).
pub(crate) fn read_inputs(
    top: &mut Mapping<'_, '_>,
    own_id: Option<&ProductId>,
    map: &mut SourceMap,
) -> Option<Vec<Input>> {
    let items = top.sequence("inputs", map);
    read_named_list(
        items,
        "input",
        map,
        |node, path, map| {
            let mut entry = Mapping::read(node, path, map)?;
            let input = read_input(&mut entry, own_id, map);
            entry.finish(INPUT_FIELDS, map);
            input
        },
        |input| &input.name,
    )
}

fn read_input(entry: &mut Mapping<'_, '_>, own_id: Option<&ProductId>, map: &mut SourceMap) -> Option<Input> {
    let name = policy::required_name::<Name>(entry, "name", map);
    let product_path = entry.field_path("product");
    let product = entry.text("product", map);
    let source = entry.mapping("source", map);
    let source = match (product, source) {
        (Some(_), Some(_)) => {
            map.report(&product_path, "an input has either a `source` or a `product`, not both");
            None
        }
        (Some(text), None) => read_product_input(&text, &product_path, own_id, map),
        (None, Some(source)) => read_source(source, map),
        (None, None) => {
            if !map.has_problem_within(&entry.path) {
                map.report(
                    &entry.path,
                    "an input needs a `source` (file, url, object, stream) or a `product`",
                );
            }
            None
        }
    };
    let columns = read_input_columns(entry, map);
    Some(Input {
        name: name?,
        source: source?,
        columns,
    })
}

/// `columns: { amount: decimal(12,2), ordered_at: timestamp }`: declared types of input columns.
fn read_input_columns(entry: &mut Mapping<'_, '_>, map: &mut SourceMap) -> Vec<InputColumn> {
    let Some(mut columns) = entry.mapping("columns", map) else {
        return Vec::new();
    };
    let mut declared = Vec::new();
    for key in columns.keys() {
        if columns.was_used(&key) {
            continue;
        }
        let path = columns.field_path(&key);
        let Some(text) = columns.text(&key, map) else {
            if !map.has_problem_within(&path) {
                map.report(&path, format!("column `{key}` needs a type, e.g. `{key}: int64`"));
            }
            continue;
        };
        let text = columns.rejoin_flow_split(&text).unwrap_or(text);
        match text.parse::<DataType>() {
            Ok(data_type) => declared.push(InputColumn { name: key, data_type }),
            Err(error) => map.report(&path, error.to_string()),
        }
    }
    columns.finish(&[], map);
    declared
}

/// `<domain>.<product>` (its first output) or `<domain>.<product>.<output>`.
fn read_product_input(text: &str, path: &str, own_id: Option<&ProductId>, map: &mut SourceMap) -> Option<InputSource> {
    let (product_text, output) = match text.trim().rsplit_once('.') {
        Some((head, last)) if head.contains('.') => (head, Some(last)),
        _ => (text, None),
    };
    let product = policy::product_id(product_text, path, map)?;
    let output = match output {
        Some(output) => Some(policy::name::<Name>(output, path, map)?),
        None => None,
    };
    if own_id == Some(&product) {
        map.report(path, "a product cannot read its own output");
        return None;
    }
    Some(InputSource::Product { product, output })
}

fn read_source(mut source: Mapping<'_, '_>, map: &mut SourceMap) -> Option<InputSource> {
    let kind_path = source.field_path("kind");
    let kind = source.text("kind", map);
    let read = match kind.as_deref() {
        Some("file") => read_located(&mut source, "path", map, check_relative_path)
            .map(|(format, path)| InputSource::File { format, path }),
        Some("url") => read_located(&mut source, "url", map, policy::http_url)
            .map(|(format, url)| InputSource::Url { format, url }),
        Some("object") => read_located(&mut source, "uri", map, check_object_uri)
            .map(|(format, uri)| InputSource::Object { format, uri }),
        Some("stream") => Some(InputSource::Stream),
        Some(other) => {
            map.report(
                &kind_path,
                format!("unknown source kind `{other}`; expected file | url | object | stream"),
            );
            None
        }
        None => {
            if !map.has_problem_within(&kind_path) {
                map.report(&kind_path, "a source needs its `kind`: file | url | object | stream");
            }
            None
        }
    };
    let known: &[&str] = match kind.as_deref() {
        Some("file") => &["kind", "format", "path"],
        Some("url") => &["kind", "format", "url"],
        Some("object") => &["kind", "format", "uri"],
        Some("stream") => &["kind"],
        _ => &["kind", "format", "path", "url", "uri"],
    };
    // Fields of the other kinds are reported as unknown.
    source.finish(known, map);
    read
}

/// Reads the location field (`path`, `url` or `uri`) and the format, inferred from the location's
/// extension when `format` is absent.
fn read_located(
    source: &mut Mapping<'_, '_>,
    location_key: &str,
    map: &mut SourceMap,
    check: fn(&str) -> Result<String, String>,
) -> Option<(Format, String)> {
    let location_path = source.field_path(location_key);
    let location = source.checked(location_key, map, check);
    if location.is_none() && !map.has_problem_within(&location_path) {
        map.report(&location_path, format!("this source needs its `{location_key}`"));
    }
    let format_path = source.field_path("format");
    let format = match source.text("format", map) {
        Some(text) => parse_format(&text).or_else(|| {
            map.report(&format_path, format!("unknown format `{text}`; expected {FORMATS}"));
            None
        }),
        None => {
            let inferred = location.as_deref().and_then(format_from_extension);
            if inferred.is_none() && location.is_some() {
                map.report(
                    &format_path,
                    format!("missing `format` ({FORMATS}); it cannot be told from the name"),
                );
            }
            inferred
        }
    };
    Some((format?, location?))
}

fn parse_format(text: &str) -> Option<Format> {
    match text {
        "csv" => Some(Format::Csv),
        "json" => Some(Format::Json),
        "parquet" => Some(Format::Parquet),
        _ => None,
    }
}

fn format_from_extension(location: &str) -> Option<Format> {
    let file_name = location.rsplit('/').next()?.split(['?', '#']).next()?;
    let extension = file_name.rsplit_once('.')?.1.to_ascii_lowercase();
    match extension.as_str() {
        "csv" => Some(Format::Csv),
        "json" | "jsonl" | "ndjson" => Some(Format::Json),
        "parquet" => Some(Format::Parquet),
        _ => None,
    }
}

fn check_relative_path(path: &str) -> Result<String, String> {
    let trimmed = path.trim();
    if trimmed.is_empty() {
        return Err("`path` must not be empty".into());
    }
    if trimmed.starts_with('/') || trimmed.contains(":\\") {
        return Err(format!(
            "`{trimmed}` is absolute; a file path is relative to the descriptor"
        ));
    }
    if leaves_its_folder(trimmed) {
        return Err(format!(
            "`{trimmed}` leaves the descriptor's folder; a file input reads only under it (policy: data fence)"
        ));
    }
    Ok(trimmed.to_owned())
}

/// Whether a relative path climbs above its starting folder (`../x`, `a/../../x`).
fn leaves_its_folder(path: &str) -> bool {
    let mut depth: i64 = 0;
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            _ => depth += 1,
        }
    }
    false
}

fn check_object_uri(uri: &str) -> Result<String, String> {
    let parsed = url::Url::parse(uri.trim()).map_err(|error| format!("`{uri}` is not a URI: {error}"))?;
    match parsed.scheme() {
        "file" => Err(format!(
            "`{uri}` is a local file; `object` inputs read object stores, and a file is read by a `file` input under the descriptor's folder (policy: data fence)"
        )),
        "s3" | "s3a" | "gs" | "az" | "abfs" | "abfss" => Ok(parsed.to_string()),
        other => Err(format!(
            "unsupported object store scheme `{other}`; expected e.g. s3://bucket/key"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_names() {
        assert_eq!(format_from_extension("data/orders.csv"), Some(Format::Csv));
        assert_eq!(format_from_extension("https://x.org/e.jsonl?v=2"), Some(Format::Json));
        assert_eq!(format_from_extension("s3://b/p/part-0.PARQUET"), Some(Format::Parquet));
        assert_eq!(format_from_extension("data/orders"), None);
    }

    #[test]
    fn file_paths_stay_in_their_folder() {
        for inside in ["data/orders.csv", "./a.csv", "a/../b.csv", "a/b/../../c.csv"] {
            assert!(check_relative_path(inside).is_ok(), "{inside}");
        }
        for outside in ["../x.csv", "../../../../../../etc/hostname", "a/../../x.csv", "./../x"] {
            let refused = check_relative_path(outside).expect_err(outside);
            assert!(refused.contains("leaves the descriptor's folder"), "{refused}");
        }
        assert!(check_object_uri("file:///tmp/x.parquet").is_err());
        assert!(check_object_uri("s3://bucket/x.parquet").is_ok());
    }
}
