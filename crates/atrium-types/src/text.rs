//! Small text helpers shared by the CLI, the API messages and the portal.

/// `1 product`, `2 products`, `0 products`.
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::plural;

    #[test]
    fn counts() {
        assert_eq!(plural(0, "problem"), "0 problems");
        assert_eq!(plural(1, "problem"), "1 problem");
        assert_eq!(plural(12, "matching product"), "12 matching products");
    }
}
