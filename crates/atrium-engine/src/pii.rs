//! PII handling, applied to rows before anything is written: `drop` removes the column, `hash`
//! writes a keyed HMAC-SHA256 (joinable across products of one installation, not reversible),
//! `mask` keeps the shape (`j***@e***.com`), `keep` leaves the value.

use std::sync::Arc;

use atrium_types::PiiHandling;
use deltalake::arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use deltalake::arrow::compute::cast;
use deltalake::arrow::datatypes::{DataType, Field, Schema};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{EngineError, Result};

/// The installation's secret for keyed hashes, ready to use. Never logged.
#[derive(Clone)]
pub struct PiiKey(Hmac<Sha256>);

impl PiiKey {
    /// A key from the installation's secret (at least 16 bytes).
    pub fn new(secret: &[u8]) -> Result<Self> {
        if secret.len() < 16 {
            return Err(EngineError::Config(
                "the PII hashing secret must be at least 16 bytes".to_owned(),
            ));
        }
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
            .map_err(|error| EngineError::Config(format!("unusable PII hashing secret: {error}")))?;
        Ok(Self(mac))
    }

    /// The keyed hash of `value`, hex-encoded (64 characters).
    pub fn hash(&self, value: &str) -> String {
        let mut mac = self.0.clone();
        mac.update(value.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

impl PiiKey {
    /// The keyed hash of `value`, unless `value` already has the shape of one (64 lower-case hex
    /// digits). Rows of stream inputs are hashed before they are buffered, and the run applies
    /// the contract again: without this, they would be hashed twice and no longer join with the
    /// same values ingested from files. Such a value holds no personal data of its own.
    pub fn hash_once(&self, value: &str) -> String {
        if is_keyed_hash(value) {
            value.to_owned()
        } else {
            self.hash(value)
        }
    }
}

fn is_keyed_hash(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

impl std::fmt::Debug for PiiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PiiKey(***)")
    }
}

/// `john.doe@example.com` → `j***@e***.com`; other text keeps separators, the first character and
/// the last two: `25-989-741-2988` → `2*-***-***-**88`.
pub fn mask(value: &str) -> String {
    if let Some((local, domain)) = value.split_once('@') {
        let first_local: String = local.chars().take(1).collect();
        let (host, tld) = domain.rsplit_once('.').unwrap_or((domain, ""));
        let first_host: String = host.chars().take(1).collect();
        let tld = if tld.is_empty() {
            String::new()
        } else {
            format!(".{tld}")
        };
        return format!("{first_local}***@{first_host}***{tld}");
    }
    let count = value.chars().count();
    value
        .chars()
        .enumerate()
        .map(|(index, c)| {
            let visible = index == 0 || index + 2 >= count;
            if visible || !c.is_alphanumeric() { c } else { '*' }
        })
        .collect()
}

/// Applies the handling of each named column; columns without handling are unchanged.
pub fn apply(batch: &RecordBatch, handling: &[(String, PiiHandling)], key: &PiiKey) -> Result<RecordBatch> {
    let schema = batch.schema();
    let mut fields: Vec<Arc<Field>> = Vec::with_capacity(schema.fields().len());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        let rule = handling
            .iter()
            .find(|(name, _)| name == field.name())
            .map(|(_, rule)| *rule);
        match rule {
            Some(PiiHandling::Drop) => continue,
            Some(PiiHandling::Hash) => {
                columns.push(map_text(column, field.name(), |value| key.hash_once(value))?);
                fields.push(Arc::new(Field::new(field.name(), DataType::Utf8, field.is_nullable())));
            }
            Some(PiiHandling::Mask) => {
                columns.push(map_text(column, field.name(), mask)?);
                fields.push(Arc::new(Field::new(field.name(), DataType::Utf8, field.is_nullable())));
            }
            Some(PiiHandling::Keep) | None => {
                columns.push(Arc::clone(column));
                fields.push(Arc::clone(field));
            }
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(EngineError::arrow)
}

/// Maps every non-null value of a column read as text.
fn map_text(column: &ArrayRef, name: &str, transform: impl Fn(&str) -> String) -> Result<ArrayRef> {
    let text = cast(column, &DataType::Utf8).map_err(|error| EngineError::Contract {
        column: name.to_owned(),
        message: format!("cannot read the PII column as text: {error}"),
    })?;
    let text = text
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| EngineError::Internal(format!("column `{name}` did not cast to text")))?;
    let mapped: StringArray = text.iter().map(|value| value.map(&transform)).collect();
    Ok(Arc::new(mapped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use deltalake::arrow::array::Int64Array;

    #[test]
    fn hashing_twice_changes_nothing() {
        let key = PiiKey::new(b"a-test-key-of-16-bytes").expect("key");
        let once = key.hash_once("ann@example.com");
        assert_eq!(once, key.hash("ann@example.com"));
        assert_eq!(
            key.hash_once(&once),
            once,
            "a value hashed at ingestion joins with one hashed by a run"
        );
        assert_eq!(mask(&mask("john.doe@example.com")), mask("john.doe@example.com"));
        assert_eq!(mask(&mask("25-989-741-2988")), mask("25-989-741-2988"));
    }

    #[test]
    fn masks_keep_the_shape() {
        assert_eq!(mask("john.doe@example.com"), "j***@e***.com");
        assert_eq!(mask("25-989-741-2988"), "2*-***-***-**88");
        assert_eq!(mask("ab"), "ab");
        assert_eq!(mask(""), "");
    }

    #[test]
    fn hashes_are_keyed_and_stable() {
        let key = PiiKey::new(b"secret-one-of-16-bytes").expect("key");
        let other = PiiKey::new(b"secret-two-of-16-bytes").expect("key");
        assert!(PiiKey::new(b"short").is_err());
        assert_eq!(key.hash("alice@example.com"), key.hash("alice@example.com"));
        assert_ne!(key.hash("alice@example.com"), other.hash("alice@example.com"));
        assert_eq!(key.hash("x").len(), 64);
    }

    #[test]
    fn apply_drops_hashes_and_masks() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("email", DataType::Utf8, true),
            Field::new("phone", DataType::Utf8, true),
            Field::new("address", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(vec![1, 2])),
                Arc::new(StringArray::from(vec![Some("ann@shop.com"), None])),
                Arc::new(StringArray::from(vec![Some("555-1234"), Some("555-9876")])),
                Arc::new(StringArray::from(vec![Some("1 Main St"), Some("2 High St")])),
            ],
        )
        .expect("batch");
        let key = PiiKey::new(b"a-test-key-of-16-bytes").expect("key");
        let rules = [
            ("email".to_owned(), PiiHandling::Hash),
            ("phone".to_owned(), PiiHandling::Mask),
            ("address".to_owned(), PiiHandling::Drop),
        ];
        let out = apply(&batch, &rules, &key).expect("applies");
        let schema = out.schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["id", "email", "phone"]);
        let email = out.column(1).as_any().downcast_ref::<StringArray>().expect("text");
        assert_eq!(email.value(0), key.hash("ann@shop.com"));
        assert!(email.is_null(1));
        let phone = out.column(2).as_any().downcast_ref::<StringArray>().expect("text");
        assert_eq!(phone.value(0), "5**-**34");
    }
}
