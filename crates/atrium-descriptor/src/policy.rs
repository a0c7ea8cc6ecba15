//! The global policies of the platform, enforced at deploy: metadata completeness, column
//! classification, PII handling, and the naming rule. Each message names its policy.

use std::str::FromStr;

use atrium_types::{Classification, NameError, PiiHandling, ProductId, Visibility};

use crate::reader::Mapping;
use crate::source_map::SourceMap;
use crate::{Column, DataType, Input, Output, Transform};

/// Parses a name under the naming rule, reporting a violation at `path`.
pub(crate) fn name<T: FromStr<Err = NameError>>(text: &str, path: &str, map: &mut SourceMap) -> Option<T> {
    match text.parse() {
        Ok(name) => Some(name),
        Err(error) => {
            map.report(path, format!("`{text}` {error} (policy: naming)"));
            None
        }
    }
}

pub(crate) fn product_id(text: &str, path: &str, map: &mut SourceMap) -> Option<ProductId> {
    name::<ProductId>(text, path, map)
}

/// A name field that must be present.
pub(crate) fn required_name<T: FromStr<Err = NameError>>(
    entry: &mut Mapping<'_, '_>,
    key: &str,
    map: &mut SourceMap,
) -> Option<T> {
    let path = entry.field_path(key);
    match entry.text(key, map) {
        Some(text) => name(&text, &path, map),
        None => {
            if !map.has_problem_within(&path) {
                map.report(&path, format!("missing required field `{key}`"));
            }
            None
        }
    }
}

/// `title`, `owner` and `description` of the metadata (policy: metadata completeness).
pub(crate) fn required_metadata(metadata: &mut Mapping<'_, '_>, key: &str, map: &mut SourceMap) -> Option<String> {
    required_complete(metadata, key, "every product needs", map)
}

/// The `description` of an output port (policy: metadata completeness).
pub(crate) fn required_output_description(entry: &mut Mapping<'_, '_>, map: &mut SourceMap) -> Option<String> {
    required_complete(entry, "description", "every output needs", map)
}

fn required_complete(entry: &mut Mapping<'_, '_>, key: &str, who: &str, map: &mut SourceMap) -> Option<String> {
    let path = entry.field_path(key);
    match entry.text(key, map) {
        Some(text) if !text.trim().is_empty() => Some(text),
        Some(_) => {
            map.report(
                &path,
                format!("`{key}` is empty; {who} a `{key}` (policy: metadata completeness)"),
            );
            None
        }
        None => {
            if !map.has_problem_within(&path) {
                map.report(
                    &path,
                    format!("missing `{key}`; {who} a `{key}` (policy: metadata completeness)"),
                );
            }
            None
        }
    }
}

/// Classification and PII handling of one column.
pub(crate) fn check_column(column: &Column, path: &str, visibility: Option<Visibility>, map: &mut SourceMap) {
    let classification_path = format!("{path}.classification");
    let pii_path = format!("{path}.pii");
    if map.has_problem_within(&classification_path) || map.has_problem_within(&pii_path) {
        return; // The value itself was wrong; that is reported already.
    }
    if column.data_type.holds_text() && column.classification.is_none() {
        map.report(
            &classification_path,
            format!(
                "column `{}` is text and needs a `classification` ({}) (policy: classification)",
                column.name,
                Classification::choices()
            ),
        );
    }
    match (column.classification, column.pii) {
        (Some(Classification::Pii), None) => map.report(
            &pii_path,
            format!(
                "column `{}` is classified pii and must say how it is handled: `pii: {}` (policy: pii handling)",
                column.name,
                PiiHandling::choices()
            ),
        ),
        (Some(other), Some(_)) if other != Classification::Pii => map.report(
            &pii_path,
            format!("`pii` handling applies only to columns classified `pii`, this one is `{other}`"),
        ),
        (None, Some(_)) => map.report(&pii_path, "`pii` handling needs `classification: pii`"),
        _ => {}
    }
    match column.pii {
        Some(PiiHandling::Keep) if visibility.is_some_and(|v| v != Visibility::Restricted) => map.report(
            &pii_path,
            format!(
                "`pii: keep` is allowed only on restricted products, this one is `{}` (policy: pii handling)",
                visibility.map(Visibility::as_str).unwrap_or_default()
            ),
        ),
        Some(handling @ (PiiHandling::Hash | PiiHandling::Mask)) if column.data_type != DataType::String => map.report(
            &pii_path,
            format!(
                "`pii: {handling}` writes text, so column `{}` must have type `string`, not `{}`",
                column.name, column.data_type
            ),
        ),
        _ => {}
    }
}

/// Without a transform, the single input is the single output.
pub(crate) fn check_pipeline_shape(
    inputs: &[Input],
    transform: Option<&Transform>,
    outputs: &[Output],
    map: &mut SourceMap,
) {
    let without_sql: Vec<usize> = (0..outputs.len()).filter(|&i| outputs[i].sql.is_none()).collect();
    if let [_, second, ..] = without_sql.as_slice() {
        map.report(
            &format!("outputs[{second}]"),
            format!(
                "{} outputs have no `sql`; with several outputs, each but one needs its own `sql` \
                 (the one without takes the {})",
                without_sql.len(),
                if transform.is_some() {
                    "transform"
                } else {
                    "single input"
                }
            ),
        );
    }
    match (transform, without_sql.is_empty()) {
        (Some(_), true) => map.report(
            "transform",
            "every output has its own `sql`, so this transform would never run; remove it, or remove one output's `sql`",
        ),
        (None, false) if inputs.len() > 1 => map.report(
            "inputs",
            format!(
                "{} inputs need a `transform` that combines them (or `sql` on every output)",
                inputs.len()
            ),
        ),
        _ => {}
    }
    // An output's `sql` reads the inputs and the outputs before it by name: no name may be both.
    if outputs.iter().any(|output| output.sql.is_some()) {
        for (index, output) in outputs.iter().enumerate() {
            if inputs.iter().any(|input| input.name == output.name) {
                map.report(
                    &format!("outputs[{index}].name"),
                    format!(
                        "`{}` is also an input's name; an output's `sql` could not tell them apart",
                        output.name
                    ),
                );
            }
        }
    }
}

/// An `http(s)` URL.
pub fn http_url(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text.trim()).map_err(|error| format!("`{text}` is not a URL: {error}"))?;
    match url.scheme() {
        "http" | "https" => Ok(url.to_string()),
        other => Err(format!("`{text}` must be an http or https URL, not `{other}`")),
    }
}
