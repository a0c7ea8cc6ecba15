//! The rows being read, as text columns in chunks, and how they become typed batches: declared
//! types enforced value by value (a misfit sets its row aside), other columns inferred from every
//! value.

use std::collections::HashMap;
use std::sync::Arc;

use deltalake::arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray, StringBuilder};
use deltalake::arrow::compute::{CastOptions, can_cast_types, cast_with_options, filter};
use deltalake::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde_json::{Map, Value};

use super::{CHUNK_ROWS, Ingested, QUOTED_VALUE_CHARS, ReadRules, Rejection};
use crate::streams::protect_row;
use crate::{EngineError, Result};

/// What kinds of values a column has held, for inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ValueKind {
    /// No value yet (JSON).
    Absent,
    /// Untyped text (CSV): inferred from the text.
    Text,
    JsonString,
    JsonInteger,
    JsonFloat,
    JsonBool,
    /// Nested or mixed JSON values: kept as text.
    Mixed,
}

impl ValueKind {
    fn merge(self, other: ValueKind) -> ValueKind {
        use ValueKind::*;
        match (self, other) {
            (Absent, kind) | (kind, Absent) => kind,
            (a, b) if a == b => a,
            (JsonInteger, JsonFloat) | (JsonFloat, JsonInteger) => JsonFloat,
            _ => Mixed,
        }
    }
}

struct ColumnBuffer {
    name: String,
    kind: ValueKind,
    /// Finished chunks; a column first seen in a later chunk has fewer (filled with nulls).
    chunks: Vec<StringArray>,
    current: StringBuilder,
}

/// Rows being read, as text columns in chunks.
pub(super) struct TableBuffer {
    /// The files read; `source` is the one being read.
    sources: Vec<String>,
    source: usize,
    default_kind: ValueKind,
    columns: Vec<ColumnBuffer>,
    positions: HashMap<String, usize>,
    /// The source and line of each row, per chunk.
    lines: Vec<Vec<(usize, u64)>>,
    current_lines: Vec<(usize, u64)>,
    rejected: Vec<Rejection>,
}

impl TableBuffer {
    pub(super) fn new(source: &str, default_kind: ValueKind) -> Self {
        Self {
            sources: vec![source.to_owned()],
            source: 0,
            default_kind,
            columns: Vec::new(),
            positions: HashMap::new(),
            lines: Vec::new(),
            current_lines: Vec::new(),
            rejected: Vec::new(),
        }
    }

    pub(super) fn next_source(&mut self, source: &str) {
        self.sources.push(source.to_owned());
        self.source = self.sources.len() - 1;
    }

    pub(super) fn column_index(&mut self, name: &str) -> usize {
        if let Some(index) = self.positions.get(name) {
            return *index;
        }
        let mut current = StringBuilder::new();
        current.append_nulls(self.current_lines.len());
        self.columns.push(ColumnBuffer {
            name: name.to_owned(),
            kind: self.default_kind,
            chunks: Vec::new(),
            current,
        });
        self.positions.insert(name.to_owned(), self.columns.len() - 1);
        self.columns.len() - 1
    }

