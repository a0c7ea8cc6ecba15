//! The storage layout: where each domain's and each output's data lives.
//!
//! Keys are relative to a storage root and use `/` whatever the platform: `<domain>/` for a
//! domain, `<domain>/<product>/<output>/` for an output table. The root is a local folder
//! (`<data-dir>/store`) by default; the same keys map one to one onto an object-store prefix
//! (`s3://bucket/prefix/<domain>/…`). The parts are typed names (lower-case letters, digits, `_`),
//! so a key can never climb out of its domain's prefix.

use std::path::{Path, PathBuf};

use atrium_types::{DomainName, Name, ProductId};

use crate::Result;

#[derive(Debug, Clone)]
pub struct StorageLayout {
    root: PathBuf,
}

impl StorageLayout {
    pub fn local(root: PathBuf) -> Self {
        Self { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `sales/`
    pub fn domain_prefix(domain: &DomainName) -> String {
        format!("{domain}/")
    }

    /// `sales/orders/orders/`
    pub fn output_prefix(product: &ProductId, output: &Name) -> String {
        format!("{}/{}/{output}/", product.domain(), product.name())
    }

    /// Creates the domain's area; doing it again changes nothing.
    pub async fn provision_domain(&self, domain: &DomainName) -> Result<PathBuf> {
        let path = self.root.join(domain.as_str());
        crate::create_dir(&path).await?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_stay_under_their_domain() {
        let id = ProductId::parse("sales.orders").expect("valid id");
        let output = Name::parse("daily").expect("valid name");
        assert_eq!(StorageLayout::domain_prefix(id.domain()), "sales/");
        assert_eq!(StorageLayout::output_prefix(&id, &output), "sales/orders/daily/");
        assert!(StorageLayout::output_prefix(&id, &output).starts_with(&StorageLayout::domain_prefix(id.domain())));
    }
}
