//! Where each field of a descriptor stands in its file, so that checks run after parsing (the
//! global policies) can still point at a line and column.

use std::collections::{HashMap, HashSet};

use atrium_types::Diagnostic;

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Position {
    pub line: usize,
    pub column: usize,
}

/// The positions of fields by path (`outputs[0].columns[2].type`), and the problems found so far.
#[derive(Debug, Default)]
pub(crate) struct SourceMap {
    file: Option<String>,
    positions: HashMap<String, Position>,
    problem_paths: HashSet<String>,
    problems: Vec<Diagnostic>,
}

impl SourceMap {
    pub fn new(file: Option<&str>) -> Self {
        Self {
            file: file.map(str::to_owned),
            ..Self::default()
        }
    }

    pub fn record(&mut self, path: &str, at: Position) {
        self.positions.entry(path.to_owned()).or_insert(at);
    }

    /// The position of `path`, or of its nearest recorded parent when the field is missing.
    pub fn locate(&self, path: &str) -> Position {
        let mut current = path;
        loop {
            if let Some(position) = self.positions.get(current) {
                return *position;
            }
            match current.rfind(['.', '[']) {
                Some(cut) => current = &current[..cut],
                None => {
                    return self
                        .positions
                        .get("")
                        .copied()
                        .unwrap_or(Position { line: 1, column: 1 });
                }
            }
        }
    }

    /// Reports a problem at a known position.
    pub fn report_at(&mut self, path: &str, at: Position, message: impl Into<String>) {
        self.problem_paths.insert(path.to_owned());
        self.problems.push(Diagnostic {
            file: self.file.clone(),
            line: at.line,
            column: at.column,
            field: path.to_owned(),
            message: message.into(),
        });
    }

    /// Reports a problem at the position recorded for `path` (or its parent).
    pub fn report(&mut self, path: &str, message: impl Into<String>) {
        let at = self.locate(path);
        self.report_at(path, at, message);
    }

    /// Whether a problem was already reported at `path` or below it; later checks skip such fields
    /// so that one mistake is reported once.
    pub fn has_problem_within(&self, path: &str) -> bool {
        self.problem_paths.iter().any(|reported| {
            reported == path
                || reported
                    .strip_prefix(path)
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        })
    }

    /// The problems in the order of the file.
    pub fn into_problems(mut self) -> Vec<Diagnostic> {
        self.problems.sort_by_key(|problem| (problem.line, problem.column));
        self.problems
    }

    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// `parent.key`, or `key` at the top.
pub(crate) fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// `parent[index]`.
pub(crate) fn item_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_fields_are_located_at_their_parent() {
        let mut map = SourceMap::new(Some("a.yaml"));
        map.record("outputs[0]", Position { line: 7, column: 5 });
        assert_eq!(
            map.locate("outputs[0].columns[1].type"),
            Position { line: 7, column: 5 }
        );
        assert_eq!(map.locate("slo"), Position { line: 1, column: 1 });
    }

    #[test]
    fn problems_within_a_path() {
        let mut map = SourceMap::new(None);
        map.report("outputs[0].columns[1].type", "bad");
        assert!(map.has_problem_within("outputs[0].columns[1]"));
        assert!(!map.has_problem_within("outputs[0].columns[10]"));
    }
}
