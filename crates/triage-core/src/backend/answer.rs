//! What a server sends back, before it is decoded: the body read up to a
//! cap, and the server's own words when it is an error. Shared by the HTTP
//! clients and the Kubernetes service proxy.

use std::time::Duration;

/// The most we read of one answer. Loki's default limit of 5000 lines is a
/// few MB; anything near this is not a page we can show.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// How much of an error body is kept for the message.
const MAX_ERROR_CHARS: usize = 300;

/// A body the server sent, with what is needed to read it.
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    /// Where a redirect pointed.
    pub location: Option<String>,
    /// How long the server asked us to wait before asking again.
    pub retry_after: Option<Duration>,
    /// How many times it was asked before this answer.
    pub attempts: u32,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The most we read of one answer, counted as it arrives; an answer that
/// says up front it is larger is not read at all.
pub struct BodyCap {
    read: usize,
}

impl BodyCap {
    pub fn new(declared: Option<u64>) -> Result<BodyCap, String> {
        match declared {
            Some(length) if length > MAX_BODY_BYTES as u64 => Err(format!(
                "the answer is {}, more than the {} triage reads; not read",
                bytes(length),
                bytes(MAX_BODY_BYTES as u64)
            )),
            _ => Ok(BodyCap { read: 0 }),
        }
    }

    /// Adds `chunk` to `body`, or says where reading stopped.
    pub fn take(&mut self, body: &mut Vec<u8>, chunk: &[u8]) -> Result<(), String> {
        self.read += chunk.len();
        if self.read > MAX_BODY_BYTES {
            body.clear();
            return Err(format!(
                "the answer is larger than {}; stopped reading there and kept none of it",
                bytes(MAX_BODY_BYTES as u64)
            ));
        }
        body.extend_from_slice(chunk);
        Ok(())
    }
}

fn bytes(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    match n {
        n if n >= 1024 * MIB => format!("{:.1} GiB", n as f64 / (1024 * MIB) as f64),
        n => format!("{} MiB", n.div_ceil(MIB)),
    }
}

/// The innermost cause, which is the part that says what happened
/// ("Connection refused"); the outer layers repeat the URL.
pub(crate) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}

/// The server's own words from an error body: JSON `error`/`message`
/// fields, an HTML page's title, or the text itself; shortened.
pub fn error_message(answer: &Answer) -> String {
    let text = String::from_utf8_lossy(&answer.body);
    let text = text.trim();
    if text.is_empty() {
        return format!("empty answer with status {}", answer.status);
    }
    body_words(text, answer.content_type.contains("html"))
}

/// What an error body says, in a line: see [`error_message`].
pub fn body_words(text: &str, is_html: bool) -> String {
    let words = if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
        ["error", "message", "msg"]
            .iter()
            .find_map(|k| json.get(k).and_then(|v| v.as_str()).map(str::to_owned))
            .unwrap_or_else(|| text.to_owned())
    } else if is_html || text.starts_with('<') {
        let title = text
            .split_once("<title>")
            .and_then(|(_, rest)| rest.split_once("</title>"))
            .map(|(title, _)| title.trim().to_owned());
        format!(
            "an HTML page, probably from a proxy in front of the server{}",
            title.map(|t| format!(": {t}")).unwrap_or_default()
        )
    } else {
        text.to_owned()
    };
    shorten(&words, MAX_ERROR_CHARS)
}

fn shorten(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}
