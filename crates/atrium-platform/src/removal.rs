//! Removing a product (its owners: the owning team, the domain's owners, platform admins): hidden
//! from the catalog, its schedule dropped, its tables, runs and audit kept. Readers that name it
//! find nothing, as for a product that never existed; a later deploy of the id restores it.

use atrium_catalog::Trail;
use atrium_types::AuditOutcome;

use crate::access::Action;
use crate::{Caller, Platform, Result};

impl Platform {
    /// Removes `id` for `caller`. A product the caller may not see answers like one that does not
    /// exist; one they may see but not remove says which role it needs.
    pub async fn remove_product(&self, caller: &Caller, id: &str) -> Result<()> {
        let id = &crate::runs::parse_id(id)?;
        let product = self.guard(caller, id, Action::Remove).await?;
        let mut record = self.audit_record(caller, "product.remove", AuditOutcome::Ok, Some(id));
        record.detail.insert("title".to_owned(), product.title.clone());
        let removed = self
            .catalog
            .remove_product(id, &caller.actor(), Trail::audit(record), self.clock.now())
            .await?;
        if !removed {
            // Another owner removed it between the check and the write.
            return Err(crate::guard::not_found(id));
        }
        self.after_change().await;
        Ok(())
    }
}
