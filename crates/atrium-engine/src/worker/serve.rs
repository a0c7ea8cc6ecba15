//! The worker's side: the `atrium query-worker` process, which answers the requests on its stdin
//! one at a time under its memory limit.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::wire::{BYTES, END, ERROR, REQUEST, WireEnd, WireError, WorkerRequest, read_frame, write_frame};
use crate::answer::AnswerChunk;
use crate::query::{QueryLimits, ReadableTable};
use crate::{EngineError, Result};

/// The worker's side: reads requests from `input`, one at a time, runs each and writes its frames
/// to `output`, until `input` ends. Before the first, this process's data memory is limited. A
/// panic of the engine is answered as an error frame, and the worker then stops: its state is
/// not trusted again.
pub async fn serve(mut input: impl AsyncRead + Unpin, mut output: impl AsyncWrite + Unpin) -> std::io::Result<()> {
    let mut limited = false;
    while let Some((tag, payload)) = read_frame(&mut input).await? {
        if tag != REQUEST {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("a frame `{tag}` where a request was expected"),
            ));
        }
        let request: WorkerRequest = serde_json::from_slice(&payload)
            .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("the request: {error}")))?;
        if !limited {
            limit_data_memory(request.data_limit_bytes)?;
            limited = true;
        }
        let run = std::panic::AssertUnwindSafe(answer(request, &mut output));
        let outcome = futures_util::FutureExt::catch_unwind(run).await;
        let (failure, go_on) = match outcome {
            Ok(Ok(())) => (None, true),
            Ok(Err(Failure::Output(error))) => return Err(error),
            Ok(Err(Failure::Engine(error))) => (Some(WireError::from(&error)), true),
            Err(panic) => (
                Some(WireError::Internal(format!(
                    "the query engine failed on this query: {}",
                    panic_message(panic.as_ref())
                ))),
                false,
            ),
        };
        if let Some(failure) = failure {
            let payload = serde_json::to_vec(&failure).unwrap_or_default();
            write_frame(&mut output, ERROR, &payload).await?;
        }
        output.flush().await?;
        if !go_on {
            break;
        }
    }
    Ok(())
}

enum Failure {
    /// The parent stopped reading: nothing more to say.
    Output(std::io::Error),
    Engine(EngineError),
}

async fn answer(request: WorkerRequest, output: &mut (impl AsyncWrite + Unpin)) -> std::result::Result<(), Failure> {
    let tables = request
        .tables
        .into_iter()
        .map(ReadableTable::try_from)
        .collect::<Result<Vec<_>>>()
        .map_err(Failure::Engine)?;
    if tables.iter().any(|table| table.location.url().scheme() != "file") {
        crate::object_stores::register_with_delta();
    }
    let limits = QueryLimits {
        max_rows: request.max_rows,
        timeout: Duration::from_millis(request.timeout_ms),
        memory_bytes: request.memory_bytes,
    };
    let mut chunks = crate::answer::stream_in_process(&request.sql, &tables, limits, request.format.into())
        .await
        .map_err(Failure::Engine)?;
    while let Some(chunk) = chunks.next().await {
        match chunk.map_err(Failure::Engine)? {
            AnswerChunk::Bytes(bytes) => write_frame(output, BYTES, &bytes).await.map_err(Failure::Output)?,
            AnswerChunk::End { rows, truncated } => {
                let payload = serde_json::to_vec(&WireEnd { rows, truncated }).unwrap_or_default();
                write_frame(output, END, &payload).await.map_err(Failure::Output)?;
                return Ok(());
            }
        }
    }
    Err(Failure::Engine(EngineError::Internal(
        "the answer stopped before its end".to_owned(),
    )))
}

/// Lowers this process's `RLIMIT_DATA` (soft and hard) to `bytes`: an allocation beyond it fails
/// (and the process aborts). No core dump: writing one of a large process takes seconds.
fn limit_data_memory(bytes: u64) -> std::io::Result<()> {
    use rustix::process::{Resource, Rlimit, setrlimit};
    let limit = |bytes| Rlimit {
        current: Some(bytes),
        maximum: Some(bytes),
    };
    setrlimit(Resource::Core, limit(0)).map_err(std::io::Error::from)?;
    setrlimit(Resource::Data, limit(bytes)).map_err(std::io::Error::from)
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic".to_owned()
    }
}
