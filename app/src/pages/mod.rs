//! The catalog pages, one module each, at stable paths: `/`, `/domains/{domain}`,
//! `/products/{id}`, `/query`, `/new`.

mod domain;
mod home;
mod new_product;
mod product;
mod product_contract;
mod product_runs;
mod query;

pub use domain::DomainPage;
pub use home::HomePage;
pub use new_product::NewProductPage;
pub use product::ProductPage;
pub use query::QueryPage;
