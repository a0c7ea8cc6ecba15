//! Usage, from the audit log's successful reads: who read a product, how often, from which domain
//! and through which consuming products; and the reads between domains, the cross-domain usage
//! picture. Only products the caller may see are counted or named.

use std::collections::{BTreeMap, BTreeSet};

use atrium_catalog::rfc3339;
use atrium_types::{ProductUsage, UsageCount, UsageEdge, UsageGraph};
use chrono::{DateTime, Duration, Utc};

use crate::access::{Action, Caller};
use crate::{Platform, PlatformError, Result, audit};

/// The longest period the usage views look back.
const MAX_DAYS: u32 = 366;

impl Platform {
    /// Who read the product over the last `days` days; for its owners and its readers.
    pub async fn product_usage(&self, caller: &Caller, id: &str, days: u32) -> Result<ProductUsage> {
        let days = check_days(days)?;
        let id = crate::runs::parse_id(id)?;
        let facts = self.facts_for(std::slice::from_ref(&id)).await?;
        let product = facts.check(caller, &id, Action::See)?;
        let owner = facts.decide(caller.into(), Action::ManageGrants, product).is_ok();
        let detail = self.product_detail(&id).await?;
        let reader = facts
            .decide(caller.into(), Action::ReadData { output: None }, product)
            .is_ok()
            || detail.outputs.iter().any(|output| {
                facts
                    .decide(
                        caller.into(),
                        Action::ReadData {
                            output: Some(&output.name),
                        },
                        product,
                    )
                    .is_ok()
            });
        if !(owner || reader) {
            facts.decide(caller.into(), Action::ReadData { output: None }, product)?;
        }
        let since = self.clock.now() - Duration::days(i64::from(days));
        let groups = self.catalog.read_groups(audit::DATA_ACTIONS, Some(&id), since).await?;
        // The consuming products, to be named to those who may see them.
        let mut consumers: Vec<atrium_types::ProductId> = groups
            .iter()
            .filter_map(|group| group.actor.strip_prefix("product:"))
            .filter_map(|consumer| atrium_types::ProductId::parse(consumer).ok())
            .collect();
        consumers.sort();
        consumers.dedup();
        let consumer_facts = self.facts_for(&consumers).await?;
        let mut usage = ProductUsage {
            product: Some(id),
            days,
            ..ProductUsage::default()
        };
        let mut readers = Tally::default();
        let mut domains = Tally::default();
        let mut products = Tally::default();
        for group in &groups {
            usage.reads += group.reads;
            usage.rows += group.rows;
            let consumer = group.actor.strip_prefix("product:");
            let named = match consumer {
                // A consuming product is named only to those who may see it.
                Some(consumer) => atrium_types::ProductId::parse(consumer).ok().and_then(|consumer| {
                    consumer_facts
                        .find(&consumer)
                        .filter(|p| consumer_facts.sees(caller, p))
                        .map(|p| p.id.to_string())
                }),
                None => Some(group.actor.clone()),
            };
            let name = named.clone().unwrap_or_else(|| "a product you may not see".to_owned());
            readers.add(&name, group.reads, group.rows, group.last_at);
            domains.add(
                group.actor_domain.as_deref().unwrap_or("(no domain)"),
                group.reads,
                group.rows,
                group.last_at,
            );
            if group.action == audit::RUN_READ {
                products.add(&name, group.reads, group.rows, group.last_at);
            }
        }
        usage.readers = readers.sorted();
        usage.domains = domains.sorted();
        usage.products = products.sorted();
        Ok(usage)
    }

    /// The reads between domains over the last `days` days: an edge from the reading domain to
    /// the domain of the product read, over the products the caller may see.
    pub async fn usage_graph(&self, caller: &Caller, days: u32) -> Result<UsageGraph> {
        let days = check_days(days)?;
        let facts = self.facts().await?;
        let since = self.clock.now() - Duration::days(i64::from(days));
        let groups = self.catalog.read_groups(audit::DATA_ACTIONS, None, since).await?;
        let visible: BTreeSet<String> = facts.visible(caller).iter().map(|p| p.id.to_string()).collect();
        let mut domains: BTreeSet<String> = facts.visible(caller).iter().map(|p| p.domain.clone()).collect();
        let mut edges: BTreeMap<(String, String), EdgeTally> = BTreeMap::new();
        for group in groups {
            if !visible.contains(&group.product.to_string()) {
                continue;
            }
            let Some(from) = group.actor_domain.clone() else {
                continue;
            };
            let to = group.product.domain().to_string();
            if from == to {
                continue;
            }
            domains.insert(from.clone());
            domains.insert(to.clone());
            let edge = edges.entry((from, to)).or_default();
            edge.0 += group.reads;
            edge.1.insert(group.product.to_string());
            let consumer = group
                .actor
                .strip_prefix("product:")
                .map_or(Some(group.actor.clone()), |consumer| {
                    visible.contains(consumer).then(|| consumer.to_owned())
                });
            if let Some(consumer) = consumer {
                edge.2.insert(consumer);
            }
        }
        Ok(UsageGraph {
            days,
            domains: domains.into_iter().collect(),
            edges: edges
                .into_iter()
                .map(|((from, to), (reads, products_read, consumers))| UsageEdge {
                    from,
                    to,
                    reads,
                    products_read: products_read.into_iter().collect(),
                    consumers: consumers.into_iter().collect(),
                })
                .collect(),
        })
    }
}

/// An edge's reads, the products read and the consumers.
type EdgeTally = (u64, BTreeSet<String>, BTreeSet<String>);

fn check_days(days: u32) -> Result<u32> {
    if days == 0 || days > MAX_DAYS {
        return Err(PlatformError::BadRequest(format!(
            "`days` must be between 1 and {MAX_DAYS}, found {days}"
        )));
    }
    Ok(days)
}

/// Counts by name.
#[derive(Default)]
struct Tally(BTreeMap<String, (u64, u64, DateTime<Utc>)>);

impl Tally {
    fn add(&mut self, name: &str, reads: u64, rows: u64, at: DateTime<Utc>) {
        let entry = self.0.entry(name.to_owned()).or_insert((0, 0, at));
        entry.0 += reads;
        entry.1 += rows;
        entry.2 = entry.2.max(at);
    }

    /// The most reads first.
    fn sorted(self) -> Vec<UsageCount> {
        let mut counts: Vec<UsageCount> = self
            .0
            .into_iter()
            .map(|(name, (reads, rows, at))| UsageCount {
                name,
                reads,
                rows,
                last_at: rfc3339(&at),
            })
            .collect();
        counts.sort_by(|a, b| b.reads.cmp(&a.reads).then(a.name.cmp(&b.name)));
        counts
    }
}
