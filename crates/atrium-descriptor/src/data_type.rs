//! Column types of the contract (`int64`, `decimal(12,2)`, `list<string>`…) and their parser.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The largest decimal precision (Arrow `Decimal128`).
pub const MAX_DECIMAL_PRECISION: u8 = 38;

/// A column type; each maps to one Arrow type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DataType {
    Bool,
    Int32,
    Int64,
    Float64,
    Decimal { precision: u8, scale: u8 },
    String,
    Date,
    Timestamp,
    Binary,
    List(Box<DataType>),
}

/// Why a type string is not a type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataTypeError(pub String);

impl fmt::Display for DataTypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl DataType {
    /// Whether values of this type are text (and so need a classification).
    pub fn holds_text(&self) -> bool {
        match self {
            DataType::String => true,
            DataType::List(inner) => inner.holds_text(),
            _ => false,
        }
    }

    fn parse_decimal(arguments: &str) -> Result<DataType, DataTypeError> {
        let usage = || DataTypeError("write decimals as `decimal(precision,scale)`, e.g. `decimal(12,2)`".into());
        let (precision, scale) = arguments.split_once(',').ok_or_else(usage)?;
        let precision: u8 = precision.trim().parse().map_err(|_| usage())?;
        let scale: u8 = scale.trim().parse().map_err(|_| usage())?;
        if precision == 0 || precision > MAX_DECIMAL_PRECISION {
            return Err(DataTypeError(format!(
                "decimal precision must be between 1 and {MAX_DECIMAL_PRECISION}, found {precision}"
            )));
        }
        if scale > precision {
            return Err(DataTypeError(format!(
                "decimal scale ({scale}) must not exceed its precision ({precision})"
            )));
        }
        Ok(DataType::Decimal { precision, scale })
    }
}

const TYPE_NAMES: &str = "bool, int32, int64, float64, decimal(p,s), string, date, timestamp, binary, list<T>";

impl FromStr for DataType {
    type Err = DataTypeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let simple = match text {
            "bool" => Some(DataType::Bool),
            "int32" => Some(DataType::Int32),
            "int64" => Some(DataType::Int64),
            "float64" => Some(DataType::Float64),
            "string" => Some(DataType::String),
            "date" => Some(DataType::Date),
            "timestamp" => Some(DataType::Timestamp),
            "binary" => Some(DataType::Binary),
            _ => None,
        };
        if let Some(simple) = simple {
            return Ok(simple);
        }
        if let Some(arguments) = text.strip_prefix("decimal(").and_then(|r| r.strip_suffix(')')) {
            return DataType::parse_decimal(arguments);
        }
        if let Some(inner) = text.strip_prefix("list<").and_then(|r| r.strip_suffix('>')) {
            return Ok(DataType::List(Box::new(inner.parse()?)));
        }
        Err(DataTypeError(format!(
            "unknown type `{text}`; expected one of {TYPE_NAMES}"
        )))
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::Bool => f.write_str("bool"),
            DataType::Int32 => f.write_str("int32"),
            DataType::Int64 => f.write_str("int64"),
            DataType::Float64 => f.write_str("float64"),
            DataType::Decimal { precision, scale } => write!(f, "decimal({precision},{scale})"),
            DataType::String => f.write_str("string"),
            DataType::Date => f.write_str("date"),
            DataType::Timestamp => f.write_str("timestamp"),
            DataType::Binary => f.write_str("binary"),
            DataType::List(inner) => write!(f, "list<{inner}>"),
        }
    }
}

impl Serialize for DataType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DataType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(|e: DataTypeError| serde::de::Error::custom(e.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        let actual = match input.parse::<DataType>() {
            Ok(data_type) => data_type.to_string(),
            Err(error) => format!("error: {error}"),
        };
        assert_eq!(actual, expected, "input: {input}");
    }

    #[test]
    fn types() {
        check("int64", "int64");
        check("decimal(12,2)", "decimal(12,2)");
        check("decimal( 12 , 2 )", "decimal(12,2)");
        check("list<string>", "list<string>");
        check("list<list<decimal(5,0)>>", "list<list<decimal(5,0)>>");
        check(
            "decimal(39,2)",
            "error: decimal precision must be between 1 and 38, found 39",
        );
        check(
            "decimal(4,5)",
            "error: decimal scale (5) must not exceed its precision (4)",
        );
        check(
            "decimal",
            "error: unknown type `decimal`; expected one of bool, int32, int64, float64, decimal(p,s), string, date, timestamp, binary, list<T>",
        );
        check(
            "decimal(a,b)",
            "error: write decimals as `decimal(precision,scale)`, e.g. `decimal(12,2)`",
        );
        check(
            "varchar",
            "error: unknown type `varchar`; expected one of bool, int32, int64, float64, decimal(p,s), string, date, timestamp, binary, list<T>",
        );
    }

    #[test]
    fn text_types() {
        assert!(DataType::String.holds_text());
        assert!(DataType::List(Box::new(DataType::String)).holds_text());
        assert!(!DataType::Int64.holds_text());
    }
}
