//! The order in which products run: every product after the products it reads.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use atrium_types::ProductId;

/// `products` ordered so that each comes after its upstream products (`edges` are
/// `(downstream, upstream)`); ties keep id order. Products on a cycle come last, in id order.
pub fn dependency_order(products: &[ProductId], edges: &[(ProductId, ProductId)]) -> Vec<ProductId> {
    let known: BTreeSet<&ProductId> = products.iter().collect();
    let mut waiting_on: BTreeMap<&ProductId, usize> = products.iter().map(|p| (p, 0)).collect();
    let mut readers: BTreeMap<&ProductId, Vec<&ProductId>> = BTreeMap::new();
    for (downstream, upstream) in edges {
        if known.contains(downstream) && known.contains(upstream) && downstream != upstream {
            *waiting_on.entry(downstream).or_default() += 1;
            readers.entry(upstream).or_default().push(downstream);
        }
    }
    let mut ready: VecDeque<&ProductId> = waiting_on.iter().filter(|(_, n)| **n == 0).map(|(p, _)| *p).collect();
    let mut order = Vec::with_capacity(products.len());
    while let Some(product) = ready.pop_front() {
        order.push(product.clone());
        let mut unlocked = Vec::new();
        for reader in readers.get(product).into_iter().flatten() {
            if let Some(count) = waiting_on.get_mut(reader) {
                *count -= 1;
                if *count == 0 {
                    unlocked.push(*reader);
                }
            }
        }
        unlocked.sort();
        ready.extend(unlocked);
    }
    let placed: BTreeSet<ProductId> = order.iter().cloned().collect();
    order.extend(products.iter().filter(|p| !placed.contains(*p)).cloned());
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &[&str]) -> Vec<ProductId> {
        text.iter().map(|t| ProductId::parse(t).expect("id")).collect()
    }

    fn edge(downstream: &str, upstream: &str) -> (ProductId, ProductId) {
        (
            ProductId::parse(downstream).expect("id"),
            ProductId::parse(upstream).expect("id"),
        )
    }

    #[test]
    fn upstream_first() {
        let products = ids(&["finance.revenue", "crm.customers", "sales.orders", "crm.nations"]);
        let edges = [
            edge("finance.revenue", "sales.orders"),
            edge("finance.revenue", "crm.customers"),
            edge("crm.customers", "crm.nations"),
        ];
        let order: Vec<String> = dependency_order(&products, &edges)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            order,
            ["crm.nations", "sales.orders", "crm.customers", "finance.revenue"]
        );
    }

    #[test]
    fn cycles_and_unknown_upstreams_do_not_lose_products() {
        let products = ids(&["a.x", "a.y", "a.z"]);
        let edges = [edge("a.x", "a.y"), edge("a.y", "a.x"), edge("a.z", "b.unknown")];
        let order: Vec<String> = dependency_order(&products, &edges)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(order, ["a.z", "a.x", "a.y"]);
    }
}
