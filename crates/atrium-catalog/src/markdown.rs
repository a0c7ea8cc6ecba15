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

#[cfg(test)]
mod tests {
    use super::*;

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
