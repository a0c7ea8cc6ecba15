//! Profiling a sample file for `atrium init` and the "New data product" page: the columns with
//! their types (inferred from every value by the run's own readers, so a run reads the file the
//! same way), a preview of the first rows, and the columns that look like personal data, with the
//! evidence (how many sampled values match, masked examples, or the column's name).

use std::sync::LazyLock;

use atrium_descriptor::Format;
use atrium_types::{ColumnProfile, FileProfile, PiiFinding, PiiHandling};
use deltalake::arrow::array::{Array, ArrayRef, RecordBatch};
use deltalake::arrow::datatypes::DataType as ArrowType;
use deltalake::arrow::util::display::array_value_to_string;
use regex::Regex;

use crate::ingest::{Ingested, ReadRules, read_csv, read_json_lines};
use crate::pii::{PiiKey, mask};
use crate::{EngineError, Result};

/// Rows in the preview.
pub const PREVIEW_ROWS: usize = 20;
/// Values per column looked at for personal data.
const SAMPLED_VALUES: usize = 1_000;
/// The share of sampled values that must match a pattern.
const MATCH_SHARE: f64 = 0.8;
const EXAMPLES: usize = 3;

/// Reads a sample with no declared types: every column inferred from all its values.
fn read_sample(file: &str, format: Format, bytes: bytes::Bytes) -> Result<Ingested> {
    let rules = ReadRules {
        declared: Default::default(),
        pii: Vec::new(),
        // The rejections' records are never kept from here, so the key protects nothing stored.
        key: PiiKey::new(b"profiling-only-no-records-kept")?,
        input_is_output: false,
    };
    match format {
        Format::Csv => read_csv(&bytes, file, &rules),
        Format::Json => read_json_lines(&bytes, file, &rules),
        Format::Parquet => crate::inputs::read_parquet(bytes, file),
    }
}

/// Profiles `bytes`, the content of `file`.
pub fn profile(file: &str, format: Format, bytes: bytes::Bytes) -> Result<FileProfile> {
    let ingested = read_sample(file, format, bytes)?;
    let Ingested {
        schema,
        batches,
        rejected,
    } = ingested;
    let rows: u64 = batches.iter().map(|batch| batch.num_rows() as u64).sum();
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (index, field) in schema.fields().iter().enumerate() {
        let arrays: Vec<&ArrayRef> = batches.iter().map(|batch| batch.column(index)).collect();
        let nulls = arrays.iter().map(|array| array.null_count() as u64).sum();
        let text_values = if matches!(
            field.data_type(),
            ArrowType::Utf8 | ArrowType::Utf8View | ArrowType::LargeUtf8
        ) {
            sample_text(&arrays)?
        } else {
            Vec::new()
        };
        columns.push(ColumnProfile {
            name: field.name().clone(),
            data_type: contract_type(field.data_type()),
            nulls,
            pii: detect(field.name(), field.data_type(), &text_values),
        });
    }
    Ok(FileProfile {
        file: file.to_owned(),
        format: format.as_str().to_owned(),
        rows,
        rejected: rejected.len() as u64,
        rejected_examples: rejected
            .iter()
            .take(EXAMPLES)
            .map(|rejection| format!("line {}: {}", rejection.line, rejection.reason))
            .collect(),
        columns,
        preview: crate::tables::rows_as_text(&batches, PREVIEW_ROWS)?,
    })
}

