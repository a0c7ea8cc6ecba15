//! An output port on the product page: its table name, its own query if it has one, its schema
//! and quality checks.

use atrium_types::{Classification, ColumnView, OutputView, PiiHandling};
use leptos::prelude::*;

#[component]
pub fn OutputContract(output: OutputView) -> impl IntoView {
    let has_checks = !output.quality.is_empty();
    view! {
        <section class="panel" id=format!("output-{}", output.name)>
            <h2>
                "Output "
                <span class="mono">{output.name.clone()}</span>
            </h2>
            <p>{output.description.clone()}</p>
            <dl class="facts">
                <div>
                    <dt>"Query as"</dt>
                    <dd class="mono">{output.table_name.clone()}</dd>
                </div>
                <div>
                    <dt>"Stored at"</dt>
                    <dd class="mono">{output.storage_path.clone()}</dd>
                </div>
                <div>
                    <dt>"Published version"</dt>
                    <dd>{output.published_version.map(|v| v.to_string()).unwrap_or_else(|| "none yet".to_owned())}</dd>
                </div>
            </dl>
            {output.sql.clone().map(|sql| view! {
                <h3>"Built by"</h3>
                <pre class="sql output-sql"><code>{sql}</code></pre>
            })}
            <h3>"Schema"</h3>
            <div class="table-scroll">
                <table class="schema">
                    <thead>
                        <tr>
                            <th>"Column"</th>
                            <th>"Type"</th>
                            <th>"Required"</th>
                            <th>"Classification"</th>
                            <th>"PII handling"</th>
                            <th>"Description"</th>
                        </tr>
                    </thead>
                    <tbody>{output.columns.into_iter().map(|column| view! { <ColumnRow column /> }).collect_view()}</tbody>
                </table>
            </div>
            {has_checks.then(|| view! {
                <h3>"Quality checks"</h3>
                <div class="table-scroll">
                    <table class="checks">
                        <thead>
                            <tr>
                                <th>"Check"</th>
                                <th>"Query"</th>
                                <th>"Expects"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {output
                                .quality
                                .into_iter()
                                .map(|check| view! {
                                    <tr>
                                        <td class="mono">{check.name}</td>
                                        <td><code>{check.sql}</code></td>
                                        <td class="mono">{check.expect}</td>
                                    </tr>
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
        </section>
    }
}

#[component]
fn ColumnRow(column: ColumnView) -> impl IntoView {
    let key = column
        .primary_key
        .then(|| view! { <span class="badge key" title="primary key">"key"</span> });
    view! {
        <tr>
            <td class="mono">{column.name} " " {key}</td>
            <td class="mono">{column.data_type}</td>
            <td>{if column.required { "yes" } else { "no" }}</td>
            <td>{column.classification.map(classification_badge)}</td>
            <td>{column.pii.map(pii_text)}</td>
            <td>{column.description.unwrap_or_default()}</td>
        </tr>
    }
}

fn classification_badge(classification: Classification) -> impl IntoView {
    view! { <span class=format!("badge class-{classification}")>{classification.as_str()}</span> }
}

fn pii_text(handling: PiiHandling) -> &'static str {
    match handling {
        PiiHandling::Drop => "dropped",
        PiiHandling::Hash => "hashed (keyed)",
        PiiHandling::Mask => "masked",
        PiiHandling::Keep => "kept (restricted)",
    }
}
