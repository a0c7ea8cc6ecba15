//! A cursor over the YAML node tree that reads typed fields and reports every mistake it meets
//! (wrong type, unknown field, bad value) into the [`SourceMap`] instead of stopping at the first.

use std::collections::HashSet;
use std::str::FromStr;

use atrium_types::Name;
use saphyr::{MarkedYaml, Scalar, YamlData};

use crate::source_map::{Position, SourceMap, child_path, item_path};

pub(crate) type Node<'input> = MarkedYaml<'input>;

pub(crate) fn position_of(node: &Node<'_>) -> Position {
    Position {
        line: node.span.start.line().max(1),
        column: node.span.start.col() + 1,
    }
}

/// A YAML mapping being read: remembers which keys were used to report the unknown ones.
pub(crate) struct Mapping<'tree, 'input> {
    pub path: String,
    entries: Vec<(String, &'tree Node<'input>, Position)>,
    used: HashSet<String>,
}

impl<'tree, 'input> Mapping<'tree, 'input> {
    /// Reads `node` as a mapping, reporting it if it is something else.
    pub fn read(node: &'tree Node<'input>, path: &str, map: &mut SourceMap) -> Option<Self> {
        map.record(path, position_of(node));
        let YamlData::Mapping(pairs) = &node.data else {
            map.report_at(
                path,
                position_of(node),
                format!("expected a mapping, found {}", describe(node)),
            );
            return None;
        };
        let mut entries = Vec::with_capacity(pairs.len());
        for (key, value) in pairs {
            let Some(key_text) = scalar_text(key) else {
                map.report_at(path, position_of(key), "mapping keys must be plain text");
                continue;
            };
            let field = child_path(path, &key_text);
            // Scalars point at their value; missing values and collections at their key, so that a
            // field missing inside `metadata:` points at that line.
            let at = if is_null(value) || is_collection(value) {
                position_of(key)
            } else {
                position_of(value)
            };
            map.record(&field, at);
            entries.push((key_text, value, position_of(key)));
        }
        Some(Self {
            path: path.to_owned(),
            entries,
            used: HashSet::new(),
        })
    }

    /// The value at `key`, if present and not null.
    pub fn get(&mut self, key: &str) -> Option<(&'tree Node<'input>, String)> {
        self.used.insert(key.to_owned());
        self.entries
            .iter()
            .find(|(name, value, _)| name == key && !is_null(value))
            .map(|(_, value, _)| (*value, child_path(&self.path, key)))
    }

    /// The keys, in the file's order.
    pub fn keys(&self) -> Vec<String> {
        self.entries.iter().map(|(key, _, _)| key.clone()).collect()
    }

    pub fn was_used(&self, key: &str) -> bool {
        self.used.contains(key)
    }

    pub fn field_path(&self, key: &str) -> String {
        child_path(&self.path, key)
    }

    /// Mends a type that a YAML flow mapping split at its comma: `{ type: decimal(12,2) }` reads
    /// as `type: "decimal(12"` plus a key `2)` without value. The spec writes decimals this way,
    /// so the two halves are joined again here.
    pub fn rejoin_flow_split(&mut self, head: &str) -> Option<String> {
        if !head.starts_with("decimal(") || head.contains(')') {
            return None;
        }
        let (tail, _, _) = self.entries.iter().find(|(key, value, _)| {
            is_null(value)
                && key
                    .strip_suffix(')')
                    .is_some_and(|digits| digits.trim().parse::<u8>().is_ok())
        })?;
        let tail = tail.clone();
        let joined = format!("{head},{tail}");
        self.used.insert(tail);
        Some(joined)
    }

    /// Reports the keys that are neither read nor `known`.
    pub fn finish(self, known: &[&str], map: &mut SourceMap) {
        for (key, _, at) in &self.entries {
            if self.used.contains(key) || known.contains(&key.as_str()) {
                continue;
            }
            let field = child_path(&self.path, key);
            let hint = closest(key, known)
                .map(|candidate| format!("; did you mean `{candidate}`?"))
                .unwrap_or_else(|| format!("; expected one of {}", known.join(", ")));
            map.report_at(&field, *at, format!("unknown field `{key}`{hint}"));
        }
    }

    /// A text field; numbers and booleans are taken as their text.
    pub fn text(&mut self, key: &str, map: &mut SourceMap) -> Option<String> {
        let (node, path) = self.get(key)?;
        match scalar_text(node) {
            Some(text) => Some(text),
            None => {
                map.report_at(
                    &path,
                    position_of(node),
                    format!("expected text, found {}", describe(node)),
                );
                None
            }
        }
    }

    /// A text field that must be present and not blank.
    pub fn required_text(&mut self, key: &str, map: &mut SourceMap) -> Option<String> {
        let path = self.field_path(key);
        let value = self.text(key, map);
        match value {
            Some(text) if !text.trim().is_empty() => Some(text),
            Some(_) => {
                map.report(&path, format!("`{key}` must not be empty"));
                None
            }
            None if map.has_problem_within(&path) => None,
            None => {
                map.report(&path, format!("missing required field `{key}`"));
                None
            }
        }
    }

