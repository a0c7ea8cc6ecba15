//! The CLI commands other than `serve`: validate, deploy, products.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use atrium_platform::{Caller, DescriptorSource, Platform, PlatformError, RunAllEntry, RunTrigger};
use atrium_types::{DeployChange, DeployOutcome, ProductSummary, RunStatus, RunView, plural};

use crate::report::render_problems;

/// What a command tells the process to exit with.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Some descriptor is invalid: exit 1.
    Invalid,
}

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("cannot read `{}`", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no descriptor (*.yaml, *.yml) found in `{}`", .0.display())]
    NoDescriptors(PathBuf),
    #[error("`{}` exists; pass --force to replace it, or --out to write elsewhere", .0.display())]
    Exists(PathBuf),
    #[error("cannot write `{}`", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{text}` {reason}")]
    BadArgument { text: String, reason: String },
    #[error(transparent)]
    Platform(#[from] PlatformError),
}

/// `atrium init FILE`: profiles the file and writes a starter descriptor beside it.
pub async fn init(file: &Path, id: Option<&str>, out: Option<&Path>, force: bool) -> Result<Outcome, CommandError> {
    use atrium_platform::starter::{self, StarterChoices, StarterSource};

    let bytes = std::fs::read(file).map_err(|source| CommandError::Read {
        path: file.to_owned(),
        source,
    })?;
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let profile = starter::profile(&file_name, bytes).await?;
    let stem = file_name.rsplit_once('.').map_or(file_name.as_str(), |(stem, _)| stem);
    let id_text = id.map_or_else(|| format!("sandbox.{}", atrium_types::snake_name(stem)), str::to_owned);
    let id = atrium_types::ProductId::parse(&id_text).map_err(|error| PlatformError::BadId {
        id: id_text.clone(),
        reason: error.to_string(),
    })?;
    let target = out.map_or_else(|| file.with_file_name(format!("{stem}.yaml")), Path::to_path_buf);
    if target.exists() && !force {
        return Err(CommandError::Exists(target));
    }
    // The descriptor reads the file by a path relative to where the descriptor is written.
    let relative = relative_path(&target, file);
    let choices = StarterChoices {
        id,
        title: None,
        owner: None,
        description: None,
        visibility: atrium_types::Visibility::Internal,
        source: StarterSource::File(relative),
        pii: HashMap::new(),
    };
    let yaml = starter::starter_descriptor(&profile, &choices);
    print_profile(&profile);
    std::fs::write(&target, &yaml).map_err(|source| CommandError::Write {
        path: target.clone(),
        source,
    })?;
    println!(
        "\nwrote {}: review it (title, owner, description, id), then `atrium deploy {}`",
        target.display(),
        target.display()
    );
    Ok(Outcome::Success)
}

fn print_profile(profile: &atrium_types::FileProfile) {
    println!("{}: {} rows, {} format", profile.file, profile.rows, profile.format);
    if profile.rejected > 0 {
        println!("  {} lines cannot be read; a run sets them aside:", profile.rejected);
        for example in &profile.rejected_examples {
            println!("    {example}");
        }
    }
    let width = profile.columns.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for column in &profile.columns {
        let nulls = if column.nulls > 0 {
            format!(" ({} empty)", column.nulls)
        } else {
            String::new()
        };
        println!("  {:<width$}  {}{nulls}", column.name, column.data_type);
        if let Some(finding) = &column.pii {
            println!(
                "  {:<width$}    personal data? {}: {}; e.g. {} → pii: {}",
                "",
                finding.kind,
                finding.evidence,
                finding.examples.join(", "),
                finding.suggested.as_str()
            );
        }
    }
    println!("first rows:");
    for row in profile.preview.iter().take(5) {
        let values: Vec<&str> = row.iter().map(|value| value.as_deref().unwrap_or("")).collect();
        println!("  {}", values.join(" | "));
    }
}

/// `file` as seen from the folder of `descriptor` (with `..` where needed): descriptors name their
/// files by relative paths.
fn relative_path(descriptor: &Path, file: &Path) -> String {
    use std::path::Component;
    let absolute = |path: &Path| std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let folder = absolute(descriptor).parent().map(Path::to_path_buf).unwrap_or_default();
    let file = absolute(file);
    let folder: Vec<Component> = folder.components().collect();
    let target: Vec<Component> = file.components().collect();
    let shared = folder.iter().zip(&target).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_owned(); folder.len() - shared];
    parts.extend(
        target[shared..]
            .iter()
            .map(|part| part.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// `atrium validate FILE...`
pub fn validate(paths: &[PathBuf]) -> Result<Outcome, CommandError> {
    let sources = read_sources(paths)?;
    match Platform::validate(&sources) {
        Ok(descriptors) => {
            for (descriptor, source) in descriptors.iter().zip(&sources) {
                println!(
                    "{:<9} {} ({})",
                    "ok",
                    source.name.as_deref().unwrap_or_default(),
                    descriptor.id()
                );
            }
            Ok(Outcome::Success)
        }
        Err(error) => report_invalid(error, &sources),
    }
}

/// `atrium deploy FILE...`: then runs what changed, unless `no_run`.
pub async fn deploy(platform: &Platform, paths: &[PathBuf], no_run: bool) -> Result<Outcome, CommandError> {
    let sources = read_sources(paths)?;
    let outcomes = match platform.deploy(&Caller::Operator, &sources).await {
        Ok(outcomes) => outcomes,
        Err(error) => return report_invalid(error, &sources),
    };
    for outcome in &outcomes {
        print_outcome(outcome);
    }
    let changed = outcomes.iter().filter(|o| o.change != DeployChange::Unchanged).count();
    println!("{} deployed, {changed} changed", plural(outcomes.len(), "product"));
    if no_run {
        return Ok(Outcome::Success);
    }
    let spinner = spinner(format!("running what changed ({changed}), upstream products first"));
    let runs = platform.run_deployed(&Caller::Operator, &outcomes).await;
    spinner.finish_and_clear();
    for run in &runs? {
        print_run_summary(run);
    }
    // A failed run is reported, but the deploy itself succeeded.
    Ok(Outcome::Success)
}

fn print_run_summary(run: &RunView) {
    let detail = match &run.error {
        Some(error) => error.clone(),
        None => format!(
            "{} rows written ({})",
            run.rows_written,
            atrium_types::human_bytes(run.bytes_written)
        ),
    };
    let detail = if run.rows_rejected > 0 {
        format!(
            "{detail}; {} rejected (GET /api/v1/products/{}/runs/{}/rejected)",
            run.rows_rejected, run.product_id, run.id
        )
    } else {
        detail
    };
    println!("{:<9} {} run {}: {detail}", run.status.as_str(), run.product_id, run.id);
}

/// `atrium run PRODUCT...` or `atrium run --all`: exits 1 when a run failed or was skipped.
pub async fn run(platform: &Platform, products: &[String], all: bool) -> Result<Outcome, CommandError> {
    let entries = if all {
        let spinner = spinner("running every product, upstream products first".to_owned());
        let entries = platform.run_all(&Caller::Operator, RunTrigger::Manual).await;
        spinner.finish_and_clear();
        entries?
    } else {
        let mut entries = Vec::with_capacity(products.len());
        for product in products {
            let spinner = spinner(format!("running {product}"));
            let run = platform.run(&Caller::Operator, product, RunTrigger::Manual).await;
            spinner.finish_and_clear();
            entries.push(RunAllEntry::Ran(run?));
        }
        entries
    };
    let mut outcome = Outcome::Success;
    for entry in &entries {
        match entry {
            RunAllEntry::Ran(run) => {
                print_run(run);
                if run.status != RunStatus::Succeeded {
                    outcome = Outcome::Invalid;
                }
            }
            RunAllEntry::Skipped { product, upstream } => {
                println!("{:<9} {product}: upstream {upstream} did not succeed", "skipped");
                outcome = Outcome::Invalid;
            }
        }
    }
    Ok(outcome)
}

/// A spinner with the elapsed time on standard error; drawn only on a terminal.
pub fn spinner(message: String) -> indicatif::ProgressBar {
    let spinner = indicatif::ProgressBar::new_spinner().with_message(message);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        spinner.set_style(style);
    }
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    spinner
}

fn print_run(run: &RunView) {
    println!(
        "{:<9} {} run {} (revision {})",
        run.status.as_str(),
        run.product_id,
        run.id,
        run.revision
    );
    for line in &run.log {
        println!("{:<9} {line}", "");
    }
    if let Some(error) = &run.error {
        eprintln!("error: {}: {error}", run.product_id);
    }
}

/// `atrium query SQL`: prints the rows as a table.
pub async fn query(platform: &Platform, sql: &str) -> Result<Outcome, CommandError> {
    let result = platform.query(&Caller::Operator, sql).await?;
    let header: Vec<String> = result.columns.iter().map(|c| c.name.clone()).collect();
    let rows: Vec<Vec<String>> = result
        .rows
        .iter()
        .map(|row| {
            header
                .iter()
                .map(|name| match row.get(name) {
                    None | Some(serde_json::Value::Null) => "null".to_owned(),
                    Some(serde_json::Value::String(text)) => text.clone(),
                    Some(other) => other.to_string(),
                })
                .collect()
        })
        .collect();
    print!("{}", text_table(&header, &rows));
    let note = if result.truncated {
        " (truncated at the row limit)"
    } else {
        ""
    };
    println!("{}{note}", plural(rows.len(), "row"));
    Ok(Outcome::Success)
}

/// `atrium products`
pub async fn remove(platform: &Platform, product: &str) -> Result<Outcome, CommandError> {
    platform.remove_product(&Caller::Operator, product).await?;
    println!("removed {product}: hidden from the catalog and search; its tables, runs and audit are kept");
    Ok(Outcome::Success)
}

pub async fn index(platform: &Platform, command: crate::cli::IndexCommand) -> Result<Outcome, CommandError> {
    match command {
        crate::cli::IndexCommand::Rebuild => {
            let report = platform.rebuild_search().await?;
            println!(
                "rebuilt the search index: {} products, {} documents, at feed position {}",
                report.products, report.documents, report.position
            );
        }
    }
    Ok(Outcome::Success)
}

pub async fn products(platform: &Platform, json: bool) -> Result<Outcome, CommandError> {
    let products = platform.list_products(&Caller::Operator).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&products).unwrap_or_default());
    } else {
        print!("{}", product_table(&products));
    }
    Ok(Outcome::Success)
}

