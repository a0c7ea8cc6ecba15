//! Who may read a product's data: the one decision, for queries and for `product` inputs.
//!
//! Until grants exist (the access issue), visibility decides: `public` and `internal` products may
//! be read by every query and every product; a `restricted` product only by the products of its own
//! domain, and by no query. The access issue puts grants (owner approval, expiry, revocation) in
//! place of this rule, inside [`may_read`]; its callers, and the failed run or hidden table they
//! make of a refusal, stay as they are.

use atrium_types::{ProductId, ProductSummary, Visibility};

/// Who reads.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Reader<'a> {
    /// A query through the API, the CLI or the console.
    Query,
    /// A product's run, through one of its `product` inputs.
    Product(&'a ProductId),
}

/// `Ok` when `reader` may read `product`'s published data; otherwise why not.
pub(crate) fn may_read(reader: Reader<'_>, product: &ProductSummary) -> Result<(), String> {
    match (product.visibility, reader) {
        (Visibility::Public | Visibility::Internal, _) => Ok(()),
        (Visibility::Restricted, Reader::Product(id)) if id.domain() == product.id.domain() => Ok(()),
        (Visibility::Restricted, Reader::Product(id)) => Err(format!(
            "`{}` is restricted to the products of domain `{}`, and `{id}` is in `{}`",
            product.id,
            product.id.domain(),
            id.domain()
        )),
        (Visibility::Restricted, Reader::Query) => Err(format!(
            "`{}` is restricted to the products of domain `{}`",
            product.id,
            product.id.domain()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atrium_types::ProductStatus;

    fn product(id: &str, visibility: Visibility) -> ProductSummary {
        let id = ProductId::parse(id).expect("an id");
        ProductSummary {
            title: id.to_string(),
            domain: id.domain().to_string(),
            id,
            owner: "team".to_owned(),
            status: ProductStatus::Active,
            visibility,
            tags: Vec::new(),
            revision: 1,
            updated_at: String::new(),
        }
    }

    #[test]
    fn visibility_decides_until_grants_exist() {
        let finance = ProductId::parse("finance.totals").expect("an id");
        let sales = ProductId::parse("sales.report").expect("an id");
        for visibility in [Visibility::Public, Visibility::Internal] {
            let orders = product("sales.orders", visibility);
            assert!(may_read(Reader::Query, &orders).is_ok());
            assert!(may_read(Reader::Product(&finance), &orders).is_ok());
        }
        let secret = product("sales.secret", Visibility::Restricted);
        assert!(may_read(Reader::Product(&sales), &secret).is_ok(), "same domain");
        let refused = may_read(Reader::Product(&finance), &secret).expect_err("another domain");
        assert!(
            refused.contains("restricted to the products of domain `sales`"),
            "{refused}"
        );
        assert!(may_read(Reader::Query, &secret).is_err());
    }
}
