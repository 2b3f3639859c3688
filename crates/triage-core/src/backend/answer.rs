//! What a server sends back, before it is decoded: the body read up to a
//! cap, and the server's own words when it is an error. Shared by the HTTP
//! clients and the Kubernetes service proxy.

use super::error::{ServerWords, TooLarge};
use crate::secret::Redactor;
use std::time::Duration;
use tokio::sync::watch;

/// The most we read of one answer. Loki's default limit of 5000 lines is a
/// few MB; anything near this is not a page we can show.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// How much of an error body is kept for the message.
const MAX_ERROR_CHARS: usize = 300;
/// How much of an HTML page's title is kept: the words before it and the
/// title together are no longer than [`MAX_ERROR_CHARS`].
const MAX_TITLE_CHARS: usize = MAX_ERROR_CHARS - 60;

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

/// How one answer is read: the most kept of it, and who is told how much
/// has arrived.
#[derive(Clone, Copy, Debug)]
pub struct Reading<'a> {
    /// The most bytes read; past it none of the answer is kept.
    pub limit: u64,
    /// Told the bytes received so far as they arrive (from 0 on each
    /// attempt).
    pub progress: Option<&'a watch::Sender<u64>>,
}

impl Default for Reading<'_> {
    fn default() -> Self {
        Reading {
            limit: MAX_BODY_BYTES as u64,
            progress: None,
        }
    }
}

/// The most we read of one answer, counted as it arrives; an answer that
/// says up front it is larger is not read at all.
pub struct BodyCap<'a> {
    read: u64,
    declared: Option<u64>,
    reading: Reading<'a>,
}

impl<'a> BodyCap<'a> {
    pub fn new(reading: Reading<'a>, declared: Option<u64>) -> Result<Self, TooLarge> {
        let limit = reading.limit;
        match declared {
            Some(size) if size > limit => Err(TooLarge::Declared { size, limit }),
            _ => {
                if let Some(progress) = reading.progress {
                    progress.send_replace(0);
                }
                Ok(BodyCap {
                    read: 0,
                    declared,
                    reading,
                })
            }
        }
    }

    /// A buffer the size the answer said it is: grown by doubling, it
    /// would hold up to twice that.
    pub fn buffer(&self) -> Vec<u8> {
        let size = self.declared.unwrap_or(0).min(self.reading.limit);
        Vec::with_capacity(usize::try_from(size).unwrap_or(0))
    }

    /// Adds `chunk` to `body`, or says where reading stopped.
    pub fn take(&mut self, body: &mut Vec<u8>, chunk: &[u8]) -> Result<(), TooLarge> {
        self.read = self.read.saturating_add(chunk.len() as u64);
        if self.read > self.reading.limit {
            *body = Vec::new();
            return Err(TooLarge::Read {
                limit: self.reading.limit,
            });
        }
        body.extend_from_slice(chunk);
        if let Some(progress) = self.reading.progress {
            progress.send_replace(self.read);
        }
        Ok(())
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
/// fields, an HTML page's title, or the text itself; cut of `secrets`,
/// shortened and made safe.
pub fn server_words(answer: &Answer, secrets: &Redactor) -> ServerWords {
    let text = String::from_utf8_lossy(&answer.body);
    let text = text.trim();
    if text.is_empty() {
        return ServerWords::Nothing {
            status: answer.status,
        };
    }
    body_words(text, answer.content_type.contains("html"), secrets)
}

/// What an error body says, in a line: see [`server_words`].
pub fn body_words(text: &str, is_html: bool, secrets: &Redactor) -> ServerWords {
    let kept = |words: &str, max| secrets.safe(&shorten(&secrets.cut(words), max));
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
        let field = ["error", "message", "msg"]
            .iter()
            .find_map(|k| json.get(k).and_then(|v| v.as_str()).map(str::to_owned));
        ServerWords::Said(kept(field.as_deref().unwrap_or(text), MAX_ERROR_CHARS))
    } else if is_html || text.starts_with('<') {
        let title = text
            .split_once("<title>")
            .and_then(|(_, rest)| rest.split_once("</title>"))
            .map(|(title, _)| kept(title.trim(), MAX_TITLE_CHARS));
        ServerWords::HtmlPage { title }
    } else {
        ServerWords::Said(kept(text, MAX_ERROR_CHARS))
    }
}

fn shorten(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}
