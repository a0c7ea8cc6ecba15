//! The catalog as one caller may see it, asked of the database: the decision's visibility rule
//! (`atrium_platform::access`) comes here as a [`SeenBy`] and becomes a `WHERE`, so that lists,
//! counts and pages cost the same at 100k products as at 100 (nothing loads the whole catalog to
//! filter it afterwards).

use std::collections::{BTreeMap, BTreeSet};

use atrium_types::{DomainSummary, ProductId, ProductSummary};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entity::{domain, grant, product, product_count};
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
        let restricted = summary.visibility == atrium_types::Visibility::Restricted;
        self.admits_without_grants(&summary.domain, &summary.owner, restricted)
            || matches!(self, SeenBy::Keys { products, .. } if products.contains(&summary.id.to_string()))
    }

    /// Whether the rule admits a product of this domain, owner and visibility by them alone (a
    /// grant on the product itself aside).
    fn admits_without_grants(&self, domain: &str, owner: &str, restricted: bool) -> bool {
        match self {
            SeenBy::Everything => true,
            SeenBy::Keys { domains, owners, .. } => !restricted || domains.contains(domain) || owners.contains(owner),
        }
    }
}

/// The domains and the live products per (domain, owner, visibility): what every caller's counts
/// are made of.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Counts {
    /// Every domain's name, in order.
    pub domains: Vec<String>,
    pub rows: Vec<CountRow>,
}

/// How many live products a domain has of one owner and visibility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountRow {
    pub domain: String,
    pub owner: String,
    pub restricted: bool,
    pub products: u64,
}

/// How many values one `IN (…)` list binds at most: SQLite refuses a statement with more than
/// 32,766 parameters, so longer lists are asked in parts.
pub(crate) const IN_LIST: usize = 1000;

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
        let rows = select.into_partial_model::<product::SummaryRow>().all(&self.db).await?;
        crate::read::summaries(rows)
    }

    /// The `limit` products `seen` admits that changed last (the last id first among those changed
    /// together: both in the order of `idx_products_updated_at_id`, read backwards, no sort).
    pub async fn recent_products(&self, seen: &SeenBy, limit: u64) -> Result<Vec<ProductSummary>> {
        let rows = self
            .live_products(seen)
            .order_by_desc(product::Column::UpdatedAt)
            .order_by_desc(product::Column::Id)
            .limit(limit.min(i64::MAX as u64))
            .into_partial_model::<product::SummaryRow>()
            .all(&self.db)
            .await?;
        crate::read::summaries(rows)
    }

    /// The domains and the kept counts, as they are now: what [`Catalog::visible_domains_in`]
    /// shows to each caller. Only a deploy, a removal or a new domain changes them (all in the feed).
    pub async fn counts(&self) -> Result<Counts> {
        let domains = domain::Entity::find()
            .select_only()
            .column(domain::Column::Name)
            .order_by_asc(domain::Column::Name)
            .into_tuple()
            .all(&self.db)
            .await?;
        let rows = product_count::Entity::find()
            .filter(product_count::Column::Products.gt(0))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| CountRow {
                restricted: row.visibility == atrium_types::Visibility::Restricted.as_str(),
                domain: row.domain,
                owner: row.owner,
                products: u64::try_from(row.products).unwrap_or(0),
            })
            .collect();
        Ok(Counts { domains, rows })
    }

    /// Every domain of `counts` with the count and owners of the products `seen` admits in it.
    pub async fn visible_domains_in(&self, counts: &Counts, seen: &SeenBy) -> Result<Vec<DomainSummary>> {
        let mut by_domain: BTreeMap<String, (u64, Vec<String>)> = BTreeMap::new();
        for ((domain, owner), count) in self.admitted_counts(counts, seen).await? {
            let entry = by_domain.entry(domain).or_default();
            entry.0 += count;
            entry.1.push(owner);
        }
        Ok(counts
            .domains
            .iter()
            .map(|name| {
                let (product_count, mut owners) = by_domain.remove(name).unwrap_or_default();
                owners.sort();
                DomainSummary {
                    name: name.clone(),
                    product_count,
                    owners,
                }
            })
            .collect())
    }

    /// How many live products `seen` admits per (domain, owner): the kept counts under the rule,
    /// and the restricted products admitted by a grant alone (a few rows, by id).
    async fn admitted_counts(&self, counts: &Counts, seen: &SeenBy) -> Result<BTreeMap<(String, String), u64>> {
        let mut admitted: BTreeMap<(String, String), u64> = BTreeMap::new();
        for row in &counts.rows {
            if seen.admits_without_grants(&row.domain, &row.owner, row.restricted) {
                *admitted.entry((row.domain.clone(), row.owner.clone())).or_default() += row.products;
            }
        }
        if let SeenBy::Keys { products, .. } = seen
            && !products.is_empty()
        {
            let granted: Vec<(String, String)> = product::Entity::find()
                .select_only()
                .column(product::Column::Domain)
                .column(product::Column::Owner)
                .filter(product::Column::RemovedAt.is_null())
                .filter(product::Column::Visibility.eq(atrium_types::Visibility::Restricted.as_str()))
                .filter(product::Column::Id.is_in(products.iter().cloned()))
                .into_tuple()
                .all(&self.db)
                .await?;
            for (domain, owner) in granted {
                if !seen.admits_without_grants(&domain, &owner, true) {
                    *admitted.entry((domain, owner)).or_default() += 1;
                }
            }
        }
        Ok(admitted)
    }

    /// Which of these ids name a product in the catalog (not removed).
    pub(crate) async fn live_ids(&self, ids: impl IntoIterator<Item = String>) -> Result<BTreeSet<String>> {
        let ids: Vec<String> = ids.into_iter().collect();
        let mut live = BTreeSet::new();
        for chunk in ids.chunks(IN_LIST) {
            let found: Vec<String> = product::Entity::find()
                .select_only()
                .column(product::Column::Id)
                .filter(product::Column::Id.is_in(chunk.iter().cloned()))
                .filter(product::Column::RemovedAt.is_null())
                .into_tuple()
                .all(&self.db)
                .await?;
            live.extend(found);
        }
        Ok(live)
    }

    /// The summaries of these products (the live ones), for the decision.
    pub async fn summaries_of(&self, ids: &[ProductId]) -> Result<Vec<ProductSummary>> {
        let mut rows = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IN_LIST) {
            rows.extend(
                product::Entity::find()
                    .filter(product::Column::RemovedAt.is_null())
                    .filter(product::Column::Id.is_in(chunk.iter().map(ToString::to_string)))
                    .into_partial_model::<product::SummaryRow>()
                    .all(&self.db)
                    .await?,
            );
        }
        crate::read::summaries(rows)
    }

    /// The grants not revoked on these products.
    pub async fn grants_on(&self, ids: &[ProductId]) -> Result<Vec<GrantRecord>> {
        let mut rows = Vec::new();
        for chunk in ids.chunks(IN_LIST) {
            rows.extend(
                grant::Entity::find()
                    .filter(grant::Column::RevokedAt.is_null())
                    .filter(grant::Column::ProductId.is_in(chunk.iter().map(ToString::to_string)))
                    .all(&self.db)
                    .await?,
            );
        }
        rows.sort_by_key(|row| row.id);
        rows.into_iter().map(crate::grants::record).collect()
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
