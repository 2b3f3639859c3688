//! A loopback server that misbehaves on purpose, at the HTTP level.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Debug)]
pub enum Fault {
    /// Accepts, reads the request, never answers.
    Hang,
    /// Answers this status, content type and body.
    Status(u16, &'static str, String),
    /// The same with raw bytes (invalid UTF-8).
    Bytes(u16, &'static str, Vec<u8>),
    /// Answers this status with a `Retry-After` header.
    RetryAfter(u16, String),
    /// Sends a good answer one byte a second.
    Drip(String),
    /// Promises more body than it sends, then closes.
    Truncated(String),
    /// Sends a JSON answer that never ends (chunked, no length).
    Endless,
    /// Says up front the body is this many bytes, then sends a little.
    Declared(u64),
    /// Answers 302 to this location.
    Redirect(String),
    /// Sends back the request's head, as some proxies and debugging
    /// endpoints do: `{head}` in the body becomes it, as a JSON string.
    Echo(u16, &'static str, &'static str),
}

/// A running fault server: its URL and when each request arrived.
pub struct Served {
    pub url: String,
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

impl Served {
    pub fn requests(&self) -> usize {
        self.arrivals.lock().expect("arrivals").len()
    }

    /// The time between each request and the one after it.
    pub fn gaps(&self) -> Vec<Duration> {
        let arrivals = self.arrivals.lock().expect("arrivals");
        arrivals.windows(2).map(|w| w[1] - w[0]).collect()
    }
}

/// An address where nothing listens: connecting is refused.
pub async fn refusing_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    drop(listener);
    url
}

/// Serves `fault` to every request; returns the base URL.
pub async fn start(fault: Fault) -> String {
    serve(vec![fault]).await.url
}

/// Serves the n-th fault to the n-th request, the last one to all after.
/// A Loki logs view's volume query (a `count_over_time`, asked beside the
/// lines) is answered with no series and not counted: the faults are the
/// lines' to meet.
pub async fn serve(faults: Vec<Fault>) -> Served {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&arrivals);
    let faults = Arc::new(faults);
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let (log, faults) = (Arc::clone(&log), Arc::clone(&faults));
            tokio::spawn(async move {
                let mut request = vec![0u8; 16 * 1024];
                let read = socket.peek(&mut request).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&request[..read]);
                let first_line = head.lines().next().unwrap_or("");
                let fault = if first_line.contains("count_over_time") {
                    let empty =
                        r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
                    Fault::Status(200, "application/json", empty.into())
                } else {
                    let mut log = log.lock().expect("arrivals");
                    log.push(Instant::now());
                    faults[(log.len() - 1).min(faults.len() - 1)].clone()
                };
                answer(socket, fault).await;
            });
        }
    });
    Served { url, arrivals }
}

fn head(status: u16, content_type: &str, length: usize, extra: &str) -> String {
    format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {length}\r\n{extra}connection: close\r\n\r\n"
    )
}

async fn answer(mut socket: TcpStream, fault: Fault) {
    let mut request = vec![0u8; 16 * 1024];
    let read = socket.read(&mut request).await.unwrap_or(0);
    let response: Vec<u8> = match fault {
        Fault::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return;
        }
        Fault::Status(status, content_type, body) => {
            let mut bytes = head(status, content_type, body.len(), "").into_bytes();
            bytes.extend(body.as_bytes());
            bytes
        }
        Fault::Bytes(status, content_type, body) => {
            let mut bytes = head(status, content_type, body.len(), "").into_bytes();
            bytes.extend(body);
            bytes
        }
        Fault::RetryAfter(status, after) => {
            let body = "slow down";
            let extra = format!("retry-after: {after}\r\n");
            format!("{}{body}", head(status, "text/plain", body.len(), &extra)).into_bytes()
        }
        Fault::Drip(body) => {
            let whole = format!("{}{body}", head(200, "application/json", body.len(), ""));
            for byte in whole.bytes() {
                if socket.write_all(&[byte]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            return;
        }
        Fault::Truncated(body) => {
            format!("{}{body}", head(200, "application/json", body.len() + 1000, "")).into_bytes()
        }
        Fault::Endless => return endless(socket).await,
        Fault::Declared(length) => {
            let start = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n";
            format!("{start}content-length: {length}\r\n\r\n{{\"status\":").into_bytes()
        }
        Fault::Redirect(location) => format!(
            "HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        )
        .into_bytes(),
        Fault::Echo(status, content_type, template) => {
            let sent = String::from_utf8_lossy(&request[..read]).into_owned();
            let quoted = serde_json::to_string(&sent).unwrap_or_default();
            let body = template.replace("{head}", &quoted);
            format!("{}{body}", head(status, content_type, body.len(), "")).into_bytes()
        }
    };
    let _ = socket.write_all(&response).await;
    let _ = socket.shutdown().await;
}

/// A JSON array that goes on until the client stops reading.
async fn endless(mut socket: TcpStream) {
    let start =
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
    if socket.write_all(start.as_bytes()).await.is_err() {
        return;
    }
    let piece = "[1,2,3,4,5,6,7,8,9,0],".repeat(6000);
    let chunk = format!("{:x}\r\n{piece}\r\n", piece.len());
    while socket.write_all(chunk.as_bytes()).await.is_ok() {}
}
