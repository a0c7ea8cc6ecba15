//! Queries in worker processes.
//!
//! DataFusion's memory pool sees what operators hold (sorts, joins, aggregates), not what a scalar
//! function builds for its result (`generate_series(1, 1000000000)`, `repeat('x', 2000000000)`)
//! nor a large value repeated for every row of a batch; such an allocation can take the process
//! down. So a query runs in a child process (the `atrium query-worker` command) under an operating
//! system limit on its data memory (`RLIMIT_DATA`): whatever the query allocates counts, and a query
//! over the limit, a panic or a crash of the engine ends that one process. The server answers the
//! query with what happened and keeps serving; its own memory never holds the query's data.
//!
//! The parent writes a [`WorkerRequest`] (JSON) to the worker's stdin and reads frames from its
//! stdout; every frame is a tag byte, a 4-byte big-endian length, the payload. `Q` carries a
//! request, `B` the answer's next bytes, `E` its end (JSON `{rows, truncated}`), `X` an error
//! (JSON). A worker that ended a query cleanly waits for the next one (a fresh process costs
//! tens of milliseconds of page faults on a large query); one that was killed or crashed is
//! replaced, and each is retired after [`QUERIES_PER_WORKER`] queries, or at once when it still
//! holds more than [`IDLE_RESIDENT_BYTES`] after its answer. A worker that
//! stops without `E` or `X` is judged by how it ended: "memory allocation … failed" on its stderr
//! is the memory limit, "overflowed its stack" a query nested too deeply, anything else a crash.
//! The parent holds the deadline: a worker past it is killed, and so is one whose answer nobody
//! reads any more (the stream is dropped when the client goes away).

mod serve;
mod wire;

pub use serve::serve;
pub use wire::WorkerRequest;

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::answer::{AnswerChunk, AnswerStream, StreamFormat};
use crate::query::{QueryLimits, ReadableTable};
use crate::{EngineError, Result};
use wire::{BYTES, END, ERROR, REQUEST, WireEnd, WireError, WireTable, read_frame, write_frame};

/// How many queries a worker answers before it is retired (its heap starts afresh).
const QUERIES_PER_WORKER: u32 = 100;

/// A worker holding more resident memory than this after an answer is retired, not kept idle.
const IDLE_RESIDENT_BYTES: u64 = 192 * 1024 * 1024;

/// How much of a worker's stderr is kept to judge how it ended.
const STDERR_KEPT_BYTES: usize = 64 * 1024;

/// How long after the deadline a worker may take to say it timed out before it is killed.
const DEADLINE_GRACE: Duration = Duration::from_secs(2);

/// How queries run in worker processes: the program and arguments that start a worker, and how
/// many may run at once (a query waits for a free slot within its time limit).
#[derive(Debug, Clone)]
pub struct QueryWorkers {
    program: PathBuf,
    args: Vec<String>,
    slots: Arc<Semaphore>,
    concurrency: usize,
    headroom_bytes: usize,
    /// Workers waiting for their next query (killed with the last clone of these).
    idle: Arc<std::sync::Mutex<Vec<Worker>>>,
}

impl QueryWorkers {
    /// Memory a worker may use beyond its query's limit: its runtime, the tables' logs, the
    /// encoder's buffers.
    pub const DEFAULT_HEADROOM_BYTES: usize = 256 * 1024 * 1024;

    /// Workers started as `program args…`, at most `concurrency` at once (at least one).
    pub fn new(program: PathBuf, args: Vec<String>, concurrency: usize) -> Self {
        let concurrency = concurrency.max(1);
        Self {
            program,
            args,
            slots: Arc::new(Semaphore::new(concurrency)),
            concurrency,
            headroom_bytes: Self::DEFAULT_HEADROOM_BYTES,
            idle: Arc::default(),
        }
    }

    /// The data memory a worker may use for a query bounded by `limits`.
    fn data_limit_bytes(&self, limits: &QueryLimits) -> u64 {
        u64::try_from(limits.memory_bytes.saturating_add(self.headroom_bytes)).unwrap_or(u64::MAX)
    }

