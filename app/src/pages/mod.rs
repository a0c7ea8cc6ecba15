//! The catalog pages, one module each, at stable paths: `/`, `/domains`, `/domains/{domain}`,
//! `/products/{id}`, `/query`, `/new`, and the account's `/login` and `/tokens`.

mod domain;
mod domains;
mod home;
mod login;
mod new_product;
mod product;
mod product_contract;
mod product_runs;
mod query;
mod tokens;

pub use domain::DomainPage;
pub use domains::DomainsPage;
pub use home::HomePage;
pub use login::LoginPage;
pub use new_product::NewProductPage;
pub use product::ProductPage;
pub use query::QueryPage;
pub use tokens::TokensPage;
