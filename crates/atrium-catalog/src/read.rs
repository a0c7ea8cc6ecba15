//! Reading the catalog into views: product summaries, domain and product pages (the lists one
//! caller may see are in `visible.rs`).

use std::collections::{BTreeSet, HashMap};

use atrium_types::{
    ColumnView, DomainView, InputView, OutputView, ProductDetail, ProductId, ProductSummary, QualityCheckView,
    RevisionView, SloView,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::entity::{domain, output_column, product, product_input, product_output, product_revision, quality_check};
use crate::time::rfc3339;
use crate::{Catalog, CatalogError, Result, render_markdown};

/// How many runs the product page lists.
pub const RUNS_ON_PAGE: u64 = 20;

impl Catalog {
    /// Every product, by id.
    pub async fn list_products(&self) -> Result<Vec<ProductSummary>> {
        let rows = product::Entity::find()
            .filter(product::Column::RemovedAt.is_null())
            .order_by_asc(product::Column::Id)
            .into_partial_model::<product::SummaryRow>()
            .all(&self.db)
            .await?;
        summaries(rows)
    }

    /// How many products the catalog holds (removed ones left out).
    pub async fn product_count(&self) -> Result<u64> {
        use sea_orm::PaginatorTrait;
        Ok(product::Entity::find()
            .filter(product::Column::RemovedAt.is_null())
            .count(&self.db)
            .await?)
    }

    /// A domain's page: its owners and the first `limit` of its products `seen` admits, with
    /// how many there are.
    pub async fn domain(
        &self,
        name: &str,
        counts: &crate::Counts,
        seen: &crate::SeenBy,
        limit: u64,
    ) -> Result<DomainView> {
        let domain = domain::Entity::find_by_id(name.to_owned())
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found("domain", name))?;
        let products = self
            .visible_products(seen, Some(&domain.name), None, Some(limit))
            .await?;
        let summary = self
            .visible_domains_in(counts, seen)
            .await?
            .into_iter()
            .find(|summary| summary.name == domain.name);
        Ok(DomainView {
            created_at: rfc3339(&domain.created_at),
            owners: summary.as_ref().map(|s| s.owners.clone()).unwrap_or_default(),
            product_count: summary.map_or(0, |s| s.product_count),
            name: domain.name,
            products,
            storage_prefix: domain.storage_prefix,
        })
    }

    /// A product's page as the catalog holds it now, with its latest [`RUNS_ON_PAGE`] runs.
    pub async fn product(&self, id: &ProductId) -> Result<ProductDetail> {
        let mut detail = self.product_contract(id).await?;
        detail.runs = self.runs(id, RUNS_ON_PAGE).await?;
        Ok(detail)
    }

    /// A product's page without its runs (`runs` is empty): what changes only with the feed's
    /// events (a deploy or removal of it or of a product it names, a run finished).
    pub async fn product_contract(&self, id: &ProductId) -> Result<ProductDetail> {
        let id_text = id.to_string();
        let row = product::Entity::find_by_id(id_text.clone())
            .filter(product::Column::RemovedAt.is_null())
            .one(&self.db)
            .await?
            .ok_or_else(|| not_found("product", &id_text))?;
        let summary = summary(row.summary_row())?;
        Ok(ProductDetail {
            summary,
            description_html: render_markdown(&row.description),
            description_markdown: row.description,
            inputs: self.inputs(&id_text).await?,
            transform_sql: row.transform_sql,
            outputs: self.outputs(&id_text).await?,
            schedule: row.schedule,
            slo: row.slo_freshness.map(|freshness| SloView {
                freshness,
                freshness_seconds: row
                    .slo_freshness_seconds
                    .and_then(|s| u64::try_from(s).ok())
                    .unwrap_or(0),
                alert_webhook: row.slo_alert_webhook,
            }),
            revisions: self.revisions(&id_text).await?,
            runs: Vec::new(),
            consumers: self.consumers(&id_text).await?,
            created_at: rfc3339(&row.created_at),
        })
    }

    async fn inputs(&self, id: &str) -> Result<Vec<InputView>> {
        let rows = product_input::Entity::find()
            .filter(product_input::Column::ProductId.eq(id))
            .order_by_asc(product_input::Column::Position)
            .all(&self.db)
            .await?;
        let upstream_ids: Vec<String> = rows.iter().filter_map(|row| row.upstream_product_id.clone()).collect();
        let registered = self.live_ids(upstream_ids).await?;
        rows.into_iter().map(|row| input_view(row, &registered)).collect()
    }

    async fn outputs(&self, id: &str) -> Result<Vec<OutputView>> {
        let outputs = product_output::Entity::find()
            .filter(product_output::Column::ProductId.eq(id))
            .order_by_asc(product_output::Column::Position)
            .all(&self.db)
            .await?;
        let output_ids: Vec<i32> = outputs.iter().map(|output| output.id).collect();
        let mut columns: HashMap<i32, Vec<ColumnView>> = HashMap::new();
        for column in output_column::Entity::find()
            .filter(output_column::Column::OutputId.is_in(output_ids.clone()))
            .order_by_asc(output_column::Column::Position)
            .all(&self.db)
            .await?
        {
            columns.entry(column.output_id).or_default().push(column_view(column)?);
        }
        let mut checks: HashMap<i32, Vec<QualityCheckView>> = HashMap::new();
        for check in quality_check::Entity::find()
            .filter(quality_check::Column::OutputId.is_in(output_ids))
            .order_by_asc(quality_check::Column::Position)
            .all(&self.db)
            .await?
        {
            checks.entry(check.output_id).or_default().push(QualityCheckView {
                name: check.name,
                sql: check.sql,
                expect: check.expect,
            });
        }
        let product_id = parse_id(id)?;
        let mut published: HashMap<String, u64> = self
            .published_versions(std::slice::from_ref(&product_id))
            .await?
            .remove(&product_id)
            .unwrap_or_default()
            .into_iter()
            .map(|published| (published.output, published.version))
            .collect();
        let count = outputs.len();
        Ok(outputs
            .into_iter()
            .enumerate()
            .map(|(index, output)| OutputView {
                table_name: product_id
                    .table_names(&output.name, index, count)
                    .into_iter()
                    .next()
                    .unwrap_or_default(),
                columns: columns.remove(&output.id).unwrap_or_default(),
                quality: checks.remove(&output.id).unwrap_or_default(),
                published_version: published.remove(&output.name),
                name: output.name,
                description: output.description,
                storage_path: output.storage_path,
                sql: output.sql,
            })
            .collect())
    }

    async fn revisions(&self, id: &str) -> Result<Vec<RevisionView>> {
        product_revision::Entity::find()
            .filter(product_revision::Column::ProductId.eq(id))
            .order_by_desc(product_revision::Column::Revision)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| {
                let changes: Vec<String> = serde_json::from_str(&row.changes).map_err(|error| {
                    CatalogError::Corrupt(format!("changes of `{id}` revision {}: {error}", row.revision))
                })?;
                Ok(RevisionView {
                    revision: row.revision,
                    deployed_at: rfc3339(&row.deployed_at),
                    content_hash: row.content_hash,
                    source: row.source,
                    changes,
                })
            })
            .collect()
    }

    /// Products that read this one.
    async fn consumers(&self, id: &str) -> Result<Vec<ProductId>> {
        let readers: Vec<String> = product_input::Entity::find()
            .filter(product_input::Column::UpstreamProductId.eq(id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| row.product_id)
            .collect();
        let consumers = self.live_ids(readers).await?;
        consumers.iter().map(|consumer| parse_id(consumer)).collect()
    }
}