fn report_invalid(error: PlatformError, sources: &[DescriptorSource]) -> Result<Outcome, CommandError> {
    let PlatformError::Invalid(problems) = &error else {
        return Err(error.into());
    };
    let texts: HashMap<String, String> = sources
        .iter()
        .filter_map(|source| source.name.clone().map(|name| (name, source.text.clone())))
        .collect();
    eprint!("{}", render_problems(problems, &texts));
    let files: std::collections::BTreeSet<_> = problems.iter().filter_map(|p| p.file.as_deref()).collect();
    eprintln!(
        "{} in {}; nothing was deployed",
        plural(problems.len(), "problem"),
        plural(files.len(), "file")
    );
    Ok(Outcome::Invalid)
}

fn print_outcome(outcome: &DeployOutcome) {
    let id = &outcome.product_id;
    if outcome.domain_created {
        println!("{:<9} domain {}", "created", id.domain());
    }
    let verb = match outcome.change {
        DeployChange::Created => "created",
        DeployChange::Updated => "updated",
        DeployChange::Unchanged => "unchanged",
    };
    println!("{verb:<9} {id} (revision {})", outcome.revision);
    for change in &outcome.changes {
        println!("{:<9} - {change}", "");
    }
    for missing in &outcome.missing_grants {
        println!("{:<9} ! {missing}", "");
    }
}

