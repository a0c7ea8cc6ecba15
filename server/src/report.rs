//! Printing located descriptor problems the way compilers do: the message, the place, and the
//! offending line with a caret under the column.

use std::collections::HashMap;
use std::fmt::Write as _;

use atrium_types::Diagnostic;

/// Renders every problem; `sources` maps file names to their text for the excerpts.
pub fn render_problems(problems: &[Diagnostic], sources: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let gutter_width = problems.iter().map(|p| p.line.to_string().len()).max().unwrap_or(1);
    for problem in problems {
        let file = problem.file.as_deref().unwrap_or("<descriptor>");
        let field = if problem.field.is_empty() {
            String::new()
        } else {
            format!("{}: ", problem.field)
        };
        let _ = writeln!(out, "error: {field}{}", problem.message);
        let _ = writeln!(out, "  --> {file}:{}:{}", problem.line, problem.column);
        let line_text = sources
            .get(file)
            .and_then(|text| text.lines().nth(problem.line.saturating_sub(1)));
        if let Some(line_text) = line_text {
            let number = format!("{:>gutter_width$}", problem.line);
            let gutter = " ".repeat(gutter_width);
            let caret_indent: String = line_text
                .chars()
                .take(problem.column.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let _ = writeln!(out, "{gutter} |");
            let _ = writeln!(out, "{number} | {line_text}");
            let _ = writeln!(out, "{gutter} | {caret_indent}^");
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_with_caret() {
        let problem = Diagnostic {
            file: Some("a.yaml".into()),
            line: 2,
            column: 9,
            field: "kind".into(),
            message: "unsupported kind `Table`".into(),
        };
        let sources = HashMap::from([("a.yaml".to_owned(), "apiVersion: atrium/v1\nkind:   Table\n".to_owned())]);
        assert_eq!(
            render_problems(&[problem], &sources),
            "error: kind: unsupported kind `Table`\n  --> a.yaml:2:9\n  |\n2 | kind:   Table\n  |         ^\n\n"
        );
    }
}