fn not_found(what: &'static str, id: &str) -> CatalogError {
    CatalogError::NotFound {
        what,
        id: id.to_owned(),
    }
}

fn parse_id(text: &str) -> Result<ProductId> {
    ProductId::parse(text).map_err(|error| CatalogError::Corrupt(format!("product id `{text}` {error}")))
}

fn parse_word<T: std::str::FromStr>(what: &str, text: &str) -> Result<T> {
    text.parse()
        .map_err(|_| CatalogError::Corrupt(format!("{what} `{text}`")))
}

/// The summaries of product rows (their tags are on the row: one row per product).
pub(crate) fn summaries(rows: Vec<product::SummaryRow>) -> Result<Vec<ProductSummary>> {
    rows.into_iter().map(summary).collect()
}

fn summary(row: product::SummaryRow) -> Result<ProductSummary> {
    let tags: Vec<String> = serde_json::from_str(&row.tags)
        .map_err(|error| CatalogError::Corrupt(format!("the tags of `{}`: {error}", row.id)))?;
    Ok(ProductSummary {
        id: parse_id(&row.id)?,
        status: parse_word("status", &row.status)?,
        visibility: parse_word("visibility", &row.visibility)?,
        title: row.title,
        domain: row.domain,
        owner: row.owner,
        tags,
        revision: row.current_revision,
        updated_at: rfc3339(&row.updated_at),
    })
}

fn input_view(row: product_input::Model, registered: &BTreeSet<String>) -> Result<InputView> {
    let format = row.format.unwrap_or_default();
    let location = row.location.unwrap_or_default();
    Ok(match row.kind.as_str() {
        "file" => InputView::File {
            name: row.name,
            format,
            path: location,
        },
        "url" => InputView::Url {
            name: row.name,
            format,
            url: location,
        },
        "object" => InputView::Object {
            name: row.name,
            format,
            uri: location,
        },
        "stream" => InputView::Stream { name: row.name },
        "product" => {
            let upstream = row.upstream_product_id.unwrap_or_default();
            InputView::Product {
                registered: registered.contains(&upstream),
                product: parse_id(&upstream)?,
                name: row.name,
            }
        }
        other => return Err(CatalogError::Corrupt(format!("input kind `{other}`"))),
    })
}

fn column_view(row: output_column::Model) -> Result<ColumnView> {
    Ok(ColumnView {
        classification: row
            .classification
            .as_deref()
            .map(|c| parse_word("classification", c))
            .transpose()?,
        pii: row.pii.as_deref().map(|p| parse_word("pii handling", p)).transpose()?,
        name: row.name,
        data_type: row.data_type,
        required: row.required,
        primary_key: row.primary_key,
        description: row.description,
    })
}

impl Catalog {
    /// Every dependency edge between products: (downstream, upstream).
    pub async fn dependency_edges(&self) -> Result<Vec<(ProductId, ProductId)>> {
        product_input::Entity::find()
            .filter(product_input::Column::UpstreamProductId.is_not_null())
            .all(&self.db)
            .await?
            .into_iter()
            .filter_map(|row| row.upstream_product_id.map(|upstream| (row.product_id, upstream)))
            .map(|(downstream, upstream)| Ok((parse_id(&downstream)?, parse_id(&upstream)?)))
            .collect()
    }
}