    /// Starts `sql` in a worker. Errors found while planning come back before any byte, as from
    /// [`crate::Engine::query_stream`] in the server's own process.
    pub(crate) async fn query_stream(
        &self,
        sql: &str,
        tables: &[ReadableTable],
        limits: QueryLimits,
        format: StreamFormat,
    ) -> Result<AnswerStream> {
        let deadline = Instant::now() + limits.timeout;
        let permit = tokio::time::timeout_at(deadline, Arc::clone(&self.slots).acquire_owned())
            .await
            .map_err(|_| {
                EngineError::Busy(format!(
                    "the {} query slots stayed busy for the query's whole time limit of {} s; try again",
                    self.concurrency,
                    limits.timeout.as_secs()
                ))
            })?
            .map_err(|_| EngineError::Internal("the query slots are closed".to_owned()))?;
        let request = WorkerRequest {
            sql: sql.to_owned(),
            tables: tables.iter().map(WireTable::from).collect(),
            max_rows: limits.max_rows,
            timeout_ms: u64::try_from(limits.timeout.as_millis()).unwrap_or(u64::MAX),
            memory_bytes: limits.memory_bytes,
            data_limit_bytes: self.data_limit_bytes(&limits),
            format: format.into(),
        };
        let payload = serde_json::to_vec(&request)
            .map_err(|error| EngineError::Internal(format!("the worker request as JSON: {error}")))?;
        let mut worker = self.take_worker()?;
        // A worker that died since its last query is judged like any other end.
        let _ = write_frame(&mut worker.stdin, REQUEST, &payload).await;
        let _ = worker.stdin.flush().await;
        let mut answer = WorkerAnswer {
            worker: Some(worker),
            idle: Arc::clone(&self.idle),
            deadline,
            limits,
            _permit: permit,
            done: false,
        };
        let first = answer.next_item().await;
        match first {
            Some(Err(error)) => Err(error),
            None => Err(EngineError::Internal("the query worker sent nothing".to_owned())),
            Some(Ok(chunk)) => {
                let rest = futures_util::stream::unfold(answer, |mut answer| async move {
                    let item = answer.next_item().await?;
                    Some((item, answer))
                });
                Ok(Box::pin(futures_util::stream::once(async { Ok(chunk) }).chain(rest)))
            }
        }
    }

    /// An idle worker that is still alive, or a new one.
    fn take_worker(&self) -> Result<Worker> {
        {
            let mut idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            while let Some(mut worker) = idle.pop() {
                // One that ended while it waited (killed, say) is dropped.
                if matches!(worker.child.try_wait(), Ok(None)) {
                    return Ok(worker);
                }
            }
        }
        self.start()
    }

    fn start(&self) -> Result<Worker> {
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| {
                EngineError::Internal(format!(
                    "cannot start a query worker `{}`: {error}",
                    self.program.display()
                ))
            })?;
        let (Some(stdin), Some(stdout), Some(stderr)) = (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(EngineError::Internal("a query worker without its pipes".to_owned()));
        };
        Ok(Worker {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            stderr: Some(tokio::spawn(keep_stderr(stderr))),
            answered: 0,
        })
    }
}

/// A worker process: it answers one query at a time, and serves the next ones as long as it
/// ends each cleanly (an answer, or an error of the query's own), up to
/// [`QUERIES_PER_WORKER`]. One that is killed, crashes or is dropped mid-answer is not reused.
struct Worker {
    child: Child,
    stdin: tokio::process::ChildStdin,
    stdout: BufReader<ChildStdout>,
    stderr: Option<JoinHandle<String>>,
    answered: u32,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("pid", &self.child.id())
            .field("answered", &self.answered)
            .finish_non_exhaustive()
    }
}

/// A running worker's answer, read a frame at a time.
struct WorkerAnswer {
    /// `None` once the worker went back to the idle ones, or was dropped (killed).
    worker: Option<Worker>,
    idle: Arc<std::sync::Mutex<Vec<Worker>>>,
    deadline: Instant,
    limits: QueryLimits,
    /// Held until the answer is dropped: the worker's slot.
    _permit: OwnedSemaphorePermit,
    done: bool,
}

impl WorkerAnswer {
    async fn next_item(&mut self) -> Option<Result<AnswerChunk>> {
        if self.done {
            return None;
        }
        let worker = self.worker.as_mut()?;
        let frame = tokio::time::timeout_at(self.deadline + DEADLINE_GRACE, read_frame(&mut worker.stdout)).await;
        let item = match frame {
            Err(_) => {
                self.done = true;
                // Dropped, hence killed.
                self.worker = None;
                Err(EngineError::Timeout(self.limits.timeout.as_secs()))
            }
            Ok(Ok(Some((BYTES, payload)))) => return Some(Ok(AnswerChunk::Bytes(payload.into()))),
            Ok(Ok(Some((END, payload)))) => {
                self.done = true;
                self.release();
                serde_json::from_slice::<WireEnd>(&payload)
                    .map(|end| AnswerChunk::End {
                        rows: end.rows,
                        truncated: end.truncated,
                    })
                    .map_err(|error| EngineError::Internal(format!("the query worker's end: {error}")))
            }
            Ok(Ok(Some((ERROR, payload)))) => {
                self.done = true;
                match serde_json::from_slice::<WireError>(&payload) {
                    // The engine's own fault: the worker is not trusted again.
                    Ok(error @ WireError::Internal(_)) => {
                        self.worker = None;
                        Err(error.into())
                    }
                    Ok(error) => {
                        self.release();
                        Err(error.into())
                    }
                    Err(error) => {
                        self.worker = None;
                        Err(EngineError::Internal(format!("the query worker's error: {error}")))
                    }
                }
            }
            Ok(Ok(Some((tag, _)))) => {
                self.done = true;
                self.worker = None;
                Err(EngineError::Internal(format!(
                    "the query worker sent an unknown frame `{tag}`"
                )))
            }
            Ok(Ok(None) | Err(_)) => {
                self.done = true;
                Err(self.judge_end().await)
            }
        };
        Some(item)
    }

