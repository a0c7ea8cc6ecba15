//! The header's search box on every page: a GET form to `/search` (works before hydration);
//! hydrated, it suggests completions as you type (debounced), `/` focuses it, the arrow keys move
//! through the suggestions, Enter opens the chosen one (or searches), Escape closes them. An ARIA
//! combobox: the input owns a listbox and names its active option.

use std::time::Duration;

use atrium_types::Suggestion;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use super::{SearchParams, suggest};

/// How long typing pauses before suggestions are asked.
const DEBOUNCE: Duration = Duration::from_millis(150);
const LISTBOX: &str = "header-search-suggestions";

#[component]
pub fn HeaderSearch() -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let text = RwSignal::new(String::new());
    let suggestions = RwSignal::new(Vec::<Suggestion>::new());
    let open = RwSignal::new(false);
    let active = RwSignal::new(None::<usize>);
    let generation = StoredValue::new(0u64);
    // `/` anywhere but in a field focuses the box, as on the sites people know.
    Effect::new(move |_| {
        let handle = window_event_listener(leptos::ev::keydown, move |event| {
            if event.key() != "/" || event.ctrl_key() || event.meta_key() || event.alt_key() {
                return;
            }
            let typing = event
                .target()
                .and_then(|target| wasm_target_tag(&target))
                .is_some_and(|tag| matches!(tag.as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
            if !typing && let Some(element) = input.get() {
                event.prevent_default();
                let _ = element.focus();
            }
        });
        on_cleanup(move || handle.remove());
    });
    let navigate = use_navigate();
    let open_href = move |href: String| {
        // Suggestions still on their way belong to what was typed before: drop them.
        generation.update_value(|value| *value += 1);
        suggestions.set(Vec::new());
        open.set(false);
        active.set(None);
        navigate(&href, NavigateOptions::default());
    };
    let on_input = move |event: leptos::ev::Event| {
        let typed = event_target_value(&event);
        text.set(typed.clone());
        active.set(None);
        generation.update_value(|value| *value += 1);
        let mine = generation.get_value();
        if typed.trim().is_empty() {
            suggestions.set(Vec::new());
            open.set(false);
            return;
        }
        set_timeout(
            move || {
                if generation.get_value() != mine {
                    return;
                }
                leptos::task::spawn_local(async move {
                    let found = suggest(typed).await.unwrap_or_default();
                    if generation.get_value() == mine {
                        open.set(!found.is_empty());
                        suggestions.set(found);
                    }
                });
            },
            DEBOUNCE,
        );
    };
    let open_for_key = open_href.clone();
    let on_keydown = move |event: leptos::ev::KeyboardEvent| {
        let count = suggestions.with_untracked(Vec::len);
        match event.key().as_str() {
            "ArrowDown" if count > 0 => {
                event.prevent_default();
                open.set(true);
                active.update(|at| *at = Some(at.map_or(0, |i| (i + 1) % count)));
            }
            "ArrowUp" if count > 0 => {
                event.prevent_default();
                open.set(true);
                active.update(|at| *at = Some(at.map_or(count - 1, |i| (i + count - 1) % count)));
            }
            "Escape" => {
                open.set(false);
                active.set(None);
            }
            "Enter" => {
                let chosen = active
                    .get_untracked()
                    .filter(|_| open.get_untracked())
                    .and_then(|i| suggestions.with_untracked(|all| all.get(i).cloned()));
                if let Some(suggestion) = chosen {
                    event.prevent_default();
                    open_for_key(suggestion.kind.href(&suggestion.id));
                }
            }
            _ => {}
        }
    };
    let open_for_submit = open_href.clone();
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let href = SearchParams::default().with_q(&text.get_untracked()).href();
        open_for_submit(href);
    };
    let expanded = move || open.get() && suggestions.with(|all| !all.is_empty());
    view! {
        <form class="header-search" method="get" action="/search" role="search" on:submit=on_submit>
            <label for="header-search" class="visually-hidden">"Search the catalog"</label>
            <input
                id="header-search"
                node_ref=input
                type="search"
                name="q"
                placeholder="Search  /"
                autocomplete="off"
                role="combobox"
                aria-autocomplete="list"
                aria-controls=LISTBOX
                aria-expanded=move || if expanded() { "true" } else { "false" }
                aria-activedescendant=move || active.get().filter(|_| expanded()).map(|i| format!("{LISTBOX}-{i}"))
                prop:value=move || text.get()
                on:input=on_input
                on:keydown=on_keydown
                on:blur=move |_| open.set(false)
                on:focus=move |_| open.set(suggestions.with_untracked(|all| !all.is_empty()))
            />
            <ul id=LISTBOX role="listbox" aria-label="Suggestions" class="suggestions" hidden=move || !expanded()>
                {move || {
                    suggestions
                        .get()
                        .into_iter()
                        .enumerate()
                        .map(|(i, suggestion)| {
                            let href = suggestion.kind.href(&suggestion.id);
                            let open_on_click = open_href.clone();
                            let context = match suggestion.kind {
                                atrium_types::SearchKind::Product => suggestion.id.clone(),
                                _ => format!("{} in {}", suggestion.kind.as_str(), suggestion.product.clone().unwrap_or_default()),
                            };
                            view! {
                                <li
                                    id=format!("{LISTBOX}-{i}")
                                    role="option"
                                    class="suggestion"
                                    aria-selected=move || if active.get() == Some(i) { "true" } else { "false" }
                                    // Before the input's blur closes the list.
                                    on:mousedown=move |event| {
                                        event.prevent_default();
                                        open_on_click(href.clone());
                                    }
                                >
                                    <span class="suggestion-label">{suggestion.label.clone()}</span>
                                    <span class="muted mono">{context}</span>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </form>
    }
}

/// The tag name of an event's target element, upper-case.
fn wasm_target_tag(target: &web_sys::EventTarget) -> Option<String> {
    use leptos::wasm_bindgen::JsCast;
    target.dyn_ref::<web_sys::Element>().map(web_sys::Element::tag_name)
}
