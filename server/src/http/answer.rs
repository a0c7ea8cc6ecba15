//! A streamed query answer (CSV, Arrow IPC) over HTTP.
//!
//! The first [`HELD_BACK_BYTES`] are held back: an answer that ends within them goes out whole,
//! with `Content-Length` and `X-Atrium-Truncated`, and an error within them is a clean error
//! status. A longer answer streams in chunks as the query produces it: `X-Atrium-Truncated` then
//! comes as a trailer (HTTP/1.1 sends trailers to clients that ask with `TE: trailers`), and an
//! error after the first bytes aborts the connection, so that a cut answer is never taken for a
//! whole one. Both carry `X-Atrium-Row-Limit`.

use atrium_platform::{AnswerChunk, PlatformError};
use atrium_types::ErrorCode;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::BytesMut;
use futures_util::{Stream, StreamExt};
use http_body::Frame;
use http_body_util::StreamBody;

use super::HttpError;

/// How much of an answer is held back before it starts to stream.
pub const HELD_BACK_BYTES: usize = 1 << 20;

const TRUNCATED: HeaderName = HeaderName::from_static("x-atrium-truncated");
const ROW_LIMIT: HeaderName = HeaderName::from_static("x-atrium-row-limit");

/// The response for `answer`, in `media_type`.
pub async fn respond<E>(
    mut answer: impl Stream<Item = Result<AnswerChunk, E>> + Send + Unpin + 'static,
    media_type: &'static str,
    row_limit: usize,
) -> Result<Response, HttpError>
where
    E: Into<PlatformError> + std::error::Error + Send + Sync + 'static,
{
    let mut held = BytesMut::new();
    while held.len() < HELD_BACK_BYTES {
        match answer.next().await {
            Some(Ok(AnswerChunk::Bytes(bytes))) => held.extend_from_slice(&bytes),
            Some(Ok(AnswerChunk::End { truncated, .. })) => {
                let headers = [
                    (header::CONTENT_TYPE, HeaderValue::from_static(media_type)),
                    (TRUNCATED, flag(truncated)),
                    (ROW_LIMIT, HeaderValue::from(row_limit)),
                ];
                return Ok((headers, held.freeze()).into_response());
            }
            Some(Err(error)) => return Err(HttpError::from(error.into())),
            None => return Err(HttpError::new(ErrorCode::Internal, "the answer stopped before its end")),
        }
    }
    let first = futures_util::stream::once(async move { Ok::<_, E>(Frame::data(held.freeze())) });
    let rest = answer.map(|item| match item {
        Ok(AnswerChunk::Bytes(bytes)) => Ok(Frame::data(bytes)),
        Ok(AnswerChunk::End { truncated, .. }) => {
            let mut trailers = HeaderMap::new();
            trailers.insert(TRUNCATED, flag(truncated));
            Ok(Frame::trailers(trailers))
        }
        Err(error) => {
            tracing::warn!(%error, "a streamed answer failed after its first bytes; the connection is cut");
            Err(error)
        }
    });
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(media_type)),
        (ROW_LIMIT, HeaderValue::from(row_limit)),
        (header::TRAILER, HeaderValue::from_static("x-atrium-truncated")),
    ];
    Ok((headers, Body::new(StreamBody::new(first.chain(rest)))).into_response())
}

fn flag(value: bool) -> HeaderValue {
    HeaderValue::from_static(if value { "true" } else { "false" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;
    use bytes::Bytes;
    use http_body_util::BodyExt;

    type Chunk = Result<AnswerChunk, atrium_platform::EngineError>;

    fn chunks(pieces: Vec<Chunk>) -> impl Stream<Item = Chunk> + Send + Unpin + 'static {
        futures_util::stream::iter(pieces)
    }

    fn data(size: usize) -> Chunk {
        Ok(AnswerChunk::Bytes(Bytes::from(vec![b'x'; size])))
    }

    fn end(truncated: bool) -> Chunk {
        Ok(AnswerChunk::End { rows: 1, truncated })
    }

    #[tokio::test]
    async fn a_short_answer_goes_out_whole_with_its_truncation_header() {
        let response = respond(chunks(vec![data(10), data(5), end(true)]), "text/csv", 7)
            .await
            .expect("a response");
        assert_eq!(response.headers()[TRUNCATED], "true");
        assert_eq!(response.headers()[ROW_LIMIT], "7");
        assert!(response.headers().get(header::TRAILER).is_none());
        let body = response.into_body().collect().await.expect("the body").to_bytes();
        assert_eq!(body.len(), 15);
    }

    #[tokio::test]
    async fn an_error_before_the_first_byte_is_an_error_status() {
        let failure = Err(atrium_platform::EngineError::Timeout(3));
        let error = respond(chunks(vec![data(10), failure]), "text/csv", 7)
            .await
            .expect_err("an error");
        assert_eq!(error.into_response().status(), StatusCode::UNPROCESSABLE_ENTITY);
    }

    #[tokio::test]
    async fn a_long_answer_streams_and_says_in_a_trailer_whether_it_was_cut() {
        let pieces = vec![data(HELD_BACK_BYTES), data(100), end(false)];
        let response = respond(chunks(pieces), "text/csv", 7).await.expect("a response");
        assert!(response.headers().get(TRUNCATED).is_none());
        assert_eq!(response.headers()[header::TRAILER], "x-atrium-truncated");
        let collected = response.into_body().collect().await.expect("the body");
        assert_eq!(collected.trailers().expect("trailers")[TRUNCATED], "false");
        assert_eq!(collected.to_bytes().len(), HELD_BACK_BYTES + 100);
    }

    #[tokio::test]
    async fn a_long_answer_that_fails_midway_ends_in_an_error_not_a_clean_end() {
        let pieces = vec![
            data(HELD_BACK_BYTES),
            data(100),
            Err(atrium_platform::EngineError::Timeout(3)),
        ];
        let response = respond(chunks(pieces), "text/csv", 7).await.expect("a response");
        assert!(response.into_body().collect().await.is_err());
    }
}
