//! Where tables live, and the one gate every write passes: a domain writes only under its own
//! prefix of the store.
//!
//! Keys follow the platform's storage layout (`<domain>/<product>/<output>/`) under a root URL:
//! `file:///…/<data-dir>/store/` by default, `s3://bucket/prefix/` for object storage.

use std::path::Path;

use atrium_types::{DomainName, Name, ProductId};
use url::Url;

use crate::object_stores::ObjectStoreOptions;
use crate::{EngineError, Result};

/// The key of a domain's area under the store root: `sales/`.
pub fn domain_key(domain: &DomainName) -> String {
    format!("{domain}/")
}

/// The key of an output's table under the store root: `sales/orders/orders/`. The parts are typed
/// names (lower-case letters, digits, `_`), so a key never climbs out of its domain's area.
pub fn output_key(product: &ProductId, output: &Name) -> String {
    format!("{}/{}/{output}/", product.domain(), product.name())
}

/// The key of a product's quarantine table (the input rows its runs set aside):
/// `sales/orders/_rejected/`. Output names start with a letter, so it never meets an output.
pub fn quarantine_key(product: &ProductId) -> String {
    format!("{}/{}/_rejected/", product.domain(), product.name())
}

/// The root of the store: a URL ending in `/`, and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreRoot(Url, ObjectStoreOptions);

impl StoreRoot {
    /// A local folder, created when missing.
    pub fn local(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|error| EngineError::Storage(format!("{}: {error}", dir.display())))?;
        let absolute = dir
            .canonicalize()
            .map_err(|error| EngineError::Storage(format!("{}: {error}", dir.display())))?;
        let url = Url::from_directory_path(&absolute)
            .map_err(|()| EngineError::Storage(format!("{} is not an absolute path", absolute.display())))?;
        Ok(Self(url, ObjectStoreOptions::default()))
    }

    /// A store URL such as `s3://bucket/prefix`.
    pub fn parse(text: &str) -> Result<Self> {
        let with_slash = if text.ends_with('/') {
            text.to_owned()
        } else {
            format!("{text}/")
        };
        Url::parse(&with_slash)
            .map(|url| Self(url, ObjectStoreOptions::default()))
            .map_err(|error| EngineError::Config(format!("storage url `{text}`: {error}")))
    }

    pub fn url(&self) -> &Url {
        &self.0
    }

    /// Reaches the store with `options` (credentials, endpoint); its tables carry them.
    pub fn with_object_stores(self, options: ObjectStoreOptions) -> Self {
        Self(self.0, options)
    }

    /// The prefix of a domain, `<root>/<domain>/`.
    pub fn domain_prefix(&self, domain: &DomainName) -> Result<Url> {
        self.join(&domain_key(domain))
    }

    /// The table of one output port, `<root>/<domain>/<product>/<output>/`.
    pub fn output_table(&self, product: &ProductId, output: &Name) -> Result<TableLocation> {
        let url = self.join(&output_key(product, output))?;
        Ok(self.table(url))
    }

    /// The quarantine table of a product, `<root>/<domain>/<product>/_rejected/`.
    pub fn quarantine_table(&self, product: &ProductId) -> Result<TableLocation> {
        let url = self.join(&quarantine_key(product))?;
        Ok(self.table(url))
    }

    /// Creates a domain's area when the store is a local folder (object stores have no folders);
    /// doing it again changes nothing.
    pub fn provision_domain(&self, domain: &DomainName) -> Result<()> {
        if self.0.scheme() != "file" {
            return Ok(());
        }
        let url = self.domain_prefix(domain)?;
        let path = url
            .to_file_path()
            .map_err(|()| EngineError::Storage(format!("{url} is not a local path")))?;
        std::fs::create_dir_all(&path).map_err(|error| EngineError::Storage(format!("{}: {error}", path.display())))
    }

    fn table(&self, url: Url) -> TableLocation {
        TableLocation {
            url,
            store: self.1.clone(),
        }
    }

    fn join(&self, key: &str) -> Result<Url> {
        self.0
            .join(key)
            .map_err(|error| EngineError::Internal(format!("cannot place `{key}` under the store root: {error}")))
    }
}

/// The location of one Delta table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableLocation {
    url: Url,
    store: ObjectStoreOptions,
}

impl TableLocation {
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// A location from its URL and its store's options (as [`Self::delta_options`] gives them).
    pub fn from_parts(url: Url, delta_options: &std::collections::HashMap<String, String>) -> Self {
        Self {
            url,
            store: ObjectStoreOptions::from_delta_options(delta_options),
        }
    }

    /// How deltalake reaches the table's store.
    pub fn delta_options(&self) -> std::collections::HashMap<String, String> {
        self.store.delta_options()
    }
}

/// The right of one domain to write into the store.
#[derive(Debug, Clone)]
pub struct DomainWriter {
    domain: DomainName,
    prefix: Url,
}

impl DomainWriter {
    pub fn new(root: &StoreRoot, domain: &DomainName) -> Result<Self> {
        Ok(Self {
            domain: domain.clone(),
            prefix: root.domain_prefix(domain)?,
        })
    }

    /// Allows a write to `location` only when it lies under the domain's prefix.
    pub fn authorize(&self, location: &TableLocation) -> Result<()> {
        let inside = location.url.scheme() == self.prefix.scheme()
            && location.url.host_str() == self.prefix.host_str()
            && location.url.path().starts_with(self.prefix.path())
            && !location.url.path().contains("/../");
        if inside {
            Ok(())
        } else {
            Err(EngineError::OutsideDomain {
                location: location.url.to_string(),
                domain: self.domain.to_string(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> ProductId {
        ProductId::parse(text).expect("valid id")
    }

    fn name(text: &str) -> Name {
        Name::parse(text).expect("valid name")
    }

    #[test]
    fn outputs_live_under_their_domain() {
        let root = StoreRoot::parse("s3://lake/atrium").expect("url");
        let table = root
            .output_table(&id("sales.orders"), &name("daily"))
            .expect("location");
        assert_eq!(table.url().as_str(), "s3://lake/atrium/sales/orders/daily/");
        assert_eq!(output_key(&id("sales.orders"), &name("daily")), "sales/orders/daily/");
        assert!(output_key(&id("sales.orders"), &name("daily")).starts_with(&domain_key(id("sales.orders").domain())));
        let sales = DomainWriter::new(&root, &id("sales.orders").domain().clone()).expect("writer");
        assert!(sales.authorize(&table).is_ok());
    }

    #[test]
    fn a_domain_cannot_write_into_another() {
        let root = StoreRoot::parse("s3://lake/atrium").expect("url");
        let crm_table = root
            .output_table(&id("crm.customers"), &name("customers"))
            .expect("location");
        let sales = DomainWriter::new(&root, &id("sales.orders").domain().clone()).expect("writer");
        let error = sales.authorize(&crm_table).expect_err("refused");
        assert_eq!(error.code(), atrium_types::ErrorCode::Forbidden);
        // A prefix that only starts like the domain's is another domain too.
        let sales_eu = root
            .output_table(&id("sales_eu.orders"), &name("orders"))
            .expect("location");
        assert!(sales.authorize(&sales_eu).is_err());
        let elsewhere = TableLocation {
            url: Url::parse("s3://other-bucket/atrium/sales/orders/orders/").expect("url"),
            store: ObjectStoreOptions::default(),
        };
        assert!(sales.authorize(&elsewhere).is_err());
    }
}
