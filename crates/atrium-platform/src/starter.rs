//! New products from a sample file: profile it (types, preview, personal data with evidence) and
//! write a starter descriptor from the profile and the owner's choices. The descriptor is an
//! ordinary one: `atrium init` writes it to a file, the "New data product" page shows it, offers
//! it for download and deploys it.

use std::collections::HashMap;

use atrium_descriptor::Format;
use atrium_types::{
    Classification, CreatedProduct, FileProfile, PiiHandling, ProductId, StarterForm, StarterPreview, Visibility,
    snake_name as column_name,
};

use crate::access::Caller;
use crate::{DescriptorSource, Platform, PlatformError, Result, RunTrigger};

/// The input of a product made from a sample.
const INPUT: &str = "raw";

/// Where the new product's data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StarterSource {
    /// A file relative to the descriptor.
    File(String),
    Url(String),
    Object(String),
    /// A file uploaded in the portal: its rows go to a stream input, PII handled on the way in,
    /// so the raw file is never kept.
    Upload,
}

/// What the owner chose; what they leave unset comes from the profile.
#[derive(Debug, Clone)]
pub struct StarterChoices {
    pub id: ProductId,
    pub title: Option<String>,
    pub owner: Option<String>,
    pub description: Option<String>,
    pub visibility: Visibility,
    pub source: StarterSource,
    /// The handling of a column, by column name: `None` there means "not personal data"; a
    /// column not in the map takes the profile's suggestion.
    pub pii: HashMap<String, Option<PiiHandling>>,
}

/// The format of a file, from its name.
pub fn format_of(file: &str) -> Result<Format> {
    let extension = file
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "csv" => Ok(Format::Csv),
        "json" | "jsonl" | "ndjson" => Ok(Format::Json),
        "parquet" => Ok(Format::Parquet),
        _ => Err(PlatformError::Unreadable {
            what: file.to_owned(),
            reason: "the format cannot be told from the name: use .csv, .json/.jsonl or .parquet".to_owned(),
        }),
    }
}

/// Profiles a sample file (its bytes; the name tells the format).
pub async fn profile(file: &str, bytes: Vec<u8>) -> Result<FileProfile> {
    let format = format_of(file)?;
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file).to_owned();
    let profile = tokio::task::spawn_blocking(move || atrium_engine::profile::profile(&name, format, bytes.into()))
        .await
        .map_err(|error| PlatformError::Engine(atrium_engine::EngineError::Internal(error.to_string())))??;
    Ok(profile)
}

/// Writes the starter descriptor of a product made from `profile`.
pub fn starter_descriptor(profile: &FileProfile, choices: &StarterChoices) -> String {
    let id = &choices.id;
    let table = id.name().to_string();
    let stem = profile
        .file
        .rsplit_once('.')
        .map_or(profile.file.as_str(), |(stem, _)| stem);
    let title = choices.title.clone().unwrap_or_else(|| title_of(stem));
    let owner = choices.owner.clone().unwrap_or_else(|| format!("team-{}", id.domain()));
    let description = choices
        .description
        .clone()
        .unwrap_or_else(|| format!("{title}, loaded from `{}`.", profile.file));
    let mut yaml = String::new();
    yaml.push_str(&format!(
        "# A starter descriptor made from {} ({} rows): review it, then deploy it.\n",
        profile.file, profile.rows
    ));
    yaml.push_str("apiVersion: atrium/v1\nkind: DataProduct\nmetadata:\n");
    yaml.push_str(&format!("  id: {id}\n  title: {}\n", quoted(&title)));
    yaml.push_str(&format!("  domain: {}\n  owner: {}\n", id.domain(), quoted(&owner)));
    yaml.push_str(&format!("  description: {}\n", quoted(&description)));
    yaml.push_str(&format!(
        "  status: draft\n  visibility: {}\n",
        choices.visibility.as_str()
    ));
    let source = match &choices.source {
        StarterSource::File(path) => format!("{{ kind: file, format: {}, path: {} }}", profile.format, quoted(path)),
        StarterSource::Url(url) => format!("{{ kind: url, format: {}, url: {} }}", profile.format, quoted(url)),
        StarterSource::Object(uri) => format!("{{ kind: object, format: {}, uri: {} }}", profile.format, quoted(uri)),
        StarterSource::Upload => "{ kind: stream }".to_owned(),
    };
    yaml.push_str(&format!("inputs:\n  - name: {INPUT}\n    source: {source}\n"));
    if choices.source == StarterSource::Upload {
        // The uploaded rows arrive as JSON with the columns' new names; their types are declared.
        let typed: Vec<String> = profile
            .columns
            .iter()
            .filter(|column| column.data_type != "string")
            .map(|column| format!("{}: {}", column_name(&column.name), quoted(&column.data_type)))
            .collect();
        if !typed.is_empty() {
            yaml.push_str(&format!("    columns: {{ {} }}\n", typed.join(", ")));
        }
        yaml.push_str(&format!(
            "    # rows of {} were uploaded in the portal; send more with POST /api/v1/products/{id}/inputs/{INPUT}/rows\n",
            profile.file
        ));
    }
    let renamed: Vec<(String, String)> = profile
        .columns
        .iter()
        .map(|column| (column.name.clone(), column_name(&column.name)))
        .collect();
    if choices.source != StarterSource::Upload && renamed.iter().any(|(original, name)| original != name) {
        let list: Vec<String> = renamed
            .iter()
            .map(|(original, name)| {
                if original == name {
                    name.clone()
                } else {
                    format!("\"{}\" AS {name}", original.replace('"', "\"\""))
                }
            })
            .collect();
        yaml.push_str(&format!("transform:\n  sql: SELECT {} FROM raw\n", list.join(", ")));
    }
    yaml.push_str(&format!(
        "outputs:\n  - name: {table}\n    description: {}\n    columns:\n",
        quoted(&format!("One row per record of {}.", profile.file))
    ));
    for (column, (_, name)) in profile.columns.iter().zip(&renamed) {
        let handling = match choices.pii.get(&column.name) {
            Some(chosen) => *chosen,
            None => column.pii.as_ref().map(|finding| finding.suggested),
        };
        let data_type = if column.data_type.contains(',') {
            quoted(&column.data_type)
        } else {
            column.data_type.clone()
        };
        let mut line = format!("      - {{ name: {name}, type: {data_type}");
        match handling {
            Some(handling) => line.push_str(&format!(
                ", classification: {}, pii: {}",
                Classification::Pii.as_str(),
                handling.as_str()
            )),
            None if column.data_type == "string" || column.data_type.starts_with("list<string") => {
                line.push_str(&format!(", classification: {}", Classification::Internal.as_str()));
            }
            None => {}
        }
        line.push_str(" }");
        if let Some(finding) = &column.pii {
            line.push_str(&format!("   # {}: {}", finding.kind, finding.evidence));
        }
        yaml.push_str(&line);
        yaml.push('\n');
    }
    yaml
}

