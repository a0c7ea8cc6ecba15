//! The audit log (`/audit`): admins read all of it, a domain's owners their domain's rows;
//! filters by user, product, action and period, pages of 50 newest first, and a CSV export of
//! the same filters (through the REST API, `GET /api/v1/audit?…&format=csv`).

use atrium_types::AuditEntryView;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::get_audit;
use crate::api::error_message;
use crate::components::short_date;

const FILTERS: [(&str, &str, &str); 5] = [
    ("actor", "User or product", "user:bob"),
    ("product", "Product", "sales.orders"),
    ("action", "Action", "query"),
    ("since", "Since", "2026-12-01"),
    ("until", "Until", "2026-12-31"),
];

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move |name: &str| query.read().get(name).filter(|value| !value.is_empty());
    let page = Resource::new(
        move || {
            (
                filter("actor"),
                filter("product"),
                filter("action"),
                filter("since"),
                filter("until"),
                filter("before").and_then(|before| before.parse::<i64>().ok()),
            )
        },
        |(actor, product, action, since, until, before)| get_audit(actor, product, action, since, until, before),
    );
    let params = move || {
        FILTERS
            .iter()
            .filter_map(|(name, ..)| filter(name).map(|value| format!("{name}={}", encode(&value))))
            .collect::<Vec<_>>()
    };
    let csv_href = move || {
        let mut parts = params();
        parts.push("format=csv".to_owned());
        parts.push("limit=1000".to_owned());
        format!("/api/v1/audit?{}", parts.join("&"))
    };
    view! {
        <Title text="Audit log" />
        <section class="hero">
            <p class="eyebrow">"Governance"</p>
            <h1>"Audit log"</h1>
            <p class="lede">"Every decision and every data access, who, when, from where, and how it ended. Rows are never changed or deleted."</p>
        </section>
        <section class="panel">
            <form method="get" action="/audit" class="audit-filters">
                {FILTERS.into_iter().map(|(name, label, placeholder)| view! {
                    <label class="field">
                        <span>{label}</span>
                        <input type="text" name=name placeholder=placeholder value=move || filter(name).unwrap_or_default() />
                    </label>
                }).collect_view()}
                <button type="submit" class="button">"Filter"</button>
                <a class="button secondary" href=csv_href download="atrium-audit.csv">"Export CSV"</a>
            </form>
        </section>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => {
                        let next = page.next_before.map(|before| {
                            let mut parts = params();
                            parts.push(format!("before={before}"));
                            format!("/audit?{}", parts.join("&"))
                        });
                        view! {
                            <section class="panel">
                                {page.entries.is_empty().then(|| view! { <p class="muted">"No entries."</p> })}
                                <div class="table-scroll">
                                    <table class="table audit">
                                        <thead><tr><th>"When"</th><th>"Who"</th><th>"Action"</th><th>"Outcome"</th><th>"Product"</th><th>"Detail"</th><th>"From"</th></tr></thead>
                                        <tbody>
                                            {page.entries.into_iter().map(|entry| view! { <AuditRow entry /> }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                {next.map(|href| view! { <a class="button secondary" href=href>"Older entries"</a> })}
                            </section>
                        }.into_any()
                    }
                    Err(error) => view! { <section class="panel error"><p class="error-text">{error_message(&error)}</p></section> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn AuditRow(entry: AuditEntryView) -> impl IntoView {
    let detail = entry
        .detail
        .iter()
        .map(|(key, value)| format!("{key}: {value}"))
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <tr data-testid="audit-row" data-action=entry.action.clone() data-outcome=entry.outcome.as_str()>
            <td class="nowrap">{short_date(&entry.at)}</td>
            <td class="mono">{entry.actor.clone()}</td>
            <td class="mono">{entry.action.clone()}</td>
            <td><span class=format!("badge outcome-{}", entry.outcome)>{entry.outcome.as_str()}</span></td>
            <td class="mono">{entry.product.as_ref().map(ToString::to_string).unwrap_or_default()}</td>
            <td class="detail">{detail}</td>
            <td class="muted">{entry.ip.clone().unwrap_or_default()}</td>
        </tr>
    }
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' => out.push(char::from(byte)),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}
