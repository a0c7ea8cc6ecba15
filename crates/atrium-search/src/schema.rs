//! The Tantivy schema of the catalog index and the mapping of a [`SearchDoc`] onto it.

use tantivy::TantivyDocument;
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions,
};

use crate::document::SearchDoc;
use crate::tokenize::{ENGLISH, IDENTIFIER};

/// The version of the schema and of the documents' meaning: an index of another version is
/// rebuilt.
pub const SCHEMA_VERSION: u32 = 2;

/// The fields of the index.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub kind: Field,
    pub product: Field,
    pub group: Field,
    pub title: Field,
    /// The title's words stemmed, as descriptions are.
    pub title_stems: Field,
    pub names: Field,
    pub columns: Field,
    pub body: Field,
    /// Lower-cased whole names (id, name, title) for exact matches.
    pub exact: Field,
    pub domain: Field,
    pub owner: Field,
    pub tag: Field,
    pub status: Field,
    pub visibility: Field,
    pub classification: Field,
    pub inputs: Field,
    pub audience: Field,
    pub facets: Field,
    pub updated_at: Field,
    pub boost: Field,
    pub freshness: Field,
}

fn text(analyzer: &str, stored: bool) -> TextOptions {
    let options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored { options.set_stored() } else { options }
}

impl Fields {
    pub fn schema() -> (Schema, Fields) {
        let mut builder = Schema::builder();
        let fields = Fields {
            id: builder.add_text_field("id", STRING | STORED),
            kind: builder.add_text_field("kind", STRING | STORED),
            product: builder.add_text_field("product", STRING | STORED),
            group: builder.add_text_field("group", STRING),
            title: builder.add_text_field("title", text(IDENTIFIER, true)),
            title_stems: builder.add_text_field("title_stems", text(ENGLISH, false)),
            names: builder.add_text_field("names", text(IDENTIFIER, false)),
            columns: builder.add_text_field("columns", text(IDENTIFIER, false)),
            body: builder.add_text_field("body", text(ENGLISH, true)),
            exact: builder.add_text_field("exact", STRING),
            domain: builder.add_text_field("domain", STRING | STORED),
            owner: builder.add_text_field("owner", STRING | STORED),
            tag: builder.add_text_field("tag", STRING | STORED),
            status: builder.add_text_field("status", STRING | STORED),
            visibility: builder.add_text_field("visibility", STRING),
            classification: builder.add_text_field("classification", STRING),
            inputs: builder.add_text_field("inputs", STRING),
            audience: builder.add_text_field("audience", STRING | STORED),
            facets: builder.add_facet_field("facets", FacetOptions::default()),
            updated_at: builder.add_i64_field("updated_at", INDEXED | STORED | FAST),
            boost: builder.add_f64_field("boost", FAST | STORED),
            freshness: builder.add_text_field("freshness", STORED),
        };
        (builder.build(), fields)
    }

    /// The Tantivy document of `doc`.
    pub fn document(&self, doc: &SearchDoc) -> TantivyDocument {
        let mut out = TantivyDocument::default();
        let kind = doc.kind();
        out.add_text(self.id, &doc.id);
        out.add_text(self.kind, kind.as_str());
        out.add_facet(self.facets, Facet::from_path(["type", kind.as_str()]));
        if let Some(product) = &doc.product {
            out.add_text(self.product, product);
        }
        if let Some(group) = &doc.group {
            out.add_text(self.group, group);
        }
        out.add_text(self.title, &doc.title);
        out.add_text(self.title_stems, &doc.title);
        out.add_text(self.exact, doc.title.trim().to_lowercase());
        out.add_text(self.exact, doc.id.to_lowercase());
        for name in &doc.names {
            out.add_text(self.names, name);
            out.add_text(self.exact, name.to_lowercase());
        }
        for column in &doc.columns {
            out.add_text(self.columns, column);
        }
        out.add_text(self.body, &doc.body);
        let keyword = |out: &mut TantivyDocument, field: Field, facet: &str, value: &str| {
            let value = value.to_lowercase();
            out.add_text(field, &value);
            out.add_facet(self.facets, Facet::from_path([facet, value.as_str()]));
        };
        if let Some(domain) = &doc.domain {
            keyword(&mut out, self.domain, "domain", domain);
        }
        if let Some(owner) = &doc.owner {
            keyword(&mut out, self.owner, "owner", owner);
        }
        for tag in &doc.tags {
            keyword(&mut out, self.tag, "tag", tag);
        }
        if let Some(status) = &doc.status {
            keyword(&mut out, self.status, "status", status);
        }
        if let Some(visibility) = &doc.visibility {
            out.add_text(self.visibility, visibility.to_lowercase());
        }
        for classification in &doc.classifications {
            keyword(&mut out, self.classification, "classification", classification);
        }
        for input in &doc.inputs {
            out.add_text(self.inputs, input.to_lowercase());
        }
        for key in &doc.audience {
            out.add_text(self.audience, key.term());
        }
        out.add_i64(self.updated_at, doc.updated_at);
        out.add_f64(self.boost, doc.signals.boost() * kind_weight(kind));
        if let Some(freshness) = &doc.freshness {
            out.add_text(self.freshness, freshness);
        }
        out
    }
}

/// At an equal match, a product comes before its outputs and columns, and those before a
/// domain, owner or tag of the same name.
fn kind_weight(kind: crate::DocKind) -> f64 {
    match kind {
        crate::DocKind::Product => 1.0,
        crate::DocKind::Output => 0.85,
        crate::DocKind::Column => 0.7,
        crate::DocKind::Domain | crate::DocKind::Owner | crate::DocKind::Tag => 0.6,
    }
}

/// The facet dimensions the search answers count.
pub const FACET_DIMENSIONS: [&str; 6] = ["domain", "tag", "owner", "status", "classification", "type"];
