//! The facts the access decision needs, loaded once per request, and the checks every entry point
//! makes with them: the only way from a caller to a product.

use std::collections::HashMap;

use atrium_catalog::GrantRecord;
use atrium_types::{ProductId, ProductSummary};

use crate::access::{Action, Caller, ProductFacts, Refusal, Resource, Subject, authorize};
use crate::{Platform, PlatformError, Result};

/// Product summaries and grants, as the decision sees them, indexed by product so that a
/// decision costs the same whatever the number of products and grants loaded.
#[derive(Debug, Clone)]
pub(crate) struct Facts {
    pub products: Vec<ProductSummary>,
    pub grants: Vec<GrantRecord>,
    pub now: chrono::DateTime<chrono::Utc>,
    position: HashMap<ProductId, usize>,
    grants_on: HashMap<ProductId, Vec<GrantRecord>>,
}

impl Facts {
    pub fn new(products: Vec<ProductSummary>, grants: Vec<GrantRecord>, now: chrono::DateTime<chrono::Utc>) -> Self {
        let position = products
            .iter()
            .enumerate()
            .map(|(index, product)| (product.id.clone(), index))
            .collect();
        let mut grants_on: HashMap<ProductId, Vec<GrantRecord>> = HashMap::new();
        for grant in &grants {
            grants_on.entry(grant.product.clone()).or_default().push(grant.clone());
        }
        Self {
            products,
            grants,
            now,
            position,
            grants_on,
        }
    }

    pub fn of<'a>(&'a self, product: &'a ProductSummary) -> ProductFacts<'a> {
        ProductFacts {
            id: &product.id,
            owner: &product.owner,
            visibility: product.visibility,
            grants: self.grants_on.get(&product.id).map_or(&[], Vec::as_slice),
        }
    }

    pub fn find(&self, id: &ProductId) -> Option<&ProductSummary> {
        self.position.get(id).and_then(|&index| self.products.get(index))
    }

    pub fn decide(&self, subject: Subject<'_>, action: Action<'_>, product: &ProductSummary) -> Result<(), Refusal> {
        authorize(subject, action, Resource::Product(self.of(product)), self.now)
    }

    /// Whether the caller may know the product exists.
    pub fn sees(&self, caller: &Caller, product: &ProductSummary) -> bool {
        self.decide(caller.into(), Action::See, product).is_ok()
    }

    /// The products the caller may know of.
    pub fn visible(&self, caller: &Caller) -> Vec<ProductSummary> {
        self.products
            .iter()
            .filter(|product| self.sees(caller, product))
            .cloned()
            .collect()
    }

    /// The product when the caller may do `action` to it; a product the caller may not see is
    /// answered like one that does not exist.
    pub fn check(&self, caller: &Caller, id: &ProductId, action: Action<'_>) -> Result<&ProductSummary> {
        let product = self.find(id).ok_or_else(|| not_found(id))?;
        self.decide(caller.into(), action, product)?;
        Ok(product)
    }
}

pub(crate) fn not_found(id: &ProductId) -> PlatformError {
    PlatformError::Refused(Refusal::Hidden { product: id.clone() })
}

impl Platform {
    pub(crate) async fn facts(&self) -> Result<Facts> {
        Ok(Facts::new(
            self.catalog.list_products().await?,
            self.catalog.grants().await?,
            self.clock.now(),
        ))
    }

    /// The facts of these products only (their summaries and the grants on them): what a
    /// decision about them needs, whatever the size of the catalog.
    pub(crate) async fn facts_for(&self, ids: &[ProductId]) -> Result<Facts> {
        let (summaries, grants) = self.kept_facts(ids).await?;
        Ok(Facts::new(summaries, grants, self.clock.now()))
    }

    /// The facts of the products these access requests are for.
    pub(crate) async fn facts_of_requests(&self, requests: &[atrium_catalog::RequestRecord]) -> Result<Facts> {
        let mut ids: Vec<ProductId> = requests.iter().map(|request| request.product.clone()).collect();
        ids.sort();
        ids.dedup();
        self.facts_for(&ids).await
    }

    /// What the caller may know exists, for the catalog's lists and search (see
    /// [`crate::access::seen_by`]).
    pub(crate) async fn seen_by(&self, caller: &Caller) -> Result<atrium_catalog::SeenBy> {
        let held = self.kept_grants(crate::access::principals(caller)).await?;
        Ok(crate::access::seen_by(caller, &held, self.clock.now()))
    }

    /// Loads the product's facts and checks one action on it.
    pub(crate) async fn guard(&self, caller: &Caller, id: &ProductId, action: Action<'_>) -> Result<ProductSummary> {
        let facts = self.facts_for(std::slice::from_ref(id)).await?;
        facts.check(caller, id, action).cloned()
    }

    /// Checks an action on the platform as a whole (users, domains, others' tokens).
    pub(crate) fn guard_platform(&self, caller: &Caller) -> Result<()> {
        authorize(caller.into(), Action::Administer, Resource::Platform, self.clock.now())?;
        Ok(())
    }
}
