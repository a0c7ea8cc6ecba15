//! Registering a run's inputs as tables of its SQL session: CSV and JSON-lines files and stream
//! buffers through the tolerant readers of [`crate::ingest`] (bad rows set aside, not fatal),
//! Parquet files with DataFusion's reader, and other products at their published version.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use atrium_descriptor::{Format, Input, InputSource};
use atrium_types::{Name, ProductId};
use deltalake::datafusion::datasource::MemTable;
use deltalake::datafusion::prelude::{ParquetReadOptions, SessionContext};

use crate::ingest::{Ingested, ReadRules, Rejection, read_csv, read_json_lines, read_json_parts};
use crate::location::TableLocation;
use crate::object_stores::ObjectStoreOptions;
use crate::streams::{SEGMENT_EXTENSION, has_segments, merge_small_segments, stream_dir};
use crate::tables::register_version;
use crate::{EngineError, Result};
use object_store::ObjectStoreExt;

/// What reading one input found.
#[derive(Debug, Default)]
pub struct InputRead {
    /// Rows read, those set aside included.
    pub rows: u64,
    pub rejected: Vec<Rejection>,
}

/// Where the published data of each upstream a product reads is: by product and output (`None`:
/// the upstream's first output).
pub type UpstreamVersions = HashMap<(ProductId, Option<Name>), (TableLocation, u64)>;

/// Where a run's inputs are found.
pub struct InputPlaces<'a> {
    /// The product being run (its stream buffers are its own).
    pub product: &'a ProductId,
    /// The folder file inputs are relative to.
    pub base_dir: Option<&'a Path>,
    /// The root of the stream buffers.
    pub streams_dir: &'a Path,
    pub upstream: &'a UpstreamVersions,
    pub object_stores: &'a ObjectStoreOptions,
    /// What files, objects and addresses inputs may reach.
    pub fence: &'a crate::Fence,
    /// The platform's own store, which no `object` input may read.
    pub own_store: &'a url::Url,
}

/// Registers `input` under its name.
pub async fn register_input(
    ctx: &SessionContext,
    input: &Input,
    places: &InputPlaces<'_>,
    rules: &ReadRules,
) -> Result<InputRead> {
    let (base_dir, upstream) = (places.base_dir, places.upstream);
    let name = input.name.as_str();
    match &input.source {
        InputSource::File { format, path } => {
            let path = places
                .fence
                .file(base_dir, path)
                .map_err(|message| EngineError::Fenced {
                    input: name.to_owned(),
                    message,
                })?;
            register_file(ctx, name, *format, &path, rules).await
        }
        InputSource::Product { product, output } => {
            let key = (product.clone(), output.clone());
            let (location, version) = upstream.get(&key).ok_or_else(|| EngineError::Input {
                input: name.to_owned(),
                message: match output {
                    Some(output) => format!(
                        "product `{product}` has no published output `{output}`; run it first, or check the name"
                    ),
                    None => format!("product `{product}` has no published data yet; run it first"),
                },
            })?;
            register_version(ctx, name, location, *version).await?;
            count_rows(ctx, name).await
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
            let (input, rules) = (name.to_owned(), rules.clone());
            let ingested = blocking(move || {
                // A run holds its product: the one moment no other merge can touch the folder.
                merge_small_segments(&dir)?;
                let parts = read_segments(&input, &dir)?;
                read_json_parts(&parts, &rules)
            })
            .await;
            register_ingested(ctx, name, ingested.map_err(|error| within(name, error))?)
        }
        InputSource::Url { format, url } => {
            let bytes = places.fence.fetch(url).await.map_err(|message| EngineError::Input {
                input: name.to_owned(),
                message: format!("cannot fetch {url}: {message}"),
            })?;
            register_bytes(ctx, name, *format, last_segment(url), bytes, rules).await
        }
        InputSource::Object { format, uri } => {
            places
                .fence
                .object(uri, places.own_store)
                .map_err(|message| EngineError::Fenced {
                    input: name.to_owned(),
                    message,
                })?;
            let bytes = fetch_object(places.object_stores, uri)
                .await
                .map_err(|message| EngineError::Input {
                    input: name.to_owned(),
                    message: format!("cannot read {uri}: {message}"),
                })?;
            register_bytes(ctx, name, *format, last_segment(uri), bytes, rules).await
        }
    }
}

