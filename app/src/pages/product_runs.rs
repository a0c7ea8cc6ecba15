//! The product page's data sections: the "Run now" button, the run history with each run's log,
//! and a sample of the published data with the SQL to query it.

use atrium_types::{RunStatus, RunView, TableSample, human_bytes};
use leptos::prelude::*;

use crate::api::{RunProduct, SAMPLE_ROWS, error_message, get_sample};
use crate::components::{TextGrid, short_date};

#[component]
pub fn Runs(product_id: String, runs: Vec<RunView>, run_action: ServerAction<RunProduct>) -> impl IntoView {
    let pending = run_action.pending();
    let failure = move || {
        run_action
            .value()
            .get()
            .and_then(|result| result.err())
            .map(|error| error_message(&error))
    };
    let empty = runs.is_empty();
    view! {
        <section class="panel" id="runs">
            <div class="panel-head">
                <h2>"Runs"</h2>
                <ActionForm action=run_action>
                    <input type="hidden" name="id" value=product_id />
                    <button type="submit" class="button" disabled=pending>
                        {move || if pending.get() { "Running…" } else { "Run now" }}
                    </button>
                </ActionForm>
            </div>
            {move || failure().map(|message| view! { <p class="error-text" role="alert">{message}</p> })}
            {empty.then(|| view! { <p class="muted">"No run yet."</p> })}
            <ol class="runs">{runs.into_iter().map(|run| view! { <RunLine run /> }).collect_view()}</ol>
        </section>
    }
}

#[component]
fn RunLine(run: RunView) -> impl IntoView {
    let status = run.status.as_str();
    let version = run
        .outputs
        .iter()
        .find_map(|output| output.version)
        .map(|v| format!(" · version {v}"));
    let checks = (!run.checks.is_empty()).then(|| {
        let passed = run.checks.iter().filter(|check| check.passed).count();
        format!(" · checks {passed}/{}", run.checks.len())
    });
    let rejected_href = format!("/api/v1/products/{}/runs/{}/rejected", run.product_id, run.id);
    view! {
        <li class="run">
            <div class="run-head">
                <span class=format!("badge run-{status}")>{status}</span>
                <span class="mono">{format!("#{}", run.id)}</span>
                <span class="muted">{format!("{} · {}", short_date(&run.started_at), run.trigger)}</span>
                <span>
                    {format!("{} read · {} written", run.rows_read, run.rows_written)}
                    {(run.bytes_written > 0).then(|| format!(" ({})", human_bytes(run.bytes_written)))}
                    {version}
                    {checks}
                </span>
                {(run.rows_rejected > 0)
                    .then(|| {
                        view! {
                            <a class="badge run-rejected" href=rejected_href title="The rows set aside, with their line and reason">
                                {format!("{} rejected", run.rows_rejected)}
                            </a>
                        }
                    })}
            </div>
            {run.error.map(|error| view! { <p class="error-text">{error}</p> })}
            <details>
                <summary>"Log"</summary>
                <pre class="log">{run.log.join("\n")}</pre>
            </details>
        </li>
    }
}

/// The first rows of the published data, reloaded after each run.
#[component]
pub fn Sample(
    product_id: String,
    /// Each output's name and the table name it is queried by, the first output first.
    outputs: Vec<(String, String)>,
    run_action: ServerAction<RunProduct>,
) -> impl IntoView {
    let id = product_id.clone();
    let first = outputs.first().map(|(name, _)| name.clone()).unwrap_or_default();
    let (chosen, set_chosen) = signal(first);
    let sample = Resource::new(
        move || (id.clone(), chosen.get(), run_action.version().get()),
        |(id, output, _)| get_sample(id, Some(output)),
    );
    let tables = outputs.clone();
    let query = move || {
        let output = chosen.get();
        let table = tables
            .iter()
            .find(|(name, _)| *name == output)
            .map(|(_, table)| table.clone())
            .unwrap_or_default();
        format!("SELECT * FROM {table} LIMIT 100")
    };
    let several = outputs.len() > 1;
    view! {
        <section class="panel" id="sample">
            <div class="panel-head">
                <h2>"Sample data"</h2>
                {several.then(|| view! {
                    <label class="output-choice">
                        "Output "
                        <select on:change=move |event| set_chosen.set(event_target_value(&event))>
                            {outputs
                                .iter()
                                .map(|(name, _)| view! { <option value=name.clone()>{name.clone()}</option> })
                                .collect_view()}
                        </select>
                    </label>
                })}
            </div>
            <p class="muted">"Query it with SQL:"</p>
            <pre class="sql"><code>{query}</code></pre>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match sample.await {
                        Ok(Some(sample)) => view! { <SampleTable sample /> }.into_any(),
                        Ok(None) => view! { <p class="muted">"No published data yet: run the product."</p> }.into_any(),
                        Err(error) => view! { <p class="error-text">{error_message(&error)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn SampleTable(sample: TableSample) -> impl IntoView {
    let caption = format!(
        "First {} rows of version {} (at most {SAMPLE_ROWS})",
        sample.rows.len(),
        sample.version
    );
    let columns = sample.columns.into_iter().map(|name| (name, None)).collect();
    view! {
        <p class="muted">{caption}</p>
        <TextGrid columns rows=sample.rows />
    }
}

/// Whether the latest run succeeded, for the page header.
pub fn last_status(runs: &[RunView]) -> Option<RunStatus> {
    runs.first().map(|run| run.status)
}
