//! Whole-descriptor tests: the spec's example, and located errors for each kind of mistake.

use crate::{DataType, InputSource, describe_changes, parse_descriptor};

const SPEC_EXAMPLE: &str = include_str!("../tests/fixtures/spec_example.yaml");
const THREE_MISTAKES: &str = include_str!("../tests/fixtures/three_mistakes.yaml");

/// Parses `yaml` and renders its diagnostics one a line, or `ok`.
fn problems(yaml: &str) -> String {
    match parse_descriptor(yaml, Some("p.yaml")) {
        Ok(_) => "ok".to_owned(),
        Err(problems) => problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
    }
}

/// A minimal valid descriptor with `extra` appended to its output's columns.
fn with_columns(columns: &str) -> String {
    format!(
        "apiVersion: atrium/v1\nkind: DataProduct\nmetadata:\n  id: crm.people\n  title: People\n  owner: team-crm\n  description: Everyone.\n  visibility: internal\noutputs:\n  - name: people\n    description: One row per person.\n    columns:\n{columns}"
    )
}

#[test]
fn the_spec_example_is_valid() {
    let descriptor = parse_descriptor(SPEC_EXAMPLE, None).expect("the spec example parses");
    assert_eq!(descriptor.id().to_string(), "sales.orders");
    assert_eq!(descriptor.inputs.len(), 3);
    assert!(matches!(descriptor.inputs[2].source, InputSource::Stream));
    let upstream: Vec<String> = descriptor.upstream_products().map(ToString::to_string).collect();
    assert_eq!(upstream, ["crm.customers"]);
    let orders = &descriptor.outputs[0];
    assert_eq!(
        orders.columns[4].data_type,
        DataType::Decimal {
            precision: 12,
            scale: 2
        }
    );
    assert!(orders.columns[0].required && orders.columns[0].primary_key);
    assert_eq!(orders.quality[1].expect.to_json(), "true");
    assert_eq!(
        descriptor.schedule.as_ref().map(|s| s.cron.as_str()),
        Some("0 */6 * * *")
    );
    let slo = descriptor.slo.as_ref().expect("slo");
    assert_eq!(slo.freshness_seconds, 24 * 3600);
    assert_eq!(slo.alert_webhook.as_deref(), Some("http://127.0.0.1:9000/hooks/sales"));
}

#[test]
fn every_mistake_of_a_file_is_reported_with_its_position() {
    assert_eq!(
        problems(THREE_MISTAKES),
        "p.yaml:3:1: metadata.description: missing `description`; every product needs a `description` (policy: metadata completeness)\n\
         p.yaml:14:9: outputs[0].columns[1].classification: column `region` is text and needs a `classification` (public | internal | confidential | pii) (policy: classification)\n\
         p.yaml:16:72: outputs[0].columns[3].pii: `pii: keep` is allowed only on restricted products, this one is `internal` (policy: pii handling)"
    );
}

#[test]
fn comments_and_layout_do_not_change_the_hash() {
    let compact = parse_descriptor(SPEC_EXAMPLE, None).expect("parses");
    let reformatted = SPEC_EXAMPLE.replace(
        "  # another product's output: a lineage edge, needs a read grant for the owner",
        "",
    );
    let same = parse_descriptor(&reformatted, None).expect("parses");
    assert_eq!(compact.content_hash(), same.content_hash());
    let retitled =
        parse_descriptor(&SPEC_EXAMPLE.replace("title: Customer orders", "title: Orders"), None).expect("parses");
    assert_ne!(compact.content_hash(), retitled.content_hash());
    assert_eq!(
        describe_changes(&compact, &retitled),
        ["title: Customer orders → Orders"]
    );
}

#[test]
fn changes_name_columns_and_checks() {
    let old = parse_descriptor(SPEC_EXAMPLE, None).expect("parses");
    let edited = SPEC_EXAMPLE
        .replace("type: decimal(12,2)", "type: decimal(14,2)")
        .replace(
            "      - { name: has_rows, sql: \"SELECT count(*) > 0 FROM orders\", expect: true }\n",
            "",
        )
        .replace("schedule: \"0 */6 * * *\"", "schedule: \"0 1 * * *\"");
    let new = parse_descriptor(&edited, None).expect("parses");
    assert_eq!(
        describe_changes(&old, &new),
        [
            "output `orders`: column `amount`: type: decimal(12,2) → decimal(14,2)",
            "output `orders`: quality check `has_rows` removed",
            "schedule: 0 */6 * * * → 0 1 * * *",
        ]
    );
}

