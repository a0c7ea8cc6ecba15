//! The product page: what the product is, where its data comes from, its output contracts,
//! its schedule and SLO, who consumes it, and its revision history.

use atrium_types::{InputView, ProductDetail, ProductId, RevisionView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::access::{AccessSection, UsageSection};
use crate::api::{RunProduct, get_product};
use crate::components::{ErrorPanel, Loading, StatusBadge, Tags, VisibilityBadge, short_date};
use crate::pages::product_contract::OutputContract;
use crate::pages::product_runs::{Runs, Sample, last_status};

#[component]
pub fn ProductPage() -> impl IntoView {
    let params = use_params_map();
    let run_action = ServerAction::<RunProduct>::new();
    // A finished run changes the page: reload it, keeping the old one visible meanwhile.
    let product = Resource::new(
        move || (params.read().get("id").unwrap_or_default(), run_action.version().get()),
        |(id, _)| get_product(id),
    );
    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match product.await {
                    Ok(detail) => view! { <Product detail run_action /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Product(detail: ProductDetail, run_action: ServerAction<RunProduct>) -> impl IntoView {
    let product_id = detail.summary.id.to_string();
    let outputs: Vec<(String, String)> = detail
        .outputs
        .iter()
        .map(|output| (output.name.clone(), output.table_name.clone()))
        .collect();
    let output_names: Vec<String> = detail.outputs.iter().map(|output| output.name.clone()).collect();
    let last_run = last_status(&detail.runs).map(|status| status.as_str());
    let summary = detail.summary.clone();
    let domain_href = format!("/domains/{}", summary.domain);
    view! {
        <Title text=summary.title.clone() />
        <section class="hero">
            <p class="eyebrow">
                <A href=domain_href>{summary.domain.clone()}</A>
                " / "
                <span class="mono">{summary.id.to_string()}</span>
            </p>
            <h1>{summary.title.clone()}</h1>
            <p class="badges">
                <StatusBadge status=summary.status />
                <VisibilityBadge visibility=summary.visibility />
                <Tags tags=summary.tags.clone() />
            </p>
            <dl class="facts">
                <div>
                    <dt>"Owner"</dt>
                    <dd>{summary.owner.clone()}</dd>
                </div>
                <div>
                    <dt>"Revision"</dt>
                    <dd>{summary.revision}</dd>
                </div>
                <div>
                    <dt>"Updated"</dt>
                    <dd>{short_date(&summary.updated_at)}</dd>
                </div>
                <div>
                    <dt>"Schedule"</dt>
                    <dd class="mono">{detail.schedule.clone().unwrap_or_else(|| "on deploy and on demand".to_owned())}</dd>
                </div>
                <div>
                    <dt>"Last run"</dt>
                    <dd>{last_run.unwrap_or("never")}</dd>
                </div>
                <div>
                    <dt>"Freshness SLO"</dt>
                    <dd>{detail.slo.as_ref().map(|slo| slo.freshness.clone()).unwrap_or_else(|| "none".to_owned())}</dd>
                </div>
            </dl>
        </section>
        <section class="panel prose" inner_html=detail.description_html.clone()></section>
        <Inputs inputs=detail.inputs.clone() transform_sql=detail.transform_sql.clone() />
        {detail.outputs.into_iter().map(|output| view! { <OutputContract output /> }).collect_view()}
        <AccessSection product_id=product_id.clone() outputs=output_names />
        <Sample product_id=product_id.clone() outputs run_action />
        <UsageSection product_id=product_id.clone() />
        <Runs product_id runs=detail.runs run_action />
        <Operations detail_slo=detail.slo consumers=detail.consumers />
        <Revisions revisions=detail.revisions />
    }
}

#[component]
fn Inputs(inputs: Vec<InputView>, transform_sql: Option<String>) -> impl IntoView {
    let empty = inputs.is_empty();
    view! {
        <section class="panel" id="inputs">
            <h2>"Inputs"</h2>
            {empty.then(|| view! { <p class="muted">"No inputs: the data is written by another tool."</p> })}
            <ul class="inputs">
                {inputs.into_iter().map(|input| view! { <li><InputLine input /></li> }).collect_view()}
            </ul>
            {transform_sql.map(|sql| view! {
                <h3>"Transform"</h3>
                <pre class="sql"><code>{sql}</code></pre>
            })}
        </section>
    }
}

#[component]
fn InputLine(input: InputView) -> impl IntoView {
    let name = input.name().to_owned();
    let (kind, detail) = match input {
        InputView::File { format, path, .. } => (
            "file",
            view! { <span class="mono">{format!("{path} ({format})")}</span> }.into_any(),
        ),
        InputView::Url { format, url, .. } => (
            "url",
            view! { <span class="mono">{format!("{url} ({format})")}</span> }.into_any(),
        ),
        InputView::Object { format, uri, .. } => (
            "object",
            view! { <span class="mono">{format!("{uri} ({format})")}</span> }.into_any(),
        ),
        InputView::Stream { .. } => (
            "stream",
            view! { <span class="muted">"rows pushed over HTTP"</span> }.into_any(),
        ),
        InputView::Product {
            product, registered, ..
        } => ("product", view! { <ProductLink product registered /> }.into_any()),
        InputView::Hidden { .. } => (
            "product",
            view! { <span class="muted">"another product, which you may not see"</span> }.into_any(),
        ),
    };
    view! {
        <span class="input-name mono">{name}</span>
        <span class="badge kind">{kind}</span>
        {detail}
    }
}

#[component]
fn ProductLink(product: ProductId, #[prop(default = true)] registered: bool) -> impl IntoView {
    let href = format!("/products/{product}");
    view! {
        <A href=href attr:class="mono">{product.to_string()}</A>
        {(!registered).then(|| view! { <span class="muted">" (not deployed yet)"</span> })}
    }
}

#[component]
fn Operations(detail_slo: Option<atrium_types::SloView>, consumers: Vec<ProductId>) -> impl IntoView {
    let no_consumers = consumers.is_empty();
    view! {
        <section class="panel" id="operations">
            <h2>"Service level and consumers"</h2>
            <dl class="facts">
                <div>
                    <dt>"Freshness"</dt>
                    <dd>
                        {detail_slo
                            .as_ref()
                            .map(|slo| format!("a successful run at least every {}", slo.freshness))
                            .unwrap_or_else(|| "no objective".to_owned())}
                    </dd>
                </div>
                <div>
                    <dt>"Alerts"</dt>
                    <dd class="mono">
                        {detail_slo
                            .and_then(|slo| slo.alert_webhook)
                            .unwrap_or_else(|| "in the portal".to_owned())}
                    </dd>
                </div>
            </dl>
            <h3>"Consumed by"</h3>
            {no_consumers.then(|| view! { <p class="muted">"No product reads this one yet."</p> })}
            <ul class="consumers">
                {consumers.into_iter().map(|product| view! { <li><ProductLink product /></li> }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn Revisions(revisions: Vec<RevisionView>) -> impl IntoView {
    view! {
        <section class="panel" id="revisions">
            <h2>"Revision history"</h2>
            <ol class="revisions">
                {revisions
                    .into_iter()
                    .map(|revision| {
                        let first = revision.revision == 1;
                        view! {
                            <li>
                                <span class="revision-number">{format!("r{}", revision.revision)}</span>
                                <span class="muted">{short_date(&revision.deployed_at)}</span>
                                {revision.source.map(|source| view! { <span class="mono muted source-path">{source}</span> })}
                                <ul class="changes">
                                    {first.then(|| view! { <li>"created"</li> })}
                                    {revision.changes.into_iter().map(|change| view! { <li>{change}</li> }).collect_view()}
                                </ul>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </section>
    }
}
