//! Deploy: validate every descriptor of a batch, check that its `product` inputs may read their
//! upstreams, provision the domains' storage areas, then register the batch in one catalog
//! transaction.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use atrium_catalog::Deployment;
use atrium_descriptor::{Descriptor, Diagnostic, InputSource, locate_field, parse_descriptor};
use atrium_types::{DeployOutcome, ProductId, Visibility};

use atrium_engine::location::{domain_key, output_key};

use crate::access::{self, Reader};
use crate::{Platform, PlatformError, Result};

/// A descriptor's text and where it came from.
#[derive(Debug, Clone)]
pub struct DescriptorSource {
    pub text: String,
    /// A file name for messages, e.g. `examples/mesh/sales/orders.yaml`.
    pub name: Option<String>,
    /// The folder file inputs are relative to (the descriptor's own, when read from a file).
    pub base_dir: Option<PathBuf>,
}

impl DescriptorSource {
    pub fn new(text: impl Into<String>, name: Option<String>) -> Self {
        Self {
            text: text.into(),
            name,
            base_dir: None,
        }
    }

    /// A descriptor read from `path`: its file inputs are relative to the file's folder.
    pub fn from_file(text: impl Into<String>, path: &Path) -> Self {
        let folder = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Self {
            text: text.into(),
            name: Some(path.display().to_string()),
            base_dir: Some(folder.canonicalize().unwrap_or_else(|_| folder.to_owned())),
        }
    }
}

impl Platform {
    /// Validates descriptors without deploying them: every problem of every file.
    pub fn validate(sources: &[DescriptorSource]) -> Result<Vec<Descriptor>> {
        let mut descriptors = Vec::with_capacity(sources.len());
        let mut problems = Vec::new();
        for source in sources {
            match parse_descriptor(&source.text, source.name.as_deref()) {
                Ok(descriptor) => descriptors.push(descriptor),
                Err(found) => problems.extend(found),
            }
        }
        problems.extend(duplicate_ids(sources, &descriptors));
        if problems.is_empty() {
            Ok(descriptors)
        } else {
            Err(PlatformError::Invalid(problems))
        }
    }

    /// Validates and applies a batch: all of it, or nothing when any descriptor is invalid or
    /// reads a product it may not.
    pub async fn deploy(&self, sources: &[DescriptorSource]) -> Result<Vec<DeployOutcome>> {
        let descriptors = Self::validate(sources)?;
        let refused = self.refused_upstreams(sources, &descriptors).await?;
        if !refused.is_empty() {
            return Err(PlatformError::Invalid(refused));
        }
        let mut deployments = Vec::with_capacity(descriptors.len());
        for (descriptor, source) in descriptors.into_iter().zip(sources) {
            let domain = &descriptor.metadata.domain;
            self.engine.root().provision_domain(domain)?;
            let output_storage_paths = descriptor
                .outputs
                .iter()
                .map(|output| output_key(descriptor.id(), &output.name))
                .collect();
            deployments.push(Deployment {
                domain_storage_prefix: domain_key(domain),
                output_storage_paths,
                yaml: source.text.clone(),
                source: source.name.clone(),
                base_dir: source.base_dir.as_ref().map(|dir| dir.display().to_string()),
                descriptor,
            });
        }
        Ok(self.catalog.apply(&deployments).await?)
    }
}

impl Platform {
    /// The `product` inputs of a batch that read a product their product may not read
    /// ([`crate::access`]), located in their files. Upstreams neither deployed nor in the batch
    /// are left to the run, which says they have no data yet.
    async fn refused_upstreams(
        &self,
        sources: &[DescriptorSource],
        descriptors: &[Descriptor],
    ) -> Result<Vec<Diagnostic>> {
        let mut visibility: HashMap<ProductId, Visibility> = self
            .catalog
            .list_products()
            .await?
            .into_iter()
            .map(|product| (product.id, product.visibility))
            .collect();
        for descriptor in descriptors {
            visibility.insert(descriptor.id().clone(), descriptor.metadata.visibility);
        }
        let mut problems = Vec::new();
        for (descriptor, source) in descriptors.iter().zip(sources) {
            for (index, input) in descriptor.inputs.iter().enumerate() {
                let InputSource::Product { product, .. } = &input.source else {
                    continue;
                };
                let Some(&upstream_visibility) = visibility.get(product) else {
                    continue;
                };
                if let Err(reason) = access::may_read(Reader::Product(descriptor.id()), product, upstream_visibility) {
                    let field = format!("inputs[{index}].product");
                    let (line, column) = locate_field(&source.text, &field);
                    problems.push(Diagnostic {
                        file: source.name.clone(),
                        line,
                        column,
                        field,
                        message: format!("may not read `{product}`: {reason} (policy: access)"),
                    });
                }
            }
        }
        Ok(problems)
    }
}

/// A batch must not declare one product twice: which file would win is anyone's guess.
fn duplicate_ids(sources: &[DescriptorSource], descriptors: &[Descriptor]) -> Vec<Diagnostic> {
    if descriptors.len() != sources.len() {
        return Vec::new();
    }
    let mut first_seen: HashMap<String, Option<&str>> = HashMap::new();
    let mut problems = Vec::new();
    for (descriptor, source) in descriptors.iter().zip(sources) {
        let id = descriptor.id().to_string();
        if let Some(first) = first_seen.get(&id) {
            problems.push(Diagnostic {
                file: source.name.clone(),
                line: 1,
                column: 1,
                field: "metadata.id".to_owned(),
                message: format!(
                    "product `{id}` is also declared in {}",
                    first.unwrap_or("another descriptor")
                ),
            });
        } else {
            first_seen.insert(id, source.name.as_deref());
        }
    }
    problems
}
