//! Query answers streamed as CSV or Arrow IPC: each batch is encoded as the query produces it, so
//! the memory an answer takes is one batch, not the whole result. The row limit cuts the stream
//! (and says so in its last item), the time limit holds until the last batch.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use deltalake::arrow::array::RecordBatch;
use deltalake::arrow::csv::WriterBuilder;
use deltalake::arrow::datatypes::SchemaRef;
use deltalake::arrow::ipc::writer::StreamWriter;
use deltalake::arrow::json::WriterBuilder as JsonWriterBuilder;
use deltalake::arrow::json::writer::LineDelimited;
use deltalake::datafusion::execution::SendableRecordBatchStream;
use futures_util::{Stream, StreamExt};
use tokio::time::Instant;

use crate::query::{
    QueryColumn, QueryLimits, ReadableTable, bounded_session, classic_types, decimals_as_text, plan, to_classic,
};
use crate::{Engine, EngineError, Result};

/// The formats an answer can be streamed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFormat {
    /// `{"columns": [{"name", "type"}], "rows": [{…}], "truncated": bool}`: the rows go out as
    /// they come, `truncated` last. Decimals are strings (exact).
    Json,
    /// CSV with a header line (also for an empty answer).
    Csv,
    /// The Arrow IPC stream format, for Arrow-native clients (pandas, Polars, DuckDB).
    ArrowIpc,
}

/// One piece of a streamed answer.
#[derive(Debug, Clone, PartialEq)]
pub enum AnswerChunk {
    /// The next bytes of the answer.
    Bytes(Bytes),
    /// The answer is complete: `rows` were sent, and `truncated` says whether the row limit cut it.
    End { rows: u64, truncated: bool },
}

/// An answer as it is produced. An `Err` item (time limit, memory limit, a failing read) ends it:
/// what came before is an incomplete answer and must not be taken for a whole one.
pub type AnswerStream = Pin<Box<dyn Stream<Item = Result<AnswerChunk>> + Send>>;

impl Engine {
    /// Plans and starts a read-only query, and streams its rows in `format`. Errors found while
    /// planning (bad SQL, an unknown table, a write statement) come back before any byte. With
    /// query workers ([`crate::worker`]) the query runs in one of them; otherwise here.
    pub async fn query_stream(
        &self,
        sql: &str,
        tables: &[ReadableTable],
        limits: QueryLimits,
        format: StreamFormat,
    ) -> Result<AnswerStream> {
        match &self.query_workers {
            Some(workers) => workers.query_stream(sql, tables, limits, format).await,
            None => stream_in_process(sql, tables, limits, format).await,
        }
    }
}

/// Plans and starts a query in this process.
pub(crate) async fn stream_in_process(
    sql: &str,
    tables: &[ReadableTable],
    limits: QueryLimits,
    format: StreamFormat,
) -> Result<AnswerStream> {
    let deadline = Instant::now() + limits.timeout;
    let ctx = bounded_session(limits.memory_bytes)?;
    let start = async {
        let frame = plan(&ctx, sql, tables).await?;
        frame.execute_stream().await.map_err(EngineError::datafusion)
    };
    let batches = tokio::time::timeout_at(deadline, start)
        .await
        .map_err(|_| EngineError::Timeout(limits.timeout.as_secs()))??;
    let (encoder, head) = Encoder::start(format, batches.schema())?;
    let answer = Answer {
        batches,
        encoder: Some(encoder),
        pending: VecDeque::from([AnswerChunk::Bytes(head)]),
        rows: 0,
        limits,
        deadline,
    };
    Ok(Box::pin(futures_util::stream::unfold(answer, Answer::next_chunk)))
}

/// The state of a streamed answer.
struct Answer {
    batches: SendableRecordBatchStream,
    /// `None` once the answer is complete or failed.
    encoder: Option<Encoder>,
    /// Chunks ready to be sent.
    pending: VecDeque<AnswerChunk>,
    rows: u64,
    limits: QueryLimits,
    deadline: Instant,
}