    /// Appends a row whose values are in column order.
    pub(super) fn push_row<'v>(&mut self, line: u64, values: impl Iterator<Item = Option<&'v str>>) {
        for (column, value) in self.columns.iter_mut().zip(values) {
            column.current.append_option(value);
        }
        self.end_row(line);
    }

    pub(super) fn push_object(&mut self, line: u64, object: Map<String, Value>) {
        let width_before = self.columns.len();
        let mut seen = vec![false; width_before];
        for (name, value) in object {
            let index = self.column_index(&name);
            if index >= seen.len() {
                seen.resize(index + 1, false);
            }
            if seen[index] {
                continue;
            }
            seen[index] = true;
            let column = &mut self.columns[index];
            let (text, kind) = match value {
                Value::Null => (None, ValueKind::Absent),
                Value::String(text) => (Some(text), ValueKind::JsonString),
                Value::Bool(flag) => (Some(flag.to_string()), ValueKind::JsonBool),
                Value::Number(number) if number.is_f64() => (Some(number.to_string()), ValueKind::JsonFloat),
                Value::Number(number) => (Some(number.to_string()), ValueKind::JsonInteger),
                nested => (Some(nested.to_string()), ValueKind::Mixed),
            };
            column.kind = column.kind.merge(kind);
            column.current.append_option(text);
        }
        for (index, column) in self.columns.iter_mut().enumerate() {
            if !seen.get(index).copied().unwrap_or(false) {
                column.current.append_null();
            }
        }
        self.end_row(line);
    }

    fn end_row(&mut self, line: u64) {
        self.current_lines.push((self.source, line));
        if self.current_lines.len() == CHUNK_ROWS {
            self.seal_chunk();
        }
    }

    fn seal_chunk(&mut self) {
        let rows = self.current_lines.len();
        let chunk = self.lines.len();
        for column in &mut self.columns {
            // A column first seen in this chunk gets all-null arrays for the earlier ones.
            while column.chunks.len() < chunk {
                let length = self.lines[column.chunks.len()].len();
                column.chunks.push(StringArray::new_null(length));
            }
            let array = column.current.finish();
            debug_assert_eq!(array.len(), rows);
            column.chunks.push(array);
        }
        self.lines.push(std::mem::take(&mut self.current_lines));
    }

    pub(super) fn reject(
        &mut self,
        line: u64,
        column: Option<String>,
        reason: String,
        fields: Option<Map<String, Value>>,
        rules: &ReadRules,
    ) {
        self.reject_from(self.source, line, column, reason, fields, rules);
    }

    fn reject_from(
        &mut self,
        source: usize,
        line: u64,
        column: Option<String>,
        reason: String,
        fields: Option<Map<String, Value>>,
        rules: &ReadRules,
    ) {
        let record = fields.map(|mut fields| {
            protect_row(&mut fields, &rules.pii, &rules.key);
            Value::Object(fields).to_string()
        });
        self.rejected.push(Rejection {
            source: self.sources[source].clone(),
            line,
            column,
            reason,
            record,
        });
    }

    /// Types every column, sets aside the rows with a value of the wrong type, and builds the batches.
    pub(super) fn finish(mut self, rules: &ReadRules) -> Result<Ingested> {
        if !self.current_lines.is_empty() || self.lines.is_empty() {
            self.seal_chunk();
        }
        let source = self.sources.join(", ");
        let mut fields = Vec::with_capacity(self.columns.len());
        // typed[column][chunk], plus the rows of each chunk that failed their declared type.
        let mut typed: Vec<Vec<ArrayRef>> = Vec::with_capacity(self.columns.len());
        let mut failures: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.lines.len()];
        for (column_index, column) in self.columns.iter().enumerate() {
            let (arrow, enforced, required) = match rules.declared.get(&column.name) {
                Some(declared) => (declared.arrow.clone(), true, declared.required),
                None => (infer(column.kind, &column.chunks), false, false),
            };
            if !can_cast_types(&DataType::Utf8, &arrow) {
                return Err(EngineError::Input {
                    input: source,
                    message: format!(
                        "column `{}`: values of type {arrow} cannot be read from text",
                        column.name
                    ),
                });
            }
            let mut arrays = Vec::with_capacity(column.chunks.len());
            for (chunk_index, chunk) in column.chunks.iter().enumerate() {
                let cast = cast_with_options(chunk, &arrow, &safe()).map_err(EngineError::arrow)?;
                if (enforced && cast.null_count() != chunk.null_count()) || (required && chunk.null_count() > 0) {
                    for row in 0..chunk.len() {
                        let wrong_type = chunk.is_valid(row) && cast.is_null(row);
                        if wrong_type || (required && chunk.is_null(row)) {
                            failures[chunk_index].push((row, column_index));
                        }
                    }
                }
                arrays.push(cast);
            }
            fields.push(Field::new(&column.name, arrow, true));
            typed.push(arrays);
        }
        let schema: SchemaRef = Arc::new(Schema::new(fields));
        let mut batches = Vec::with_capacity(self.lines.len());
        for (chunk_index, chunk_failures) in failures.iter_mut().enumerate() {
            let mut columns: Vec<ArrayRef> = typed.iter().map(|arrays| Arc::clone(&arrays[chunk_index])).collect();
            if !chunk_failures.is_empty() {
                chunk_failures.sort_unstable();
                let keep = self.reject_type_errors(chunk_index, chunk_failures, rules);
                columns = columns
                    .iter()
                    .map(|array| filter(array, &keep))
                    .collect::<Result<_, _>>()
                    .map_err(EngineError::arrow)?;
            }
            let rows = columns.first().map_or(0, |array| array.len());
            if rows == 0 {
                continue;
            }
            batches.push(RecordBatch::try_new(Arc::clone(&schema), columns).map_err(EngineError::arrow)?);
        }
        let (schema, batches) = if rules.input_is_output {
            drop_empty_undeclared(schema, batches, rules)?
        } else {
            (schema, batches)
        };
        let mut rejected = self.rejected;
        rejected.sort_by(|a, b| (&a.source, a.line).cmp(&(&b.source, b.line)));
        Ok(Ingested {
            schema,
            batches,
            rejected,
        })
    }

    /// Records one rejection per row of `failures` (sorted by row) and returns the rows to keep.
    fn reject_type_errors(&mut self, chunk: usize, failures: &[(usize, usize)], rules: &ReadRules) -> BooleanArray {
        let rows = self.lines[chunk].len();
        let mut keep = vec![true; rows];
        let mut start = 0;
        while start < failures.len() {
            let row = failures[start].0;
            let end = start + failures[start..].iter().take_while(|(other, _)| *other == row).count();
            keep[row] = false;
            let columns: Vec<usize> = failures[start..end].iter().map(|(_, column)| *column).collect();
            let first = &self.columns[columns[0]];
            let mut reason = if first.chunks[chunk].is_null(row) {
                "required, but the row has no value".to_owned()
            } else {
                let shown = if rules.pii.iter().any(|(name, _)| name == &first.name) {
                    "a value (withheld: PII column)".to_owned()
                } else {
                    format!("`{}`", quote(first.chunks[chunk].value(row)))
                };
                let label = rules
                    .declared
                    .get(&first.name)
                    .map_or_else(String::new, |declared| declared.label.clone());
                format!("{shown} is not a valid {label}")
            };
            if columns.len() > 1 {
                let others: Vec<String> = columns[1..]
                    .iter()
                    .map(|column| format!("`{}`", self.columns[*column].name))
                    .collect();
                reason.push_str(&format!("; so are the values of {}", others.join(", ")));
            }
            let fields: Map<String, Value> = self
                .columns
                .iter()
                .map(|column| {
                    let array = &column.chunks[chunk];
                    let value = if array.is_null(row) {
                        Value::Null
                    } else {
                        Value::String(array.value(row).to_owned())
                    };
                    (column.name.clone(), value)
                })
                .collect();
            let (source, line) = self.lines[chunk][row];
            let column = Some(first.name.clone());
            self.reject_from(source, line, column, reason, Some(fields), rules);
            start = end;
        }
        BooleanArray::from(keep)
    }
}