    /// The worker answered cleanly: it waits for the next query, unless it has served its share
    /// or kept much of its last query's memory (an idle worker should not hold it).
    fn release(&mut self) {
        if let Some(mut worker) = self.worker.take() {
            worker.answered += 1;
            let held = worker.child.id().and_then(resident_bytes).unwrap_or(0);
            if worker.answered < QUERIES_PER_WORKER && held <= IDLE_RESIDENT_BYTES {
                self.idle
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(worker);
            }
        }
    }

    /// Why a worker stopped without an answer.
    async fn judge_end(&mut self) -> EngineError {
        let Some(mut worker) = self.worker.take() else {
            return EngineError::Internal("the query worker is gone".to_owned());
        };
        let status = tokio::time::timeout(Duration::from_secs(5), worker.child.wait()).await;
        let stderr = match worker.stderr.take() {
            Some(task) => task.await.unwrap_or_default(),
            None => String::new(),
        };
        let status = match status {
            Ok(Ok(status)) => status.to_string(),
            _ => "did not exit".to_owned(),
        };
        let judged = judged_crash(&status, &stderr, self.limits.memory_bytes);
        let last = stderr.lines().last().unwrap_or_default();
        tracing::warn!(%status, stderr = %last, error = %judged, "a query worker ended without an answer");
        judged
    }
}

/// The resident memory of process `pid` (Linux: `/proc/<pid>/statm`, in pages of 4 KiB).
fn resident_bytes(pid: u32) -> Option<u64> {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// The error for a worker that ended (`status`) without an answer, from what it printed.
fn judged_crash(status: &str, stderr: &str, memory_bytes: usize) -> EngineError {
    let mib = memory_bytes / (1024 * 1024);
    if stderr.contains("memory allocation of") || stderr.contains("out of memory") || status.contains("SIGKILL") {
        EngineError::ResourcesExhausted(format!("it was stopped at {mib} MiB ([engine] memory_limit_mb)"))
    } else if stderr.contains("overflowed its stack") {
        EngineError::Sql("the query is nested too deeply for the engine; simplify it".to_owned())
    } else {
        let last: Vec<&str> = stderr.lines().rev().take(5).collect();
        let last: Vec<&str> = last.into_iter().rev().collect();
        EngineError::Internal(format!(
            "the query worker ended ({status}) without an answer: {}",
            last.join(" | ")
        ))
    }
}

async fn keep_stderr(mut stderr: impl AsyncRead + Unpin) -> String {
    let mut kept = Vec::new();
    let mut buffer = [0_u8; 4096];
    loop {
        match stderr.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => {
                // The end matters most (the panic or the failed allocation): keep the last bytes.
                kept.extend_from_slice(&buffer[..read]);
                if kept.len() > STDERR_KEPT_BYTES {
                    let cut = kept.len() - STDERR_KEPT_BYTES;
                    kept.drain(..cut);
                }
            }
        }
    }
    String::from_utf8_lossy(&kept).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_that_ran_out_of_memory_is_told_apart_from_a_crash() {
        let memory = judged_crash(
            "signal: 6 (SIGABRT) (core dumped)",
            "memory allocation of 8000000000 bytes failed\n",
            256 << 20,
        );
        assert!(
            matches!(memory, EngineError::ResourcesExhausted(ref m) if m.contains("256 MiB")),
            "{memory}"
        );
        assert_eq!(memory.code(), atrium_types::ErrorCode::LimitExceeded);
        let deep = judged_crash(
            "signal: 11 (SIGSEGV)",
            "thread 'tokio-runtime-worker' has overflowed its stack\n",
            1 << 30,
        );
        assert!(matches!(deep, EngineError::Sql(_)), "{deep}");
        let crash = judged_crash("exit status: 3", "one\ntwo\n", 1 << 30);
        assert!(
            matches!(crash, EngineError::Internal(ref m) if m.contains("one | two")),
            "{crash}"
        );
    }

    #[test]
    fn the_resident_memory_of_this_process_is_read() {
        let own = resident_bytes(std::process::id()).expect("statm");
        assert!(own > 1024 * 1024, "{own}");
        assert_eq!(resident_bytes(u32::MAX), None);
    }
}
