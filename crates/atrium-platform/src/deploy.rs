//! Deploy: validate every descriptor of a batch, check that the caller may deploy each and that
//! its inputs stay inside the data fence, provision the domains' storage areas, then register the
//! batch in one catalog transaction. A `product` input its product may not read yet does not stop
//! the deploy: the outcome names the grant it needs, and its runs wait for it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use atrium_catalog::Deployment;
use atrium_descriptor::{Descriptor, Diagnostic, InputSource, locate_field, parse_descriptor};
use atrium_types::DeployOutcome;

use atrium_engine::location::{domain_key, output_key};

use crate::access::{Action, Caller, Resource, Subject, authorize};
use crate::guard::Facts;
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

    /// Validates and applies a batch: all of it, or nothing when any descriptor is invalid, is
    /// not the caller's to deploy, or reaches outside the data fence.
    pub async fn deploy(&self, caller: &Caller, sources: &[DescriptorSource]) -> Result<Vec<DeployOutcome>> {
        let descriptors = Self::validate(sources)?;
        // The facts of the batch's products and of the products they read, nothing else.
        let mut at_hand: Vec<atrium_types::ProductId> = Vec::new();
        for descriptor in &descriptors {
            at_hand.push(descriptor.id().clone());
            at_hand.extend(descriptor.upstream_products().cloned());
        }
        at_hand.sort();
        at_hand.dedup();
        let facts = self.facts_for(&at_hand).await?;
        for descriptor in &descriptors {
            self.may_deploy(caller, &facts, descriptor)?;
        }
        let fenced = self.fenced_inputs(sources, &descriptors);
        if !fenced.is_empty() {
            return Err(PlatformError::Invalid(fenced));
        }
        let batch: HashMap<&atrium_types::ProductId, &Descriptor> = descriptors
            .iter()
            .map(|descriptor| (descriptor.id(), descriptor))
            .collect();
        let missing: Vec<Vec<MissingGrant>> = descriptors
            .iter()
            .map(|descriptor| missing_grants(caller, &facts, &batch, descriptor))
            .collect();
        let mut deployments = Vec::with_capacity(descriptors.len());
        let mut provisioned = std::collections::HashSet::new();
        for (descriptor, source) in descriptors.into_iter().zip(sources) {
            let domain = &descriptor.metadata.domain;
            if provisioned.insert(domain.clone()) {
                self.engine.root().provision_domain(domain)?;
            }
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
        let mut outcomes = self.catalog.apply(&deployments).await?;
        for ((outcome, missing), deployment) in outcomes.iter_mut().zip(missing).zip(&deployments) {
            for grant in missing {
                // A product-to-product agreement: the owners of the upstream decide. An unchanged
                // product asks again only when nothing is pending.
                let opened = if outcome.change == atrium_types::DeployChange::Unchanged {
                    None
                } else {
                    self.open_agreement(caller, &deployment.descriptor, &grant.upstream, grant.output.as_deref())
                        .await?
                };
                let words = match opened {
                    Some(request) => format!(
                        "{}; access request {request} asks its owners for it, and the product runs once it is approved",
                        grant.words
                    ),
                    None => format!("{}; its runs wait until then", grant.words),
                };
                outcome.missing_grants.push(words);
            }
        }
        self.after_change().await;
        Ok(outcomes)
    }
}

impl Platform {
    /// A product already deployed is the caller's to change when they are a writer of its domain
    /// or one of its owners; a new one when they are a writer of the domain (an admin creates
    /// domains). A product the caller may not see is treated as new: its existence is not told.
    fn may_deploy(&self, caller: &Caller, facts: &Facts, descriptor: &Descriptor) -> Result<()> {
        if let Some(existing) = facts.find(descriptor.id())
            && facts.sees(caller, existing)
        {
            return Ok(facts.decide(caller.into(), Action::Deploy, existing)?);
        }
        let domain = &descriptor.metadata.domain;
        Ok(authorize(
            caller.into(),
            Action::Deploy,
            Resource::Domain(domain),
            facts.now,
        )?)
    }

    /// The inputs of a batch that reach outside the data fence, located in their files: `file`
    /// inputs of a descriptor without a folder when the operator lists no roots, `object` inputs
    /// inside the platform's own store.
    fn fenced_inputs(&self, sources: &[DescriptorSource], descriptors: &[Descriptor]) -> Vec<Diagnostic> {
        let fence = self.engine.fence();
        let mut problems = Vec::new();
        for (descriptor, source) in descriptors.iter().zip(sources) {
            for (index, input) in descriptor.inputs.iter().enumerate() {
                let (field, refusal) = match &input.source {
                    InputSource::File { .. } if source.base_dir.is_none() && fence.file_roots.is_empty() => (
                        "path",
                        Some(
                            "a descriptor sent without its folder reads files only under the roots the operator lists ([fence] file_roots)"
                                .to_owned(),
                        ),
                    ),
                    // Which stores the operator allows may change after a deploy: runs check that.
                    InputSource::Object { uri, .. } => (
                        "uri",
                        fence.object_outside_platform(uri, self.engine.root().url()).err(),
                    ),
                    _ => ("", None),
                };
                if let Some(message) = refusal {
                    let field = format!("inputs[{index}].source.{field}");
                    let (line, column) = locate_field(&source.text, &field);
                    problems.push(Diagnostic {
                        file: source.name.clone(),
                        line,
                        column,
                        field,
                        message: format!("{message} (policy: data fence)"),
                    });
                }
            }
        }
        problems
    }
}

/// A grant a product's `product` input still needs.
struct MissingGrant {
    words: String,
    upstream: atrium_types::ProductSummary,
    output: Option<String>,
}

/// The grants a product's `product` inputs still need (its runs wait for them).
fn missing_grants(
    caller: &Caller,
    facts: &Facts,
    batch: &HashMap<&atrium_types::ProductId, &Descriptor>,
    descriptor: &Descriptor,
) -> Vec<MissingGrant> {
    let subject = Subject::ProductRun {
        product: descriptor.id(),
        owner: &descriptor.metadata.owner,
    };
    let mut missing = Vec::new();
    for input in &descriptor.inputs {
        let InputSource::Product { product, output } = &input.source else {
            continue;
        };
        // An upstream of the same batch is judged by its new descriptor.
        let summary = match batch.get(product) {
            Some(upstream) => atrium_types::ProductSummary {
                id: upstream.id().clone(),
                title: upstream.metadata.title.clone(),
                domain: upstream.metadata.domain.to_string(),
                owner: upstream.metadata.owner.clone(),
                status: upstream.metadata.status,
                visibility: upstream.metadata.visibility,
                tags: Vec::new(),
                revision: 0,
                updated_at: String::new(),
            },
            // An upstream the deploying caller may not see is told of as little as one that does
            // not exist: no missing grant, no request.
            None => match facts.find(product) {
                Some(summary) if facts.sees(caller, summary) => summary.clone(),
                _ => continue,
            },
        };
        let output = output.as_ref().map(|o| o.to_string());
        let action = Action::ReadData {
            output: output.as_deref(),
        };
        if let Err(refusal) = facts.decide(subject, action, &summary) {
            missing.push(MissingGrant {
                words: format!("input `{}`: {refusal}", input.name),
                upstream: summary,
                output,
            });
        }
    }
    missing
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
