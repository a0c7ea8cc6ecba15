//! A query that adds a fixed amount to the score of every document its inner query matches: the
//! "each word found adds the same" part of a several-word search, in the same pass as the word's
//! own scoring (a constant-score copy of the word's query beside it read every posting twice).

use std::fmt;

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, Term};

/// `inner`'s score plus `bonus` on every document `inner` matches.
pub(crate) struct BonusQuery {
    inner: Box<dyn Query>,
    bonus: Score,
}

impl BonusQuery {
    pub fn new(inner: Box<dyn Query>, bonus: Score) -> Self {
        Self { inner, bonus }
    }
}

impl Clone for BonusQuery {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.box_clone(),
            bonus: self.bonus,
        }
    }
}

impl fmt::Debug for BonusQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bonus(+{}, {:?})", self.bonus, self.inner)
    }
}

impl Query for BonusQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let scoring = enable_scoring.is_scoring_enabled();
        let inner = self.inner.weight(enable_scoring)?;
        Ok(if scoring {
            Box::new(BonusWeight {
                inner,
                bonus: self.bonus,
            })
        } else {
            inner
        })
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

struct BonusWeight {
    inner: Box<dyn Weight>,
    bonus: Score,
}

impl Weight for BonusWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(BonusScorer {
            inner: self.inner.scorer(reader, boost)?,
            bonus: boost * self.bonus,
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let inner = self.inner.explain(reader, doc)?;
        let mut explanation = Explanation::new("the word's score plus a fixed amount", inner.value() + self.bonus);
        explanation.add_const("found", self.bonus);
        explanation.add_detail(inner);
        Ok(explanation)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.inner.count(reader)
    }
}

struct BonusScorer {
    inner: Box<dyn Scorer>,
    bonus: Score,
}

impl DocSet for BonusScorer {
    fn advance(&mut self) -> DocId {
        self.inner.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.inner.seek(target)
    }

    fn doc(&self) -> DocId {
        self.inner.doc()
    }

    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }

    fn cost(&self) -> u64 {
        self.inner.cost()
    }
}

impl Scorer for BonusScorer {
    fn score(&mut self) -> Score {
        self.inner.score() + self.bonus
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::TopDocs;
    use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, TEXT};
    use tantivy::{Index, IndexWriter, TantivyDocument};

    use super::*;

    /// The bonus scores exactly as the inner query beside a constant-score copy of it.
    #[test]
    fn a_bonus_equals_the_query_beside_a_constant_copy() -> tantivy::Result<()> {
        let mut schema = Schema::builder();
        let text = schema.add_text_field("text", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer: IndexWriter = index.writer(15_000_000)?;
        for words in [
            "orders daily",
            "orders orders weekly",
            "revenue",
            "daily revenue orders",
        ] {
            let mut doc = TantivyDocument::new();
            doc.add_text(text, words);
            writer.add_document(doc)?;
        }
        writer.commit()?;
        let searcher = index.reader()?.searcher();
        let word = || -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(text, "orders"),
                IndexRecordOption::WithFreqs,
            ))
        };
        let with_bonus = BonusQuery::new(word(), 10.0);
        let beside = BooleanQuery::new(vec![
            (Occur::Should, word()),
            (Occur::Should, Box::new(ConstScoreQuery::new(word(), 10.0))),
        ]);
        let ranked = |query: &dyn Query| -> tantivy::Result<Vec<(u32, u32)>> {
            let top = searcher.search(query, &TopDocs::with_limit(10).order_by_score())?;
            // Scores compared at a thousandth.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Ok(top
                .into_iter()
                .map(|(score, address)| ((score * 1000.0).round() as u32, address.doc_id))
                .collect())
        };
        let expected = ranked(&beside)?;
        assert_eq!(expected.len(), 3);
        assert_eq!(ranked(&with_bonus)?, expected);
        Ok(())
    }
}
