//! Tokenization for identifiers and text: `customer_orders`, `CustomerOrders`, `customer-orders`,
//! `customer.orders` and `customer orders` all become the tokens `customer`, `orders`. A token
//! ends at every character that is not a letter or a digit and where a lower-case letter or a
//! digit is followed by an upper-case one (`customerOrders`), or an upper-case run by a word
//! (`HTTPServer` is `http`, `server`). English text fields stem these tokens afterwards.

use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, Stemmer, TextAnalyzer, Token, TokenStream, Tokenizer, TokenizerManager,
};

/// The analyzer of identifiers and titles: split and lower-cased, not stemmed.
pub const IDENTIFIER: &str = "atrium_identifier";
/// The analyzer of English text (descriptions): split, lower-cased and stemmed.
pub const ENGLISH: &str = "atrium_english";

/// Splits identifiers and text into words (see the module doc).
#[derive(Clone, Copy, Debug, Default)]
pub struct IdentifierTokenizer;

/// The tokens of one text, computed at once.
pub struct IdentifierTokens {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for IdentifierTokenizer {
    type TokenStream<'a> = IdentifierTokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> IdentifierTokens {
        let tokens = split_words(text)
            .into_iter()
            .enumerate()
            .map(|(position, (from, to))| Token {
                offset_from: from,
                offset_to: to,
                position,
                text: text[from..to].to_owned(),
                position_length: 1,
            })
            .collect();
        IdentifierTokens { tokens, next: 0 }
    }
}

impl TokenStream for IdentifierTokens {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next.saturating_sub(1).min(self.tokens.len().saturating_sub(1))]
    }

    fn token_mut(&mut self) -> &mut Token {
        let index = self.next.saturating_sub(1).min(self.tokens.len().saturating_sub(1));
        &mut self.tokens[index]
    }
}

/// The byte ranges of the words of `text`.
pub fn split_words(text: &str) -> Vec<(usize, usize)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut words = Vec::new();
    let mut start: Option<usize> = None;
    for (i, &(offset, c)) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if let Some(from) = start.take() {
                words.push((from, offset));
            }
            continue;
        }
        if let Some(from) = start {
            let previous = chars[i - 1].1;
            let next_is_lower = chars.get(i + 1).is_some_and(|&(_, n)| n.is_lowercase());
            let boundary = c.is_uppercase()
                && (previous.is_lowercase() || previous.is_numeric() || (previous.is_uppercase() && next_is_lower));
            if boundary {
                words.push((from, offset));
                start = Some(offset);
            }
        } else {
            start = Some(offset);
        }
    }
    if let Some(from) = start {
        words.push((from, text.len()));
    }
    words
}

/// The lower-cased words of `text`, as the identifier analyzer makes them.
pub fn words(text: &str) -> Vec<String> {
    split_words(text)
        .into_iter()
        .map(|(from, to)| text[from..to].to_lowercase())
        .collect()
}

/// The analyzers every index of the catalog registers.
pub fn register(manager: &TokenizerManager) {
    manager.register(
        IDENTIFIER,
        TextAnalyzer::builder(IdentifierTokenizer)
            .filter(RemoveLongFilter::limit(64))
            .filter(LowerCaser)
            .build(),
    );
    manager.register(
        ENGLISH,
        TextAnalyzer::builder(IdentifierTokenizer)
            .filter(RemoveLongFilter::limit(64))
            .filter(LowerCaser)
            .filter(Stemmer::new(Language::English))
            .build(),
    );
}

/// The stem of one lower-cased word, as the English analyzer indexes it.
pub fn english_stem(word: &str) -> String {
    let mut analyzer = TextAnalyzer::builder(IdentifierTokenizer)
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::English))
        .build();
    let mut stream = analyzer.token_stream(word);
    let mut stem = String::new();
    while let Some(token) = stream.next() {
        stem.push_str(&token.text);
    }
    stem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_spellings_become_the_same_words() {
        for spelling in [
            "customer_orders",
            "CustomerOrders",
            "customerOrders",
            "customer-orders",
            "customer orders",
            "customer.orders",
            "CUSTOMER_ORDERS",
        ] {
            assert_eq!(words(spelling), ["customer", "orders"], "{spelling}");
        }
    }

    #[test]
    fn acronyms_and_digits_split_where_a_reader_would() {
        assert_eq!(words("HTTPServer"), ["http", "server"]);
        assert_eq!(words("orders2024Q1"), ["orders2024", "q1"]);
        assert_eq!(words("sales.orders_v2"), ["sales", "orders", "v2"]);
        assert_eq!(words("  émigré   Straße "), ["émigré", "straße"]);
        assert!(words("--- !!").is_empty());
    }

    #[test]
    fn english_words_are_stemmed() {
        assert_eq!(english_stem("orders"), "order");
        assert_eq!(english_stem("running"), "run");
    }
}
