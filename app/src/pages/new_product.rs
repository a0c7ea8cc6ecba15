//! "New data product": upload a sample file (CSV, JSON lines, Parquet); see its columns with their
//! types, the personal data found (with the evidence), and its first rows; name the product,
//! choose the PII handling, watch the policy check as you type; create it. The result is an
//! ordinary descriptor (shown, downloadable for the team's repository) and a first run.

use atrium_types::{CreatedProduct, FileProfile, StarterForm, StarterPreview, plural, snake_name};
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos::web_sys::{FormData, HtmlFormElement, HtmlInputElement};
use leptos_meta::Title;

use crate::api::{create_from_sample, create_from_url, error_message, preview_starter, profile_sample, profile_url};
use crate::components::TextGrid;

/// The choices of the handling select, in order.
const HANDLINGS: [(&str, &str); 5] = [
    ("none", "not personal data"),
    ("hash", "hash (joinable, not reversible)"),
    ("mask", "mask (keeps the shape)"),
    ("drop", "drop the column"),
    ("keep", "keep as is (restricted only)"),
];

#[component]
pub fn NewProductPage() -> impl IntoView {
    let profiling = Action::new_local(|data: &FormData| {
        let data = data.clone();
        async move { profile_sample(data.into()).await }
    });
    let creating = Action::new_local(|data: &FormData| {
        let data = data.clone();
        async move { create_from_sample(data.into()).await }
    });
    // A sample given by URL instead: the product then reads that URL on every run.
    let (url, set_url) = signal(String::new());
    let profiling_url = Action::new(|url: &String| profile_url(url.clone()));
    let creating_from_url =
        Action::new(|(url, form): &(String, StarterForm)| create_from_url(url.clone(), form.clone()));
    // Which sample the page works on: the last one read.
    let (from_url, set_from_url) = signal(false);
    let form = RwSignal::new(StarterForm {
        visibility: "internal".to_owned(),
        ..StarterForm::default()
    });
    let profile = Memo::new(move |_| {
        if from_url.get() {
            profiling_url.value().get().and_then(Result::ok)
        } else {
            profiling.value().get().and_then(Result::ok)
        }
    });
    // A new sample resets the name and the handling to what was found in it.
    Effect::new(move |_| {
        if let Some(found) = profile.get() {
            form.update(|choices| {
                choices.name = product_name(&found.file);
                choices.pii = found
                    .columns
                    .iter()
                    .map(|column| {
                        let handling = column.pii.as_ref().map_or("none", |finding| finding.suggested.as_str());
                        (column.name.clone(), handling.to_owned())
                    })
                    .collect();
            });
        }
    });
    let preview = LocalResource::new(move || {
        let (found, choices) = (profile.get(), form.get());
        let source = from_url.get().then(|| url.get_untracked());
        async move {
            match found {
                Some(found) => preview_starter(found, choices, source).await.ok(),
                None => None,
            }
        }
    });
    let on_file = move |event: leptos::ev::Event| {
        let Some(form_element) = event
            .target()
            .and_then(|target| target.dyn_into::<HtmlInputElement>().ok())
            .and_then(|input| input.form())
        else {
            return;
        };
        if let Ok(data) = FormData::new_with_form(&form_element) {
            set_from_url.set(false);
            profiling.dispatch_local(data);
        }
    };
    let read_url = move |_| {
        set_from_url.set(true);
        profiling_url.dispatch(url.get_untracked());
    };
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if from_url.get_untracked() {
            creating_from_url.dispatch((url.get_untracked(), form.get_untracked()));
            return;
        }
        let Some(form_element) = event
            .target()
            .and_then(|target| target.dyn_into::<HtmlFormElement>().ok())
        else {
            return;
        };
        let Ok(data) = FormData::new_with_form(&form_element) else {
            return;
        };
        let Ok(choices) = serde_json::to_string(&form.get_untracked()) else {
            return;
        };
        if data.append_with_str("form", &choices).is_ok() {
            creating.dispatch_local(data);
        }
    };
    view! {
        <Title text="New data product" />
        <section class="hero">
            <h1>"New data product"</h1>
            <p class="lede">
                "Start from a sample of your data: Atrium reads its columns and their types, looks for personal data, "
                "and writes the descriptor. Nothing is kept of the file but its rows, with the personal data handled as you choose."
            </p>
        </section>
        <form class="new-product" on:submit=on_submit>
            <section class="panel">
                <h2>"1. Sample file"</h2>
                <label class="field">
                    <span>"CSV with a header line, JSON lines, or Parquet"</span>
                    <input type="file" name="file" accept=".csv,.json,.jsonl,.ndjson,.parquet" on:change=on_file />
                </label>
                <div class="url-row">
                    <label class="field">
                        <span>"or the URL of a file (the product will read it on every run)"</span>
                        <input
                            type="url"
                            placeholder="https://example.org/exports/orders.csv"
                            prop:value=url
                            on:input=move |event| set_url.set(event_target_value(&event))
                        />
                    </label>
                    <button type="button" class="button secondary" on:click=read_url>"Read the URL"</button>
                </div>
                {move || {
                    (profiling.pending().get() || profiling_url.pending().get())
                        .then(|| view! { <p class="muted">"Reading the file…"</p> })
                }}
                {move || {
                    let failed = if from_url.get() {
                        profiling_url.value().get().and_then(Result::err)
                    } else {
                        profiling.value().get().and_then(Result::err)
                    };
                    failed.map(|error| view! { <p class="error-text" role="alert">{error_message(&error)}</p> })
                }}
            </section>
            {move || profile.get().map(|found| view! { <Findings found form /> })}
            <Show when=move || profile.get().is_some()>
                <Details form />
                <Check preview pending=Signal::derive(move || creating.pending().get() || creating_from_url.pending().get()) />
            </Show>
        </form>
        {move || creating.value().get().map(|result| view! { <Created result /> })}
        {move || creating_from_url.value().get().map(|result| view! { <Created result /> })}
    }
}

