//! The query language, read leniently: free words, `"phrases"`, `-exclusions`, and field filters
//! (`domain:sales tag:pii owner:team-crm type:column status:active classification:pii`). Nothing a
//! user types makes it fail: an unbalanced quote, an unknown field or a stray operator is read as
//! well as it can be, and [`ParsedQuery::notes`] says how.

use std::fmt;

/// The longest query read; the rest is cut (and said so).
pub const MAX_QUERY_CHARS: usize = 1_000;

/// A field a query may filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FilterField {
    Domain,
    Tag,
    Owner,
    Type,
    Status,
    Classification,
}

impl FilterField {
    pub const ALL: [FilterField; 6] = [
        FilterField::Domain,
        FilterField::Tag,
        FilterField::Owner,
        FilterField::Type,
        FilterField::Status,
        FilterField::Classification,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FilterField::Domain => "domain",
            FilterField::Tag => "tag",
            FilterField::Owner => "owner",
            FilterField::Type => "type",
            FilterField::Status => "status",
            FilterField::Classification => "classification",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        let name = name.to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|field| field.as_str() == name || (name == "kind" && *field == FilterField::Type))
    }
}

/// One filter: the field equals the value (lower-cased).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Filter {
    pub field: FilterField,
    pub value: String,
}

/// A query as it was read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedQuery {
    /// Free words, as typed (an identifier such as `customer_orders` is one word).
    pub words: Vec<String>,
    pub phrases: Vec<String>,
    /// Words and phrases a hit must not contain.
    pub excluded: Vec<String>,
    pub filters: Vec<Filter>,
    /// How the query was read, where it was not read literally.
    pub notes: Vec<String>,
    /// Whether the query was cut at [`MAX_QUERY_CHARS`].
    pub truncated: bool,
}

impl ParsedQuery {
    /// Whether nothing but filters (or nothing at all) was asked: a browse.
    pub fn is_browse(&self) -> bool {
        self.words.is_empty() && self.phrases.is_empty()
    }

    /// The free words and phrases joined, as an exact name would be typed.
    pub fn text(&self) -> String {
        self.words
            .iter()
            .chain(&self.phrases)
            .cloned()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Adds filters given beside the query (the API's `domain=`, `tag=`…).
    pub fn with_filter(mut self, field: FilterField, value: &str) -> Self {
        let value = value.trim().to_lowercase();
        if !value.is_empty() {
            let filter = Filter { field, value };
            if !self.filters.contains(&filter) {
                self.filters.push(filter);
            }
        }
        self
    }
}

impl fmt::Display for ParsedQuery {
    /// How the query was read, e.g. `words: customer orders · phrase: "daily revenue" · without:
    /// test · domain: sales`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if !self.words.is_empty() {
            parts.push(format!("words: {}", self.words.join(" ")));
        }
        for phrase in &self.phrases {
            parts.push(format!("phrase: \"{phrase}\""));
        }
        if !self.excluded.is_empty() {
            parts.push(format!("without: {}", self.excluded.join(", ")));
        }
        for filter in &self.filters {
            parts.push(format!("{}: {}", filter.field.as_str(), filter.value));
        }
        if parts.is_empty() {
            parts.push("everything".to_owned());
        }
        f.write_str(&parts.join(" · "))
    }
}

/// Reads `input` leniently.
pub fn parse(input: &str) -> ParsedQuery {
    let mut query = ParsedQuery::default();
    let input = match input.char_indices().nth(MAX_QUERY_CHARS) {
        Some((cut, _)) => {
            query.truncated = true;
            query
                .notes
                .push(format!("the query was cut to its first {MAX_QUERY_CHARS} characters"));
            &input[..cut]
        }
        None => input,
    };
    let mut chars = input.chars().peekable();
    let mut negate_next = false;
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let negated = std::mem::take(&mut negate_next);
        if c == '"' {
            chars.next();
            let mut phrase = String::new();
            let mut closed = false;
            for c in chars.by_ref() {
                if c == '"' {
                    closed = true;
                    break;
                }
                phrase.push(c);
            }
            let phrase = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
            if !closed {
                query
                    .notes
                    .push("a quote was not closed: the words after it were read as free words".to_owned());
                for word in phrase.split_whitespace() {
                    push_word(&mut query, word, negated);
                }
            } else if phrase.is_empty() {
                query.notes.push("an empty phrase was left out".to_owned());
            } else if negated {
                query.excluded.push(phrase);
            } else {
                query.phrases.push(phrase);
            }
            continue;
        }
        let mut word = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() || (c == '"' && !word.is_empty()) {
                break;
            }
            word.push(c);
            chars.next();
        }
        if matches!(word.as_str(), "-" | "!") && chars.peek() == Some(&'"') {
            negate_next = true;
            continue;
        }
        read_word(&mut query, &word, negated, &mut negate_next);
    }
    query
}