#[test]
fn columns() {
    let check = |column: &str, expected: &str| assert_eq!(problems(&with_columns(column)), expected, "{column}");
    check("      - { name: id, type: int64 }\n", "ok");
    check(
        "      - { name: id, type: integer }\n",
        "p.yaml:13:27: outputs[0].columns[0].type: unknown type `integer`; expected one of bool, int32, int64, float64, decimal(p,s), string, date, timestamp, binary, list<T>",
    );
    check(
        "      - { name: Id, type: int64 }\n",
        "p.yaml:13:17: outputs[0].columns[0].name: `Id` must start with a lower-case letter, found `I` (policy: naming)",
    );
    check(
        "      - { name: email, type: string, classification: pii }\n",
        "p.yaml:13:9: outputs[0].columns[0].pii: column `email` is classified pii and must say how it is handled: `pii: drop | hash | mask | keep` (policy: pii handling)",
    );
    check(
        "      - { name: email, type: string, classification: public, pii: hash }\n",
        "p.yaml:13:67: outputs[0].columns[0].pii: `pii` handling applies only to columns classified `pii`, this one is `public`",
    );
    check(
        "      - { name: born, type: date, classification: pii, pii: mask }\n",
        "p.yaml:13:61: outputs[0].columns[0].pii: `pii: mask` writes text, so column `born` must have type `string`, not `date`",
    );
    check(
        "      - { name: email, type: string, clasification: pii }\n",
        "p.yaml:13:9: outputs[0].columns[0].classification: column `email` is text and needs a `classification` (public | internal | confidential | pii) (policy: classification)\n\
         p.yaml:13:38: outputs[0].columns[0].clasification: unknown field `clasification`; did you mean `classification`?",
    );
    check(
        "      - { name: a, type: int64 }\n      - { name: a, type: int64 }\n",
        "p.yaml:14:17: outputs[0].columns[1].name: column `a` is declared twice",
    );
}

#[test]
fn document_level_mistakes() {
    assert_eq!(problems(""), "p.yaml:1:1: the descriptor is empty");
    assert_eq!(
        problems("a: [1,"),
        "p.yaml:2:1: invalid YAML: while parsing a node, did not find expected node content"
    );
    assert_eq!(problems("- 1\n"), "p.yaml:1:1: expected a mapping, found a list");
    let header = with_columns("      - { name: id, type: int64 }\n").replace("atrium/v1", "atrium/v2");
    assert_eq!(
        problems(&header),
        "p.yaml:1:13: apiVersion: unsupported apiVersion `atrium/v2`; expected `atrium/v1`"
    );
    let no_outputs =
        "apiVersion: atrium/v1\nkind: DataProduct\nmetadata: {id: a.b, title: t, owner: o, description: d}\n";
    assert_eq!(
        problems(no_outputs),
        "p.yaml:1:1: outputs: a product needs at least one output"
    );
    let duplicate_key = "apiVersion: atrium/v1\napiVersion: atrium/v1\n";
    assert!(
        problems(duplicate_key).contains("duplicated key"),
        "{}",
        problems(duplicate_key)
    );
}

