//! A websocket on a connection the HTTP clients make: reqwest's for a
//! direct URL (so the endpoint's TLS, auth, tenant and headers apply as
//! they do to every other request), the API server's for a `kube://` one.
//! The request asks for the upgrade; the answer is either a socket or the
//! server's refusal, read as any other answer.

use super::answer::Answer;
use http::HeaderMap;
use http::header::{CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION};
use http::header::{HeaderName, UPGRADE};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

/// The largest message (and frame) read: a Loki tail frame holds at most a
/// few hundred lines, each cut at 64 KiB once read; past this the socket
/// fails rather than buffer without end.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// A connection that bytes go both ways on, once upgraded.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub type WebSocket = WebSocketStream<Box<dyn Io>>;

/// What asking for a websocket gave.
pub enum Upgrade {
    Socket(WebSocket),
    /// The server answered instead of switching: its status and body.
    Refused(Answer),
}

/// The headers that ask for a websocket, and the key the answer must
/// prove it read.
pub(crate) struct Handshake {
    key: String,
}

impl Handshake {
    pub(crate) fn new() -> Self {
        Handshake {
            key: generate_key(),
        }
    }

    pub(crate) fn headers(&self) -> [(HeaderName, String); 4] {
        [
            (CONNECTION, "Upgrade".to_owned()),
            (UPGRADE, "websocket".to_owned()),
            (SEC_WEBSOCKET_VERSION, "13".to_owned()),
            (SEC_WEBSOCKET_KEY, self.key.clone()),
        ]
    }

    /// Whether a `101` answer is the websocket asked for (RFC 6455 4.1):
    /// `Upgrade: websocket` and the accept key derived from ours.
    pub(crate) fn accepted(&self, headers: &HeaderMap) -> bool {
        let upgrade = headers
            .get(UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
        let accept = derive_accept_key(self.key.as_bytes());
        upgrade
            && headers
                .get(SEC_WEBSOCKET_ACCEPT)
                .is_some_and(|v| v == &accept)
    }
}

/// The client's side of an upgraded connection, with the size caps.
pub(crate) async fn socket(io: Box<dyn Io>) -> WebSocket {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES));
    WebSocketStream::from_raw_socket(io, Role::Client, Some(config)).await
}