/// The choices of the page's form, checked.
pub fn choices_from_form(form: &StarterForm, source: StarterSource) -> Result<StarterChoices> {
    let id_text = format!("{}.{}", form.domain.trim(), form.name.trim());
    let id = ProductId::parse(&id_text).map_err(|error| PlatformError::BadId {
        id: id_text.clone(),
        reason: error.to_string(),
    })?;
    let visibility = form.visibility.parse::<Visibility>().unwrap_or(Visibility::Internal);
    let text = |value: &str| Some(value.trim().to_owned()).filter(|value| !value.is_empty());
    let pii = form
        .pii
        .iter()
        .map(|(column, choice)| {
            let handling = match choice.as_str() {
                "none" | "" => None,
                other => other.parse::<PiiHandling>().ok(),
            };
            (column.clone(), handling)
        })
        .collect();
    Ok(StarterChoices {
        id,
        title: text(&form.title),
        owner: text(&form.owner),
        description: text(&form.description),
        visibility,
        source,
        pii,
    })
}

impl Platform {
    /// Profiles the file at `url` (http or https; the name tells the format), fetched through
    /// the data fence like every outbound request.
    pub async fn profile_url(&self, _caller: &Caller, url: &str) -> Result<FileProfile> {
        profile_url(&self.engine, url).await
    }
}

async fn profile_url(engine: &atrium_engine::Engine, url: &str) -> Result<FileProfile> {
    let url = url.trim();
    let checked = atrium_descriptor::http_url(url).map_err(|reason| PlatformError::Unreadable {
        what: url.to_owned(),
        reason,
    })?;
    let path = checked.split(['?', '#']).next().unwrap_or(&checked).to_owned();
    format_of(&path)?;
    let bytes = engine
        .fetch_url(&checked)
        .await
        .map_err(|reason| PlatformError::Unreadable {
            what: checked.clone(),
            reason,
        })?;
    profile(&path, bytes.to_vec()).await
}

impl Platform {
    /// Makes a product that reads `url` on every run: deploys the starter descriptor and runs it.
    pub async fn create_from_url(&self, caller: &Caller, url: &str, form: &StarterForm) -> Result<CreatedProduct> {
        let profile = profile_url(&self.engine, url).await?;
        let choices = choices_from_form(form, StarterSource::Url(url.trim().to_owned()))?;
        let yaml = starter_descriptor(&profile, &choices);
        let id = self.deploy_starter(caller, &yaml, &choices).await?;
        Ok(CreatedProduct {
            run: self.first_run(caller, &id).await?,
            id,
            yaml,
            rows: profile.rows,
            rejected: profile.rejected,
        })
    }

