//! Reads a descriptor document into the model: the top level, metadata, transform, schedule and
//! SLO here; inputs and outputs in their own modules.

use atrium_types::{Diagnostic, DomainName, ProductId, ProductStatus, Visibility};
use croner::parser::{CronParser, Seconds};
use saphyr::{LoadableYamlNode, MarkedYaml, YamlData};

use crate::parse_inputs::read_inputs;
use crate::parse_outputs::read_outputs;
use crate::policy;
use crate::reader::{Mapping, Node};
use crate::source_map::{Position, SourceMap};
use crate::{API_VERSION, Descriptor, KIND, Metadata, Schedule, Slo, Transform};

const TOP_LEVEL_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "inputs",
    "transform",
    "outputs",
    "schedule",
    "slo",
];
const METADATA_FIELDS: &[&str] = &[
    "id",
    "title",
    "domain",
    "owner",
    "description",
    "tags",
    "status",
    "visibility",
];

/// Parses and validates one descriptor. `file` names the source in the diagnostics.
///
/// Every problem of the file comes back at once, sorted by position.
pub fn parse_descriptor(source: &str, file: Option<&str>) -> Result<Descriptor, Vec<Diagnostic>> {
    let mut map = SourceMap::new(file);
    let documents = match MarkedYaml::load_from_str(source) {
        Ok(documents) => documents,
        Err(error) => {
            let marker = error.marker();
            let at = Position {
                line: marker.line().max(1),
                column: marker.col() + 1,
            };
            map.report_at("", at, format!("invalid YAML: {}", error.info()));
            return Err(map.into_problems());
        }
    };
    let root = match documents.as_slice() {
        [root] if !matches!(root.data, YamlData::BadValue) => root,
        [] | [_] => {
            map.report("", "the descriptor is empty");
            return Err(map.into_problems());
        }
        [_, second, ..] => {
            let at = crate::reader::position_of(second);
            map.report_at("", at, "expected one descriptor per file, found several YAML documents");
            return Err(map.into_problems());
        }
    };
    let descriptor = read_document(root, &mut map);
    match descriptor {
        Some(descriptor) if map.is_clean() => Ok(descriptor),
        _ => Err(map.into_problems()),
    }
}

/// Where `path` (e.g. `inputs[1].product`) is in a descriptor's text, as `(line, column)` from 1:
/// for problems found after parsing, by whoever knows more than the file (the other products).
pub fn locate_field(source: &str, path: &str) -> (usize, usize) {
    let mut map = SourceMap::new(None);
    if let Ok(documents) = MarkedYaml::load_from_str(source)
        && let [root] = documents.as_slice()
    {
        let _ = read_document(root, &mut map);
    }
    let at = map.locate(path);
    (at.line, at.column)
}

fn read_document(root: &Node<'_>, map: &mut SourceMap) -> Option<Descriptor> {
    let mut top = Mapping::read(root, "", map)?;
    let header_ok = read_header(&mut top, map);
    let draft = match top.mapping("metadata", map) {
        Some(metadata) => read_metadata(metadata, map),
        None => {
            if !map.has_problem_within("metadata") {
                map.report("metadata", "missing required field `metadata`");
            }
            MetadataDraft::default()
        }
    };
    let visibility = draft.visibility;
    let inputs = read_inputs(&mut top, draft.id.as_ref(), map);
    let transform = read_transform(&mut top, map);
    let outputs = read_outputs(&mut top, visibility, map);
    let schedule = read_schedule(&mut top, map);
    let slo = read_slo(&mut top, map);
    if let (Some(inputs), Some(outputs)) = (&inputs, &outputs) {
        policy::check_pipeline_shape(inputs, transform.as_ref(), outputs, map);
    }
    top.finish(TOP_LEVEL_FIELDS, map);
    Some(Descriptor {
        metadata: draft.metadata?,
        inputs: inputs?,
        transform,
        outputs: outputs?,
        schedule: schedule.ok()?,
        slo: slo.ok()?,
    })
    .filter(|_| header_ok)
}

fn read_header(top: &mut Mapping<'_, '_>, map: &mut SourceMap) -> bool {
    let mut ok = true;
    for (key, expected) in [("apiVersion", API_VERSION), ("kind", KIND)] {
        let path = top.field_path(key);
        match top.text(key, map) {
            Some(value) if value == expected => {}
            Some(value) => {
                map.report(&path, format!("unsupported {key} `{value}`; expected `{expected}`"));
                ok = false;
            }
            None => {
                if !map.has_problem_within(&path) {
                    map.report(&path, format!("missing required field `{key}` (`{key}: {expected}`)"));
                }
                ok = false;
            }
        }
    }
    ok
}

/// What was read of `metadata`: the id and visibility on their own, because later checks need
/// them even when another metadata field is wrong.
#[derive(Default)]
struct MetadataDraft {
    id: Option<ProductId>,
    visibility: Option<Visibility>,
    metadata: Option<Metadata>,
}

