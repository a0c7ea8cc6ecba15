//! Reads `outputs`: the output ports, their column contracts and quality checks.

use atrium_types::{Classification, Name, PiiHandling, Visibility};
use saphyr::{Scalar, YamlData};

use crate::reader::{Mapping, Node, describe, position_of, read_named_list};
use crate::source_map::SourceMap;
use crate::{Column, DataType, Expected, Output, QualityCheck, policy};

const OUTPUT_FIELDS: &[&str] = &["name", "description", "sql", "columns", "quality"];
const COLUMN_FIELDS: &[&str] = &[
    "name",
    "type",
    "required",
    "primary_key",
    "description",
    "classification",
    "pii",
];
const CHECK_FIELDS: &[&str] = &["name", "sql", "expect"];

/// `None` when some output is invalid (already reported). `visibility` is the product's, needed
/// by the PII policy; `None` when it was itself invalid.
pub(crate) fn read_outputs(
    top: &mut Mapping<'_, '_>,
    visibility: Option<Visibility>,
    map: &mut SourceMap,
) -> Option<Vec<Output>> {
    let items = top.sequence("outputs", map);
    if items.is_empty() {
        let path = top.field_path("outputs");
        if !map.has_problem_within(&path) {
            map.report(&path, "a product needs at least one output");
        }
        return None;
    }
    read_named_list(
        items,
        "output",
        map,
        |node, path, map| read_output(node, path, visibility, map),
        |item| &item.name,
    )
}

fn read_output(node: &Node<'_>, path: &str, visibility: Option<Visibility>, map: &mut SourceMap) -> Option<Output> {
    let mut entry = Mapping::read(node, path, map)?;
    let name = policy::required_name::<Name>(&mut entry, "name", map);
    let description = policy::required_output_description(&mut entry, map);
    let sql_path = entry.field_path("sql");
    let sql = match entry.text("sql", map) {
        Some(sql) if sql.trim().is_empty() => {
            map.report(
                &sql_path,
                "an output's `sql` must not be empty; leave it out to use the transform",
            );
            None
        }
        sql => sql,
    };
    let columns = read_columns(&mut entry, visibility, map);
    let quality = read_quality(&mut entry, map);
    entry.finish(OUTPUT_FIELDS, map);
    Some(Output {
        name: name?,
        description: description?,
        sql,
        columns: columns?,
        quality: quality?,
    })
}

fn read_columns(
    entry: &mut Mapping<'_, '_>,
    visibility: Option<Visibility>,
    map: &mut SourceMap,
) -> Option<Vec<Column>> {
    let items = entry.sequence("columns", map);
    if items.is_empty() {
        let path = entry.field_path("columns");
        if !map.has_problem_within(&path) {
            map.report(&path, "an output needs at least one column");
        }
        return None;
    }
    read_named_list(
        items,
        "column",
        map,
        |node, path, map| read_column(node, path, visibility, map),
        |item| &item.name,
    )
}

fn read_column(node: &Node<'_>, path: &str, visibility: Option<Visibility>, map: &mut SourceMap) -> Option<Column> {
    let mut entry = Mapping::read(node, path, map)?;
    let name = policy::required_name::<Name>(&mut entry, "name", map);
    let type_path = entry.field_path("type");
    let type_text = entry.text("type", map);
    let type_text = type_text.map(|text| entry.rejoin_flow_split(&text).unwrap_or(text));
    let data_type = type_text.and_then(|text| match text.parse::<DataType>() {
        Ok(data_type) => Some(data_type),
        Err(error) => {
            map.report(&type_path, error.to_string());
            None
        }
    });
    if data_type.is_none() && !map.has_problem_within(&type_path) {
        map.report(&type_path, "missing required field `type`");
    }
    let primary_key = entry.boolean("primary_key", map).unwrap_or(false);
    let required = entry.boolean("required", map).unwrap_or(false) || primary_key;
    let description = entry.text("description", map).filter(|text| !text.trim().is_empty());
    let classification = entry.parsed::<Classification>("classification", &Classification::choices(), map);
    let pii = entry.parsed::<PiiHandling>("pii", &PiiHandling::choices(), map);
    entry.finish(COLUMN_FIELDS, map);
    let column = Column {
        name: name?,
        data_type: data_type?,
        required,
        primary_key,
        description,
        classification,
        pii,
    };
    policy::check_column(&column, path, visibility, map);
    Some(column)
}

fn read_quality(entry: &mut Mapping<'_, '_>, map: &mut SourceMap) -> Option<Vec<QualityCheck>> {
    read_named_list(
        entry.sequence("quality", map),
        "quality check",
        map,
        |node, path, map| read_check(node, path, map),
        |item| &item.name,
    )
}

fn read_check(node: &Node<'_>, path: &str, map: &mut SourceMap) -> Option<QualityCheck> {
    let mut entry = Mapping::read(node, path, map)?;
    let name = policy::required_name::<Name>(&mut entry, "name", map);
    let sql = entry.required_text("sql", map);
    let expect_path = entry.field_path("expect");
    let expect = match entry.node("expect") {
        Some((value, _)) => expected_value(value, &expect_path, map),
        None => {
            map.report(
                &expect_path,
                "missing required field `expect`: the value the query must return",
            );
            None
        }
    };
    entry.finish(CHECK_FIELDS, map);
    Some(QualityCheck {
        name: name?,
        sql: sql?,
        expect: expect?,
    })
}

fn expected_value(node: &Node<'_>, path: &str, map: &mut SourceMap) -> Option<Expected> {
    match &node.data {
        YamlData::Value(Scalar::Boolean(value)) => Some(Expected::Bool(*value)),
        YamlData::Value(Scalar::Integer(value)) => Some(Expected::Integer(*value)),
        YamlData::Value(Scalar::FloatingPoint(value)) => Some(Expected::Float(value.into_inner())),
        YamlData::Value(Scalar::String(text)) => Some(Expected::Text(text.to_string())),
        _ => {
            map.report_at(
                path,
                position_of(node),
                format!(
                    "`expect` is a single value (number, true/false or text), found {}",
                    describe(node)
                ),
            );
            None
        }
    }
}