#[test]
fn inputs_schedule_and_slo() {
    let base = with_columns("      - { name: id, type: int64 }\n");
    let check = |extra: &str, expected: &str| assert_eq!(problems(&format!("{base}{extra}")), expected, "{extra}");
    check(
        "inputs:\n  - { name: raw, source: { kind: file, path: people.csv } }\n",
        "ok",
    );
    check(
        "inputs:\n  - { name: raw, source: { kind: file, path: /etc/people.csv } }\n",
        "p.yaml:15:46: inputs[0].source.path: `/etc/people.csv` is absolute; a file path is relative to the descriptor",
    );
    check(
        "inputs:\n  - { name: raw, source: { kind: ftp, url: x } }\n",
        "p.yaml:15:34: inputs[0].source.kind: unknown source kind `ftp`; expected file | url | object | stream",
    );
    check(
        "inputs:\n  - { name: raw, product: crm.people }\n",
        "p.yaml:15:27: inputs[0].product: a product cannot read its own output",
    );
    check(
        "inputs:\n  - { name: a, source: { kind: stream } }\n  - { name: b, source: { kind: stream } }\n",
        "p.yaml:14:1: inputs: 2 inputs need a `transform` that combines them (or `sql` on every output)",
    );
    check("schedule: \"0 */6 * * *\"\n", "ok");
    assert!(
        problems(&format!("{base}schedule: \"every day\"\n"))
            .starts_with("p.yaml:14:11: schedule: `every day` is not a valid cron schedule")
    );
    check(
        "slo: { freshness: soon }\n",
        "p.yaml:14:19: slo.freshness: `soon` is not a duration; write e.g. `30m`, `24h` or `7d`",
    );
    check(
        "slo: { freshness: 1h, alert: { webhook: \"ftp://x\" } }\n",
        "p.yaml:14:41: slo.alert.webhook: `ftp://x` must be an http or https URL, not `ftp`",
    );
}

#[test]
fn inputs_declare_column_types() {
    let base = with_columns("      - { name: id, type: int64 }\n");
    let yaml = format!(
        "{base}inputs:\n  - name: raw\n    source: {{ kind: file, path: people.csv }}\n    columns: {{ id: int64, amount: decimal(12,2), seen: timestamp }}\n"
    );
    let descriptor = parse_descriptor(&yaml, None).expect("valid");
    let declared: Vec<(String, String)> = descriptor.inputs[0]
        .columns
        .iter()
        .map(|column| (column.name.clone(), column.data_type.to_string()))
        .collect();
    assert_eq!(
        declared,
        [("id", "int64"), ("amount", "decimal(12,2)"), ("seen", "timestamp")]
            .map(|(n, t)| (n.to_owned(), t.to_owned()))
    );
    assert_eq!(
        problems(&format!(
            "{base}inputs:\n  - name: raw\n    source: {{ kind: file, path: people.csv }}\n    columns:\n      id: integer\n      name:\n"
        )),
        "p.yaml:18:11: inputs[0].columns.id: unknown type `integer`; expected one of bool, int32, int64, float64, decimal(p,s), string, date, timestamp, binary, list<T>\n\
         p.yaml:19:7: inputs[0].columns.name: column `name` needs a type, e.g. `name: int64`"
    );
}

#[test]
fn schedules_know_their_next_time() {
    let descriptor = parse_descriptor(SPEC_EXAMPLE, None).expect("parses");
    let schedule = descriptor.schedule.expect("scheduled");
    let at = |text: &str| {
        chrono::DateTime::parse_from_rfc3339(text)
            .expect("time")
            .with_timezone(&chrono::Utc)
    };
    assert_eq!(
        schedule.next_after(at("2026-11-22T05:10:00Z")),
        Some(at("2026-11-22T06:00:00Z"))
    );
    assert_eq!(
        schedule.next_after(at("2026-11-22T06:00:00Z")),
        Some(at("2026-11-22T12:00:00Z"))
    );
}

/// A product with inputs `inputs`, optionally a transform, and outputs built from `outputs`
/// (name, optional sql) with one column each.
fn multi_output(inputs: &[&str], transform: bool, outputs: &[(&str, Option<&str>)]) -> String {
    let mut yaml = "apiVersion: atrium/v1\nkind: DataProduct\nmetadata: { id: sales.orders, title: Orders, owner: team, description: D. }\ninputs:\n".to_owned();
    for input in inputs {
        yaml.push_str(&format!("  - {{ name: {input}, source: {{ kind: stream }} }}\n"));
    }
    if transform {
        yaml.push_str("transform:\n  sql: SELECT 1 AS n\n");
    }
    yaml.push_str("outputs:\n");
    for (name, sql) in outputs {
        yaml.push_str(&format!("  - name: {name}\n    description: D.\n"));
        if let Some(sql) = sql {
            yaml.push_str(&format!("    sql: {sql}\n"));
        }
        yaml.push_str("    columns: [{ name: n, type: int64 }]\n");
    }
    yaml
}

