//! Answering a search: the lenient query becomes one Tantivy query (the caller's audience is one
//! of its required clauses, so a hidden document is never counted, not even in a facet), ranked
//! by exact names first, then names and columns over descriptions, BM25 within, a modest nudge
//! from the product's signals, and deprecated products down.

use std::collections::{BTreeMap, BTreeSet};

use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, FuzzyTermQuery, Occur, PhraseQuery,
    Query, TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocId, Score, Searcher, SegmentReader, TantivyDocument, Term};

use crate::Result;
use crate::bonus::BonusQuery;
use crate::document::{AudienceKey, DocKind};
use crate::index::SearchIndex;
use crate::query::{FilterField, ParsedQuery};
use crate::schema::{FACET_DIMENSIONS, Fields};
use crate::tokenize::{english_stem, words};

/// The most hits one page returns.
pub const MAX_LIMIT: usize = 100;
/// How many typo-tolerant words one query expands at most.
const MAX_FUZZY_WORDS: usize = 4;
/// How many values each facet lists.
const FACET_VALUES: usize = 20;

/// Who searches: everything (an admin, the operator), or the documents of these audience keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    Everything,
    Keys(Vec<AudienceKey>),
}

/// One search.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub query: ParsedQuery,
    pub limit: usize,
    pub offset: usize,
    pub explain: bool,
}

pub use atrium_types::{ScoreExplanation, ScorePart, SearchHit as Hit, SearchResults, Suggestion};

