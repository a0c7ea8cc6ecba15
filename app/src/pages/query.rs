//! The SQL console: read-only queries over the products (`<domain>.<product>`), a result grid,
//! the error where the query went wrong (with the line and a caret under the column the parser
//! names), and the earlier queries (kept in the browser's storage) to go back to.

use atrium_types::{QueryResultView, plural, sql_error_excerpt};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{RunSql, error_message};
use crate::components::TextGrid;

const FIRST_QUERY: &str = "SELECT n.region, count(*) AS orders, sum(o.total_price) AS revenue
FROM sales.orders o
JOIN crm.customers c ON o.customer_id = c.customer_id
JOIN crm.nations n ON c.nation_id = n.nation_id
GROUP BY n.region
ORDER BY revenue DESC";

#[component]
pub fn QueryPage() -> impl IntoView {
    let run = ServerAction::<RunSql>::new();
    let (sql, set_sql) = signal(FIRST_QUERY.to_owned());
    let (history, set_history) = signal(Vec::<String>::new());
    let submitted = run.input();
    // Effects run in the browser only: the history of earlier visits comes from its storage.
    Effect::new(move |_| set_history.set(stored_history()));
    Effect::new(move |_| {
        if let Some(input) = submitted.get() {
            set_history.update(|queries| {
                queries.retain(|query| query != &input.sql);
                queries.insert(0, input.sql.clone());
                queries.truncate(HISTORY_LENGTH);
                store_history(queries);
            });
        }
    });
    view! {
        <Title text="SQL console" />
        <section class="hero">
            <h1>"SQL console"</h1>
            <p class="lede">
                "Read-only SQL over the published data of every product you may read. Tables are named "
                <code>"<domain>.<product>"</code> " (each output of a product with several also "
                <code>"<domain>.<product>.<output>"</code> "); results stop at the row limit."
            </p>
        </section>
        <section class="panel">
            <ActionForm action=run attr:class="console">
                <label for="sql" class="visually-hidden">"SQL"</label>
                <textarea
                    id="sql"
                    name="sql"
                    rows="7"
                    spellcheck="false"
                    prop:value=sql
                    on:input=move |event| set_sql.set(event_target_value(&event))
                >
                    {FIRST_QUERY}
                </textarea>
                <button type="submit" class="button" disabled=run.pending()>
                    {move || if run.pending().get() { "Running…" } else { "Run query" }}
                </button>
            </ActionForm>
            <History history set_sql />
        </section>
        <section class="panel" aria-live="polite">
            {move || match run.value().get() {
                None => view! { <p class="muted">"Run a query to see its rows."</p> }.into_any(),
                Some(Err(error)) => {
                    let message = error_message(&error);
                    let excerpt = history.with(|queries| queries.first().and_then(|sql| sql_error_excerpt(sql, &message)));
                    let request_href = refused_product(&message).map(|product| format!("/products/{product}#request-access"));
                    view! {
                        <p class="error-text" role="alert">{message}</p>
                        {request_href.map(|href| view! {
                            <p><a class="button" href=href data-testid="request-access-link">"Request access"</a></p>
                        })}
                        {excerpt.map(|excerpt| view! { <pre class="error-excerpt" aria-label="Where the query went wrong">{excerpt}</pre> })}
                    }
                    .into_any()
                }
                Some(Ok(result)) => view! { <ResultGrid result /> }.into_any(),
            }}
        </section>
    }
}

/// The product a refusal names ("reading `sales.orders` needs a grant…"), for a link to ask.
fn refused_product(message: &str) -> Option<&str> {
    let rest = message.split("reading `").nth(1)?;
    let product = rest.split('`').next()?;
    rest[product.len()..].contains("needs a grant").then_some(product)
}

/// How many earlier queries the console keeps.
const HISTORY_LENGTH: usize = 20;

/// Where the browser keeps the history, so that it survives a reload.
const HISTORY_KEY: &str = "atrium.sql_history";

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn stored_history() -> Vec<String> {
    local_storage()
        .and_then(|storage| storage.get_item(HISTORY_KEY).ok().flatten())
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// Best effort: a browser that refuses storage (private mode, quota) keeps the history of this visit.
fn store_history(queries: &[String]) {
    if let (Some(storage), Ok(text)) = (local_storage(), serde_json::to_string(queries)) {
        let _ = storage.set_item(HISTORY_KEY, &text);
    }
}

#[component]
fn History(history: ReadSignal<Vec<String>>, set_sql: WriteSignal<String>) -> impl IntoView {
    view! {
        <Show when=move || !history.get().is_empty()>
            <details class="history">
                <summary>"Earlier queries"</summary>
                <ul>
                    {move || {
                        history
                            .get()
                            .into_iter()
                            .map(|query| {
                                let chosen = query.clone();
                                view! {
                                    <li>
                                        <button type="button" class="link-button mono" on:click=move |_| set_sql.set(chosen.clone())>
                                            {query}
                                        </button>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </details>
        </Show>
    }
}

#[component]
fn ResultGrid(result: QueryResultView) -> impl IntoView {
    let summary = format!(
        "{}{} in {} ms",
        plural(result.rows.len(), "row"),
        if result.truncated {
            format!(" (cut at the row limit of {})", result.row_limit)
        } else {
            String::new()
        },
        result.elapsed_ms
    );
    let columns = result
        .columns
        .into_iter()
        .map(|column| (column.name, Some(column.data_type)))
        .collect();
    view! {
        <p class="muted">{summary}</p>
        <TextGrid columns rows=result.rows class="result-grid" />
    }
}
