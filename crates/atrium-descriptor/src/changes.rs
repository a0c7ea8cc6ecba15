//! What changed between two revisions of a descriptor, one line each, for deploy output and the
//! revision history.

use std::collections::BTreeMap;
use std::fmt::Debug;

use crate::{Column, Descriptor, Input, Output, QualityCheck};

/// The differences from `old` to `new`; empty when the two are the same product.
pub fn describe_changes(old: &Descriptor, new: &Descriptor) -> Vec<String> {
    let mut changes = Vec::new();
    let (old_meta, new_meta) = (&old.metadata, &new.metadata);
    field(&mut changes, "title", &old_meta.title, &new_meta.title);
    field(&mut changes, "owner", &old_meta.owner, &new_meta.owner);
    field(
        &mut changes,
        "status",
        &old_meta.status.as_str(),
        &new_meta.status.as_str(),
    );
    field(
        &mut changes,
        "visibility",
        &old_meta.visibility.as_str(),
        &new_meta.visibility.as_str(),
    );
    if old_meta.description != new_meta.description {
        changes.push("description changed".to_owned());
    }
    if old_meta.tags != new_meta.tags {
        changes.push(format!(
            "tags: [{}] → [{}]",
            old_meta.tags.join(", "),
            new_meta.tags.join(", ")
        ));
    }
    keyed(
        &mut changes,
        "input",
        &old.inputs,
        &new.inputs,
        |i: &Input| i.name.to_string(),
        |_, _| Vec::new(),
    );
    if old.transform != new.transform {
        changes.push("transform sql changed".to_owned());
    }
    keyed(
        &mut changes,
        "output",
        &old.outputs,
        &new.outputs,
        |o: &Output| o.name.to_string(),
        output_changes,
    );
    field(
        &mut changes,
        "schedule",
        &old.schedule.as_ref().map(|s| &s.cron),
        &new.schedule.as_ref().map(|s| &s.cron),
    );
    if old.slo != new.slo {
        changes.push("slo changed".to_owned());
    }
    changes
}

fn output_changes(old: &Output, new: &Output) -> Vec<String> {
    let mut changes = Vec::new();
    if old.description != new.description {
        changes.push("description changed".to_owned());
    }
    if old.sql != new.sql {
        changes.push("sql changed".to_owned());
    }
    keyed(
        &mut changes,
        "column",
        &old.columns,
        &new.columns,
        |c: &Column| c.name.to_string(),
        column_changes,
    );
    keyed(
        &mut changes,
        "quality check",
        &old.quality,
        &new.quality,
        |q: &QualityCheck| q.name.to_string(),
        |_, _| Vec::new(),
    );
    changes
}

fn column_changes(old: &Column, new: &Column) -> Vec<String> {
    let mut changes = Vec::new();
    field(
        &mut changes,
        "type",
        &old.data_type.to_string(),
        &new.data_type.to_string(),
    );
    field(&mut changes, "required", &old.required, &new.required);
    field(
        &mut changes,
        "classification",
        &old.classification.map(|c| c.as_str()),
        &new.classification.map(|c| c.as_str()),
    );
    field(
        &mut changes,
        "pii",
        &old.pii.map(|p| p.as_str()),
        &new.pii.map(|p| p.as_str()),
    );
    if old.description != new.description {
        changes.push("description changed".to_owned());
    }
    changes
}

fn field<T: PartialEq + Debug>(changes: &mut Vec<String>, name: &str, old: &T, new: &T) {
    if old != new {
        changes.push(format!("{name}: {} → {}", show(old), show(new)));
    }
}

/// Debug output without the quotes and `Some(..)` wrappers that mean nothing to a reader.
fn show<T: Debug>(value: &T) -> String {
    let text = format!("{value:?}");
    let text = text
        .strip_prefix("Some(")
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or(&text);
    if text == "None" {
        "none".to_owned()
    } else {
        text.trim_matches('"').to_owned()
    }
}

/// Added, removed and changed items of a list keyed by name; `inner` details a changed item.
fn keyed<T: PartialEq>(
    changes: &mut Vec<String>,
    what: &str,
    old: &[T],
    new: &[T],
    key: impl Fn(&T) -> String,
    inner: impl Fn(&T, &T) -> Vec<String>,
) {
    let old_by_key: BTreeMap<String, &T> = old.iter().map(|item| (key(item), item)).collect();
    let new_by_key: BTreeMap<String, &T> = new.iter().map(|item| (key(item), item)).collect();
    for (name, item) in &new_by_key {
        match old_by_key.get(name) {
            None => changes.push(format!("{what} `{name}` added")),
            Some(previous) if *previous != *item => {
                let details = inner(previous, item);
                if details.is_empty() {
                    changes.push(format!("{what} `{name}` changed"));
                }
                changes.extend(details.into_iter().map(|detail| format!("{what} `{name}`: {detail}")));
            }
            Some(_) => {}
        }
    }
    for name in old_by_key.keys().filter(|name| !new_by_key.contains_key(*name)) {
        changes.push(format!("{what} `{name}` removed"));
    }
}
