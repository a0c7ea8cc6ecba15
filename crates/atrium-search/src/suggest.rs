//! Completions of what is being typed (the header's search box): ids, titles and column names
//! that begin with the last word, after the earlier ones, as the caller may see them; a title
//! that begins with it first.

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Occur, Query, TermSetQuery};
use tantivy::{DocId, Score, SegmentReader, TantivyDocument, Term};

use crate::Result;
use crate::document::DocKind;
use crate::index::SearchIndex;
use crate::search::{Audience, Suggestion, audience_filter, constant, term};
use crate::tokenize::words;

impl SearchIndex {
    /// Up to `limit` completions of what is being typed: ids, titles and column names that
    /// begin with the last word (after the earlier ones).
    pub fn suggest(&self, prefix: &str, audience: &Audience, limit: usize) -> Result<Vec<Suggestion>> {
        let typed = words(prefix);
        let Some((last, earlier)) = typed.split_last() else {
            return Ok(Vec::new());
        };
        let searcher = self.reader.searcher();
        let fields = &self.fields;
        let mut words_clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for word in earlier {
            words_clauses.push((Occur::Must, name_or_title(fields, word)));
        }
        // A title that begins with the word first, then a name (an id's words, a column's).
        let mut last_clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, weight) in [(fields.title, 3.0), (fields.names, 1.0)] {
            let prefix_term = FuzzyTermQuery::new_prefix(Term::from_field_text(field, last), 0, true);
            last_clauses.push((Occur::Should, constant(Box::new(prefix_term), weight)));
        }
        words_clauses.push((Occur::Must, Box::new(BooleanQuery::new(last_clauses))));
        let kinds = [DocKind::Product, DocKind::Output, DocKind::Column]
            .iter()
            .map(|kind| Term::from_field_text(fields.kind, kind.as_str()))
            .collect::<Vec<_>>();
        words_clauses.push((Occur::Must, constant(Box::new(TermSetQuery::new(kinds)), 0.0)));
        if let Some(filter) = audience_filter(fields, audience) {
            words_clauses.push((Occur::Must, filter));
        }
        let query = BooleanQuery::new(words_clauses);
        let top = TopDocs::with_limit(limit.clamp(1, 10) * 2).tweak_score(move |segment: &SegmentReader| {
            let boosts = segment
                .fast_fields()
                .f64("boost")
                .ok()
                .map(|column| column.first_or_default_col(1.0));
            move |doc: DocId, score: Score| f64::from(score) * boosts.as_ref().map_or(1.0, |column| column.get_val(doc))
        });
        let mut suggestions: Vec<Suggestion> = Vec::new();
        for (_, address) in searcher.search(&query, &top)? {
            let doc: TantivyDocument = searcher.doc(address)?;
            let hit = self.hit(&doc, 0.0, String::new(), None);
            // An output named like its product adds nothing to the product's completion.
            if hit.kind == DocKind::Output && hit.product.as_deref() == Some(hit.title.as_str()) {
                continue;
            }
            // A column of the same name in two outputs of one product is one completion.
            if suggestions
                .iter()
                .any(|seen| seen.label == hit.title && seen.product == hit.product && seen.kind == hit.kind)
            {
                continue;
            }
            suggestions.push(Suggestion {
                id: hit.id,
                kind: hit.kind,
                label: hit.title,
                product: hit.product,
            });
        }
        suggestions.truncate(limit.clamp(1, 10));
        Ok(suggestions)
    }
}

fn name_or_title(fields: &crate::schema::Fields, word: &str) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(vec![
        (Occur::Should, term(fields.names, word)),
        (Occur::Should, term(fields.title, word)),
    ]))
}
