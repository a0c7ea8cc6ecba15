//! Access requests and the end of grants: a request is recorded, then decided once (approved with
//! its grant, denied, or withdrawn) by a guarded update, so two owners deciding at once, or two
//! replicas sweeping at once, change it once. Each change writes its [`Trail`] in its transaction.
//! Who may ask or decide is the platform's decision; here the rows are only kept.

use atrium_types::{Principal, ProductId, RequestState};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::entity::{access_request, grant, product};
use crate::grants::{NewGrant, record as grant_record};
use crate::{Catalog, CatalogError, GrantRecord, Result, Trail};

/// A request as it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub id: i64,
    pub product: ProductId,
    pub output: Option<String>,
    pub principal: Principal,
    pub requested_by: String,
    pub for_product: Option<ProductId>,
    pub purpose: String,
    pub duration_days: u32,
    pub state: RequestState,
    pub decided_by: Option<String>,
    pub decision_comment: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub grant_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// A request to record.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub product: ProductId,
    pub output: Option<String>,
    pub principal: Principal,
    pub requested_by: String,
    pub for_product: Option<ProductId>,
    pub purpose: String,
    pub duration_days: u32,
}

/// How a pending request ends.
#[derive(Debug, Clone)]
pub enum Decision {
    /// Approved: the grant is made in the same transaction.
    Approve {
        grant: NewGrant,
        duration_days: u32,
    },
    Deny,
    Withdraw,
}

