//! Reading CSV and JSON lines into Arrow without losing a row: a line that cannot be parsed, or a
//! value that is not of its column's declared type, is set aside as a [`Rejection`] (with its line
//! and the reason) instead of failing the whole input; the rest is read.
//!
//! Column types come from the declaration when there is one (the input's `columns`, or the
//! contract when the input is the output); a declared type is enforced value by value. Other
//! columns are inferred from *all* their values (never from a sample, so a late odd value widens
//! the type instead of failing the read): CSV text becomes int64, float64, bool, date or
//! timestamp when every value fits, JSON keeps its own types.

use std::collections::HashMap;
use std::sync::Arc;

use atrium_types::PiiHandling;
use deltalake::arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray, StringBuilder};
use deltalake::arrow::compute::{CastOptions, can_cast_types, cast_with_options, filter};
use deltalake::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde_json::{Map, Value};

use crate::pii::PiiKey;
use crate::streams::protect_row;
use crate::{EngineError, Result};

/// Rows per Arrow batch.
const CHUNK_ROWS: usize = 65_536;
/// The longest offending value quoted in a reason.
const QUOTED_VALUE_CHARS: usize = 60;

/// A type a column must have, and how the platform names it in messages.
#[derive(Debug, Clone)]
pub struct DeclaredType {
    pub arrow: DataType,
    pub label: String,
}

/// What a reader needs to know besides the bytes.
#[derive(Debug, Clone)]
pub struct ReadRules {
    /// Column name → declared type.
    pub declared: HashMap<String, DeclaredType>,
    /// PII handling by column name, applied to the records kept with rejections.
    pub pii: Vec<(String, PiiHandling)>,
    pub key: PiiKey,
}

/// A row set aside, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    /// The file (or stream segment) the row came from.
    pub source: String,
    /// Its line, counted from 1 (the header of a CSV is line 1).
    pub line: u64,
    /// The first column at fault, when one is.
    pub column: Option<String>,
    pub reason: String,
    /// The row as a JSON object, PII handling applied; `None` when the line could not be split
    /// into fields (its text is not kept: it may hold personal data).
    pub record: Option<String>,
}

/// The rows read, and those set aside.
pub struct Ingested {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    pub rejected: Vec<Rejection>,
}

impl Ingested {
    pub fn rows(&self) -> u64 {
        self.batches.iter().map(|batch| batch.num_rows() as u64).sum()
    }
}

/// Reads a CSV file with a header line.
pub fn read_csv(bytes: &[u8], source: &str, rules: &ReadRules) -> Result<Ingested> {
    let unreadable = |message: String| EngineError::Input {
        input: source.to_owned(),
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|error| unreadable(format!("cannot read the header line: {error}")))?
        .iter()
        .map(|name| name.trim().to_owned())
        .collect();
    check_header(&header).map_err(unreadable)?;
    let mut table = TableBuffer::new(source, ValueKind::Text);
    for name in &header {
        table.column_index(name);
    }
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, |position| position.line());
                if record.len() != header.len() {
                    let fields: Map<String, Value> = header
                        .iter()
                        .zip(record.iter())
                        .map(|(name, value)| (name.clone(), Value::String(value.to_owned())))
                        .collect();
                    let reason = format!("{} fields where the header has {}", record.len(), header.len());
                    table.reject(line, None, reason, Some(fields), rules);
                    continue;
                }
                table.push_row(line, record.iter().map(|value| (!value.is_empty()).then_some(value)));
            }
            Err(error) => {
                let line = error.position().map_or(0, |position| position.line());
                match error.kind() {
                    csv::ErrorKind::Utf8 { err, .. } => {
                        let reason = format!("field {} is not valid UTF-8", err.field() + 1);
                        table.reject(line, None, reason, None, rules);
                    }
                    _ => return Err(unreadable(format!("line {line}: {error}"))),
                }
            }
        }
    }
    table.finish(rules)
}

/// Reads JSON lines: one object per line; blank lines are skipped.
pub fn read_json_lines(bytes: &[u8], source: &str, rules: &ReadRules) -> Result<Ingested> {
    read_json_parts(&[(source.to_owned(), bytes.to_vec())], rules)
}

