//! The facts of the decision about products, kept: each product's summary (or that it does not
//! exist) and the unrevoked grants on it. Every guarded entry point reads them, several times on
//! one page (the page, its sample, its access section); kept, a page asks for the feed's head
//! instead. The feed forgets them: a deploy, a removal or a new domain (the summaries), a grant's
//! change (the grants), a finished run (that product's), an unknown kind (everything). A grant's
//! expiry is judged by the decision at each use, from the clock.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use atrium_catalog::GrantRecord;
use atrium_types::{ProductId, ProductSummary};

use crate::{Platform, Result};

/// What the decision knows of one product.
#[derive(Debug, Default)]
pub(crate) struct ProductFactsKept {
    /// `None`: no such product (or removed).
    summary: Option<ProductSummary>,
    /// The unrevoked grants on it, by id.
    grants: Vec<GrantRecord>,
}

impl Platform {
    /// The summaries of those of `ids` that exist and the unrevoked grants on them, as of the
    /// feed's head (read here); what is not kept is read in one statement each.
    pub(crate) async fn kept_facts(&self, ids: &[ProductId]) -> Result<(Vec<ProductSummary>, Vec<GrantRecord>)> {
        self.forget_changed().await?;
        let wanted: BTreeSet<&ProductId> = ids.iter().collect();
        let mut known: BTreeMap<ProductId, Arc<ProductFactsKept>> = BTreeMap::new();
        let mut missing: Vec<ProductId> = Vec::new();
        // `Err`: something is missing, to be read and kept under this generation.
        let generation = self.kept.find(|kept| {
            for id in &wanted {
                match kept.facts.get(*id) {
                    Some(facts) => {
                        known.insert((*id).clone(), facts.clone());
                    }
                    None => missing.push((*id).clone()),
                }
            }
            missing.is_empty().then_some(())
        });
        let generation = generation.err();
        if let Some(generation) = generation {
            let mut read: BTreeMap<ProductId, ProductFactsKept> = missing
                .iter()
                .map(|id| (id.clone(), ProductFactsKept::default()))
                .collect();
            for summary in self.catalog.summaries_of(&missing).await? {
                if let Some(facts) = read.get_mut(&summary.id) {
                    facts.summary = Some(summary);
                }
            }
            for grant in self.catalog.grants_on(&missing).await? {
                if let Some(facts) = read.get_mut(&grant.product) {
                    facts.grants.push(grant);
                }
            }
            let read: Vec<(ProductId, Arc<ProductFactsKept>)> =
                read.into_iter().map(|(id, facts)| (id, Arc::new(facts))).collect();
            self.kept.keep(generation, |kept| {
                for (id, facts) in &read {
                    kept.facts.put(id.clone(), facts.clone());
                }
            });
            known.extend(read);
        }
        let mut summaries = Vec::with_capacity(known.len());
        let mut grants = Vec::new();
        for facts in known.values() {
            summaries.extend(facts.summary.clone());
            grants.extend(facts.grants.iter().cloned());
        }
        grants.sort_by_key(|grant| grant.id);
        Ok((summaries, grants))
    }
}