/// Leaves out the columns the rules do not declare that hold no value in any kept row.
fn drop_empty_undeclared(
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    rules: &ReadRules,
) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let kept: Vec<usize> = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(index, field)| {
            rules.declared.contains_key(field.name())
                || batches
                    .iter()
                    .any(|batch| batch.column(*index).null_count() < batch.num_rows())
        })
        .map(|(index, _)| index)
        .collect();
    if kept.len() == schema.fields().len() {
        return Ok((schema, batches));
    }
    let projected = Arc::new(schema.project(&kept).map_err(EngineError::arrow)?);
    let batches = batches
        .iter()
        .map(|batch| batch.project(&kept).map_err(EngineError::arrow))
        .collect::<Result<Vec<_>>>()?;
    Ok((projected, batches))
}

fn safe() -> CastOptions<'static> {
    CastOptions {
        safe: true,
        ..CastOptions::default()
    }
}

/// The narrowest type every value of an undeclared column fits.
fn infer(kind: ValueKind, chunks: &[StringArray]) -> DataType {
    let candidates: &[DataType] = match kind {
        ValueKind::Text => &[
            DataType::Int64,
            DataType::Float64,
            DataType::Boolean,
            DataType::Date32,
            DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from("UTC"))),
        ],
        ValueKind::JsonInteger => &[DataType::Int64, DataType::Float64],
        ValueKind::JsonFloat => &[DataType::Float64],
        ValueKind::JsonBool => &[DataType::Boolean],
        ValueKind::Absent | ValueKind::JsonString | ValueKind::Mixed => &[],
    };
    let has_values = chunks.iter().any(|chunk| chunk.null_count() < chunk.len());
    if !has_values {
        return DataType::Utf8;
    }
    candidates
        .iter()
        .find(|candidate| chunks.iter().all(|chunk| fits(chunk, candidate)))
        .cloned()
        .unwrap_or(DataType::Utf8)
}

fn fits(chunk: &StringArray, candidate: &DataType) -> bool {
    if *candidate == DataType::Boolean {
        // Only the words; arrow would also take `yes`, `on`, `1`…
        return chunk
            .iter()
            .flatten()
            .all(|value| value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false"));
    }
    if *candidate == DataType::Date32 {
        let shaped = |value: &str| {
            let bytes = value.as_bytes();
            bytes.len() == 10 && bytes[4] == b'-' && bytes[7] == b'-'
        };
        if !chunk.iter().flatten().all(shaped) {
            return false;
        }
    }
    cast_with_options(chunk, candidate, &safe()).is_ok_and(|cast| cast.null_count() == chunk.null_count())
}

fn quote(value: &str) -> String {
    let mut quoted: String = value.chars().take(QUOTED_VALUE_CHARS).collect();
    if value.chars().count() > QUOTED_VALUE_CHARS {
        quoted.push('…');
    }
    quoted
}
