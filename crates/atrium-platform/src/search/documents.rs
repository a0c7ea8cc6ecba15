//! The search documents of one product, made from the catalog: the product, each output port
//! and each column, with who may see them (the decision's visibility rule as audience keys) and
//! the ranking signals (its reads, its last run's status and checks, the age of its data).

use atrium_search::{AudienceKey, DocKind, SearchDoc, Signals};
use atrium_types::{InputView, ProductDetail, RunStatus, Visibility};

/// Who may see a product, as the decision's visibility rule says (`access::user_decision`):
/// anyone when it is not restricted; otherwise a role in its domain, its named owner, or a grant.
pub(crate) fn audience(detail: &ProductDetail) -> Vec<AudienceKey> {
    let summary = &detail.summary;
    let mut keys = vec![
        AudienceKey::Domain(summary.domain.clone()),
        AudienceKey::Owner(summary.owner.clone()),
        AudienceKey::Product(summary.id.to_string()),
    ];
    if summary.visibility != Visibility::Restricted {
        keys.push(AudienceKey::Everyone);
    }
    keys
}

fn signals(detail: &ProductDetail, reads: u64, now: chrono::DateTime<chrono::Utc>) -> Signals {
    let last = detail.runs.iter().find(|run| run.status != RunStatus::Running);
    let quality = last.filter(|run| !run.checks.is_empty()).map(|run| {
        let passed = run.checks.iter().filter(|check| check.passed).count();
        // Counts of checks are small.
        #[allow(clippy::cast_precision_loss)]
        let share = passed as f64 / run.checks.len() as f64;
        share
    });
    let published = detail
        .runs
        .iter()
        .filter(|run| run.status == RunStatus::Succeeded)
        .find_map(|run| run.finished_at.as_deref())
        .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok());
    #[allow(clippy::cast_precision_loss)]
    let age_days = published.map(|at| (now - at.with_timezone(&chrono::Utc)).num_seconds() as f64 / 86_400.0);
    Signals {
        reads,
        last_run_ok: last.map(|run| run.status == RunStatus::Succeeded),
        quality,
        age_days,
        deprecated: detail.summary.status == atrium_types::ProductStatus::Deprecated,
    }
}

fn freshness(detail: &ProductDetail) -> Option<String> {
    let last = detail.runs.iter().find(|run| run.status != RunStatus::Running)?;
    let at = last.finished_at.as_deref().unwrap_or(&last.started_at);
    let at = chrono::DateTime::parse_from_rfc3339(at)
        .map(|at| at.with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| at.to_owned());
    Some(format!("last run {} {at}", last.status.as_str()))
}

/// Every document of a product.
pub(crate) fn product_documents(
    detail: &ProductDetail,
    reads: u64,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<SearchDoc> {
    let summary = &detail.summary;
    let id = summary.id.to_string();
    let name = summary.id.name().to_string();
    let updated_at = chrono::DateTime::parse_from_rfc3339(&summary.updated_at).map_or(0, |at| at.timestamp());
    let classifications = |columns: &[atrium_types::ColumnView]| {
        let mut all: Vec<String> = columns
            .iter()
            .filter_map(|column| column.classification.map(|c| c.as_str().to_owned()))
            .collect();
        all.sort();
        all.dedup();
        all
    };
    let all_columns: Vec<atrium_types::ColumnView> = detail
        .outputs
        .iter()
        .flat_map(|output| output.columns.clone())
        .collect();
    let inputs: Vec<String> = detail
        .inputs
        .iter()
        .filter_map(|input| match input {
            InputView::Product { product, .. } => Some(product.to_string()),
            _ => None,
        })
        .collect();
    let base = SearchDoc {
        product: Some(id.clone()),
        domain: Some(summary.domain.clone()),
        owner: Some(summary.owner.clone()),
        tags: summary.tags.clone(),
        status: Some(summary.status.as_str().to_owned()),
        visibility: Some(summary.visibility.as_str().to_owned()),
        inputs: inputs.clone(),
        updated_at,
        freshness: freshness(detail),
        audience: audience(detail),
        signals: signals(detail, reads, now),
        ..SearchDoc::default()
    };
    let description = atrium_catalog::markdown_text(&detail.description_markdown);
    let mut docs = vec![SearchDoc {
        id: id.clone(),
        kind: Some(DocKind::Product),
        title: summary.title.clone(),
        names: vec![id.clone(), name],
        columns: all_columns.iter().map(|column| column.name.clone()).collect(),
        body: description,
        classifications: classifications(&all_columns),
        ..base.clone()
    }];
    for output in &detail.outputs {
        let output_id = format!("{id}/{}", output.name);
        docs.push(SearchDoc {
            id: output_id.clone(),
            kind: Some(DocKind::Output),
            title: output.table_name.clone(),
            names: vec![output.name.clone(), output.table_name.clone()],
            columns: output.columns.iter().map(|column| column.name.clone()).collect(),
            body: atrium_catalog::markdown_text(&output.description),
            classifications: classifications(&output.columns),
            tags: Vec::new(),
            ..base.clone()
        });
        for column in &output.columns {
            docs.push(SearchDoc {
                id: format!("{output_id}/{}", column.name),
                kind: Some(DocKind::Column),
                title: column.name.clone(),
                names: vec![column.name.clone()],
                body: column.description.clone().unwrap_or_default(),
                classifications: column
                    .classification
                    .map(|c| vec![c.as_str().to_owned()])
                    .unwrap_or_default(),
                tags: Vec::new(),
                inputs: Vec::new(),
                ..base.clone()
            });
        }
    }
    docs
}