/// Reads several JSON-lines files (the segments of a stream) as one table, each row keeping its
/// file and line for the rejections.
pub fn read_json_parts(parts: &[(String, Vec<u8>)], rules: &ReadRules) -> Result<Ingested> {
    let mut table = TableBuffer::new("", ValueKind::Absent);
    for (part, (source, bytes)) in parts.iter().enumerate() {
        if part > 0 {
            table.next_source(source);
        } else {
            table.sources[0].clone_from(source);
        }
        for (index, line) in bytes.split(|byte| *byte == b'\n').enumerate() {
            let line_number = index as u64 + 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<Value>(line) {
                Ok(Value::Object(object)) => table.push_object(line_number, object),
                Ok(other) => {
                    let reason = format!("expected a JSON object, found {}", crate::streams::kind(&other));
                    table.reject(line_number, None, reason, None, rules);
                }
                Err(error) => {
                    let reason = format!("invalid JSON: {error}");
                    table.reject(line_number, None, reason, None, rules);
                }
            }
        }
    }
    table.finish(rules)
}

fn check_header(header: &[String]) -> Result<(), String> {
    if header.is_empty() || header.iter().all(String::is_empty) {
        return Err("the file has no header line; a CSV input needs one naming its columns".to_owned());
    }
    if let Some(position) = header.iter().position(String::is_empty) {
        return Err(format!("column {} of the header has no name", position + 1));
    }
    for (position, name) in header.iter().enumerate() {
        if header[..position].contains(name) {
            return Err(format!("the header names column `{name}` twice"));
        }
    }
    Ok(())
}