fn read_word(query: &mut ParsedQuery, word: &str, negated: bool, negate_next: &mut bool) {
    match word {
        "AND" | "OR" | "&&" | "||" | "+" | "|" | "&" => {
            query.notes.push(format!(
                "`{word}` is not an operator here: every word counts, and hits with more of them rank higher"
            ));
            return;
        }
        "NOT" | "-" | "!" => {
            if word == "NOT" || word == "!" {
                *negate_next = true;
            } else {
                query.notes.push("a lone `-` was left out".to_owned());
            }
            return;
        }
        _ => {}
    }
    if let Some(rest) = word.strip_prefix('-').or_else(|| word.strip_prefix('!')) {
        if rest.starts_with('"') {
            // `-"a phrase"` typed without a space: read the phrase after it.
            let phrase = rest.trim_matches('"');
            if !phrase.is_empty() {
                query.excluded.push(phrase.to_owned());
            }
            return;
        }
        return read_word(query, rest, true, negate_next);
    }
    let stripped = word.trim_matches(|c: char| matches!(c, '(' | ')' | '[' | ']' | '{' | '}' | '*' | '?' | '~' | '^'));
    if stripped.len() != word.len() {
        query.notes.push(format!(
            "`{word}` was read as `{stripped}` (no wildcards, groups or boosts)"
        ));
    }
    if stripped.is_empty() {
        return;
    }
    if let Some((name, value)) = stripped.split_once(':') {
        match FilterField::parse(name) {
            Some(field) if !value.is_empty() => {
                let value = value.trim_matches('"').to_lowercase();
                if negated {
                    query
                        .notes
                        .push(format!("`-{name}:{value}` excludes nothing: filters can only narrow"));
                } else if !query.filters.iter().any(|f| f.field == field && f.value == value) {
                    query.filters.push(Filter { field, value });
                }
                return;
            }
            Some(_) => {
                query.notes.push(format!("`{name}:` without a value was left out"));
                return;
            }
            None if !name.is_empty() => {
                let known: Vec<_> = FilterField::ALL.iter().map(|f| f.as_str()).collect();
                query.notes.push(format!(
                    "`{name}:` is not a field ({}): `{stripped}` was searched as words",
                    known.join(", ")
                ));
                push_word(query, &stripped.replace(':', " "), negated);
                return;
            }
            None => {}
        }
    }
    push_word(query, stripped, negated);
}

fn push_word(query: &mut ParsedQuery, word: &str, negated: bool) {
    let word = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '_' && c != '.' && c != '-' && c != ' ');
    if word.trim().is_empty() {
        return;
    }
    if negated {
        query.excluded.push(word.to_owned());
    } else {
        query.words.push(word.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(field: FilterField, value: &str) -> Filter {
        Filter {
            field,
            value: value.to_owned(),
        }
    }

    #[test]
    fn words_phrases_exclusions_and_filters() {
        let query = parse(r#"customer_orders "daily revenue" -test domain:Sales tag:pii type:column"#);
        assert_eq!(query.words, ["customer_orders"]);
        assert_eq!(query.phrases, ["daily revenue"]);
        assert_eq!(query.excluded, ["test"]);
        assert_eq!(
            query.filters,
            [
                filter(FilterField::Domain, "sales"),
                filter(FilterField::Tag, "pii"),
                filter(FilterField::Type, "column")
            ]
        );
        assert!(query.notes.is_empty(), "{:?}", query.notes);
        assert_eq!(
            query.to_string(),
            "words: customer_orders · phrase: \"daily revenue\" · without: test · domain: sales · tag: pii · type: column"
        );
    }

    #[test]
    fn malformed_queries_are_read_leniently_and_say_how() {
        let query = parse(r#"orders "unclosed phrase"#);
        assert_eq!(query.words, ["orders", "unclosed", "phrase"]);
        assert!(query.notes[0].contains("not closed"));

        let query = parse("colour:red orders");
        assert_eq!(query.words, ["colour red", "orders"]);
        assert!(query.notes[0].contains("`colour:` is not a field"));

        let query = parse("orders AND - (revenue) OR");
        assert_eq!(query.words, ["orders", "revenue"]);
        assert_eq!(query.notes.len(), 4, "{:?}", query.notes);

        let query = parse("domain: orders NOT test -\"old stuff\"");
        assert_eq!(query.words, ["orders"]);
        assert_eq!(query.excluded, ["test", "old stuff"]);

        for nasty in [
            "\"",
            "-",
            ":",
            "\"\"",
            "::::",
            "-\"",
            "a:b:c",
            "((((",
            "\u{0}",
            "🦀 -🦀",
        ] {
            let _ = parse(nasty);
        }
    }

    #[test]
    fn long_queries_are_cut_and_said_so() {
        let long = "word ".repeat(400);
        let query = parse(&long);
        assert!(query.truncated);
        assert_eq!(query.words.len(), MAX_QUERY_CHARS / 5);
        assert!(query.notes[0].contains("cut"));
        assert!(!parse("short").truncated);
    }

    #[test]
    fn a_browse_has_no_words() {
        assert!(parse("domain:sales").is_browse());
        assert!(parse("").is_browse());
        assert!(!parse("orders").is_browse());
    }
}
