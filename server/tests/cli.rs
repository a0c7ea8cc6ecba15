//! The `atrium` binary as a user runs it: exit codes and what it prints.

use std::path::Path;
use std::process::{Command, Output};

fn atrium(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_atrium"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("atrium runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn validate_prints_every_mistake_with_its_line_and_exits_1() {
    let data = tempfile::tempdir().expect("temp dir");
    let output = atrium(
        data.path(),
        &[
            "validate",
            "crates/atrium-descriptor/tests/fixtures/three_mistakes.yaml",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    for place in [
        "three_mistakes.yaml:3:1",
        "three_mistakes.yaml:14:9",
        "three_mistakes.yaml:16:72",
    ] {
        assert!(stderr.contains(place), "{place} missing from:\n{stderr}");
    }
    assert!(
        stderr.contains("3 problems in 1 file; nothing was deployed"),
        "{stderr}"
    );
}

#[test]
fn deploying_the_same_file_twice_reports_unchanged() {
    let data = tempfile::tempdir().expect("temp dir");
    let first = atrium(data.path(), &["deploy", "examples/mesh/sales/orders.yaml"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(
        text(&first.stdout).contains("created   sales.orders (revision 1)"),
        "{}",
        text(&first.stdout)
    );
    let second = atrium(data.path(), &["deploy", "examples/mesh/sales/orders.yaml"]);
    assert!(second.status.success());
    assert!(
        text(&second.stdout).contains("unchanged sales.orders (revision 1)"),
        "{}",
        text(&second.stdout)
    );
}

#[test]
fn the_demo_mesh_deploys_and_lists() {
    let data = tempfile::tempdir().expect("temp dir");
    let deploy = atrium(data.path(), &["deploy", "--no-run", "examples/mesh"]);
    assert!(deploy.status.success(), "{}", text(&deploy.stderr));
    assert!(
        text(&deploy.stdout).ends_with("17 products deployed, 17 changed\n"),
        "{}",
        text(&deploy.stdout)
    );
    let list = atrium(data.path(), &["products", "--json"]);
    let products: serde_json::Value = serde_json::from_slice(&list.stdout).expect("json");
    let domains: std::collections::BTreeSet<&str> = products
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|p| p["domain"].as_str())
        .collect();
    assert_eq!(domains.len(), 5);
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let data = tempfile::tempdir().expect("temp dir");
    let output = atrium(data.path(), &["deploy", "nowhere.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("cannot read `nowhere.yaml`"),
        "{}",
        text(&output.stderr)
    );
}
