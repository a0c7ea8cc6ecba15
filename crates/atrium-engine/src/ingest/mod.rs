//! Reading CSV and JSON lines into Arrow without losing a row: a line that cannot be parsed, or a
//! value that is not of its column's declared type, is set aside as a [`Rejection`] (with its line
//! and the reason) instead of failing the whole input; the rest is read.
//!
//! Column types come from the declaration when there is one (the input's `columns`, or the
//! contract when the input is the output); a declared type is enforced value by value. Other
//! columns are inferred from *all* their values (never from a sample, so a late odd value widens
//! the type instead of failing the read): CSV text becomes int64, float64, bool, date or
//! timestamp when every value fits, JSON keeps its own types.

mod buffer;

use std::collections::HashMap;

use atrium_types::PiiHandling;
use deltalake::arrow::array::RecordBatch;
use deltalake::arrow::datatypes::{DataType, SchemaRef};
use serde_json::{Map, Value};

use crate::pii::PiiKey;
use crate::{EngineError, Result};
use buffer::{TableBuffer, ValueKind};

/// Rows per Arrow batch.
const CHUNK_ROWS: usize = 65_536;
/// The longest offending value quoted in a reason.
const QUOTED_VALUE_CHARS: usize = 60;

/// A type a column must have, and how the platform names it in messages.
#[derive(Debug, Clone)]
pub struct DeclaredType {
    pub arrow: DataType,
    pub label: String,
    /// A row without a value here is set aside (the contract's `required`, when the input is the
    /// output).
    pub required: bool,
}

/// What a reader needs to know besides the bytes.
#[derive(Debug, Clone)]
pub struct ReadRules {
    /// Column name → declared type.
    pub declared: HashMap<String, DeclaredType>,
    /// PII handling by column name, applied to the records kept with rejections.
    pub pii: Vec<(String, PiiHandling)>,
    pub key: PiiKey,
    /// The input is the output (one input, no transform): the contract is the rows' shape, so a
    /// column it does not declare that holds no value once bad rows are set aside (a field only
    /// those rows had) is dropped rather than failing the run as drift.
    pub input_is_output: bool,
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
    let first = parts.first().map_or("", |(source, _)| source.as_str());
    let mut table = TableBuffer::new(first, ValueKind::Absent);
    for (part, (source, bytes)) in parts.iter().enumerate() {
        if part > 0 {
            table.next_source(source);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PiiKey {
        PiiKey::new(b"a-test-key-of-16-bytes").expect("key")
    }

    fn rules(declared: HashMap<String, DeclaredType>, pii: Vec<(String, PiiHandling)>) -> ReadRules {
        ReadRules {
            declared,
            pii,
            key: key(),
            input_is_output: false,
        }
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
                        required: false,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn csv_types_are_inferred_from_every_value() {
        let rules = rules(HashMap::new(), Vec::new());
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
        let rules = rules(types, vec![("email".to_owned(), PiiHandling::Hash)]);
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
        let rules = rules(declared(&[("n", DataType::Int64, "int64")]), Vec::new());
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
    fn rows_without_a_required_value_are_set_aside() {
        let mut declared = declared(&[("event", DataType::Utf8, "string"), ("n", DataType::Int64, "int64")]);
        if let Some(event) = declared.get_mut("event") {
            event.required = true;
        }
        let rules = rules(declared, Vec::new());
        let text = "{\"n\": 1, \"event\": \"placed\"}\n{\"n\": 2, \"status\": \"paid\"}\n{\"n\": 3, \"event\": null}\n{\"n\": 4, \"event\": \"paid\"}\n";
        let read = read_json_lines(text.as_bytes(), "s.jsonl", &rules).expect("read");
        assert_eq!(read.rows(), 2);
        let set_aside: Vec<(u64, Option<&str>, &str)> = read
            .rejected
            .iter()
            .map(|r| (r.line, r.column.as_deref(), r.reason.as_str()))
            .collect();
        assert_eq!(
            set_aside,
            [
                (2, Some("event"), "required, but the row has no value"),
                (3, Some("event"), "required, but the row has no value")
            ]
        );
    }

    #[test]
    fn a_csv_without_header_names_is_refused() {
        let rules = rules(HashMap::new(), Vec::new());
        let error = read_csv(b"a,,c\n1,2,3\n", "x.csv", &rules).err().expect("refused");
        assert!(
            error.to_string().contains("column 2 of the header has no name"),
            "{error}"
        );
        let error = read_csv(b"a,a\n1,2\n", "x.csv", &rules).err().expect("refused");
        assert!(error.to_string().contains("twice"), "{error}");
    }
}
