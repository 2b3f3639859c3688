//! A loopback server that answers like the real Loki, Tempo and Prometheus
//! servers the fixtures in `../shared/fixtures` were recorded from: same
//! body, status and content type, chosen by path and query (times, which
//! differ from run to run, are not compared).

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The shared fixtures, beside this repository.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures")
}

struct Recording {
    path: String,
    params: Vec<(String, String)>,
    status: u16,
    content_type: String,
    accept: String,
    file: PathBuf,
}

/// Parameters that vary with the clock, and so are not matched.
const UNMATCHED: [&str; 2] = ["start", "end"];

fn load_index(dir: &Path) -> std::io::Result<Vec<Recording>> {
    let index = std::fs::read_to_string(dir.join("INDEX.tsv"))?;
    Ok(index
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            let (path, query) = cols.get(1)?.split_once('?').unwrap_or((cols.get(1)?, ""));
            Some(Recording {
                path: path.to_owned(),
                params: url::form_urlencoded::parse(query.as_bytes())
                    .into_owned()
                    .collect(),
                status: cols.get(2)?.parse().ok()?,
                content_type: cols.get(3).unwrap_or(&"").to_string(),
                accept: cols.get(4).unwrap_or(&"").to_string(),
                file: dir.join(cols.first()?),
            })
        })
        .collect())
}

#[derive(Clone, Copy, Default)]
pub struct Options {
    /// Answer `/api/v2/...` with 404, as Tempo before 2.5 does.
    pub without_tempo_v2: bool,
}

/// Serves the recordings on a free loopback port; returns its base URL.
pub async fn start(options: Options) -> String {
    let recordings =
        Arc::new(load_index(&fixtures_dir()).expect("../shared/fixtures/INDEX.tsv is readable"));
    let app = Router::new().fallback(move |request: Request<Body>| {
        let recordings = Arc::clone(&recordings);
        async move { answer(&recordings, options, &request) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().expect("local address"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("replay server") });
    url
}

fn answer(recordings: &[Recording], options: Options, request: &Request<Body>) -> Response {
    let path = request.uri().path();
    if options.without_tempo_v2 && path.starts_with("/api/v2/") {
        return (StatusCode::NOT_FOUND, "404 page not found\n").into_response();
    }
    let params: Vec<(String, String)> = request
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let wants_protobuf = accepts_protobuf(request.headers());
    // The best score wins; on a tie, the recording listed first.
    let best = |protobuf: bool| {
        recordings
            .iter()
            .rev()
            .filter(|r| same_path(&r.path, path) && (r.accept.contains("protobuf") == protobuf))
            .filter_map(|r| score(r, &params).map(|s| (s, r)))
            .max_by_key(|(s, _)| *s)
    };
    // Where only JSON was recorded, it answers JSON, as a server or a
    // proxy that does not speak protobuf would.
    let best = best(wants_protobuf).or_else(|| best(false).filter(|_| wants_protobuf));
    let Some((_, recording)) = best else {
        return (StatusCode::NOT_FOUND, "404 page not found\n").into_response();
    };
    let body = std::fs::read(&recording.file).expect("fixture file is readable");
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(recording.status).expect("recorded status");
    if !recording.content_type.is_empty() {
        let value = recording
            .content_type
            .parse()
            .expect("recorded content type");
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

/// Paths are equal, a trace id's leading zeros aside: Tempo drops them in
/// what it writes and takes either form when asked.
fn same_path(recorded: &str, asked: &str) -> bool {
    let trimmed = |p: &str| match p.rsplit_once("/traces/") {
        Some((base, id)) => format!("{base}/traces/{}", id.trim_start_matches('0')),
        None => p.to_owned(),
    };
    recorded == asked || trimmed(recorded) == trimmed(asked)
}

fn accepts_protobuf(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("protobuf"))
}

/// `None` when a query parameter the recording was made with differs;
/// otherwise how many other parameters agree.
fn score(recording: &Recording, params: &[(String, String)]) -> Option<usize> {
    let get = |list: &[(String, String)], key: &str| {
        list.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    };
    for key in ["query", "q"] {
        if get(&recording.params, key) != get(params, key) {
            return None;
        }
    }
    Some(
        recording
            .params
            .iter()
            .filter(|(k, _)| !UNMATCHED.contains(&k.as_str()))
            .filter(|(k, v)| get(params, k).as_deref() == Some(v.as_str()))
            .count(),
    )
}
