//! Small text helpers shared by the CLI, the API messages and the portal.

/// An error and its causes, `outer: inner: innermost`: for a log line or a message that must say
/// why.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `1 product`, `2 products`, `0 products`.
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// A name as the naming rule wants it (lower-case letters, digits, `_`, a letter first): `Customer Email` → `customer_email`.
pub fn snake_name(original: &str) -> String {
    let mut name = String::new();
    let mut previous_lower = false;
    for c in original.trim().chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && previous_lower && !name.ends_with('_') {
                name.push('_');
            }
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            name.push(c.to_ascii_lowercase());
        } else {
            if !name.is_empty() && !name.ends_with('_') {
                name.push('_');
            }
            previous_lower = false;
        }
    }
    let name = name.trim_end_matches('_').to_owned();
    match name.chars().next() {
        Some(first) if first.is_ascii_lowercase() => name,
        Some(_) => format!("c_{name}"),
        None => "column".to_owned(),
    }
}

/// A size for people: `980 B`, `12.3 kB`, `4.1 MB` (powers of 1000).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut size = bytes as f64 / 1000.0;
    let mut unit = 0;
    while size >= 999.95 && unit < UNITS.len() - 1 {
        size /= 1000.0;
        unit += 1;
    }
    format!("{size:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::{human_bytes, plural, snake_name};

    #[test]
    fn names_follow_the_naming_rule() {
        assert_eq!(snake_name("Customer Email"), "customer_email");
        assert_eq!(snake_name("orderId"), "order_id");
        assert_eq!(snake_name("2nd total"), "c_2nd_total");
        assert_eq!(snake_name("amount"), "amount");
        assert_eq!(snake_name("  "), "column");
    }

    #[test]
    fn sizes() {
        assert_eq!(human_bytes(980), "980 B");
        assert_eq!(human_bytes(12_345), "12.3 kB");
        assert_eq!(human_bytes(999_999), "1.0 MB");
        assert_eq!(human_bytes(4_100_000_000), "4.1 GB");
    }

    #[test]
    fn counts() {
        assert_eq!(plural(0, "problem"), "0 problems");
        assert_eq!(plural(1, "problem"), "1 problem");
        assert_eq!(plural(12, "matching product"), "12 matching products");
    }
}

/// Where a SQL error points, from the parser's `Line: 3, Column: 9` (both from 1): the line's
/// text and a caret under the column, e.g. for the SQL console. `None` when the message names no
/// position inside `sql`.
pub fn sql_error_excerpt(sql: &str, message: &str) -> Option<String> {
    let number_after = |label: &str| -> Option<usize> {
        let start = message.find(label)? + label.len();
        let digits: String = message[start..].chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    let line = number_after("Line: ")?;
    let column = number_after("Column: ")?;
    let text = sql.lines().nth(line.checked_sub(1)?)?;
    let width = text.chars().count();
    if column == 0 || column > width + 1 {
        return None;
    }
    Some(format!("{text}\n{}^", " ".repeat(column - 1)))
}

#[cfg(test)]
mod sql_error_tests {
    use super::sql_error_excerpt;

    #[test]
    fn the_caret_sits_under_the_column_the_parser_names() {
        let sql = "SELECT *\nFORM sales.orders";
        let message = "SQL error: ParserError(\"Expected: end of statement, found: FORM at Line: 2, Column: 1\")";
        assert_eq!(sql_error_excerpt(sql, message).as_deref(), Some("FORM sales.orders\n^"));
        let message = "sql parser error: Expected: an expression, found: EOF at Line: 1, Column: 9";
        assert_eq!(
            sql_error_excerpt("SELECT *", message).as_deref(),
            Some("SELECT *\n        ^")
        );
        assert_eq!(sql_error_excerpt(sql, "table 'x.y' not found"), None);
        assert_eq!(sql_error_excerpt(sql, "at Line: 7, Column: 1"), None);
    }
}