/// Every readable row of a file as JSON lines, columns renamed with `rename`; also how many lines
/// could not be read. For handing an uploaded file to a stream input.
pub fn rows_as_json_lines(
    file: &str,
    format: Format,
    bytes: bytes::Bytes,
    rename: impl Fn(&str) -> String,
) -> Result<(String, u64, u64)> {
    use deltalake::arrow::datatypes::{Field, Schema};
    use deltalake::arrow::json::LineDelimitedWriter;
    let ingested = read_sample(file, format, bytes)?;
    let fields: Vec<Field> = ingested
        .schema
        .fields()
        .iter()
        .map(|field| field.as_ref().clone().with_name(rename(field.name())))
        .collect();
    let schema = std::sync::Arc::new(Schema::new(fields));
    let mut writer = LineDelimitedWriter::new(Vec::new());
    let mut rows = 0;
    for batch in &ingested.batches {
        let renamed = RecordBatch::try_new(std::sync::Arc::clone(&schema), batch.columns().to_vec())
            .map_err(EngineError::arrow)?;
        writer.write(&renamed).map_err(EngineError::arrow)?;
        rows += batch.num_rows() as u64;
    }
    writer.finish().map_err(EngineError::arrow)?;
    let text = String::from_utf8(writer.into_inner())
        .map_err(|error| EngineError::Internal(format!("rows as JSON: {error}")))?;
    Ok((text, rows, ingested.rejected.len() as u64))
}

fn sample_text(arrays: &[&ArrayRef]) -> Result<Vec<String>> {
    let mut values = Vec::new();
    for array in arrays {
        for row in 0..array.len() {
            if values.len() == SAMPLED_VALUES {
                return Ok(values);
            }
            if array.is_valid(row) {
                values.push(array_value_to_string(array, row).map_err(EngineError::arrow)?);
            }
        }
    }
    Ok(values)
}

/// The contract type a column of this Arrow type is declared with.
pub fn contract_type(arrow: &ArrowType) -> String {
    match arrow {
        ArrowType::Boolean => "bool".into(),
        ArrowType::Int8 | ArrowType::Int16 | ArrowType::Int32 | ArrowType::UInt8 | ArrowType::UInt16 => "int32".into(),
        ArrowType::Int64 | ArrowType::UInt32 | ArrowType::UInt64 => "int64".into(),
        ArrowType::Float16 | ArrowType::Float32 | ArrowType::Float64 => "float64".into(),
        ArrowType::Decimal128(precision, scale) | ArrowType::Decimal256(precision, scale) => {
            format!("decimal({},{})", (*precision).min(38), scale.max(&0))
        }
        ArrowType::Date32 | ArrowType::Date64 => "date".into(),
        ArrowType::Timestamp(..) => "timestamp".into(),
        ArrowType::Binary | ArrowType::LargeBinary | ArrowType::BinaryView | ArrowType::FixedSizeBinary(_) => {
            "binary".into()
        }
        ArrowType::List(item) | ArrowType::LargeList(item) => format!("list<{}>", contract_type(item.data_type())),
        _ => "string".into(),
    }
}

/// A kind of personal data recognised from values.
struct ValuePattern {
    kind: &'static str,
    plural: &'static str,
    suggested: PiiHandling,
    matches: fn(&str) -> bool,
}

static EMAIL: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$").ok());
static PHONE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"^\+?[0-9][0-9 ().\-]{6,20}[0-9]$").ok());
static PERSON_NAME: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^\p{Lu}[\p{L}'\-]+(\s+\p{Lu}[\p{L}'\-.]*){1,3}$").ok());

fn is_email(value: &str) -> bool {
    EMAIL.as_ref().is_some_and(|pattern| pattern.is_match(value))
}

fn digits(value: &str) -> String {
    value.chars().filter(char::is_ascii_digit).collect()
}

fn is_phone(value: &str) -> bool {
    let count = digits(value).len();
    (9..=15).contains(&count) && PHONE.as_ref().is_some_and(|pattern| pattern.is_match(value))
}