/// What kinds of values a column has held, for inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueKind {
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
struct TableBuffer {
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
    fn new(source: &str, default_kind: ValueKind) -> Self {
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

    fn next_source(&mut self, source: &str) {
        self.sources.push(source.to_owned());
        self.source = self.sources.len() - 1;
    }

    fn column_index(&mut self, name: &str) -> usize {
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
    fn push_row<'v>(&mut self, line: u64, values: impl Iterator<Item = Option<&'v str>>) {
        for (column, value) in self.columns.iter_mut().zip(values) {
            column.current.append_option(value);
        }
        self.end_row(line);
    }

    fn push_object(&mut self, line: u64, object: Map<String, Value>) {
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

    fn reject(
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
    fn finish(mut self, rules: &ReadRules) -> Result<Ingested> {
        if !self.current_lines.is_empty() || self.lines.is_empty() {
            self.seal_chunk();
        }
        let source = self.sources.join(", ");
        let mut fields = Vec::with_capacity(self.columns.len());
        // typed[column][chunk], plus the rows of each chunk that failed their declared type.
        let mut typed: Vec<Vec<ArrayRef>> = Vec::with_capacity(self.columns.len());
        let mut failures: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.lines.len()];
        for (column_index, column) in self.columns.iter().enumerate() {
            let (arrow, enforced) = match rules.declared.get(&column.name) {
                Some(declared) => (declared.arrow.clone(), true),
                None => (infer(column.kind, &column.chunks), false),
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
                if enforced && cast.null_count() != chunk.null_count() {
                    for row in 0..chunk.len() {
                        if chunk.is_valid(row) && cast.is_null(row) {
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
            let value = first.chunks[chunk].value(row);
            let shown = if rules.pii.iter().any(|(name, _)| name == &first.name) {
                "a value (withheld: PII column)".to_owned()
            } else {
                format!("`{}`", quote(value))
            };
            let label = rules
                .declared
                .get(&first.name)
                .map_or_else(String::new, |declared| declared.label.clone());
            let mut reason = format!("{shown} is not a valid {label}");
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

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PiiKey {
        PiiKey::new(b"a-test-key-of-16-bytes").expect("key")
    }

    fn declared(pairs: &[(&str, DataType, &str)]) -> HashMap<String, DeclaredType> {
        pairs
            .iter()
            .map(|(name, arrow, label)| {
                (
                    (*name).to_owned(),
                    DeclaredType {
                        arrow: arrow.clone(),
                        label: (*label).to_owned(),
                    },
                )
            })
            .collect()
    }

    #[test]
    fn csv_types_are_inferred_from_every_value() {
        let key = key();
        let none = HashMap::new();
        let rules = ReadRules {
            declared: none,
            pii: Vec::new(),
            key,
        };
        let text = "id,price,day,flag,name\n1,2,2024-01-05,true,a\n2,2.5,2024-01-06,FALSE,\n3,,2024-02-01,true,c\n";
        let read = read_csv(text.as_bytes(), "t.csv", &rules).expect("read");
        let types: Vec<_> = read.schema.fields().iter().map(|f| f.data_type().clone()).collect();
        assert_eq!(
            types,
            vec![
                DataType::Int64,
                DataType::Float64,
                DataType::Date32,
                DataType::Boolean,
                DataType::Utf8
            ]
        );
        assert_eq!(read.rows(), 3);
        assert!(read.rejected.is_empty());
    }

    #[test]
    fn bad_csv_rows_are_set_aside_with_their_line_and_reason() {
        let key = key();
        let types = declared(&[("amount", DataType::Decimal128(12, 2), "decimal(12,2)")]);
        let pii = vec![("email".to_owned(), PiiHandling::Hash)];
        let rules = ReadRules {
            declared: types,
            pii,
            key: key.clone(),
        };
        let text = "id,email,amount\n1,a@x.org,10.50\n2,b@x.org,ten\n3,c@x.org\n4,d@x.org,4.00\n";
        let read = read_csv(text.as_bytes(), "orders.csv", &rules).expect("read");
        assert_eq!(read.rows(), 2);
        assert_eq!(read.rejected.len(), 2);
        let type_error = &read.rejected[0];
        assert_eq!((type_error.line, type_error.column.as_deref()), (3, Some("amount")));
        assert_eq!(type_error.reason, "`ten` is not a valid decimal(12,2)");
        let record = type_error.record.as_deref().expect("record");
        assert!(!record.contains("b@x.org"), "raw PII kept in {record}");
        assert!(record.contains(&key.hash("b@x.org")));
        let short = &read.rejected[1];
        assert_eq!((short.line, short.column.as_deref()), (4, None));
        assert_eq!(short.reason, "2 fields where the header has 3");
    }

    #[test]
    fn json_lines_keep_their_types_and_set_aside_bad_lines() {
        let key = key();
        let types = declared(&[("n", DataType::Int64, "int64")]);
        let rules = ReadRules {
            declared: types,
            pii: Vec::new(),
            key,
        };
        let text = "{\"n\": 1, \"code\": \"007\"}\n\n{\"n\": \"x\"}\nnot json\n[1]\n{\"n\": 2, \"late\": 1.5}\n";
        let read = read_json_lines(text.as_bytes(), "s.jsonl", &rules).expect("read");
        assert_eq!(read.rows(), 2);
        let types: Vec<_> = read.schema.fields().iter().map(|f| f.data_type().clone()).collect();
        // Columns in order of appearance (keys sorted within a line); `code` stays text although
        // its values look numeric.
        assert_eq!(types, vec![DataType::Utf8, DataType::Int64, DataType::Float64]);
        let lines: Vec<u64> = read.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 4, 5]);
        assert!(read.rejected[1].reason.starts_with("invalid JSON"));
        assert_eq!(read.rejected[2].reason, "expected a JSON object, found an array");
    }

    #[test]
    fn a_csv_without_header_names_is_refused() {
        let key = key();
        let none = HashMap::new();
        let rules = ReadRules {
            declared: none,
            pii: Vec::new(),
            key,
        };
        let error = read_csv(b"a,,c\n1,2,3\n", "x.csv", &rules).err().expect("refused");
        assert!(
            error.to_string().contains("column 2 of the header has no name"),
            "{error}"
        );
        let error = read_csv(b"a,a\n1,2\n", "x.csv", &rules).err().expect("refused");
        assert!(error.to_string().contains("twice"), "{error}");
    }
}