impl SearchIndex {
    /// Searches for `request` as `audience` may.
    pub fn search(&self, request: &SearchRequest, audience: &Audience) -> Result<SearchResults> {
        let searcher = self.reader.searcher();
        let (query, parts) = self.build(&searcher, &request.query, audience)?;
        let limit = request.limit.clamp(1, MAX_LIMIT);
        let top = TopDocs::with_limit(limit)
            .and_offset(request.offset)
            .tweak_score(move |segment: &SegmentReader| {
                let boosts = segment
                    .fast_fields()
                    .f64("boost")
                    .ok()
                    .map(|column| column.first_or_default_col(1.0));
                move |doc: DocId, score: Score| {
                    // The nudge is modest by construction (`Signals::boost`), f32 is enough.
                    #[allow(clippy::cast_possible_truncation)]
                    let nudge = boosts.as_ref().map_or(1.0, |column| column.get_val(doc) as f32);
                    score * nudge
                }
            });
        let mut facets = FacetCollector::for_field("facets");
        for dimension in FACET_DIMENSIONS {
            facets.add_facet(tantivy::schema::Facet::from_path([dimension]));
        }
        let (top, total, facet_counts) = searcher.search(&query, &(top, Count, facets))?;
        let snippets = SnippetGenerator::create(&searcher, &*query, self.fields.body)?;
        let title_snippets = SnippetGenerator::create(&searcher, &*query, self.fields.title)?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let mut snippet = snippets.snippet_from_doc(&doc).to_html();
            if snippet.is_empty() {
                snippet = title_snippets.snippet_from_doc(&doc).to_html();
            }
            let mut hit = self.hit(&doc, score, snippet, None);
            if request.explain {
                hit.explain = Some(self.explanation(&searcher, &parts, &hit, &doc)?);
            }
            hits.push(hit);
        }
        let mut by_dimension = BTreeMap::new();
        for dimension in FACET_DIMENSIONS {
            let prefix = format!("/{dimension}");
            let values: BTreeMap<String, u64> = facet_counts
                .top_k(prefix.as_str(), FACET_VALUES)
                .into_iter()
                .filter_map(|(facet, count)| {
                    let value = facet.to_path().last().map(|segment| (*segment).to_owned())?;
                    Some((value, count))
                })
                .collect();
            by_dimension.insert(dimension.to_owned(), values);
        }
        Ok(SearchResults {
            total: total as u64,
            hits,
            facets: by_dimension,
            read_as: request.query.to_string(),
            notes: request.query.notes.clone(),
        })
    }

    pub(crate) fn hit(
        &self,
        doc: &TantivyDocument,
        score: f32,
        snippet: String,
        explain: Option<ScoreExplanation>,
    ) -> Hit {
        let text = |field: Field| doc.get_first(field).and_then(|value| value.as_str()).map(str::to_owned);
        let kind = text(self.fields.kind)
            .as_deref()
            .and_then(DocKind::parse)
            .unwrap_or(DocKind::Product);
        Hit {
            id: text(self.fields.id).unwrap_or_default(),
            kind,
            title: text(self.fields.title).unwrap_or_default(),
            domain: text(self.fields.domain),
            product: text(self.fields.product),
            status: text(self.fields.status),
            freshness: text(self.fields.freshness),
            score,
            snippet,
            explain,
        }
    }

    /// The one query of a search: what is asked, filters, exclusions, and the audience.
    fn build(
        &self,
        searcher: &Searcher,
        parsed: &ParsedQuery,
        audience: &Audience,
    ) -> Result<(Box<dyn Query>, Vec<Part>)> {
        let fields = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut parts = Vec::new();
        if parsed.is_browse() {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        } else {
            let (relevance, scored) = self.relevance(searcher, parsed)?;
            clauses.push((Occur::Must, relevance));
            parts = scored;
        }
        for excluded in &parsed.excluded {
            for word in words(excluded) {
                for field in [fields.title, fields.names, fields.columns] {
                    clauses.push((Occur::MustNot, term(field, &word)));
                }
                clauses.push((Occur::MustNot, term(fields.body, &english_stem(&word))));
            }
        }
        let mut by_field: BTreeMap<FilterField, Vec<Term>> = BTreeMap::new();
        for filter in &parsed.filters {
            let field = match filter.field {
                FilterField::Domain => fields.domain,
                FilterField::Tag => fields.tag,
                FilterField::Owner => fields.owner,
                FilterField::Status => fields.status,
                FilterField::Classification => fields.classification,
                FilterField::Type => fields.kind,
            };
            let value = match filter.field {
                FilterField::Type => {
                    DocKind::parse(&filter.value).map_or(filter.value.clone(), |k| k.as_str().to_owned())
                }
                _ => filter.value.clone(),
            };
            by_field
                .entry(filter.field)
                .or_default()
                .push(Term::from_field_text(field, &value));
        }
        for terms in by_field.into_values() {
            clauses.push((Occur::Must, Box::new(TermSetQuery::new(terms))));
        }
        if let Some(filter) = audience_filter(fields, audience) {
            clauses.push((Occur::Must, filter));
        }
        Ok((Box::new(BooleanQuery::new(clauses)), parts))
    }

    /// The scoring part: every word counts (a hit missing one still ranks), exact names first.
    fn relevance(&self, searcher: &Searcher, parsed: &ParsedQuery) -> Result<(Box<dyn Query>, Vec<Part>)> {
        let fields = &self.fields;
        let mut parts: Vec<Part> = Vec::new();
        let whole = parsed.text().trim().to_lowercase();
        if !whole.is_empty() {
            parts.push((
                format!("the exact name `{whole}`"),
                constant(term(fields.exact, &whole), 60.0),
            ));
        }
        let mut fuzzy_left = MAX_FUZZY_WORDS;
        // The words searched one by one: a stop word only counts when the query has nothing else
        // (it still counts inside a name's phrase, `revenue_by_nation`).
        let all_tokens: Vec<String> = parsed.words.iter().flat_map(|word| words(word)).collect();
        let only_stop_words = all_tokens.iter().all(|token| is_stop_word(token));
        let searched = all_tokens
            .iter()
            .filter(|token| only_stop_words || !is_stop_word(token))
            .count();
        // With several words, each one found adds the same amount (see below).
        let several = searched + parsed.phrases.len() > 1;
        // The parts of each searched word, and the parts that stand alone (exact names, phrases).
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for word in &parsed.words {
            let lower = word.to_lowercase();
            if lower != whole {
                parts.push((
                    format!("the exact name `{lower}`"),
                    constant(term(fields.exact, &lower), 3.0),
                ));
            }
            let tokens = words(word);
            if tokens.len() > 1 {
                for (field, name) in [(fields.names, "name"), (fields.title, "title")] {
                    parts.push((
                        format!("`{word}` as a {name} phrase"),
                        boosted(phrase(field, &tokens), 4.0),
                    ));
                }
            }
            for token in &tokens {
                if !only_stop_words && is_stop_word(token) {
                    continue;
                }
                let first_part = parts.len();
                let stem = english_stem(token);
                // The best of the name fields (a column's name is also its title: not twice),
                // plus the description.
                let names = DisjunctionMaxQuery::with_tie_breaker(
                    vec![
                        boosted(term(fields.names, token), 3.0),
                        boosted(term(fields.title, token), 3.0),
                        // `customer` finds the title "Customers", a little below an exact word.
                        boosted(term(fields.title_stems, &stem), 1.5),
                        boosted(term(fields.columns, token), 2.0),
                    ],
                    0.1,
                );
                let per_field: Vec<(Occur, Box<dyn Query>)> = vec![
                    (Occur::Should, Box::new(names)),
                    (Occur::Should, term(fields.body, &stem)),
                ];
                let matched = BooleanQuery::new(per_field);
                // Every word found adds the same amount: hits with more of the words rank higher,
                // and a hit missing one still ranks (no AND cliff). Added in the word's own pass.
                if several {
                    parts.push((
                        format!("the word `{token}` is there (10), in names, columns (best) and description (BM25)"),
                        Box::new(BonusQuery::new(Box::new(matched), 10.0)),
                    ));
                } else {
                    parts.push((
                        format!("`{token}` in names, columns (best) and description (BM25)"),
                        Box::new(matched),
                    ));
                }
                // Typo tolerance on names: a word no name, title or column has is expanded.
                let known = [fields.names, fields.title, fields.columns]
                    .into_iter()
                    .map(|field| Term::from_field_text(field, token))
                    .map(|term| searcher.doc_freq(&term))
                    .try_fold(0u64, |sum, freq| freq.map(|freq| sum + freq))?;
                let letters = token.chars().count();
                if known == 0 && letters >= 4 && fuzzy_left > 0 {
                    fuzzy_left -= 1;
                    // Fuzzy hits score alike, so each distance is its own clause: one typo scores
                    // above two, and both far below an exact word.
                    let distances: &[(u8, f32)] = if letters >= 8 {
                        &[(1, 0.5), (2, 0.3)]
                    } else {
                        &[(1, 0.5)]
                    };
                    for &(distance, weight) in distances {
                        for field in [fields.names, fields.title, fields.columns] {
                            let fuzzy = FuzzyTermQuery::new(Term::from_field_text(field, token), distance, true);
                            let constant = ConstScoreQuery::new(Box::new(fuzzy), 1.0);
                            parts.push((
                                format!("`{token}` within {distance} typo(s)"),
                                boosted(Box::new(constant), weight),
                            ));
                        }
                    }
                }
                groups.push((first_part..parts.len()).collect());
            }
        }
        for text in &parsed.phrases {
            let tokens = words(text);
            let stems: Vec<String> = tokens.iter().map(|token| english_stem(token)).collect();
            if tokens.len() == 1 {
                parts.push((
                    format!("`{text}` in the title"),
                    boosted(term(fields.title, &tokens[0]), 3.0),
                ));
                parts.push((format!("`{text}` in the description"), term(fields.body, &stems[0])));
            } else if !tokens.is_empty() {
                parts.push((
                    format!("\"{text}\" in the title"),
                    boosted(phrase(fields.title, &tokens), 3.0),
                ));
                parts.push((
                    format!("\"{text}\" in a name"),
                    boosted(phrase(fields.names, &tokens), 3.0),
                ));
                parts.push((format!("\"{text}\" in the description"), phrase(fields.body, &stems)));
            }
        }
        // A hit has an exact name or a phrase, or enough of the words: every word when there are
        // one or two, two thirds of them beyond (a hit missing one still ranks, and a long
        // identifier does not match every document that has one of its common words).
        let in_groups: BTreeSet<usize> = groups.iter().flatten().copied().collect();
        let mut should: Vec<(Occur, Box<dyn Query>)> = parts
            .iter()
            .enumerate()
            .filter(|(index, _)| !in_groups.contains(index))
            .map(|(_, (_, query))| (Occur::Should, query.box_clone()))
            .collect();
        if !groups.is_empty() {
            let count = groups.len();
            let needed = if count >= 3 { count - count / 3 } else { 1 };
            let words_clauses: Vec<(Occur, Box<dyn Query>)> = groups
                .iter()
                .map(|group| {
                    let group: Vec<(Occur, Box<dyn Query>)> = group
                        .iter()
                        .map(|&index| (Occur::Should, parts[index].1.box_clone()))
                        .collect();
                    (Occur::Should, Box::new(BooleanQuery::new(group)) as Box<dyn Query>)
                })
                .collect();
            should.push((
                Occur::Should,
                Box::new(BooleanQuery::with_minimum_required_clauses(words_clauses, needed)),
            ));
        }
        // A phrase must appear: the phrase clauses alone are not enough for the others to match.
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(BooleanQuery::new(should)))];
        for text in &parsed.phrases {
            let tokens = words(text);
            if tokens.len() > 1 {
                let stems: Vec<String> = tokens.iter().map(|token| english_stem(token)).collect();
                let any: Vec<(Occur, Box<dyn Query>)> = vec![
                    (Occur::Should, phrase(fields.title, &tokens)),
                    (Occur::Should, phrase(fields.names, &tokens)),
                    (Occur::Should, phrase(fields.body, &stems)),
                ];
                clauses.push((
                    Occur::Must,
                    Box::new(ConstScoreQuery::new(Box::new(BooleanQuery::new(any)), 0.0)),
                ));
            }
        }
        Ok((Box::new(BooleanQuery::new(clauses)), parts))
    }
}