impl Answer {
    async fn next_chunk(mut self) -> Option<(Result<AnswerChunk>, Self)> {
        loop {
            if let Some(chunk) = self.pending.pop_front() {
                return Some((Ok(chunk), self));
            }
            self.encoder.as_ref()?;
            let next = match tokio::time::timeout_at(self.deadline, self.batches.next()).await {
                Ok(next) => next,
                Err(_) => {
                    let seconds = self.limits.timeout.as_secs();
                    return self.fail(EngineError::Timeout(seconds));
                }
            };
            let batch = match next {
                None => return self.finish(false),
                Some(Err(error)) => return self.fail(EngineError::datafusion(error)),
                Some(Ok(batch)) => batch,
            };
            let room = (self.limits.max_rows as u64).saturating_sub(self.rows);
            let cut = batch.num_rows() as u64 > room;
            let batch = if cut {
                batch.slice(0, usize::try_from(room).unwrap_or(usize::MAX))
            } else {
                batch
            };
            if batch.num_rows() > 0 {
                let encoded = match self.encoder.as_mut() {
                    Some(encoder) => encoder.encode(&batch),
                    None => return None,
                };
                match encoded {
                    Ok(bytes) => self.pending.push_back(AnswerChunk::Bytes(bytes)),
                    Err(error) => return self.fail(error),
                }
                self.rows += batch.num_rows() as u64;
            }
            if cut {
                return self.finish(true);
            }
        }
    }

    /// Ends the answer: the encoder's tail, then `End`.
    fn finish(mut self, truncated: bool) -> Option<(Result<AnswerChunk>, Self)> {
        let encoder = self.encoder.take()?;
        match encoder.finish(truncated) {
            Ok(tail) if !tail.is_empty() => self.pending.push_back(AnswerChunk::Bytes(tail)),
            Ok(_) => {}
            Err(error) => return self.fail(error),
        }
        self.pending.push_back(AnswerChunk::End {
            rows: self.rows,
            truncated,
        });
        let chunk = self.pending.pop_front()?;
        Some((Ok(chunk), self))
    }

    /// Ends the answer with `error`; nothing follows it.
    fn fail(mut self, error: EngineError) -> Option<(Result<AnswerChunk>, Self)> {
        self.encoder = None;
        self.pending.clear();
        Some((Err(error), self))
    }
}

/// Writes batches in a format, a piece at a time.
struct Encoder {
    /// The answer's schema, with classic types for view types.
    schema: SchemaRef,
    format: Format,
}

enum Format {
    /// Whether a row was written (the next one needs a comma first).
    Json {
        wrote_a_row: bool,
    },
    Csv,
    ArrowIpc(Box<StreamWriter<Vec<u8>>>),
}

impl Encoder {
    /// The encoder and what comes before the first row: the JSON columns, the CSV header line,
    /// the Arrow schema.
    fn start(format: StreamFormat, schema: SchemaRef) -> Result<(Self, Bytes)> {
        let schema = classic_types(&schema);
        let (format, head) = match format {
            StreamFormat::Json => {
                let columns: Vec<QueryColumn> = schema
                    .fields()
                    .iter()
                    .map(|field| QueryColumn {
                        name: field.name().clone(),
                        data_type: crate::contract::type_name(field.data_type()),
                    })
                    .collect();
                let columns =
                    serde_json::to_string(&columns).map_err(|error| EngineError::Internal(error.to_string()))?;
                (
                    Format::Json { wrote_a_row: false },
                    format!("{{\"columns\":{columns},\"rows\":[").into_bytes(),
                )
            }
            StreamFormat::Csv => {
                let mut writer = WriterBuilder::new().with_header(true).build(Vec::new());
                writer
                    .write(&RecordBatch::new_empty(Arc::clone(&schema)))
                    .map_err(EngineError::arrow)?;
                (Format::Csv, writer.into_inner())
            }
            StreamFormat::ArrowIpc => {
                let mut writer = StreamWriter::try_new(Vec::new(), &schema).map_err(EngineError::arrow)?;
                let head = std::mem::take(writer.get_mut());
                (Format::ArrowIpc(Box::new(writer)), head)
            }
        };
        Ok((Encoder { schema, format }, Bytes::from(head)))
    }

