//! The catalog's database schema, as ordered sea-orm migrations that run on SQLite and PostgreSQL.
//!
//! Migrations are append-only: a released migration is never edited; a change is a new one.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_catalog;
mod m20261122_000002_runs;
mod m20261122_000003_schedules;
mod m20261122_000004_run_bytes;
mod m20261122_000005_one_running_run;
mod m20261122_000006_output_sql;
mod m20261122_000007_run_heartbeat;
mod m20261201_000008_identity;
mod m20261201_000009_sign_in_attempts;
mod m20261202_000010_access_requests;
mod m20261202_000011_change_feed;
mod m20261203_000012_catalog_at_scale;
mod m20261203_000013_product_tags_column;
mod m20261203_000014_domain_pages;
mod m20261203_000015_recent_products;
mod m20261204_000016_pending_requests;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_catalog::Migration),
            Box::new(m20261122_000002_runs::Migration),
            Box::new(m20261122_000003_schedules::Migration),
            Box::new(m20261122_000004_run_bytes::Migration),
            Box::new(m20261122_000005_one_running_run::Migration),
            Box::new(m20261122_000006_output_sql::Migration),
            Box::new(m20261122_000007_run_heartbeat::Migration),
            Box::new(m20261201_000008_identity::Migration),
            Box::new(m20261201_000009_sign_in_attempts::Migration),
            Box::new(m20261202_000010_access_requests::Migration),
            Box::new(m20261202_000011_change_feed::Migration),
            Box::new(m20261203_000012_catalog_at_scale::Migration),
            Box::new(m20261203_000013_product_tags_column::Migration),
            Box::new(m20261203_000014_domain_pages::Migration),
            Box::new(m20261203_000015_recent_products::Migration),
            Box::new(m20261204_000016_pending_requests::Migration),
        ]
    }
}