/// Words too common to search on their own in English text.
fn is_stop_word(token: &str) -> bool {
    matches!(
        token,
        "a" | "an"
            | "and"
            | "are"
            | "as"
            | "at"
            | "be"
            | "by"
            | "for"
            | "from"
            | "in"
            | "is"
            | "it"
            | "of"
            | "on"
            | "or"
            | "the"
            | "to"
            | "with"
    )
}

pub(crate) fn term(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

fn phrase(field: Field, tokens: &[String]) -> Box<dyn Query> {
    let terms: Vec<Term> = tokens.iter().map(|token| Term::from_field_text(field, token)).collect();
    if terms.len() == 1 {
        return term(field, &tokens[0]);
    }
    Box::new(PhraseQuery::new(terms))
}

/// Scores `weight` for a match, whatever the field's statistics.
pub(crate) fn constant(query: Box<dyn Query>, weight: f32) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(query, weight))
}

fn boosted(query: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(query, boost))
}

/// The audience clause: `None` for a caller who sees everything.
pub(crate) fn audience_filter(fields: &Fields, audience: &Audience) -> Option<Box<dyn Query>> {
    match audience {
        Audience::Everything => None,
        Audience::Keys(keys) => {
            let terms: Vec<Term> = keys
                .iter()
                .map(|key| Term::from_field_text(fields.audience, &key.term()))
                .collect();
            Some(Box::new(ConstScoreQuery::new(Box::new(TermSetQuery::new(terms)), 0.0)))
        }
    }
}

/// One named part of a query's score, for `explain`.
type Part = (String, Box<dyn Query>);

impl SearchIndex {
    /// Why `hit` scored as it did: what each part of the query gave it, and the nudge of its
    /// signals. Each part is asked on this document alone (by its id).
    fn explanation(
        &self,
        searcher: &Searcher,
        parts: &[Part],
        hit: &Hit,
        doc: &TantivyDocument,
    ) -> Result<ScoreExplanation> {
        let mut given = Vec::new();
        let mut matched = 0.0;
        for (why, query) in parts {
            let alone = BooleanQuery::new(vec![
                (Occur::Must, query.box_clone()),
                (Occur::Must, constant(term(self.fields.id, &hit.id), 0.0)),
            ]);
            if let Some((score, _)) = searcher
                .search(&alone, &TopDocs::with_limit(1).order_by_score())?
                .first()
            {
                matched += score;
                given.push(ScorePart {
                    why: why.clone(),
                    score: *score,
                });
            }
        }
        let nudge = doc
            .get_first(self.fields.boost)
            .and_then(|value| value.as_f64())
            .unwrap_or(1.0);
        Ok(ScoreExplanation {
            score: hit.score,
            matched,
            nudge,
            parts: given,
        })
    }
}