    fn encode(&mut self, batch: &RecordBatch) -> Result<Bytes> {
        let batch = &to_classic(batch, &self.schema)?;
        match &mut self.format {
            Format::Json { wrote_a_row } => {
                // One object a line from Arrow's writer (columns in order, nulls written out),
                // joined with commas into the `rows` array.
                let mut writer = JsonWriterBuilder::new()
                    .with_explicit_nulls(true)
                    .build::<_, LineDelimited>(Vec::new());
                writer.write(&decimals_as_text(batch)?).map_err(EngineError::arrow)?;
                writer.finish().map_err(EngineError::arrow)?;
                let lines = writer.into_inner();
                let mut text = Vec::with_capacity(lines.len());
                for line in lines.split(|byte| *byte == b'\n').filter(|line| !line.is_empty()) {
                    if *wrote_a_row {
                        text.push(b',');
                    }
                    text.extend_from_slice(line);
                    *wrote_a_row = true;
                }
                Ok(Bytes::from(text))
            }
            Format::Csv => {
                let mut writer = WriterBuilder::new().with_header(false).build(Vec::new());
                writer.write(batch).map_err(EngineError::arrow)?;
                Ok(Bytes::from(writer.into_inner()))
            }
            Format::ArrowIpc(writer) => {
                writer.write(batch).map_err(EngineError::arrow)?;
                Ok(Bytes::from(std::mem::take(writer.get_mut())))
            }
        }
    }

    /// What ends the answer: the end of the JSON object with `truncated`, the Arrow
    /// end-of-stream marker; nothing for CSV.
    fn finish(self, truncated: bool) -> Result<Bytes> {
        match self.format {
            Format::Json { .. } => Ok(Bytes::from(format!("],\"truncated\":{truncated}}}"))),
            Format::Csv => Ok(Bytes::new()),
            Format::ArrowIpc(mut writer) => {
                writer.finish().map_err(EngineError::arrow)?;
                Ok(Bytes::from(std::mem::take(writer.get_mut())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use deltalake::arrow::array::Int64Array;
    use deltalake::arrow::datatypes::{DataType, Field, Schema};
    use deltalake::arrow::ipc::reader::StreamReader;

    fn numbers(from: i64, count: i64) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
        let values: Vec<i64> = (from..from + count).collect();
        RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(values))]).expect("a batch")
    }

    fn encode_all(format: StreamFormat, batches: &[RecordBatch]) -> Vec<u8> {
        let (mut encoder, head) = Encoder::start(format, batches[0].schema()).expect("start");
        let mut bytes = head.to_vec();
        for batch in batches {
            bytes.extend_from_slice(&encoder.encode(batch).expect("encode"));
        }
        bytes.extend_from_slice(&encoder.finish(false).expect("finish"));
        bytes
    }

    #[test]
    fn csv_pieces_make_one_csv_with_one_header() {
        let text = String::from_utf8(encode_all(StreamFormat::Csv, &[numbers(1, 2), numbers(3, 1)])).expect("utf-8");
        assert_eq!(text, "n\n1\n2\n3\n");
    }

    #[test]
    fn json_pieces_make_one_json_answer() {
        let text = String::from_utf8(encode_all(
            StreamFormat::Json,
            &[numbers(1, 2), numbers(3, 0), numbers(3, 1)],
        ))
        .expect("utf-8");
        let answer: serde_json::Value = serde_json::from_str(&text).expect("one JSON document");
        assert_eq!(
            answer,
            serde_json::json!({"columns": [{"name": "n", "type": "int64"}], "rows": [{"n": 1}, {"n": 2}, {"n": 3}], "truncated": false})
        );
        assert!(text.contains(r#""rows":[{"n":1},{"n":2},{"n":3}]"#), "{text}");
        let empty = String::from_utf8(encode_all(StreamFormat::Json, &[numbers(1, 0)])).expect("utf-8");
        assert_eq!(
            empty,
            r#"{"columns":[{"name":"n","type":"int64"}],"rows":[],"truncated":false}"#
        );
    }

    #[test]
    fn an_empty_csv_answer_still_has_its_header() {
        let text = String::from_utf8(encode_all(StreamFormat::Csv, &[numbers(1, 0)])).expect("utf-8");
        assert_eq!(text, "n\n");
    }

    #[test]
    fn arrow_pieces_make_one_readable_ipc_stream() {
        let bytes = encode_all(StreamFormat::ArrowIpc, &[numbers(1, 2), numbers(3, 3)]);
        let reader = StreamReader::try_new(std::io::Cursor::new(bytes), None).expect("an IPC stream");
        let rows: usize = reader.map(|batch| batch.expect("a batch").num_rows()).sum();
        assert_eq!(rows, 5);
    }
}
