//! The documents of domains, owners and tags, made from the product documents of the index: a
//! group is found by whoever may see at least one of its products (its audience is the union of
//! theirs), and it disappears with its last product. It carries no count: counts are the facets
//! of a query, which the audience filters.

use std::collections::BTreeSet;

use tantivy::collector::{Count, DocSetCollector};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{Searcher, TantivyDocument, Term};

use crate::Result;
use crate::document::{AudienceKey, DocKind, SearchDoc};
use crate::index::SearchIndex;
use crate::schema::Fields;

/// A domain, an owner or a tag.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum GroupKey {
    Domain(String),
    Owner(String),
    Tag(String),
}

impl GroupKey {
    pub fn key(&self) -> String {
        match self {
            GroupKey::Domain(name) => format!("domain:{name}"),
            GroupKey::Owner(name) => format!("owner:{name}"),
            GroupKey::Tag(name) => format!("tag:{name}"),
        }
    }

    fn kind(&self) -> DocKind {
        match self {
            GroupKey::Domain(_) => DocKind::Domain,
            GroupKey::Owner(_) => DocKind::Owner,
            GroupKey::Tag(_) => DocKind::Tag,
        }
    }

    fn name(&self) -> &str {
        match self {
            GroupKey::Domain(name) | GroupKey::Owner(name) | GroupKey::Tag(name) => name,
        }
    }

    fn field(&self, fields: &Fields) -> Field {
        match self {
            GroupKey::Domain(_) => fields.domain,
            GroupKey::Owner(_) => fields.owner,
            GroupKey::Tag(_) => fields.tag,
        }
    }
}

/// The groups a product document belongs to.
pub fn keys_of(doc: &SearchDoc) -> Vec<GroupKey> {
    let mut keys = Vec::new();
    if let Some(domain) = &doc.domain {
        keys.push(GroupKey::Domain(domain.to_lowercase()));
    }
    if let Some(owner) = &doc.owner {
        keys.push(GroupKey::Owner(owner.to_lowercase()));
    }
    keys.extend(doc.tags.iter().map(|tag| GroupKey::Tag(tag.to_lowercase())));
    keys
}

/// The groups of a stored product document.
pub fn keys_of_stored(fields: &Fields, doc: &TantivyDocument) -> Vec<GroupKey> {
    let texts = |field: Field| {
        doc.get_all(field)
            .filter_map(|value| value.as_str().map(str::to_owned))
            .collect::<Vec<_>>()
    };
    let mut keys: Vec<GroupKey> = texts(fields.domain).into_iter().map(GroupKey::Domain).collect();
    keys.extend(texts(fields.owner).into_iter().map(GroupKey::Owner));
    keys.extend(texts(fields.tag).into_iter().map(GroupKey::Tag));
    keys
}

/// The document of `group` as the index's products make it now; `None` when it has none left.
pub fn document(index: &SearchIndex, searcher: &Searcher, group: &GroupKey) -> Result<Option<SearchDoc>> {
    let fields = &index.fields;
    let members = |extra: Option<Term>| -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (
                Occur::Must,
                term_query(Term::from_field_text(fields.kind, DocKind::Product.as_str())),
            ),
            (
                Occur::Must,
                term_query(Term::from_field_text(group.field(fields), group.name())),
            ),
        ];
        if let Some(extra) = extra {
            clauses.push((Occur::Must, term_query(extra)));
        }
        Box::new(BooleanQuery::new(clauses))
    };
    let everyone = Term::from_field_text(fields.audience, &AudienceKey::Everyone.term());
    let audience: BTreeSet<AudienceKey> = if searcher.search(&*members(Some(everyone)), &Count)? > 0 {
        BTreeSet::from([AudienceKey::Everyone])
    } else {
        // Only restricted products: the union of who may see them (few, in practice).
        let mut keys = BTreeSet::new();
        for address in searcher.search(&*members(None), &DocSetCollector)? {
            let doc: TantivyDocument = searcher.doc(address)?;
            keys.extend(
                doc.get_all(fields.audience)
                    .filter_map(|value| value.as_str())
                    .filter_map(AudienceKey::from_term),
            );
        }
        keys
    };
    if audience.is_empty() {
        return Ok(None);
    }
    let name = group.name().to_owned();
    let mut doc = SearchDoc {
        id: group.key(),
        kind: Some(group.kind()),
        group: Some(group.key()),
        title: name.clone(),
        names: vec![name.clone()],
        audience: audience.into_iter().collect(),
        ..SearchDoc::default()
    };
    match group {
        GroupKey::Domain(_) => doc.domain = Some(name),
        GroupKey::Owner(_) => doc.owner = Some(name),
        GroupKey::Tag(_) => doc.tags = vec![name],
    }
    Ok(Some(doc))
}

fn term_query(term: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(term, IndexRecordOption::Basic))
}