    async fn deploy_starter(&self, caller: &Caller, yaml: &str, choices: &StarterChoices) -> Result<String> {
        let name = format!("{}.yaml", choices.id.name());
        self.deploy(caller, &[DescriptorSource::new(yaml.to_owned(), Some(name))])
            .await?;
        Ok(choices.id.to_string())
    }

    /// Runs a product just made; `None` when a run of it is already going.
    async fn first_run(&self, caller: &Caller, id: &str) -> Result<Option<atrium_types::RunView>> {
        match self.run(caller, id, RunTrigger::Deploy).await {
            Ok(run) => Ok(Some(run)),
            Err(PlatformError::Catalog(atrium_catalog::CatalogError::AlreadyRunning(_))) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// The descriptor the page's choices make, checked against the policies as deploy would.
    /// `url` is the sample's address when it was given by URL (the product then reads it there).
    pub fn preview_starter(profile: &FileProfile, form: &StarterForm, url: Option<&str>) -> StarterPreview {
        let source = url.map_or(StarterSource::Upload, |url| StarterSource::Url(url.trim().to_owned()));
        let choices = match choices_from_form(form, source) {
            Ok(choices) => choices,
            Err(error) => {
                return StarterPreview {
                    yaml: String::new(),
                    problems: vec![format!("domain and name: {error}")],
                };
            }
        };
        let yaml = starter_descriptor(profile, &choices);
        let file = format!("{}.yaml", choices.id.name());
        let problems = match atrium_descriptor::parse_descriptor(&yaml, Some(&file)) {
            Ok(_) => Vec::new(),
            Err(problems) => problems.iter().map(ToString::to_string).collect(),
        };
        StarterPreview { yaml, problems }
    }

    /// Makes a product from an uploaded file: deploys the starter descriptor (a stream input),
    /// hands the file's rows to that input (PII handled before they are written) and runs it.
    pub async fn create_from_upload(
        &self,
        caller: &Caller,
        file: &str,
        bytes: Vec<u8>,
        form: &StarterForm,
    ) -> Result<CreatedProduct> {
        let profile = profile(file, bytes.clone()).await?;
        let choices = choices_from_form(form, StarterSource::Upload)?;
        let yaml = starter_descriptor(&profile, &choices);
        let id = self.deploy_starter(caller, &yaml, &choices).await?;
        let format = format_of(file)?;
        let name = profile.file.clone();
        let (rows_json, rows, rejected) = tokio::task::spawn_blocking(move || {
            atrium_engine::profile::rows_as_json_lines(&name, format, bytes.into(), column_name)
        })
        .await
        .map_err(|error| PlatformError::Engine(atrium_engine::EngineError::Internal(error.to_string())))??;
        if rows > 0 {
            self.append_rows(caller, &id, INPUT, rows_json).await?;
        }
        Ok(CreatedProduct {
            run: self.first_run(caller, &id).await?,
            id,
            yaml,
            rows,
            rejected,
        })
    }
}

fn title_of(stem: &str) -> String {
    let words: Vec<String> = stem
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect();
    let mut title = words.join(" ");
    if let Some(first) = title.get(..1) {
        title = format!("{}{}", first.to_uppercase(), &title[1..]);
    }
    if title.is_empty() {
        "New data product".to_owned()
    } else {
        title
    }
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_starter_descriptor_is_valid_and_handles_the_pii_found() {
        let csv = "Customer Id,Email,Amount,Note\n1,ann@example.com,10.50,first\n2,bob@example.org,3.25,\n";
        let found = profile("data/customers.csv", csv.as_bytes().to_vec())
            .await
            .expect("profiles");
        let choices = StarterChoices {
            id: ProductId::parse("crm.customers").expect("id"),
            title: None,
            owner: None,
            description: None,
            visibility: Visibility::Internal,
            source: StarterSource::File("data/customers.csv".to_owned()),
            pii: HashMap::new(),
        };
        let yaml = starter_descriptor(&found, &choices);
        let descriptor = atrium_descriptor::parse_descriptor(&yaml, Some("customers.yaml"))
            .unwrap_or_else(|problems| panic!("{yaml}\n{problems:?}"));
        let columns = &descriptor.outputs[0].columns;
        assert_eq!(columns[0].name.as_str(), "customer_id");
        assert_eq!(columns[1].pii, Some(PiiHandling::Hash));
        assert!(
            yaml.contains("# email address: 2 of 2 sampled values are email addresses"),
            "{yaml}"
        );
        assert!(
            yaml.contains("SELECT \"Customer Id\" AS customer_id, \"Email\" AS email"),
            "{yaml}"
        );
        assert_eq!(columns[3].classification, Some(Classification::Internal));

        let mut keep_plain = choices.clone();
        keep_plain.pii.insert("Email".to_owned(), None);
        let yaml = starter_descriptor(&found, &keep_plain);
        let descriptor = atrium_descriptor::parse_descriptor(&yaml, None).expect("valid");
        assert_eq!(descriptor.outputs[0].columns[1].pii, None);
    }
}
