//! The closed vocabularies of the descriptor: status, visibility, classification, PII handling.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! vocabulary {
    ($(#[$doc:meta])* $type:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $type { $($variant),+ }

        impl $type {
            /// Every value, in the order the spec lists them.
            pub const ALL: &'static [$type] = &[$($type::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($type::$variant => $text),+ }
            }

            /// The accepted values joined for an error message: `a | b | c`.
            pub fn choices() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(" | ")
            }
        }

        impl FromStr for $type {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                match s { $($text => Ok($type::$variant),)+ _ => Err(()) }
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary!(
    /// The life-cycle stage of a product.
    ProductStatus { Draft => "draft", Active => "active", Deprecated => "deprecated" }
);
vocabulary!(
    /// Who may see and read a product.
    Visibility { Public => "public", Internal => "internal", Restricted => "restricted" }
);
vocabulary!(
    /// How sensitive a column's values are.
    Classification {
        Public => "public",
        Internal => "internal",
        Confidential => "confidential",
        Pii => "pii",
    }
);
vocabulary!(
    /// What ingestion does to a PII column before anything is written.
    PiiHandling { Drop => "drop", Hash => "hash", Mask => "mask", Keep => "keep" }
);
vocabulary!(
    /// A role in a domain, from the least to the most: a reader reads every product of the domain,
    /// a writer also deploys, runs and pushes stream rows, an owner also grants access and roles.
    Role { Reader => "reader", Writer => "writer", Owner => "owner" }
);

vocabulary!(
    /// Where an access request stands: `pending` until an owner decides or the requester
    /// withdraws it; an approved one follows its grant (`expired`, `revoked`).
    RequestState {
        Pending => "pending",
        Approved => "approved",
        Denied => "denied",
        Withdrawn => "withdrawn",
        Expired => "expired",
        Revoked => "revoked",
    }
);
vocabulary!(
    /// Whether a grant still works: `expired` from its expiry instant on, `revoked` once an owner
    /// took it back.
    GrantStatus { Active => "active", Expired => "expired", Revoked => "revoked" }
);
vocabulary!(
    /// Whose requests to list: those on the caller's products, or the caller's own.
    RequestRole { Owner => "owner", Requester => "requester" }
);
vocabulary!(
    /// How an audited action ended.
    AuditOutcome { Ok => "ok", Refused => "refused", Failed => "failed" }
);

impl Role {
    /// Whether this role includes everything `other` may do.
    pub fn includes(self, other: Role) -> bool {
        self.rank() >= other.rank()
    }

    /// Orders roles from the least to the most.
    pub fn rank_cmp(self, other: Role) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }

    fn rank(self) -> u8 {
        match self {
            Role::Reader => 0,
            Role::Writer => 1,
            Role::Owner => 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips() {
        for value in Visibility::ALL {
            assert_eq!(value.as_str().parse::<Visibility>(), Ok(*value));
        }
        assert_eq!(PiiHandling::choices(), "drop | hash | mask | keep");
        assert!("secret".parse::<Classification>().is_err());
        assert!(Role::Owner.includes(Role::Writer) && Role::Writer.includes(Role::Reader));
        assert!(!Role::Reader.includes(Role::Writer));
    }
}