#[test]
fn several_outputs_each_with_a_query_but_one() {
    let ok = multi_output(
        &["raw"],
        true,
        &[("orders", None), ("daily", Some("SELECT count(*) AS n FROM orders"))],
    );
    let descriptor = parse_descriptor(&ok, None).expect("valid");
    assert_eq!(descriptor.outputs[0].sql, None);
    assert_eq!(
        descriptor.outputs[1].sql.as_deref(),
        Some("SELECT count(*) AS n FROM orders")
    );
    // Without a transform, the output without `sql` is the single input.
    assert_eq!(
        problems(&multi_output(
            &["raw"],
            false,
            &[("orders", None), ("daily", Some("SELECT 1 AS n"))]
        )),
        "ok"
    );
    // Every output with its own query, two inputs, no transform.
    assert_eq!(
        problems(&multi_output(
            &["a", "b"],
            false,
            &[("x", Some("SELECT 1 AS n")), ("y", Some("SELECT 2 AS n"))]
        )),
        "ok"
    );

    assert_eq!(
        problems(&multi_output(&["raw"], true, &[("orders", None), ("daily", None)])),
        "p.yaml:12:5: outputs[1]: 2 outputs have no `sql`; with several outputs, each but one needs its own `sql` (the one without takes the transform)"
    );
    assert_eq!(
        problems(&multi_output(
            &["raw"],
            true,
            &[("x", Some("SELECT 1 AS n")), ("y", Some("SELECT 2 AS n"))]
        )),
        "p.yaml:6:1: transform: every output has its own `sql`, so this transform would never run; remove it, or remove one output's `sql`"
    );
    assert_eq!(
        problems(&multi_output(
            &["a", "b"],
            false,
            &[("x", None), ("y", Some("SELECT 2 AS n"))]
        )),
        "p.yaml:4:1: inputs: 2 inputs need a `transform` that combines them (or `sql` on every output)"
    );
    assert_eq!(
        problems(&multi_output(
            &["raw"],
            true,
            &[("orders", None), ("raw", Some("SELECT 2 AS n"))]
        )),
        "p.yaml:12:11: outputs[1].name: `raw` is also an input's name; an output's `sql` could not tell them apart"
    );
    let empty = multi_output(&["raw"], true, &[("orders", None), ("daily", Some("''"))]);
    assert!(
        problems(&empty).contains("outputs[1].sql: an output's `sql` must not be empty"),
        "{}",
        problems(&empty)
    );
}

#[test]
fn a_product_input_may_name_the_upstream_output() {
    let yaml = |product: &str| {
        format!(
            "apiVersion: atrium/v1\nkind: DataProduct\nmetadata: {{ id: finance.totals, title: T, owner: o, description: D. }}\ninputs:\n  - {{ name: book, product: {product} }}\noutputs:\n  - name: totals\n    description: D.\n    columns: [{{ name: n, type: int64 }}]\n"
        )
    };
    let descriptor = parse_descriptor(&yaml("sales.book.by_customer"), None).expect("valid");
    match &descriptor.inputs[0].source {
        InputSource::Product { product, output } => {
            assert_eq!(product.to_string(), "sales.book");
            assert_eq!(output.as_ref().map(ToString::to_string).as_deref(), Some("by_customer"));
        }
        other => panic!("{other:?}"),
    }
    let upstream: Vec<String> = descriptor.upstream_products().map(ToString::to_string).collect();
    assert_eq!(upstream, ["sales.book"]);
    let first = parse_descriptor(&yaml("sales.book"), None).expect("valid");
    assert!(matches!(
        &first.inputs[0].source,
        InputSource::Product { output: None, .. }
    ));
    assert!(
        problems(&yaml("sales.book.ByCustomer"))
            .contains("inputs[0].product: `ByCustomer` must start with a lower-case letter"),
        "{}",
        problems(&yaml("sales.book.ByCustomer"))
    );
}
