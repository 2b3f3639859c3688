//! What one request is, apart from how it is sent (straight, or through
//! the API server's service proxy): both senders read it.

/// What a request does to the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    /// Not idempotent (a silence posted twice is two silences): asked
    /// again only when it cannot have arrived.
    Post,
    Delete,
}

impl Method {
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Method::Post)
    }
}

/// One request: its method, where, and its JSON body.
#[derive(Clone, Copy, Debug)]
pub struct Call<'a> {
    pub method: Method,
    pub path: &'a str,
    pub query: &'a [(&'a str, String)],
    pub headers: &'a [(&'a str, &'a str)],
    pub json: Option<&'a [u8]>,
}
