//! The product counts per (domain, owner, visibility): kept in the transaction of every deploy and
//! removal, by increments under the product row's lock, so that counting a caller's catalog (the
//! home page, the domain list) reads a few rows, not the products.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};

use crate::Result;
use crate::entity::{product, product_count};

/// The key a product is counted under.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct CountKey {
    pub domain: String,
    pub owner: String,
    pub visibility: String,
}

impl CountKey {
    pub fn of(row: &product::Model) -> Self {
        Self {
            domain: row.domain.clone(),
            owner: row.owner.clone(),
            visibility: row.visibility.clone(),
        }
    }
}

/// Changes to the counts, summed over a transaction's products and written once.
#[derive(Debug, Default)]
pub(crate) struct CountChanges(BTreeMap<CountKey, i64>);

impl CountChanges {
    pub fn add(&mut self, key: CountKey, by: i64) {
        *self.0.entry(key).or_default() += by;
    }

    /// Writes the changes inside `txn`: an upsert adds each to its row (rows left at zero go).
    pub async fn write(self, txn: &DatabaseTransaction) -> Result<()> {
        let changes: Vec<(CountKey, i64)> = self.0.into_iter().filter(|(_, by)| *by != 0).collect();
        if changes.is_empty() {
            return Ok(());
        }
        for chunk in changes.chunks(200) {
            let rows = chunk.iter().map(|(key, by)| product_count::ActiveModel {
                domain: Set(key.domain.clone()),
                owner: Set(key.owner.clone()),
                visibility: Set(key.visibility.clone()),
                products: Set(*by),
            });
            let sum = Expr::col((product_count::Entity, product_count::Column::Products))
                .add(Expr::col((Alias::new("excluded"), product_count::Column::Products)));
            product_count::Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::columns([
                        product_count::Column::Domain,
                        product_count::Column::Owner,
                        product_count::Column::Visibility,
                    ])
                    .value(product_count::Column::Products, sum)
                    .to_owned(),
                )
                .exec(txn)
                .await?;
        }
        product_count::Entity::delete_many()
            .filter(product_count::Column::Products.lte(0))
            .exec(txn)
            .await?;
        Ok(())
    }
}
