//! The catalog as one caller may see it, asked of the database: the decision's visibility rule
//! (`atrium_platform::access`) comes here as a [`SeenBy`] and becomes a `WHERE`, so that lists,
//! counts and pages cost the same at 100k products as at 100 (nothing loads the whole catalog to
//! filter it afterwards).

use std::collections::{BTreeMap, BTreeSet};

use atrium_types::{DomainSummary, ProductId, ProductSummary};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entity::{domain, grant, product};
use crate::{Catalog, GrantRecord, Result};

/// Whom the catalog is shown to: everything (the operator, the system, admins), or what these
/// keys let one see — a product is seen when it is not restricted, or it is of one of the
/// `domains` (a role there), or its owner is one of `owners` (the user or a team of theirs), or
/// it is one of `products` (a live grant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeenBy {
    Everything,
    Keys {
        domains: BTreeSet<String>,
        owners: BTreeSet<String>,
        products: BTreeSet<String>,
    },
}

impl SeenBy {
    fn condition(&self) -> Condition {
        match self {
            SeenBy::Everything => Condition::all(),
            SeenBy::Keys {
                domains,
                owners,
                products,
            } => {
                let mut any = Condition::any().add(product::Column::Visibility.ne("restricted"));
                if !domains.is_empty() {
                    any = any.add(product::Column::Domain.is_in(domains.iter().cloned()));
                }
                if !owners.is_empty() {
                    any = any.add(product::Column::Owner.is_in(owners.iter().cloned()));
                }
                if !products.is_empty() {
                    any = any.add(product::Column::Id.is_in(products.iter().cloned()));
                }
                any
            }
        }
    }

    /// Whether the rule admits a product (the same rule as [`SeenBy::condition`], for a row
    /// already at hand).
    pub fn admits(&self, summary: &ProductSummary) -> bool {
        match self {
            SeenBy::Everything => true,
            SeenBy::Keys {
                domains,
                owners,
                products,
            } => {
                summary.visibility != atrium_types::Visibility::Restricted
                    || domains.contains(&summary.domain)
                    || owners.contains(&summary.owner)
                    || products.contains(&summary.id.to_string())
            }
        }
    }
}

impl Catalog {
    fn live_products(&self, seen: &SeenBy) -> sea_orm::Select<product::Entity> {
        product::Entity::find()
            .filter(product::Column::RemovedAt.is_null())
            .filter(seen.condition())
    }

    /// A page of the products `seen` admits, by id, after `after` (all of them without a `limit`).
    pub async fn visible_products(
        &self,
        seen: &SeenBy,
        domain: Option<&str>,
        after: Option<&str>,
        limit: Option<u64>,
    ) -> Result<Vec<ProductSummary>> {
        let mut select = self.live_products(seen);
        if let Some(domain) = domain {
            select = select.filter(product::Column::Domain.eq(domain));
        }
        if let Some(after) = after {
            select = select.filter(product::Column::Id.gt(after));
        }
        let mut select = select.order_by_asc(product::Column::Id);
        if let Some(limit) = limit {
            // The database takes a signed count.
            select = select.limit(limit.min(i64::MAX as u64));
        }
        let rows = select.all(&self.db).await?;
        self.summaries(rows).await
    }

    /// The `limit` products `seen` admits that changed last.
    pub async fn recent_products(&self, seen: &SeenBy, limit: u64) -> Result<Vec<ProductSummary>> {
        let rows = self
            .live_products(seen)
            .order_by_desc(product::Column::UpdatedAt)
            .order_by_asc(product::Column::Id)
            .limit(limit.min(i64::MAX as u64))
            .all(&self.db)
            .await?;
        self.summaries(rows).await
    }

    /// How many products `seen` admits.
    pub async fn visible_count(&self, seen: &SeenBy) -> Result<u64> {
        use sea_orm::PaginatorTrait;
        Ok(self.live_products(seen).count(&self.db).await?)
    }

    /// Every domain with the count and owners of the products `seen` admits in it (grouped by
    /// the database).
    pub async fn visible_domains(&self, seen: &SeenBy) -> Result<Vec<DomainSummary>> {
        let domains = domain::Entity::find()
            .order_by_asc(domain::Column::Name)
            .all(&self.db)
            .await?;
        let groups: Vec<(String, String, i64)> = self
            .live_products(seen)
            .select_only()
            .column(product::Column::Domain)
            .column(product::Column::Owner)
            .column_as(product::Column::Id.count(), "products")
            .group_by(product::Column::Domain)
            .group_by(product::Column::Owner)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut by_domain: BTreeMap<String, (u64, Vec<String>)> = BTreeMap::new();
        for (domain, owner, count) in groups {
            let entry = by_domain.entry(domain).or_default();
            entry.0 += u64::try_from(count).unwrap_or(0);
            entry.1.push(owner);
        }
        Ok(domains
            .into_iter()
            .map(|domain| {
                let (product_count, mut owners) = by_domain.remove(&domain.name).unwrap_or_default();
                owners.sort();
                DomainSummary {
                    name: domain.name,
                    product_count,
                    owners,
                }
            })
            .collect())
    }

    /// Which of these ids name a product in the catalog (not removed).
    pub(crate) async fn live_ids(&self, ids: impl IntoIterator<Item = String>) -> Result<BTreeSet<String>> {
        let ids: Vec<String> = ids.into_iter().collect();
        if ids.is_empty() {
            return Ok(BTreeSet::new());
        }
        let live: Vec<String> = product::Entity::find()
            .select_only()
            .column(product::Column::Id)
            .filter(product::Column::Id.is_in(ids))
            .filter(product::Column::RemovedAt.is_null())
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(live.into_iter().collect())
    }

    /// The summaries of these products (the live ones), for the decision.
    pub async fn summaries_of(&self, ids: &[ProductId]) -> Result<Vec<ProductSummary>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = product::Entity::find()
            .filter(product::Column::RemovedAt.is_null())
            .filter(product::Column::Id.is_in(ids.iter().map(ToString::to_string)))
            .all(&self.db)
            .await?;
        self.summaries(rows).await
    }

    /// The grants not revoked on these products.
    pub async fn grants_on(&self, ids: &[ProductId]) -> Result<Vec<GrantRecord>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        grant::Entity::find()
            .filter(grant::Column::RevokedAt.is_null())
            .filter(grant::Column::ProductId.is_in(ids.iter().map(ToString::to_string)))
            .order_by_asc(grant::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(crate::grants::record)
            .collect()
    }

    /// The grants not revoked held by these principals (`user:…`, `team:…`).
    pub async fn grants_held(&self, principals: &[String]) -> Result<Vec<GrantRecord>> {
        if principals.is_empty() {
            return Ok(Vec::new());
        }
        grant::Entity::find()
            .filter(grant::Column::RevokedAt.is_null())
            .filter(grant::Column::Principal.is_in(principals.iter().cloned()))
            .order_by_asc(grant::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(crate::grants::record)
            .collect()
    }
}