fn product_table(products: &[ProductSummary]) -> String {
    let rows: Vec<Vec<String>> = products
        .iter()
        .map(|p| {
            vec![
                p.id.to_string(),
                p.owner.clone(),
                p.status.to_string(),
                p.visibility.to_string(),
                p.title.clone(),
            ]
        })
        .collect();
    let header = ["ID", "OWNER", "STATUS", "VISIBILITY", "TITLE"].map(str::to_owned);
    text_table(&header, &rows)
}

/// Left-aligned columns separated by two spaces.
fn text_table(header: &[String], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    std::iter::once(header)
        .chain(rows.iter().map(Vec::as_slice))
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, width)| format!("{cell:<width$}"))
                .collect();
            format!("{}\n", cells.join("  ").trim_end())
        })
        .collect()
}

/// Reads the descriptor files; folders are searched for `*.yaml` and `*.yml`, in name order.
fn read_sources(paths: &[PathBuf]) -> Result<Vec<DescriptorSource>, CommandError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let before = files.len();
            collect_yaml(path, &mut files)?;
            if files.len() == before {
                return Err(CommandError::NoDescriptors(path.clone()));
            }
        } else {
            files.push(path.clone());
        }
    }
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(|source| CommandError::Read {
                path: path.clone(),
                source,
            })?;
            Ok(DescriptorSource::from_file(text, &path))
        })
        .collect()
}

fn collect_yaml(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), CommandError> {
    let read_error = |source| CommandError::Read {
        path: dir.to_owned(),
        source,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read_error)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(read_error)?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_yaml(&path, files)?;
        } else if path.extension().is_some_and(|ext| ext == "yaml" || ext == "yml") {
            files.push(path);
        }
    }
    Ok(())
}