fn read_metadata(mut metadata: Mapping<'_, '_>, map: &mut SourceMap) -> MetadataDraft {
    let id_path = metadata.field_path("id");
    let id = match metadata.text("id", map) {
        Some(text) => policy::product_id(&text, &id_path, map),
        None => {
            if !map.has_problem_within(&id_path) {
                map.report(&id_path, "missing required field `id` (`<domain>.<name>`)");
            }
            None
        }
    };
    let domain = read_domain(&mut metadata, id.as_ref(), map);
    let title = policy::required_metadata(&mut metadata, "title", map);
    let owner = policy::required_metadata(&mut metadata, "owner", map);
    let description = policy::required_metadata(&mut metadata, "description", map);
    let tags = read_tags(&mut metadata, map);
    let status = metadata
        .parsed::<ProductStatus>("status", &ProductStatus::choices(), map)
        .unwrap_or(ProductStatus::Active);
    let visibility_path = metadata.field_path("visibility");
    let visibility = metadata.parsed::<Visibility>("visibility", &Visibility::choices(), map);
    let visibility = match visibility {
        None if !map.has_problem_within(&visibility_path) => Some(Visibility::Internal),
        read => read,
    };
    metadata.finish(METADATA_FIELDS, map);
    let complete = (|| {
        Some(Metadata {
            id: id.clone()?,
            title: title?,
            domain: domain?,
            owner: owner?,
            description: description?,
            tags,
            status,
            visibility: visibility?,
        })
    })();
    MetadataDraft {
        id,
        visibility,
        metadata: complete,
    }
}

/// The domain is the id's prefix; `metadata.domain`, when given, must agree with it.
fn read_domain(metadata: &mut Mapping<'_, '_>, id: Option<&ProductId>, map: &mut SourceMap) -> Option<DomainName> {
    let path = metadata.field_path("domain");
    let declared = metadata.text("domain", map);
    match (declared, id) {
        (Some(text), id) => {
            let domain = policy::name::<DomainName>(&text, &path, map)?;
            if let Some(id) = id.filter(|id| id.domain() != &domain) {
                map.report(
                    &path,
                    format!(
                        "domain `{domain}` does not match the id `{id}`, whose domain is `{}`",
                        id.domain()
                    ),
                );
                return None;
            }
            Some(domain)
        }
        (None, Some(id)) => Some(id.domain().clone()),
        (None, None) => None,
    }
}

fn read_tags(metadata: &mut Mapping<'_, '_>, map: &mut SourceMap) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for (node, path) in metadata.sequence("tags", map) {
        match crate::reader::scalar_text(node) {
            Some(tag) if !tag.trim().is_empty() && tag.len() <= 64 => {
                let tag = tag.trim().to_owned();
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
            _ => map.report(&path, "a tag is a non-empty text of at most 64 characters"),
        }
    }
    tags
}

fn read_transform(top: &mut Mapping<'_, '_>, map: &mut SourceMap) -> Option<Transform> {
    let mut transform = top.mapping("transform", map)?;
    let path = transform.field_path("sql");
    let sql = transform.text("sql", map);
    transform.finish(&["sql"], map);
    match sql {
        Some(sql) if !sql.trim().is_empty() => Some(Transform { sql }),
        _ => {
            if !map.has_problem_within(&path) {
                map.report(&path, "a transform needs its `sql`");
            }
            None
        }
    }
}

/// `Ok(None)` when absent, `Err(())` when invalid (already reported).
fn read_schedule(top: &mut Mapping<'_, '_>, map: &mut SourceMap) -> Result<Option<Schedule>, ()> {
    let path = top.field_path("schedule");
    let Some(cron) = top.text("schedule", map) else {
        return if map.has_problem_within(&path) {
            Err(())
        } else {
            Ok(None)
        };
    };
    let parser = CronParser::builder().seconds(Seconds::Disallowed).build();
    match parser.parse(cron.trim()) {
        Ok(_) => Ok(Some(Schedule {
            cron: cron.trim().to_owned(),
        })),
        Err(error) => {
            map.report(
                &path,
                format!(
                    "`{cron}` is not a valid cron schedule (five fields: minute hour day month weekday, UTC): {error}"
                ),
            );
            Err(())
        }
    }
}

fn read_slo(top: &mut Mapping<'_, '_>, map: &mut SourceMap) -> Result<Option<Slo>, ()> {
    let path = top.field_path("slo");
    let Some(mut slo) = top.mapping("slo", map) else {
        return if map.has_problem_within(&path) {
            Err(())
        } else {
            Ok(None)
        };
    };
    let freshness_path = slo.field_path("freshness");
    let freshness = slo.text("freshness", map);
    let alert_webhook = slo.mapping("alert", map).and_then(|mut alert| {
        let webhook = alert.checked("webhook", map, policy::http_url);
        alert.finish(&["webhook"], map);
        webhook
    });
    slo.finish(&["freshness", "alert"], map);
    let Some(freshness) = freshness else {
        if !map.has_problem_within(&freshness_path) {
            map.report(&freshness_path, "an slo needs its `freshness`, e.g. `24h`");
        }
        return Err(());
    };
    match humantime::parse_duration(freshness.trim()) {
        Ok(duration) if duration.as_secs() > 0 => Ok(Some(Slo {
            freshness: freshness.trim().to_owned(),
            freshness_seconds: duration.as_secs(),
            alert_webhook,
        })),
        _ => {
            map.report(
                &freshness_path,
                format!("`{freshness}` is not a duration; write e.g. `30m`, `24h` or `7d`"),
            );
            Err(())
        }
    }
}
