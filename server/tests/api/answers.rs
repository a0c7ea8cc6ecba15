//! Streamed answers of `/api/v1/query`: long answers in JSON, CSV and Arrow IPC go out as the
//! query produces them, and the row limit's cut is told at the end (a trailer, `truncated` last).

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with};

/// Sends `POST /api/v1/query` over a plain HTTP/1.1 connection asking for trailers, and returns
/// the response head and its body with the chunked framing removed, trailers apart.
async fn raw_query(app: &TestApp, sql: &str, accept: &str) -> (String, Vec<u8>, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.address.trim_start_matches("http://");
    let body = json!({ "sql": sql }).to_string();
    let request = format!(
        "POST /api/v1/query HTTP/1.1\r\nhost: {host}\r\naccept: {accept}\r\nte: trailers\r\n\
         authorization: Bearer {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        app.admin_token,
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connects");
    stream.write_all(request.as_bytes()).await.expect("sends");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("reads to the end");
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").expect("a head") + 4;
    let head = String::from_utf8_lossy(&response[..split]).to_lowercase();
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    // Chunks: `<hex size>\r\n<data>\r\n`, then `0\r\n`, the trailers and `\r\n`.
    let (mut rest, mut data) = (&response[split..], Vec::new());
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").expect("a chunk size");
        let size = usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).expect("ascii").trim(), 16)
            .expect("a hex size");
        rest = &rest[line_end + 2..];
        if size == 0 {
            break;
        }
        data.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
    (head, data, String::from_utf8_lossy(rest).to_lowercase())
}

#[tokio::test]
async fn a_long_csv_answer_streams_and_its_trailer_says_the_row_limit_cut_it() {
    let app = spawn_app_with(|settings| settings.query_max_rows = 150_000).await;
    // About 3 MB of CSV: beyond what is held back, so it streams.
    let sql = "SELECT v, repeat('x', 10) AS pad FROM generate_series(1, 200000) t(v)";
    let (head, data, trailers) = raw_query(&app, sql, "text/csv").await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("trailer: x-atrium-truncated"), "{head}");
    assert!(head.contains("x-atrium-row-limit: 150000"), "{head}");
    assert!(
        !head.contains("x-atrium-truncated:"),
        "not known when the head goes: {head}"
    );
    let text = String::from_utf8(data).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 150_001, "the header and the first 150,000 rows");
    assert_eq!(lines[0], "v,pad");
    assert_eq!(lines[150_000], "150000,xxxxxxxxxx");
    assert!(trailers.contains("x-atrium-truncated: true"), "{trailers:?}");

    // The same query under the limit: the trailer says it is whole.
    let (_, data, trailers) = raw_query(&app, &sql.replace("200000", "140000"), "text/csv").await;
    assert_eq!(String::from_utf8(data).expect("utf-8").lines().count(), 140_001);
    assert!(trailers.contains("x-atrium-truncated: false"), "{trailers:?}");
}

#[tokio::test]
async fn a_long_arrow_answer_streams_as_one_readable_ipc_stream() {
    let app = spawn_app_with(|settings| settings.query_max_rows = 1_000_000).await;
    let sql = "SELECT v, 'some text' AS label FROM generate_series(1, 300000) t(v)";
    let (head, data, trailers) = raw_query(&app, sql, "application/vnd.apache.arrow.stream").await;
    assert!(head.contains("trailer: x-atrium-truncated"), "{head}");
    let reader = deltalake::arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(data), None)
        .expect("an Arrow stream");
    let schema = reader.schema();
    assert_eq!(
        schema.field_with_name("label").expect("label").data_type(),
        &deltalake::arrow::datatypes::DataType::Utf8,
        "classic string type for every client"
    );
    let rows: usize = reader.map(|batch| batch.expect("batch").num_rows()).sum();
    assert_eq!(rows, 300_000);
    assert!(trailers.contains("x-atrium-truncated: false"), "{trailers:?}");
}

#[tokio::test]
async fn a_long_json_answer_streams_with_truncated_at_its_end() {
    let app = spawn_app_with(|settings| settings.query_max_rows = 100_000).await;
    let sql = "SELECT v, 'some text' AS label FROM generate_series(1, 120000) t(v)";
    let (head, data, trailers) = raw_query(&app, sql, "application/json").await;
    assert!(head.contains("content-type: application/json"), "{head}");
    assert!(head.contains("trailer: x-atrium-truncated"), "{head}");
    let answer: Value = serde_json::from_slice(&data).expect("one JSON document");
    assert_eq!(answer["columns"][0], json!({"name": "v", "type": "int64"}));
    assert_eq!(answer["rows"].as_array().map(Vec::len), Some(100_000));
    assert_eq!(answer["rows"][99_999], json!({"v": 100_000, "label": "some text"}));
    assert_eq!(answer["truncated"], true);
    assert!(trailers.contains("x-atrium-truncated: true"), "{trailers:?}");

    // Rows keep the column order, and a null is written out.
    let text = app
        .query("SELECT 1 AS b, CAST(NULL AS INT) AS a")
        .await
        .text()
        .await
        .expect("text");
    assert!(text.contains(r#""rows":[{"b":1,"a":null}]"#), "{text}");
}
