//! Cross-domain usage (`/usage`): the domains as nodes on a circle and the reads between them as
//! directed edges whose width follows the number of reads; hovering an edge tells it, clicking
//! it lists the products read and the consumers. Over the last 7, 30 or 90 days.

use atrium_types::{UsageEdge, UsageGraph};
use leptos::prelude::*;
use leptos_meta::Title;

use super::get_usage_graph;
use super::product_access::PeriodPicker;
use crate::api::error_message;

const SIZE: f64 = 520.0;

#[component]
pub fn UsagePage() -> impl IntoView {
    let days = RwSignal::new(30u32);
    let graph = Resource::new(move || days.get(), get_usage_graph);
    let selected = RwSignal::new(None::<usize>);
    view! {
        <Title text="Cross-domain usage" />
        <section class="hero">
            <p class="eyebrow">"Governance"</p>
            <h1>"Cross-domain usage"</h1>
            <p class="lede">"Who reads whose data: an arrow from the reading domain to the domain whose products it read, as wide as the reads."</p>
        </section>
        <section class="panel">
            <div class="panel-head">
                <h2>"Reads between domains"</h2>
                <PeriodPicker days />
            </div>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match graph.await {
                        Ok(graph) => view! { <Graph graph selected /> }.into_any(),
                        Err(error) => view! { <p class="error-text">{error_message(&error)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Graph(graph: UsageGraph, selected: RwSignal<Option<usize>>) -> impl IntoView {
    if graph.edges.is_empty() {
        return view! { <p class="muted" data-testid="usage-empty">"No reads between domains in this period."</p> }
            .into_any();
    }
    let positions = circle(graph.domains.len());
    let at = |domain: &str| {
        graph
            .domains
            .iter()
            .position(|candidate| candidate == domain)
            .and_then(|index| positions.get(index).copied())
            .unwrap_or((SIZE / 2.0, SIZE / 2.0))
    };
    let most = graph.edges.iter().map(|edge| edge.reads).max().unwrap_or(1).max(1) as f64;
    let edges: Vec<(usize, UsageEdge, String, f64)> = graph
        .edges
        .iter()
        .enumerate()
        .map(|(index, edge)| {
            let path = curve(at(&edge.from), at(&edge.to));
            let width = 1.5 + 9.0 * (edge.reads as f64 / most);
            (index, edge.clone(), path, width)
        })
        .collect();
    let nodes: Vec<(String, (f64, f64))> = graph
        .domains
        .iter()
        .map(|domain| (domain.clone(), at(domain)))
        .collect();
    let table = graph.edges.clone();
    let details = graph.edges.clone();
    view! {
        <svg class="usage-graph" viewBox=format!("0 0 {SIZE} {SIZE}") role="img" aria-label="Reads between domains">
            <defs>
                <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse">
                    <path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head" />
                </marker>
            </defs>
            {edges.into_iter().map(|(index, edge, path, width)| view! {
                <path
                    d=path
                    class=move || if selected.get() == Some(index) { "usage-edge selected" } else { "usage-edge" }
                    stroke-width=format!("{width:.1}")
                    marker-end="url(#arrow)"
                    data-testid="usage-edge"
                    data-from=edge.from.clone()
                    data-to=edge.to.clone()
                    on:click=move |_| selected.set(Some(index))
                >
                    <title>{format!("{} reads {}: {} reads; consumers: {}", edge.from, edge.to, edge.reads, edge.consumers.join(", "))}</title>
                </path>
            }).collect_view()}
            {nodes.into_iter().map(|(domain, (x, y))| view! {
                <g class="usage-node" data-testid="usage-node">
                    <circle cx=format!("{x:.1}") cy=format!("{y:.1}") r="34" />
                    <text x=format!("{x:.1}") y=format!("{:.1}", y + 5.0) text-anchor="middle">{domain}</text>
                </g>
            }).collect_view()}
        </svg>
        {move || selected.get().and_then(|index| details.get(index).cloned()).map(|edge| view! {
            <div class="notice" data-testid="usage-detail">
                <p><strong>{format!("{} → {}", edge.from, edge.to)}</strong>{format!(": {} reads", edge.reads)}</p>
                <p>"Products read: " <span class="mono">{edge.products_read.join(", ")}</span></p>
                <p>"Consumers: " <span class="mono">{edge.consumers.join(", ")}</span></p>
            </div>
        })}
        <div class="table-scroll">
        <table class="table usage-edges">
            <thead><tr><th>"Reading domain"</th><th>"Domain read"</th><th>"Reads"</th><th>"Consumers"</th></tr></thead>
            <tbody>
                {table.into_iter().map(|edge| view! {
                    <tr>
                        <td>{edge.from}</td>
                        <td>{edge.to}</td>
                        <td>{edge.reads}</td>
                        <td class="mono">{edge.consumers.join(", ")}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
    .into_any()
}

/// `count` points evenly on a circle inside the picture.
fn circle(count: usize) -> Vec<(f64, f64)> {
    let (center, radius) = (SIZE / 2.0, SIZE / 2.0 - 60.0);
    (0..count)
        .map(|index| {
            let angle = std::f64::consts::TAU * index as f64 / count.max(1) as f64 - std::f64::consts::FRAC_PI_2;
            (center + radius * angle.cos(), center + radius * angle.sin())
        })
        .collect()
}

/// A curve from `from` to `to` that bends to its left, so that the two directions between a pair
/// of domains do not overlap; it starts and ends at the nodes' rims.
fn curve(from: (f64, f64), to: (f64, f64)) -> String {
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let length = (dx * dx + dy * dy).sqrt().max(1.0);
    let (ux, uy) = (dx / length, dy / length);
    let rim = 38.0;
    let start = (from.0 + ux * rim, from.1 + uy * rim);
    let end = (to.0 - ux * rim, to.1 - uy * rim);
    let bend = length * 0.18;
    let control = ((start.0 + end.0) / 2.0 + uy * bend, (start.1 + end.1) / 2.0 - ux * bend);
    format!(
        "M {:.1} {:.1} Q {:.1} {:.1} {:.1} {:.1}",
        start.0, start.1, control.0, control.1, end.0, end.1
    )
}
