//! Product descriptions: Markdown rendered to HTML, then sanitized so that a description can
//! never run script in the portal.

use pulldown_cmark::{Options, Parser, html};

/// Renders Markdown to sanitized HTML (no script, no event handlers, links get `rel=noopener`).
pub fn render_markdown(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    ammonia::clean(&unsafe_html)
}

/// The words of a Markdown text without its markup (for the search index): text, code and link
/// texts, separated by spaces; HTML tags are left out.
pub fn markdown_text(markdown: &str) -> String {
    use pulldown_cmark::{Event, TagEnd};
    let mut text = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Text(words) | Event::Code(words) => {
                text.push_str(&words);
            }
            Event::SoftBreak | Event::HardBreak | Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => {
                text.push(' ');
            }
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_text_keeps_the_words_only() {
        assert_eq!(
            markdown_text("# Orders\n\nOne row per **order**, see [the guide](http://x).\n\n- `order_id`\n- <b>x</b>"),
            "Orders One row per order, see the guide. order_id x"
        );
    }

    #[test]
    fn renders_and_sanitizes() {
        assert_eq!(
            render_markdown("Orders **cleaned**."),
            "<p>Orders <strong>cleaned</strong>.</p>\n"
        );
        let hostile =
            render_markdown("<script>alert(1)</script><img src=x onerror=alert(1)>\n\n[a](javascript:alert(1))");
        assert!(!hostile.contains("<script"), "{hostile}");
        assert!(!hostile.contains("onerror"), "{hostile}");
        assert!(hostile.contains("<a rel=\"noopener noreferrer\">a</a>"), "{hostile}");
    }
}