    pub fn boolean(&mut self, key: &str, map: &mut SourceMap) -> Option<bool> {
        let (node, path) = self.get(key)?;
        match &node.data {
            YamlData::Value(Scalar::Boolean(value)) => Some(*value),
            _ => {
                map.report_at(
                    &path,
                    position_of(node),
                    format!("expected true or false, found {}", describe(node)),
                );
                None
            }
        }
    }

    /// A field whose text must parse as `T`; `expected` names the accepted values.
    pub fn parsed<T: FromStr>(&mut self, key: &str, expected: &str, map: &mut SourceMap) -> Option<T> {
        let path = self.field_path(key);
        let text = self.text(key, map)?;
        match text.parse() {
            Ok(value) => Some(value),
            Err(_) => {
                map.report(&path, format!("`{text}` is not valid; expected {expected}"));
                None
            }
        }
    }

    /// A field whose text is checked by `parse`, which explains what is wrong.
    pub fn checked<T, E: std::fmt::Display>(
        &mut self,
        key: &str,
        map: &mut SourceMap,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let path = self.field_path(key);
        let text = self.text(key, map)?;
        match parse(&text) {
            Ok(value) => Some(value),
            Err(error) => {
                map.report(&path, error.to_string());
                None
            }
        }
    }

    /// A sequence field: its items with their paths. A missing field is an empty sequence.
    pub fn sequence(&mut self, key: &str, map: &mut SourceMap) -> Vec<(&'tree Node<'input>, String)> {
        let Some((node, path)) = self.get(key) else {
            return Vec::new();
        };
        let YamlData::Sequence(items) = &node.data else {
            map.report_at(
                &path,
                position_of(node),
                format!("expected a list, found {}", describe(node)),
            );
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let item_at = item_path(&path, index);
                map.record(&item_at, position_of(item));
                (item, item_at)
            })
            .collect()
    }

    /// A nested mapping field.
    pub fn mapping(&mut self, key: &str, map: &mut SourceMap) -> Option<Mapping<'tree, 'input>> {
        let (node, path) = self.get(key)?;
        Mapping::read(node, &path, map)
    }

    /// The raw node of a field, for values of several shapes.
    pub fn node(&mut self, key: &str) -> Option<(&'tree Node<'input>, String)> {
        self.get(key)
    }
}

fn is_collection(node: &Node<'_>) -> bool {
    matches!(node.data, YamlData::Mapping(_) | YamlData::Sequence(_))
}

/// Reads each item of a list with `read`, and reports a name declared twice (`what` names the
/// kind of item in the message). `None` when any item is invalid (already reported).
pub(crate) fn read_named_list<'tree, 'input, T>(
    items: Vec<(&'tree Node<'input>, String)>,
    what: &str,
    map: &mut SourceMap,
    mut read: impl FnMut(&'tree Node<'input>, &str, &mut SourceMap) -> Option<T>,
    name_of: impl Fn(&T) -> &Name,
) -> Option<Vec<T>> {
    let mut read_items = Vec::with_capacity(items.len());
    let mut all_valid = true;
    let mut seen = HashSet::new();
    for (node, path) in items {
        match read(node, &path, map) {
            Some(item) if !seen.insert(name_of(&item).clone()) => {
                map.report(
                    &format!("{path}.name"),
                    format!("{what} `{}` is declared twice", name_of(&item)),
                );
                all_valid = false;
            }
            Some(item) => read_items.push(item),
            None => all_valid = false,
        }
    }
    all_valid.then_some(read_items)
}

pub(crate) fn is_null(node: &Node<'_>) -> bool {
    matches!(node.data, YamlData::Value(Scalar::Null))
}

/// The text of a scalar node; `None` for collections and null.
pub(crate) fn scalar_text(node: &Node<'_>) -> Option<String> {
    match &node.data {
        YamlData::Value(Scalar::String(text)) => Some(text.to_string()),
        YamlData::Value(Scalar::Integer(value)) => Some(value.to_string()),
        YamlData::Value(Scalar::FloatingPoint(value)) => Some(value.to_string()),
        YamlData::Value(Scalar::Boolean(value)) => Some(value.to_string()),
        YamlData::Representation(text, _, _) => Some(text.to_string()),
        _ => None,
    }
}

/// A short description of a node's shape for messages: "a list", "a mapping", "`42`".
pub(crate) fn describe(node: &Node<'_>) -> String {
    match &node.data {
        YamlData::Mapping(_) => "a mapping".into(),
        YamlData::Sequence(_) => "a list".into(),
        YamlData::Value(Scalar::Null) => "nothing".into(),
        YamlData::Tagged(tag, _) => format!("a value tagged `{tag}`"),
        YamlData::Alias(_) | YamlData::BadValue => "an unreadable value".into(),
        _ => scalar_text(node)
            .map(|text| format!("`{text}`"))
            .unwrap_or_else(|| "a value".into()),
    }
}

/// The known key nearest to a misspelt one, if it is near enough to be a typo.
fn closest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|candidate| (edit_distance(key, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_field() {
        assert_eq!(
            closest("clasification", &["classification", "pii", "name"]),
            Some("classification")
        );
        assert_eq!(closest("colour", &["classification", "pii", "name"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
