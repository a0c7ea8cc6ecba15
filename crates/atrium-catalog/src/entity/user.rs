//! A user: signed in with a local password (`source = "local"`) or through OpenID Connect.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub display_name: String,
    pub email: Option<String>,
    /// An argon2id PHC string; `None` for users who sign in through the identity provider.
    pub password_hash: Option<String>,
    pub admin: bool,
    pub source: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
