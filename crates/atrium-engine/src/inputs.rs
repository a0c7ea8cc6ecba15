//! Registering a run's inputs as tables of its SQL session: files (CSV with a header, JSON lines,
//! Parquet) read with DataFusion's readers, and other products at their published version.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use atrium_descriptor::{Format, Input, InputSource};
use atrium_types::ProductId;
use deltalake::datafusion::prelude::{CsvReadOptions, JsonReadOptions, ParquetReadOptions, SessionContext};

use crate::location::TableLocation;
use crate::streams::{has_segments, stream_dir};
use crate::tables::register_version;
use crate::{EngineError, Result};

/// Where each upstream product's published data is.
pub type UpstreamVersions = HashMap<ProductId, (TableLocation, u64)>;

/// Where a run's inputs are found.
pub struct InputPlaces<'a> {
    /// The product being run (its stream buffers are its own).
    pub product: &'a ProductId,
    /// The folder file inputs are relative to.
    pub base_dir: Option<&'a Path>,
    /// The root of the stream buffers.
    pub streams_dir: &'a Path,
    pub upstream: &'a UpstreamVersions,
}

/// Registers `input` under its name.
pub async fn register_input(ctx: &SessionContext, input: &Input, places: &InputPlaces<'_>) -> Result<()> {
    let (base_dir, upstream) = (places.base_dir, places.upstream);
    let name = input.name.as_str();
    match &input.source {
        InputSource::File { format, path } => {
            let path = resolve(name, base_dir, path)?;
            register_file(ctx, name, *format, &path).await
        }
        InputSource::Product { product } => {
            let (location, version) = upstream.get(product).ok_or_else(|| EngineError::Input {
                input: name.to_owned(),
                message: format!("product `{product}` has no published data yet; run it first"),
            })?;
            register_version(ctx, name, location, *version).await
        }
        InputSource::Stream => {
            let dir = stream_dir(places.streams_dir, places.product, &input.name);
            if !has_segments(&dir) {
                return Err(EngineError::Input {
                    input: name.to_owned(),
                    message: format!(
                        "no rows received yet; POST them to /api/v1/products/{}/inputs/{name}/rows",
                        places.product
                    ),
                });
            }
            let options = JsonReadOptions::default().file_extension(".jsonl");
            ctx.register_json(name, dir.to_string_lossy().as_ref(), options)
                .await
                .map_err(|error| EngineError::Input {
                    input: name.to_owned(),
                    message: error.find_root().to_string(),
                })
        }
        InputSource::Url { .. } | InputSource::Object { .. } => Err(EngineError::Unsupported(format!(
            "input `{name}`: `{}` inputs are not supported by this engine yet",
            input.source.kind()
        ))),
    }
}

fn resolve(input: &str, base_dir: Option<&Path>, path: &str) -> Result<PathBuf> {
    let base = base_dir.ok_or_else(|| EngineError::Input {
        input: input.to_owned(),
        message: "a file path is relative to its descriptor; deploy the descriptor from its file".to_owned(),
    })?;
    let full = base.join(path);
    if !full.is_file() {
        return Err(EngineError::Input {
            input: input.to_owned(),
            message: format!("no file at {}", full.display()),
        });
    }
    Ok(full)
}

async fn register_file(ctx: &SessionContext, name: &str, format: Format, path: &Path) -> Result<()> {
    let location = path.to_string_lossy();
    let extension = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let registered = match format {
        Format::Csv => {
            let options = CsvReadOptions::new().has_header(true).file_extension(&extension);
            ctx.register_csv(name, location.as_ref(), options).await
        }
        Format::Json => {
            let options = JsonReadOptions::default().file_extension(&extension);
            ctx.register_json(name, location.as_ref(), options).await
        }
        Format::Parquet => {
            let options = ParquetReadOptions::default().file_extension(&extension);
            ctx.register_parquet(name, location.as_ref(), options).await
        }
    };
    registered.map_err(|error| EngineError::Input {
        input: name.to_owned(),
        message: format!("cannot read {}: {}", path.display(), error.find_root()),
    })
}
