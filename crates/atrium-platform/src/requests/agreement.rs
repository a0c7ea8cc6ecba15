//! Product-to-product agreements: a deployed product whose `product` input its owner may not
//! read asks for it on its owner's behalf, with its title, description and SQL as the purpose.

use atrium_catalog::NewRequest;
use atrium_types::{Principal, ProductSummary, TeamName, UserName};

use super::{MAX_TEXT, truncate};
use crate::access::Caller;
use crate::{Platform, Result};

impl Platform {
    /// Opens the product-to-product agreement a deployed product needs to read `upstream`: a
    /// request on behalf of its owner, unless one is pending. Answers the request's id.
    pub(crate) async fn open_agreement(
        &self,
        caller: &Caller,
        consumer: &atrium_descriptor::Descriptor,
        upstream: &ProductSummary,
        output: Option<&str>,
    ) -> Result<Option<i64>> {
        let owner = &consumer.metadata.owner;
        let principal = match (TeamName::parse(owner), UserName::parse(owner)) {
            (Ok(team), _) => Principal::Team(team),
            (Err(_), Ok(user)) => Principal::User(user),
            (Err(_), Err(_)) => return Ok(None),
        };
        if let Some(twin) = self.pending_twin(&upstream.id, &principal, output).await? {
            return Ok(Some(twin));
        }
        let sql = consumer
            .transform
            .as_ref()
            .map(|transform| transform.sql.trim().to_owned())
            .unwrap_or_default();
        let mut purpose = format!(
            "Product `{}` ({}) reads it as an input. {}",
            consumer.id(),
            consumer.metadata.title,
            consumer.metadata.description.trim()
        );
        if !sql.is_empty() {
            purpose.push_str("\n\nSQL:\n");
            purpose.push_str(&sql);
        }
        let days = self
            .allowed_days(&upstream.id, atrium_types::DEFAULT_GRANT_DAYS)
            .await
            .unwrap_or(1);
        let new = NewRequest {
            product: upstream.id.clone(),
            output: output.map(str::to_owned),
            principal,
            requested_by: caller.label(),
            for_product: Some(consumer.id().clone()),
            purpose: truncate(&purpose, MAX_TEXT),
            duration_days: days,
        };
        let view = self.open_request(caller, new, upstream).await?;
        Ok(Some(view.id))
    }
}