impl Catalog {
    pub async fn create_request(&self, request: NewRequest, trail: Trail, now: DateTime<Utc>) -> Result<RequestRecord> {
        let txn = self.begin_write().await?;
        let row = access_request::ActiveModel {
            id: sea_orm::NotSet,
            product_id: Set(request.product.to_string()),
            output: Set(request.output),
            principal: Set(request.principal.to_string()),
            requested_by: Set(request.requested_by),
            for_product: Set(request.for_product.map(|product| product.to_string())),
            purpose: Set(request.purpose),
            duration_days: Set(i32::try_from(request.duration_days).unwrap_or(i32::MAX)),
            state: Set(RequestState::Pending.as_str().to_owned()),
            decided_by: Set(None),
            decision_comment: Set(None),
            decided_at: Set(None),
            grant_id: Set(None),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        trail.write(&txn, now, Some(row.id)).await?;
        txn.commit().await?;
        request_record(row)
    }

    /// Every request, newest first; `state` keeps those in it.
    pub async fn requests(&self, state: Option<RequestState>) -> Result<Vec<RequestRecord>> {
        let mut query = access_request::Entity::find().order_by_desc(access_request::Column::Id);
        if let Some(state) = state {
            query = query.filter(access_request::Column::State.eq(state.as_str()));
        }
        query.all(&self.db).await?.into_iter().map(request_record).collect()
    }

    /// The pending requests on products of these `domains` or of these `owners`, newest first:
    /// the candidates a caller may decide (the decision is still made on each). One primary-key
    /// look-up per pending request, however many products the catalog holds.
    pub async fn pending_requests_on(&self, domains: &[String], owners: &[String]) -> Result<Vec<RequestRecord>> {
        use sea_orm::sea_query::{ExprTrait, Query};
        if domains.is_empty() && owners.is_empty() {
            return Ok(Vec::new());
        }
        let mut theirs = sea_orm::Condition::any();
        if !domains.is_empty() {
            theirs = theirs.add(product::Column::Domain.is_in(domains.iter().cloned()));
        }
        if !owners.is_empty() {
            theirs = theirs.add(product::Column::Owner.is_in(owners.iter().cloned()));
        }
        let product_of_request = Query::select()
            .expr(Expr::val(1))
            .from(product::Entity)
            .and_where(
                Expr::col((product::Entity, product::Column::Id))
                    .equals((access_request::Entity, access_request::Column::ProductId)),
            )
            .cond_where(theirs)
            .to_owned();
        access_request::Entity::find()
            .filter(access_request::Column::State.eq(RequestState::Pending.as_str()))
            .filter(Expr::exists(product_of_request))
            .order_by_desc(access_request::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(request_record)
            .collect()
    }

    /// The requests for one product, newest first; `state` keeps those in it.
    pub async fn requests_on(&self, product: &ProductId, state: Option<RequestState>) -> Result<Vec<RequestRecord>> {
        let mut query = access_request::Entity::find()
            .filter(access_request::Column::ProductId.eq(product.to_string()))
            .order_by_desc(access_request::Column::Id);
        if let Some(state) = state {
            query = query.filter(access_request::Column::State.eq(state.as_str()));
        }
        query.all(&self.db).await?.into_iter().map(request_record).collect()
    }

    pub async fn request(&self, id: i64) -> Result<Option<RequestRecord>> {
        access_request::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(request_record)
            .transpose()
    }

    /// Ends a pending request as `decision` says, with its trail. `None` when it was no longer
    /// pending (someone decided first): nothing is written then.
    pub async fn decide_request(
        &self,
        id: i64,
        decision: Decision,
        decided_by: &str,
        comment: Option<String>,
        trail: Trail,
        now: DateTime<Utc>,
    ) -> Result<Option<RequestRecord>> {
        let txn = self.begin_write().await?;
        let mut trail = trail;
        let (state, grant_id, days) = match decision {
            Decision::Approve { grant, duration_days } => {
                let row = crate::grants::insert(&txn, grant, Some(id), now).await?;
                let given = grant_record(row.clone())?;
                trail.events.push(crate::feed::grant_event(&given, "given"));
                (RequestState::Approved, Some(row.id), Some(duration_days))
            }
            Decision::Deny => (RequestState::Denied, None, None),
            Decision::Withdraw => (RequestState::Withdrawn, None, None),
        };
        let mut update = access_request::Entity::update_many()
            .col_expr(access_request::Column::State, Expr::value(state.as_str()))
            .col_expr(access_request::Column::DecidedBy, Expr::value(decided_by.to_owned()))
            .col_expr(access_request::Column::DecisionComment, Expr::value(comment))
            .col_expr(access_request::Column::DecidedAt, Expr::value(now))
            .col_expr(access_request::Column::GrantId, Expr::value(grant_id));
        if let Some(days) = days {
            update = update.col_expr(
                access_request::Column::DurationDays,
                Expr::value(i32::try_from(days).unwrap_or(i32::MAX)),
            );
        }
        let changed = update
            .filter(access_request::Column::Id.eq(id))
            .filter(access_request::Column::State.eq(RequestState::Pending.as_str()))
            .exec(&txn)
            .await?
            .rows_affected;
        if changed != 1 {
            txn.rollback().await?;
            return Ok(None);
        }
        trail.write(&txn, now, Some(id)).await?;
        txn.commit().await?;
        self.request(id).await
    }

    /// Revokes a grant (kept, marked revoked with who and why) and marks its request revoked.
    /// `false` when it had already ended.
    pub async fn revoke_grant(
        &self,
        id: i64,
        revoked_by: &str,
        reason: Option<String>,
        trail: Trail,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let also = vec![
            (grant::Column::RevokedBy, Expr::value(revoked_by.to_owned())),
            (grant::Column::RevokeReason, Expr::value(reason)),
        ];
        self.mark_grant(
            id,
            grant::Column::RevokedAt,
            also,
            Some(RequestState::Revoked),
            trail,
            now,
        )
        .await
    }

    /// The grants past their expiry instant that the sweep has not marked yet.
    pub async fn grants_to_expire(&self, now: DateTime<Utc>) -> Result<Vec<GrantRecord>> {
        grant::Entity::find()
            .filter(grant::Column::ExpiresAt.lte(now))
            .filter(grant::Column::ExpiredAt.is_null())
            .filter(grant::Column::RevokedAt.is_null())
            .order_by_asc(grant::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(grant_record)
            .collect()
    }

    /// Marks one grant expired (and its request), with its trail; `false` when another replica
    /// did first.
    pub async fn mark_expired(&self, id: i64, trail: Trail, now: DateTime<Utc>) -> Result<bool> {
        self.mark_grant(
            id,
            grant::Column::ExpiredAt,
            Vec::new(),
            Some(RequestState::Expired),
            trail,
            now,
        )
        .await
    }

    /// The live grants expiring before `until` whose holders were not told yet.
    pub async fn grants_to_warn(&self, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<Vec<GrantRecord>> {
        grant::Entity::find()
            .filter(grant::Column::ExpiresAt.gt(now))
            .filter(grant::Column::ExpiresAt.lte(until))
            .filter(grant::Column::WarnedAt.is_null())
            .filter(grant::Column::RevokedAt.is_null())
            .order_by_asc(grant::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(grant_record)
            .collect()
    }

    /// Marks one grant's holders told that it expires soon; `false` when done already.
    pub async fn mark_warned(&self, id: i64, trail: Trail, now: DateTime<Utc>) -> Result<bool> {
        self.mark_grant(id, grant::Column::WarnedAt, Vec::new(), None, trail, now)
            .await
    }

    /// Sets a grant's `column` to `now` (and the `also` columns beside it) unless it is set
    /// already (so that replicas mark it once), moves its request to `request_state`, and writes
    /// the trail, in one transaction.
    async fn mark_grant(
        &self,
        id: i64,
        column: grant::Column,
        also: Vec<(grant::Column, sea_orm::sea_query::SimpleExpr)>,
        request_state: Option<RequestState>,
        trail: Trail,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let txn = self.begin_write().await?;
        let mut update = grant::Entity::update_many().col_expr(column, Expr::value(now));
        for (other, value) in also {
            update = update.col_expr(other, value);
        }
        let changed = update
            .filter(grant::Column::Id.eq(id))
            .filter(column.is_null())
            .exec(&txn)
            .await?
            .rows_affected;
        if changed != 1 {
            txn.rollback().await?;
            return Ok(false);
        }
        if let Some(state) = request_state {
            follow_grant(&txn, id, state).await?;
        }
        let mut trail = trail;
        if !matches!(column, grant::Column::WarnedAt)
            && let Some(row) = grant::Entity::find_by_id(id).one(&txn).await?
        {
            let ended = if matches!(column, grant::Column::ExpiredAt) {
                "expired"
            } else {
                "revoked"
            };
            trail.events.push(crate::feed::grant_event(&grant_record(row)?, ended));
        }
        trail.write(&txn, now, None).await?;
        txn.commit().await?;
        Ok(true)
    }

    /// The domain's longest grant, if it sets one.
    pub async fn max_grant_days(&self, domain: &str) -> Result<Option<u32>> {
        Ok(crate::entity::domain::Entity::find_by_id(domain.to_owned())
            .one(&self.db)
            .await?
            .and_then(|row| row.max_grant_days)
            .and_then(|days| u32::try_from(days).ok()))
    }

    /// Sets (or, with `None`, clears) the domain's longest grant; `false` when the domain does not
    /// exist.
    pub async fn set_max_grant_days(&self, domain: &str, days: Option<u32>) -> Result<bool> {
        let days = days.map(|days| i32::try_from(days).unwrap_or(i32::MAX));
        let changed = crate::entity::domain::Entity::update_many()
            .col_expr(crate::entity::domain::Column::MaxGrantDays, Expr::value(days))
            .filter(crate::entity::domain::Column::Name.eq(domain))
            .exec(&self.db)
            .await?
            .rows_affected;
        Ok(changed == 1)
    }
}

/// The request a grant was made for follows the grant's end.
async fn follow_grant(db: &impl ConnectionTrait, grant_id: i64, state: RequestState) -> Result<()> {
    access_request::Entity::update_many()
        .col_expr(access_request::Column::State, Expr::value(state.as_str()))
        .filter(access_request::Column::GrantId.eq(grant_id))
        .filter(access_request::Column::State.eq(RequestState::Approved.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

fn request_record(row: access_request::Model) -> Result<RequestRecord> {
    let corrupt =
        |what: &str, value: &str, error: String| CatalogError::Corrupt(format!("request {what} `{value}`: {error}"));
    Ok(RequestRecord {
        id: row.id,
        product: ProductId::parse(&row.product_id).map_err(|e| corrupt("product", &row.product_id, e.to_string()))?,
        principal: Principal::parse(&row.principal).map_err(|e| corrupt("principal", &row.principal, e.to_string()))?,
        for_product: row
            .for_product
            .as_deref()
            .map(|text| ProductId::parse(text).map_err(|e| corrupt("consumer", text, e.to_string())))
            .transpose()?,
        state: row
            .state
            .parse()
            .map_err(|()| corrupt("state", &row.state, "unknown".to_owned()))?,
        output: row.output,
        requested_by: row.requested_by,
        purpose: row.purpose,
        duration_days: u32::try_from(row.duration_days).unwrap_or(0),
        decided_by: row.decided_by,
        decision_comment: row.decision_comment,
        decided_at: row.decided_at,
        grant_id: row.grant_id,
        created_at: row.created_at,
    })
}