/// The name a file suggests: `Customer Orders.csv` → `customer_orders`.
fn product_name(file: &str) -> String {
    snake_name(file.rsplit_once('.').map_or(file, |(stem, _)| stem))
}

#[component]
fn Findings(found: FileProfile, form: RwSignal<StarterForm>) -> impl IntoView {
    let summary = format!(
        "{}: {}, {}",
        found.file,
        plural(found.rows as usize, "row"),
        found.format
    );
    let rejected = (found.rejected > 0).then(|| {
        let examples = found.rejected_examples.join("; ");
        view! {
            <p class="warning" role="status">
                {format!("{} cannot be read and would be set aside: {examples}", plural(found.rejected as usize, "line"))}
            </p>
        }
    });
    let preview_columns = found
        .columns
        .iter()
        .map(|c| (c.name.clone(), Some(c.data_type.clone())))
        .collect();
    let preview_rows = found.preview.clone();
    view! {
        <section class="panel" aria-labelledby="found">
            <h2 id="found">"2. What the file holds"</h2>
            <p class="muted">{summary}</p>
            {rejected}
            <div class="table-scroll">
                <table class="schema profile">
                    <thead>
                        <tr>
                            <th>"Column"</th>
                            <th>"Type"</th>
                            <th>"Empty"</th>
                            <th>"Personal data?"</th>
                            <th>"Handling"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {found
                            .columns
                            .into_iter()
                            .map(|column| {
                                let name = column.name.clone();
                                let finding = column.pii.clone().map(|finding| {
                                    view! {
                                        <strong>{finding.kind}</strong>
                                        <span class="evidence">{finding.evidence}</span>
                                        <span class="mono muted">{finding.examples.join(", ")}</span>
                                    }
                                });
                                view! {
                                    <tr>
                                        <td class="mono">{column.name.clone()}</td>
                                        <td class="mono">{column.data_type}</td>
                                        <td>{column.nulls}</td>
                                        <td class="finding">{finding}</td>
                                        <td>
                                            <HandlingSelect column=name form />
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
            <h3>"First rows"</h3>
            <TextGrid columns=preview_columns rows=preview_rows class="result-grid" />
        </section>
    }
}

#[component]
fn HandlingSelect(column: String, form: RwSignal<StarterForm>) -> impl IntoView {
    let label = format!("Handling of {column}");
    let current = {
        let column = column.clone();
        move || {
            form.with(|choices| {
                choices
                    .pii
                    .iter()
                    .find(|(name, _)| name == &column)
                    .map_or_else(|| "none".to_owned(), |(_, handling)| handling.clone())
            })
        }
    };
    let on_change = move |event: leptos::ev::Event| {
        let chosen = event_target_value(&event);
        form.update(
            |choices| match choices.pii.iter_mut().find(|(name, _)| name == &column) {
                Some(entry) => entry.1 = chosen,
                None => choices.pii.push((column.clone(), chosen)),
            },
        );
    };
    view! {
        <select aria-label=label on:change=on_change prop:value=current>
            {HANDLINGS
                .iter()
                .map(|(value, text)| view! { <option value=*value>{*text}</option> })
                .collect_view()}
        </select>
    }
}

#[component]
fn Details(form: RwSignal<StarterForm>) -> impl IntoView {
    let text_field = move |label: &'static str, get: fn(&StarterForm) -> String, set: fn(&mut StarterForm, String)| {
        view! {
            <label class="field">
                <span>{label}</span>
                <input
                    type="text"
                    prop:value=move || form.with(get)
                    on:input=move |event| {
                        let value = event_target_value(&event);
                        form.update(|choices| set(choices, value));
                    }
                />
            </label>
        }
    };
    view! {
        <section class="panel details">
            <h2>"3. The product"</h2>
            <div class="fields">
                {text_field("Domain", |f| f.domain.clone(), |f, v| f.domain = v)}
                {text_field("Name", |f| f.name.clone(), |f, v| f.name = v)}
                {text_field("Title", |f| f.title.clone(), |f, v| f.title = v)}
                {text_field("Owner (team or user)", |f| f.owner.clone(), |f, v| f.owner = v)}
                <label class="field">
                    <span>"Visibility"</span>
                    <select
                        prop:value=move || form.with(|f| f.visibility.clone())
                        on:change=move |event| {
                            let value = event_target_value(&event);
                            form.update(|choices| choices.visibility = value);
                        }
                    >
                        <option value="public">"public: anyone signed in reads it"</option>
                        <option value="internal">"internal: listed, reading needs a grant"</option>
                        <option value="restricted">"restricted: not listed outside the domain"</option>
                    </select>
                </label>
            </div>
            <label class="field">
                <span>"Description (Markdown)"</span>
                <textarea
                    rows="3"
                    prop:value=move || form.with(|f| f.description.clone())
                    on:input=move |event| {
                        let value = event_target_value(&event);
                        form.update(|choices| choices.description = value);
                    }
                ></textarea>
            </label>
        </section>
    }
}

#[component]
fn Check(preview: LocalResource<Option<StarterPreview>>, pending: Signal<bool>) -> impl IntoView {
    let current = move || preview.get().flatten();
    let passes = move || current().is_some_and(|found| found.problems.is_empty());
    view! {
        <section class="panel check" aria-live="polite">
            <h2>"4. Policy check and descriptor"</h2>
            {move || {
                current()
                    .map(|found| {
                        if found.problems.is_empty() {
                            view! { <p class="ok-text" role="status">"The descriptor passes every policy."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="problems" role="status">
                                    {found.problems.into_iter().map(|problem| view! { <li>{problem}</li> }).collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                    })
            }}
            {move || {
                current()
                    .filter(|found| !found.yaml.is_empty())
                    .map(|found| {
                        let href = format!("data:application/yaml;charset=utf-8,{}", percent_encode(&found.yaml));
                        view! {
                            <pre class="descriptor">{found.yaml}</pre>
                            <a class="button secondary" href=href download="descriptor.yaml">"Download the descriptor"</a>
                        }
                    })
            }}
            <button type="submit" class="button" disabled=move || !passes() || pending.get()>
                {move || if pending.get() { "Creating…" } else { "Create the product and run it" }}
            </button>
        </section>
    }
}

#[component]
fn Created(result: Result<CreatedProduct, ServerFnError>) -> impl IntoView {
    match result {
        Err(error) => view! {
            <section class="panel">
                <p class="error-text" role="alert">{error_message(&error)}</p>
            </section>
        }
        .into_any(),
        Ok(created) => {
            let href = format!("/products/{}", created.id);
            let run = created.run.map(|run| {
                format!(
                    "First run {}: {} written{}",
                    run.status.as_str(),
                    run.rows_written,
                    run.error.map(|error| format!(" ({error})")).unwrap_or_default()
                )
            });
            view! {
                <section class="panel created" role="status">
                    <h2>{format!("Created {}", created.id)}</h2>
                    <p>
                        {format!("{} read", plural(created.rows as usize, "row"))}
                        {(created.rejected > 0).then(|| format!("; {} could not be read", plural(created.rejected as usize, "line")))}
                        "."
                    </p>
                    {run.map(|line| view! { <p>{line}</p> })}
                    <a class="button" href=href>"Open the product"</a>
                </section>
            }
            .into_any()
        }
    }
}

/// `%`-encodes everything but unreserved characters, for a `data:` URL.
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}