async fn register_file(
    ctx: &SessionContext,
    name: &str,
    format: Format,
    path: &Path,
    rules: &ReadRules,
) -> Result<InputRead> {
    let unreadable = |error: String| EngineError::Input {
        input: name.to_owned(),
        message: format!("cannot read {}: {error}", path.display()),
    };
    let file_name = path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    let ingested = match format {
        Format::Parquet => {
            let extension = path
                .extension()
                .map(|e| format!(".{}", e.to_string_lossy()))
                .unwrap_or_default();
            let options = ParquetReadOptions::default().file_extension(&extension);
            ctx.register_parquet(name, path.to_string_lossy().as_ref(), options)
                .await
                .map_err(|error| unreadable(error.find_root().to_string()))?;
            return count_rows(ctx, name).await;
        }
        Format::Csv | Format::Json => {
            let (path, rules) = (path.to_owned(), rules.clone());
            blocking(move || {
                let bytes = std::fs::read(&path).map_err(|error| EngineError::Input {
                    input: file_name.clone(),
                    message: format!("cannot read {}: {error}", path.display()),
                })?;
                if format == Format::Csv {
                    read_csv(&bytes, &file_name, &rules)
                } else {
                    read_json_lines(&bytes, &file_name, &rules)
                }
            })
            .await
        }
    };
    register_ingested(ctx, name, ingested.map_err(|error| within(name, error))?)
}

async fn fetch_object(stores: &ObjectStoreOptions, uri: &str) -> std::result::Result<bytes::Bytes, String> {
    let url = url::Url::parse(uri).map_err(|error| error.to_string())?;
    let (store, path) = stores.store_for(&url).map_err(|error| error.to_string())?;
    let found = store.get(&path).await.map_err(|error| match error {
        object_store::Error::NotFound { .. } => "no such object".to_owned(),
        other => other.to_string(),
    })?;
    found.bytes().await.map_err(|error| error.to_string())
}

/// `orders.csv` of `s3://bucket/raw/orders.csv` or `https://host/orders.csv?v=2`: how rejections name the source.
fn last_segment(location: &str) -> String {
    let without_query = location.split(['?', '#']).next().unwrap_or(location);
    without_query
        .rsplit('/')
        .find(|segment| !segment.is_empty())
        .unwrap_or(location)
        .to_owned()
}

/// Registers fetched bytes: CSV and JSON lines through the tolerant readers, Parquet whole.
async fn register_bytes(
    ctx: &SessionContext,
    name: &str,
    format: Format,
    source: String,
    bytes: bytes::Bytes,
    rules: &ReadRules,
) -> Result<InputRead> {
    let rules = rules.clone();
    let input = name.to_owned();
    let ingested = blocking(move || match format {
        Format::Csv => read_csv(&bytes, &source, &rules),
        Format::Json => read_json_lines(&bytes, &source, &rules),
        Format::Parquet => read_parquet(bytes, &source),
    })
    .await
    .map_err(|error| within(&input, error))?;
    register_ingested(ctx, name, ingested)
}

pub(crate) fn read_parquet(bytes: bytes::Bytes, source: &str) -> Result<Ingested> {
    use deltalake::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let invalid = |message: String| EngineError::Input {
        input: source.to_owned(),
        message: format!("not a readable Parquet file: {message}"),
    };
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(|error| invalid(error.to_string()))?;
    let schema = std::sync::Arc::clone(builder.schema());
    let batches = builder
        .build()
        .map_err(|error| invalid(error.to_string()))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|error| invalid(error.to_string()))?;
    Ok(Ingested {
        schema,
        batches,
        rejected: Vec::new(),
    })
}

/// Reading and parsing are CPU and disk work: off the async threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| EngineError::Internal(format!("a reader stopped: {error}")))?
}

/// An error of a reader, which names the file, placed under the input's name.
fn within(input: &str, error: EngineError) -> EngineError {
    match error {
        EngineError::Input { input: file, message } => EngineError::Input {
            input: input.to_owned(),
            message: format!("{file}: {message}"),
        },
        other => other,
    }
}

fn register_ingested(ctx: &SessionContext, name: &str, ingested: Ingested) -> Result<InputRead> {
    let rows = ingested.rows() + ingested.rejected.len() as u64;
    let table =
        MemTable::try_new(Arc::clone(&ingested.schema), vec![ingested.batches]).map_err(EngineError::datafusion)?;
    ctx.register_table(name, Arc::new(table))
        .map_err(EngineError::datafusion)?;
    Ok(InputRead {
        rows,
        rejected: ingested.rejected,
    })
}

async fn count_rows(ctx: &SessionContext, name: &str) -> Result<InputRead> {
    let rows = ctx
        .table(name)
        .await
        .map_err(EngineError::datafusion)?
        .count()
        .await
        .map_err(|error| EngineError::Input {
            input: name.to_owned(),
            message: error.find_root().to_string(),
        })?;
    Ok(InputRead {
        rows: rows as u64,
        rejected: Vec::new(),
    })
}

/// The segments of a stream input in the order they were written (their names sort by time).
fn read_segments(input: &str, dir: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let unreadable = |error: std::io::Error| EngineError::Input {
        input: input.to_owned(),
        message: format!("cannot read the stream buffer {}: {error}", dir.display()),
    };
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(unreadable)?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.') && name.ends_with(&format!(".{SEGMENT_EXTENSION}")))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(dir.join(&name)).map_err(unreadable)?;
            Ok((name, bytes))
        })
        .collect()
}
