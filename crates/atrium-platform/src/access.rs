//! Who may read a product's data: the one decision, for queries and for `product` inputs.
//!
//! Until grants exist (the access issue), visibility decides: `public` and `internal` products may
//! be read by every query and every product; a `restricted` product only by the products of its own
//! domain, and by no query. The access issue puts grants (owner approval, expiry, revocation) in
//! place of this rule, inside [`may_read`]; its callers, and the failed run or hidden table they
//! make of a refusal, stay as they are.

use atrium_types::{ProductId, Visibility};

/// Who reads.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Reader<'a> {
    /// A query through the API, the CLI or the console.
    Query,
    /// A product's run, through one of its `product` inputs.
    Product(&'a ProductId),
}

/// `Ok` when `reader` may read the published data of `product` (of `visibility`); otherwise why not.
pub(crate) fn may_read(reader: Reader<'_>, product: &ProductId, visibility: Visibility) -> Result<(), String> {
    match (visibility, reader) {
        (Visibility::Public | Visibility::Internal, _) => Ok(()),
        (Visibility::Restricted, Reader::Product(id)) if id.domain() == product.domain() => Ok(()),
        (Visibility::Restricted, Reader::Product(id)) => Err(format!(
            "`{product}` is restricted to the products of domain `{}`, and `{id}` is in `{}`",
            product.domain(),
            id.domain()
        )),
        (Visibility::Restricted, Reader::Query) => Err(format!(
            "`{product}` is restricted to the products of domain `{}`",
            product.domain()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility_decides_until_grants_exist() {
        let id = |text: &str| ProductId::parse(text).expect("an id");
        let (finance, sales) = (id("finance.totals"), id("sales.report"));
        for visibility in [Visibility::Public, Visibility::Internal] {
            assert!(may_read(Reader::Query, &id("sales.orders"), visibility).is_ok());
            assert!(may_read(Reader::Product(&finance), &id("sales.orders"), visibility).is_ok());
        }
        let secret = id("sales.secret");
        assert!(
            may_read(Reader::Product(&sales), &secret, Visibility::Restricted).is_ok(),
            "same domain"
        );
        let refused = may_read(Reader::Product(&finance), &secret, Visibility::Restricted).expect_err("another domain");
        assert!(
            refused.contains("restricted to the products of domain `sales`"),
            "{refused}"
        );
        assert!(may_read(Reader::Query, &secret, Visibility::Restricted).is_err());
    }
}