/// An IBAN: country, check digits, account; the mod-97 check must hold.
fn is_iban(value: &str) -> bool {
    let compact: String = value
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let bytes = compact.as_bytes();
    if !(15..=34).contains(&bytes.len())
        || !bytes[..2].iter().all(u8::is_ascii_alphabetic)
        || !bytes[2..4].iter().all(u8::is_ascii_digit)
        || !bytes.iter().all(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    let rearranged = compact[4..].chars().chain(compact[..4].chars());
    let mut remainder: u32 = 0;
    for c in rearranged {
        let value = c.to_digit(36).unwrap_or(0);
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

/// A payment card number: 13 to 19 digits passing the Luhn check.
fn is_card_number(value: &str) -> bool {
    if !value.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '-') {
        return false;
    }
    let digits = digits(value);
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(index, digit)| {
            if index % 2 == 1 {
                let doubled = digit * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                digit
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn is_ip_address(value: &str) -> bool {
    value.parse::<std::net::IpAddr>().is_ok()
}

fn is_person_name(value: &str) -> bool {
    PERSON_NAME.as_ref().is_some_and(|pattern| pattern.is_match(value))
}

const VALUE_PATTERNS: [ValuePattern; 5] = [
    ValuePattern {
        kind: "email address",
        plural: "email addresses",
        suggested: PiiHandling::Hash,
        matches: is_email,
    },
    ValuePattern {
        kind: "IBAN",
        plural: "IBANs (check digits valid)",
        suggested: PiiHandling::Hash,
        matches: is_iban,
    },
    ValuePattern {
        kind: "card number",
        plural: "card numbers (Luhn check valid)",
        suggested: PiiHandling::Drop,
        matches: is_card_number,
    },
    ValuePattern {
        kind: "IP address",
        plural: "IP addresses",
        suggested: PiiHandling::Hash,
        matches: is_ip_address,
    },
    ValuePattern {
        kind: "phone number",
        plural: "phone numbers",
        suggested: PiiHandling::Hash,
        matches: is_phone,
    },
];

/// Column names that say what they hold, for values no pattern recognises: the words a name must
/// contain, what it then holds, the handling to suggest, and whether only text columns count.
const NAME_HINTS: [(&[&str], &str, PiiHandling, bool); 6] = [
    (&["email", "mail"], "email address", PiiHandling::Hash, true),
    (
        &["phone", "mobile", "telephone"],
        "phone number",
        PiiHandling::Hash,
        false,
    ),
    (
        &["address", "street", "postcode", "zip"],
        "postal address",
        PiiHandling::Mask,
        true,
    ),
    (
        &["birth", "birthday", "dob", "birthdate"],
        "birth date",
        PiiHandling::Mask,
        false,
    ),
    (&["ssn", "passport", "nino"], "national id", PiiHandling::Hash, false),
    (
        &["firstname", "lastname", "fullname", "surname", "forename"],
        "person name",
        PiiHandling::Mask,
        true,
    ),
];

fn detect(column: &str, arrow: &ArrowType, values: &[String]) -> Option<PiiFinding> {
    let finding = |kind: &str, evidence: String, examples: Vec<String>, suggested| PiiFinding {
        kind: kind.to_owned(),
        evidence,
        examples,
        suggested,
    };
    let masked = |matching: &[&String]| matching.iter().take(EXAMPLES).map(|value| mask(value)).collect();
    let share = |count: usize| !values.is_empty() && count as f64 >= MATCH_SHARE * values.len() as f64;
    for pattern in &VALUE_PATTERNS {
        let matching: Vec<&String> = values.iter().filter(|value| (pattern.matches)(value.trim())).collect();
        if share(matching.len()) {
            let evidence = format!(
                "{} of {} sampled values are {}",
                matching.len(),
                values.len(),
                pattern.plural
            );
            return Some(finding(pattern.kind, evidence, masked(&matching), pattern.suggested));
        }
    }
    let words = name_words(column);
    // Names of people: a column named like one whose values look like "Ann Lee".
    if words.iter().any(|word| word == "name" || word == "contact") {
        let matching: Vec<&String> = values.iter().filter(|value| is_person_name(value.trim())).collect();
        if share(matching.len()) {
            let evidence = format!(
                "the column is named `{column}` and {} of {} sampled values look like person names",
                matching.len(),
                values.len()
            );
            return Some(finding("person name", evidence, masked(&matching), PiiHandling::Mask));
        }
    }
    let is_text = matches!(arrow, ArrowType::Utf8 | ArrowType::Utf8View | ArrowType::LargeUtf8);
    let (_, kind, suggested, text_only) = NAME_HINTS
        .iter()
        .find(|(hints, ..)| hints.iter().any(|hint| words.iter().any(|word| word == hint)))?;
    if *text_only && !is_text {
        return None;
    }
    let evidence = format!("the column is named `{column}` ({})", crate::contract::type_name(arrow));
    let examples: Vec<&String> = values.iter().collect();
    Some(finding(kind, evidence, masked(&examples), *suggested))
}

/// The words of a column name, lower-case: `customerEmail`, `customer_email` → customer, email;
/// `first_name` → first, name, firstname.
fn name_words(column: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in column.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    let joined: Vec<String> = words.windows(2).map(|pair| format!("{}{}", pair[0], pair[1])).collect();
    words.extend(joined);
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_recognised() {
        assert!(is_email("ann.lee+x@example.co.uk"));
        assert!(!is_email("ann at example"));
        assert!(is_iban("DE89 3704 0044 0532 0130 00"));
        assert!(!is_iban("DE88 3704 0044 0532 0130 00"));
        assert!(is_card_number("4111 1111 1111 1111"));
        assert!(!is_card_number("4111 1111 1111 1112"));
        assert!(is_phone("+33 1 23 45 67 89") && is_phone("25-989-741-2988"));
        assert!(!is_phone("2024-01-05") && !is_phone("12345"));
        assert!(is_ip_address("192.168.1.20") && is_ip_address("2001:db8::1"));
        assert!(is_person_name("Ann Lee") && is_person_name("José María Núñez"));
        assert!(!is_person_name("Customer#000000001"));
    }

    #[test]
    fn a_csv_is_profiled_with_evidence() {
        let csv = "id,email,phone,full_name,iban,amount,day\n\
                   1,ann@example.com,+33 1 23 45 67 89,Ann Lee,DE89370400440532013000,10.5,2024-01-05\n\
                   2,bob@example.org,+44 20 7946 0958,Bob Stone,GB82WEST12345698765432,3,2024-01-06\n\
                   3,cy@example.net,,Cy Twombly,FR1420041010050500013M02606,,2024-01-07\n";
        let found = profile("people.csv", Format::Csv, bytes::Bytes::from(csv)).expect("profiles");
        assert_eq!(found.rows, 3);
        let summary: Vec<(&str, &str, Option<&str>)> = found
            .columns
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.data_type.as_str(),
                    c.pii.as_ref().map(|p| p.kind.as_str()),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("id", "int64", None),
                ("email", "string", Some("email address")),
                ("phone", "string", Some("phone number")),
                ("full_name", "string", Some("person name")),
                ("iban", "string", Some("IBAN")),
                ("amount", "float64", None),
                ("day", "date", None),
            ]
        );
        let email = found.columns[1].pii.as_ref().expect("email");
        assert_eq!(email.evidence, "3 of 3 sampled values are email addresses");
        assert_eq!(email.examples[0], "a***@e***.com");
        assert_eq!(email.suggested, PiiHandling::Hash);
        assert_eq!(found.columns[2].nulls, 1);
        assert_eq!(found.preview.len(), 3);
        assert_eq!(found.preview[0][1].as_deref(), Some("ann@example.com"));
    }

    #[test]
    fn names_hint_at_personal_data() {
        let kind = |column: &str, arrow: ArrowType, values: &[&str]| {
            let values: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
            detect(column, &arrow, &values).map(|finding| finding.kind)
        };
        let text = || ArrowType::Utf8;
        assert_eq!(
            kind("customerEmail", text(), &["n/a"]).as_deref(),
            Some("email address")
        );
        assert_eq!(kind("c_phone", ArrowType::Int64, &[]).as_deref(), Some("phone number"));
        assert_eq!(
            kind("date_of_birth", ArrowType::Date32, &[]).as_deref(),
            Some("birth date")
        );
        assert_eq!(kind("first_name", text(), &["ann"]).as_deref(), Some("person name"));
        assert_eq!(
            kind("contact_name", text(), &["Ann Lee", "Bo Ek"]).as_deref(),
            Some("person name")
        );
        assert_eq!(kind("product_name", text(), &["Steel bolt", "washer"]), None);
        assert_eq!(kind("email_count", ArrowType::Int64, &[]), None);
        assert_eq!(kind("amount", ArrowType::Float64, &[]), None);
    }
}
