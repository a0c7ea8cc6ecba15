//! Typed identifiers, parsed once: domain names, port and column names, and product ids.
//!
//! The naming rule of the descriptor spec: lower-case ASCII letters, digits and `_`, starting with
//! a letter (so every name is also a plain SQL identifier), at most 63 characters (PostgreSQL's
//! identifier limit). A product id is `<domain>.<name>`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The longest name the rule allows.
pub const MAX_NAME_LEN: usize = 63;

/// Why a string is not a valid name or id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("must not be empty")]
    Empty,
    #[error("is longer than {MAX_NAME_LEN} characters")]
    TooLong,
    #[error("must start with a lower-case letter, found `{0}`")]
    BadStart(char),
    #[error("may hold only lower-case letters, digits and `_`, found `{0}`")]
    BadChar(char),
    #[error("must have the form `<domain>.<name>`, e.g. `sales.orders`")]
    NotQualified,
    /// One part of a product id is not a name: says which.
    #[error(
        "has the {part} `{text}`, which {problem}; a product id has the form `<domain>.<name>`, e.g. `sales.orders`"
    )]
    InPart {
        part: &'static str,
        text: String,
        problem: Box<NameError>,
    },
}

fn check_name(candidate: &str) -> Result<(), NameError> {
    let mut chars = candidate.chars();
    let first = chars.next().ok_or(NameError::Empty)?;
    if candidate.len() > MAX_NAME_LEN {
        return Err(NameError::TooLong);
    }
    if !first.is_ascii_lowercase() {
        return Err(NameError::BadStart(first));
    }
    match chars.find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')) {
        Some(bad) => Err(NameError::BadChar(bad)),
        None => Ok(()),
    }
}

/// A string newtype parsed once by `$check` (failing with `$error`), shown and serialized as
/// its text: the names here and the user and team names of `identity`.
macro_rules! string_name {
    ($(#[$doc:meta])* $type:ident) => {
        string_name!($(#[$doc])* $type, check_name, NameError);
    };
    ($(#[$doc:meta])* $type:ident, $check:path, $error:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $type(String);

        impl $type {
            /// Parses a name, checking its rule.
            pub fn parse(candidate: &str) -> Result<Self, $error> {
                $check(candidate)?;
                Ok(Self(candidate.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $type {
            type Err = $error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use string_name;

string_name!(
    /// A domain: the unit of ownership, e.g. `sales`.
    DomainName
);
string_name!(
    /// The name of an input, an output port or a column, e.g. `raw_orders`.
    Name
);

/// A data product's id, `<domain>.<name>`, e.g. `sales.orders`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProductId {
    domain: DomainName,
    name: Name,
}

impl ProductId {
    pub fn parse(candidate: &str) -> Result<Self, NameError> {
        let (domain, name) = candidate.split_once('.').ok_or(NameError::NotQualified)?;
        let in_part = |part: &'static str, text: &str| {
            let text = text.to_owned();
            move |problem| NameError::InPart {
                part,
                text,
                problem: Box::new(problem),
            }
        };
        Ok(Self {
            domain: DomainName::parse(domain).map_err(in_part("domain", domain))?,
            name: Name::parse(name).map_err(in_part("name", name))?,
        })
    }

    pub fn new(domain: DomainName, name: Name) -> Self {
        Self { domain, name }
    }

    pub fn domain(&self) -> &DomainName {
        &self.domain
    }

    /// The SQL names of the output at `position` (from 0) of the product's `outputs`: the first
    /// output is `<domain>.<product>`, so adding an output renames nothing; with several outputs,
    /// each is also `<domain>.<product>.<output>`. The first name is the one to show.
    pub fn table_names(&self, output: &str, position: usize, outputs: usize) -> Vec<String> {
        let mut names = Vec::with_capacity(2);
        if position == 0 {
            names.push(self.to_string());
        }
        if outputs > 1 {
            names.push(format!("{self}.{output}"));
        }
        names
    }

    pub fn name(&self) -> &Name {
        &self.name
    }
}

impl FromStr for ProductId {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for ProductId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.domain, self.name)
    }
}

impl Serialize for ProductId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ProductId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_id(input: &str, expected: Result<(&str, &str), NameError>) {
        let parsed = ProductId::parse(input);
        match expected {
            Ok((domain, name)) => {
                let id = parsed.expect("valid id");
                assert_eq!((id.domain().as_str(), id.name().as_str()), (domain, name));
                assert_eq!(id.to_string(), input, "display round-trips");
                let json = serde_json::to_string(&id).expect("serializes");
                let back: ProductId = serde_json::from_str(&json).expect("deserializes");
                assert_eq!(back, id);
            }
            Err(error) => assert_eq!(parsed, Err(error), "{input}"),
        }
    }

    #[test]
    fn product_ids() {
        check_id("sales.orders", Ok(("sales", "orders")));
        check_id("crm.customers_v2", Ok(("crm", "customers_v2")));
        check_id("salesorders", Err(NameError::NotQualified));
        let in_part = |part, text: &str, problem| {
            Err(NameError::InPart {
                part,
                text: text.to_owned(),
                problem: Box::new(problem),
            })
        };
        check_id("Sales.orders", in_part("domain", "Sales", NameError::BadStart('S')));
        check_id("sales.2orders", in_part("name", "2orders", NameError::BadStart('2')));
        check_id("sales.or-ders", in_part("name", "or-ders", NameError::BadChar('-')));
        check_id("sales.a.b", in_part("name", "a.b", NameError::BadChar('.')));
        check_id(".orders", in_part("domain", "", NameError::Empty));
        let traversal = ProductId::parse("../../etc").expect_err("not an id").to_string();
        assert_eq!(
            traversal,
            "has the domain ``, which must not be empty; a product id has the form `<domain>.<name>`, e.g. `sales.orders`"
        );
    }

    #[test]
    fn names_longer_than_the_limit_are_refused() {
        let long = "a".repeat(MAX_NAME_LEN + 1);
        assert_eq!(Name::parse(&long), Err(NameError::TooLong));
        assert!(Name::parse(&long[..MAX_NAME_LEN]).is_ok());
    }

    #[test]
    fn deserializing_checks_the_rule() {
        let bad: Result<DomainName, _> = serde_json::from_str("\"Bad\"");
        assert!(bad.is_err());
    }
}
