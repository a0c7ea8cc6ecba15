//! What crosses the pipes between the server and a query worker: the request, the frames of the
//! answer, the errors by kind.

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::answer::StreamFormat;
use crate::location::TableLocation;
use crate::query::ReadableTable;
use crate::{EngineError, Result};

/// Frame tags: the parent's request; the worker's answer bytes, end and error.
pub(super) const REQUEST: u8 = b'Q';
pub(super) const BYTES: u8 = b'B';
pub(super) const END: u8 = b'E';
pub(super) const ERROR: u8 = b'X';

/// The largest frame a parent accepts (an encoded batch is far smaller).
const MAX_FRAME_BYTES: usize = 1 << 30;

/// What a worker is asked to run.
#[derive(Debug, Serialize, Deserialize)]
pub struct WorkerRequest {
    pub(super) sql: String,
    pub(super) tables: Vec<WireTable>,
    pub(super) max_rows: usize,
    pub(super) timeout_ms: u64,
    pub(super) memory_bytes: usize,
    /// The worker's `RLIMIT_DATA`.
    pub(super) data_limit_bytes: u64,
    pub(super) format: WireFormat,
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct WireTable {
    pub(super) catalog: Option<String>,
    pub(super) schema: String,
    pub(super) table: String,
    pub(super) url: String,
    /// How deltalake reaches the table's store (S3 settings, secrets included: the pipe is
    /// private to the two processes).
    pub(super) store: std::collections::HashMap<String, String>,
    pub(super) version: u64,
    pub(super) refusal: Option<String>,
}

impl From<&ReadableTable> for WireTable {
    fn from(table: &ReadableTable) -> Self {
        Self {
            catalog: table.catalog.clone(),
            schema: table.schema.clone(),
            table: table.table.clone(),
            url: table.location.url().to_string(),
            store: table.location.delta_options(),
            version: table.version,
            refusal: table.refusal.clone(),
        }
    }
}

impl TryFrom<WireTable> for ReadableTable {
    type Error = EngineError;

    fn try_from(wire: WireTable) -> Result<Self> {
        let url = url::Url::parse(&wire.url)
            .map_err(|error| EngineError::Internal(format!("table url `{}`: {error}", wire.url)))?;
        Ok(Self {
            catalog: wire.catalog,
            schema: wire.schema,
            table: wire.table,
            location: TableLocation::from_parts(url, &wire.store),
            version: wire.version,
            refusal: wire.refusal,
        })
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum WireFormat {
    Json,
    Csv,
    ArrowIpc,
}

impl From<StreamFormat> for WireFormat {
    fn from(format: StreamFormat) -> Self {
        match format {
            StreamFormat::Json => WireFormat::Json,
            StreamFormat::Csv => WireFormat::Csv,
            StreamFormat::ArrowIpc => WireFormat::ArrowIpc,
        }
    }
}

impl From<WireFormat> for StreamFormat {
    fn from(format: WireFormat) -> Self {
        match format {
            WireFormat::Json => StreamFormat::Json,
            WireFormat::Csv => StreamFormat::Csv,
            WireFormat::ArrowIpc => StreamFormat::ArrowIpc,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct WireEnd {
    pub(super) rows: u64,
    pub(super) truncated: bool,
}

/// An engine error across the pipe: the kinds a query can end with.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", content = "message", rename_all = "snake_case")]
pub(super) enum WireError {
    Sql(String),
    Forbidden(String),
    Unsupported(String),
    ResourcesExhausted(String),
    Timeout(u64),
    Storage(String),
    Internal(String),
}

impl From<&EngineError> for WireError {
    fn from(error: &EngineError) -> Self {
        match error {
            EngineError::Sql(message) => WireError::Sql(message.clone()),
            EngineError::Forbidden(message) => WireError::Forbidden(message.clone()),
            EngineError::Unsupported(message) => WireError::Unsupported(message.clone()),
            EngineError::ResourcesExhausted(message) => WireError::ResourcesExhausted(message.clone()),
            EngineError::Timeout(seconds) => WireError::Timeout(*seconds),
            EngineError::Storage(message) => WireError::Storage(message.clone()),
            other => WireError::Internal(atrium_types::error_chain(other)),
        }
    }
}

impl From<WireError> for EngineError {
    fn from(error: WireError) -> Self {
        match error {
            WireError::Sql(message) => EngineError::Sql(message),
            WireError::Forbidden(message) => EngineError::Forbidden(message),
            WireError::Unsupported(message) => EngineError::Unsupported(message),
            WireError::ResourcesExhausted(message) => EngineError::ResourcesExhausted(message),
            WireError::Timeout(seconds) => EngineError::Timeout(seconds),
            WireError::Storage(message) => EngineError::Storage(message),
            WireError::Internal(message) => EngineError::Internal(format!("in the query worker: {message}")),
        }
    }
}

pub(super) async fn write_frame(out: &mut (impl AsyncWrite + Unpin), tag: u8, payload: &[u8]) -> std::io::Result<()> {
    let length = u32::try_from(payload.len())
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "a frame over 4 GiB"))?;
    out.write_u8(tag).await?;
    out.write_u32(length).await?;
    out.write_all(payload).await
}

/// The next frame, or `None` at a clean end between frames.
pub(super) async fn read_frame(input: &mut (impl AsyncRead + Unpin)) -> std::io::Result<Option<(u8, Vec<u8>)>> {
    let tag = match input.read_u8().await {
        Ok(tag) => tag,
        Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(error) => return Err(error),
    };
    let length = usize::try_from(input.read_u32().await?).unwrap_or(usize::MAX);
    if length > MAX_FRAME_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a frame of {length} bytes"),
        ));
    }
    let mut payload = vec![0; length];
    input.read_exact(&mut payload).await?;
    Ok(Some((tag, payload)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_read_back_as_written_and_a_clean_end_is_none() {
        let mut buffer = Vec::new();
        write_frame(&mut buffer, BYTES, b"abc").await.expect("written");
        write_frame(&mut buffer, END, b"{}").await.expect("written");
        let mut input = buffer.as_slice();
        assert_eq!(
            read_frame(&mut input).await.expect("a frame"),
            Some((BYTES, b"abc".to_vec()))
        );
        assert_eq!(
            read_frame(&mut input).await.expect("a frame"),
            Some((END, b"{}".to_vec()))
        );
        assert_eq!(read_frame(&mut input).await.expect("the end"), None);
    }

    #[tokio::test]
    async fn a_frame_cut_in_its_middle_is_an_error() {
        let mut buffer = Vec::new();
        write_frame(&mut buffer, BYTES, b"abcdef").await.expect("written");
        buffer.truncate(7);
        assert!(read_frame(&mut buffer.as_slice()).await.is_err());
    }

    #[test]
    fn errors_cross_the_pipe_with_their_kind() {
        for error in [
            EngineError::Sql("bad".to_owned()),
            EngineError::Forbidden("no".to_owned()),
            EngineError::ResourcesExhausted("big".to_owned()),
            EngineError::Timeout(5),
        ] {
            let wire = serde_json::to_vec(&WireError::from(&error)).expect("json");
            let back = EngineError::from(serde_json::from_slice::<WireError>(&wire).expect("back"));
            assert_eq!(back.code(), error.code());
            assert_eq!(back.to_string(), error.to_string());
        }
    }
}
