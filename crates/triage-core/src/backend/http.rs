//! The HTTP plumbing every client shares: auth, tenant, TLS, a size cap,
//! and turning failures into [`BackendError`]s that keep the server's words.

use super::answer::{Answer, BodyCap, Reading, root_cause, server_words};
use super::call::{Call, Method};
use super::cluster::Cluster;
use super::cluster::proxy::{SCHEME as KUBE_SCHEME, ServiceProxy, ServiceRef};
use super::error::{
    BackendError, ErrorKind, Misconfigured, Part, Problem, ServerWords, Source, TooLarge,
    Transport as Failure, Unreadable,
};
use super::retry::{Outcome, RetryPolicy, is_transient, parse_retry_after};
use super::websocket::{self, Handshake, Upgrade};
use crate::domain::SafeText;
use crate::secret::{Redactor, Secret, redact_url};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Debug, Default)]
pub enum Auth {
    #[default]
    None,
    Basic {
        user: String,
        password: Secret,
    },
    Bearer(Secret),
}

#[derive(Clone, Debug, Default)]
pub struct Tls {
    pub ca_file: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    pub insecure_skip_verify: bool,
}

/// Whether a write that failed so may be sent again without risk of doing
/// it twice: no connection was made, or the server refused it unread (429).
fn may_repeat_write(outcome: &Outcome) -> bool {
    match outcome {
        Outcome::Failed(kind) => *kind == ErrorKind::Unreachable,
        Outcome::Answered { status, .. } => *status == 429,
    }
}

/// Where a backend is and how to reach it.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub url: String,
    pub auth: Auth,
    /// Sent as `X-Scope-OrgID` (Loki, Tempo, Mimir multi-tenancy). A
    /// name, not a credential: shown as it is where a server repeats it.
    pub tenant: Option<String>,
    /// Extra headers, written in the config as they are: not secrets.
    pub headers: Vec<(String, String)>,
    pub tls: Tls,
    /// The cluster a `kube://` URL is reached through.
    pub cluster: Option<Arc<Cluster>>,
    pub retry: RetryPolicy,
    /// The secrets cut out of what the server sends back: every backend's
    /// (the config shares one set); the client adds this one's own.
    pub redactor: Redactor,
}

impl Endpoint {
    pub fn new(url: impl Into<String>) -> Self {
        Endpoint {
            url: url.into(),
            auth: Auth::None,
            tenant: None,
            headers: Vec::new(),
            tls: Tls::default(),
            cluster: None,
            retry: RetryPolicy::default(),
            redactor: Redactor::default(),
        }
    }

    /// This endpoint's credentials, in each form a server may echo them:
    /// the password or token, the basic header's base64, and a password
    /// written into the URL (as written and decoded).
    pub fn secrets(&self) -> Vec<String> {
        let mut values = Vec::new();
        match &self.auth {
            Auth::None => {}
            Auth::Basic { user, password } => {
                values.push(password.expose().to_owned());
                values.push(basic_pair(user, password.expose()));
            }
            Auth::Bearer(token) => values.push(token.expose().to_owned()),
        }
        if let Ok(url) = reqwest::Url::parse(&self.url)
            && let Some(password) = url.password()
        {
            let decoded = percent_decode(password);
            values.push(basic_pair(&percent_decode(url.username()), &decoded));
            values.push(password.to_owned());
            values.push(decoded);
        }
        values
    }
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

#[derive(Clone, Debug)]
pub struct HttpClient {
    source: Source,
    transport: Transport,
    retry: RetryPolicy,
    redactor: Redactor,
}

#[derive(Clone, Debug)]
enum Transport {
    Direct {
        base: reqwest::Url,
        client: reqwest::Client,
    },
    /// Through the API server's service proxy (`kube://` URLs).
    Cluster(ServiceProxy),
}

impl HttpClient {
    pub fn new(source: Source, endpoint: &Endpoint) -> Result<Self, BackendError> {
        let config_error = |what| misconfigured(source, what);
        let redactor = endpoint.redactor.with(endpoint.secrets());
        if endpoint.url.starts_with(KUBE_SCHEME) {
            return Self::through_cluster(source, endpoint, redactor);
        }
        // The URL is not echoed when it does not parse: it may hold a password.
        let mut base = reqwest::Url::parse(&endpoint.url)
            .map_err(|e| config_error(Misconfigured::BadUrl(SafeText::new(&e.to_string()))))?;
        if !matches!(base.scheme(), "http" | "https") {
            let url = redact_url(&endpoint.url);
            return Err(config_error(Misconfigured::NotHttp { url }));
        }
        let mut auth = endpoint.auth.clone();
        if !base.username().is_empty() {
            // Credentials in the URL become basic auth, and leave the URL.
            auth = Auth::Basic {
                user: percent_decode(base.username()),
                password: Secret::new(percent_decode(base.password().unwrap_or_default())),
            };
            let _ = base.set_username("");
            let _ = base.set_password(None);
        }
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let headers = default_headers(endpoint, &auth).map_err(config_error)?;
        let mut builder = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(Duration::from_secs(10))
            // A redirect could carry the tenant and extra headers to another
            // host (reqwest strips only Authorization): it is an error.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("triage/", env!("CARGO_PKG_VERSION")))
            .danger_accept_invalid_certs(endpoint.tls.insecure_skip_verify);
        builder = add_tls(builder, &endpoint.tls).map_err(config_error)?;
        let client = builder.build().map_err(|e| {
            config_error(Misconfigured::NoHttpClient(SafeText::new(&root_cause(&e))))
        })?;
        Ok(HttpClient {
            source,
            transport: Transport::Direct { base, client },
            retry: endpoint.retry,
            redactor,
        })
    }

    fn through_cluster(
        source: Source,
        endpoint: &Endpoint,
        redactor: Redactor,
    ) -> Result<Self, BackendError> {
        let config_error = |what| misconfigured(source, what);
        let service = ServiceRef::parse(&endpoint.url).map_err(config_error)?;
        let refused = |what| config_error(what).via(service.to_string());
        if !matches!(endpoint.auth, Auth::None) {
            // The API server takes the Authorization header for itself.
            return Err(refused(Misconfigured::AuthThroughProxy));
        }
        let tls = &endpoint.tls;
        if tls.ca_file.is_some() || tls.client_cert.is_some() || tls.insecure_skip_verify {
            return Err(refused(Misconfigured::TlsThroughProxy));
        }
        let cluster =
            (endpoint.cluster.clone()).ok_or_else(|| refused(Misconfigured::NoCluster))?;
        let headers = default_headers(endpoint, &Auth::None).map_err(config_error)?;
        Ok(HttpClient {
            source,
            transport: Transport::Cluster(ServiceProxy {
                cluster,
                service,
                headers,
            }),
            retry: endpoint.retry,
            redactor,
        })
    }

    /// GETs `path` (relative to the base URL) and reads the body, up to the cap.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Answer, BackendError> {
        self.get_with(path, query, &[]).await
    }

    /// GETs with extra headers, asking again while the failure may pass
    /// (see [`RetryPolicy`]).
    pub async fn get_with(
        &self,
        path: &str,
        query: &[(&str, String)],
        headers: &[(&str, &str)],
    ) -> Result<Answer, BackendError> {
        self.get_reading(path, query, headers, Reading::default())
            .await
    }

    /// [`get_with`](Self::get_with), reading the answer as `reading` says:
    /// up to its limit, telling its progress.
    pub async fn get_reading(
        &self,
        path: &str,
        query: &[(&str, String)],
        headers: &[(&str, &str)],
        reading: Reading<'_>,
    ) -> Result<Answer, BackendError> {
        let call = Call {
            method: Method::Get,
            path,
            query,
            headers,
            json: None,
        };
        self.exchange(call, reading).await
    }

    /// POSTs a JSON body to `path`. A write is asked again only when it
    /// cannot have been done: no connection was made, or the server said
    /// 429 (see [`Method::Post`]).
    pub async fn post_json(&self, path: &str, json: &[u8]) -> Result<Answer, BackendError> {
        let call = Call {
            method: Method::Post,
            path,
            query: &[],
            headers: &[],
            json: Some(json),
        };
        self.exchange(call, Reading::default()).await
    }

    /// DELETEs `path`: as idempotent as a GET, and asked again as one.
    pub async fn delete(&self, path: &str) -> Result<Answer, BackendError> {
        let call = Call {
            method: Method::Delete,
            path,
            query: &[],
            headers: &[],
            json: None,
        };
        self.exchange(call, Reading::default()).await
    }

    /// Sends `call`, asking again while the failure may pass (see
    /// [`RetryPolicy`]) and, for a write, could not have been done.
    async fn exchange(&self, call: Call<'_>, reading: Reading<'_>) -> Result<Answer, BackendError> {
        let mut attempt = 1;
        loop {
            let result = self.attempt(call, reading).await;
            let outcome = match &result {
                Ok(answer) => Outcome::Answered {
                    status: answer.status,
                    retry_after: answer.retry_after,
                },
                Err(e) => Outcome::of_error(e),
            };
            let wait = self
                .retry
                .wait(attempt, &outcome, fastrand::f64())
                .filter(|_| call.method.is_idempotent() || may_repeat_write(&outcome));
            let Some(wait) = wait else {
                return match result {
                    Ok(answer) => Ok(Answer {
                        attempts: attempt,
                        ..answer
                    }),
                    Err(e) => Err(self.gave_up(e, attempt)),
                };
            };
            tracing::debug!(source = %self.source, attempt, ?wait, "asking again");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt(&self, call: Call<'_>, reading: Reading<'_>) -> Result<Answer, BackendError> {
        let (base, client) = match &self.transport {
            Transport::Direct { base, client } => (base, client),
            Transport::Cluster(proxy) => {
                return proxy.request(self.source, call, reading).await;
            }
        };
        let url = self.url(base, call.path)?;
        let method = match call.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut request = client.request(method, url).query(call.query);
        for (name, value) in call.headers {
            request = request.header(*name, *value);
        }
        if let Some(json) = call.json {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(json.to_vec());
        }
        let response = request.send().await.map_err(|e| self.transport_error(&e))?;
        self.read(response, reading).await
    }

    /// Reads an answer's head and its body, up to the cap.
    async fn read(
        &self,
        mut response: reqwest::Response,
        reading: Reading<'_>,
    ) -> Result<Answer, BackendError> {
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let mut cap =
            BodyCap::new(reading, response.content_length()).map_err(|e| self.too_large(e))?;
        let mut answer = Answer {
            status: response.status().as_u16(),
            content_type: header(reqwest::header::CONTENT_TYPE).unwrap_or_default(),
            location: header(reqwest::header::LOCATION),
            retry_after: header(reqwest::header::RETRY_AFTER)
                .and_then(|v| parse_retry_after(&v, std::time::SystemTime::now())),
            attempts: 1,
            body: cap.buffer(),
        };
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(&e))?
        {
            cap.take(&mut answer.body, &chunk)
                .map_err(|e| self.too_large(e))?;
        }
        Ok(answer)
    }

    /// Asks for a websocket at `path`, once (the caller decides when to ask
    /// again): the socket, or the server's answer when it did not switch.
    pub async fn upgrade(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Upgrade, BackendError> {
        let (base, client) = match &self.transport {
            Transport::Direct { base, client } => (base, client),
            Transport::Cluster(proxy) => return proxy.upgrade(self.source, path, query).await,
        };
        let url = self.url(base, path)?;
        let handshake = Handshake::new();
        let mut request = client.get(url).query(query);
        for (name, value) in handshake.headers() {
            request = request.header(name, value);
        }
        let response = request.send().await.map_err(|e| self.transport_error(&e))?;
        let status = response.status().as_u16();
        if status != 101 {
            return Ok(Upgrade::Refused(
                self.read(response, Reading::default()).await?,
            ));
        }
        if !handshake.accepted(response.headers()) {
            return Err(self.fail(ErrorKind::Decode, Problem::NotWebSocket { status }));
        }
        let upgraded = response
            .upgrade()
            .await
            .map_err(|e| self.transport_error(&e))?;
        Ok(Upgrade::Socket(websocket::socket(Box::new(upgraded)).await))
    }

    fn url(&self, base: &reqwest::Url, path: &str) -> Result<reqwest::Url, BackendError> {
        base.join(path.trim_start_matches('/')).map_err(|e| {
            let cause = SafeText::new(&e.to_string());
            let what = Misconfigured::BadPath {
                path: path.to_owned(),
                cause,
            };
            self.fail(ErrorKind::Config, Problem::Misconfigured(what))
        })
    }

    fn too_large(&self, what: TooLarge) -> BackendError {
        self.fail(ErrorKind::TooLarge, Problem::TooLarge(what))
    }

    /// The last attempt's error, saying how often it was tried.
    fn gave_up(&self, e: BackendError, attempts: u32) -> BackendError {
        if attempts == 1 {
            return e;
        }
        e.after_attempts(attempts)
    }

    /// An error of this client's source, naming the service proxy when it
    /// went through one.
    pub fn fail(&self, kind: ErrorKind, problem: Problem) -> BackendError {
        match &self.transport {
            Transport::Direct { .. } => BackendError::of(self.source, kind, problem),
            Transport::Cluster(proxy) => proxy.fail(self.source, kind, problem),
        }
    }

    /// An error status, with the server's own words from the body.
    pub fn status_error(&self, answer: &Answer) -> BackendError {
        if (300..400).contains(&answer.status) {
            let location = (answer.location.as_deref())
                .map(|l| self.redactor.cut(&redact_url(l)).into_owned());
            return self
                .fail(ErrorKind::Http, Problem::Redirected { location })
                .with_status(answer.status);
        }
        let kind = if answer.status == 404 {
            ErrorKind::NotFound
        } else {
            ErrorKind::Http
        };
        self.answer_error(answer, kind, server_words(answer, &self.redactor))
    }

    /// An error the server answered, in `words`, with how often it was
    /// asked and how long it asked us to wait.
    pub fn answer_error(
        &self,
        answer: &Answer,
        kind: ErrorKind,
        words: ServerWords,
    ) -> BackendError {
        let wait = answer.retry_after.filter(|_| is_transient(answer.status));
        self.fail(kind, Problem::Answered { words, wait })
            .with_status(answer.status)
            .after_attempts(answer.attempts)
    }

    /// An answer that does not parse as the API promises.
    pub fn decode_error(&self, what: Part, why: Unreadable) -> BackendError {
        self.fail(ErrorKind::Decode, Problem::Unreadable { what, why })
    }

    fn transport_error(&self, e: &reqwest::Error) -> BackendError {
        let (kind, failure) = if e.is_timeout() {
            (ErrorKind::Timeout, Failure::NoAnswer)
        } else if e.is_connect() {
            (ErrorKind::Unreachable, Failure::Connect)
        } else {
            (ErrorKind::Decode, Failure::Broken)
        };
        let to = match &self.transport {
            Transport::Direct { base, .. } => base.as_str(),
            Transport::Cluster(_) => "the service", // the proxy's errors are not reqwest's
        };
        let problem = Problem::Transport {
            failure,
            to: to.to_owned(),
            cause: self.redactor.safe(&root_cause(e)),
        };
        self.fail(kind, problem)
    }

    /// The secrets this client cuts out of what its server sends back.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }
}

/// `user:password` in base64, as the basic header carries it.
fn basic_pair(user: &str, password: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

/// The header as sent.
fn basic_header(user: &str, password: &Secret) -> Secret {
    Secret::new(format!("Basic {}", basic_pair(user, password.expose())))
}

fn misconfigured(source: Source, what: Misconfigured) -> BackendError {
    BackendError::of(source, ErrorKind::Config, Problem::Misconfigured(what))
}

fn default_headers(endpoint: &Endpoint, auth: &Auth) -> Result<HeaderMap, Misconfigured> {
    let mut headers = HeaderMap::new();
    let mut insert = |name: &str, value: &str| -> Result<(), Misconfigured> {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Misconfigured::BadHeaderName(name.to_owned()))?;
        let mut value = HeaderValue::from_str(value)
            .map_err(|_| Misconfigured::BadHeaderValue(name.to_string()))?;
        value.set_sensitive(true);
        headers.insert(name, value);
        Ok(())
    };
    match auth {
        Auth::None => {}
        Auth::Basic { user, password } => {
            insert("authorization", basic_header(user, password).expose())?;
        }
        Auth::Bearer(token) => insert("authorization", &format!("Bearer {}", token.expose()))?,
    }
    if let Some(tenant) = &endpoint.tenant {
        insert("x-scope-orgid", tenant)?;
    }
    for (name, value) in &endpoint.headers {
        insert(name, value)?;
    }
    Ok(headers)
}

fn add_tls(
    mut builder: reqwest::ClientBuilder,
    tls: &Tls,
) -> Result<reqwest::ClientBuilder, Misconfigured> {
    let read = |path: &PathBuf| {
        std::fs::read(path).map_err(|e| Misconfigured::CannotRead {
            path: path.clone(),
            cause: SafeText::new(&e.to_string()),
        })
    };
    if let Some(path) = &tls.ca_file {
        let pem = read(path)?;
        let bad_ca = |e: reqwest::Error| Misconfigured::BadCaFile {
            path: path.clone(),
            cause: SafeText::new(&root_cause(&e)),
        };
        for cert in reqwest::Certificate::from_pem_bundle(&pem).map_err(bad_ca)? {
            builder = builder.add_root_certificate(cert);
        }
    }
    match (&tls.client_cert, &tls.client_key) {
        (Some(cert), Some(key)) => {
            let mut pem = read(cert)?;
            pem.push(b'\n');
            pem.extend(read(key)?);
            let identity = reqwest::Identity::from_pem(&pem)
                .map_err(|e| Misconfigured::BadClientIdentity(SafeText::new(&root_cause(&e))))?;
            builder = builder.identity(identity);
        }
        (None, None) => {}
        _ => return Err(Misconfigured::HalfClientIdentity),
    }
    Ok(builder)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, content_type: &str, body: &str) -> Answer {
        Answer {
            status,
            content_type: content_type.into(),
            location: None,
            retry_after: None,
            attempts: 1,
            body: body.as_bytes().to_vec(),
        }
    }

    fn words(answer: &Answer) -> ServerWords {
        server_words(answer, &Redactor::default())
    }

    fn said(text: &str) -> ServerWords {
        ServerWords::Said(SafeText::new(text))
    }

    #[test]
    fn error_bodies_keep_the_servers_words() {
        let text = answer(400, "text/plain", "parse error at line 1\n");
        assert_eq!(words(&text), said("parse error at line 1"));
        let json = r#"{"status":"error","error":"bad_data: x"}"#;
        assert_eq!(
            words(&answer(400, "application/json", json)),
            said("bad_data: x")
        );
        let page = "<html><title>502 Bad Gateway</title></html>";
        assert_eq!(
            words(&answer(502, "text/html", page)),
            ServerWords::HtmlPage {
                title: Some(SafeText::new("502 Bad Gateway"))
            }
        );
        assert_eq!(
            words(&answer(404, "", "")),
            ServerWords::Nothing { status: 404 }
        );
        let ServerWords::Said(long) = words(&answer(500, "", &"x".repeat(1000))) else {
            panic!("the text itself");
        };
        assert_eq!(long.as_str().chars().count(), 301, "shortened, with a mark");
    }

    #[test]
    fn credentials_in_the_url_become_basic_auth() -> Result<(), BackendError> {
        let client = HttpClient::new(
            Source::Loki,
            &Endpoint::new("http://me:secret@127.0.0.1:1/loki"),
        )?;
        let Transport::Direct { base, .. } = client.transport else {
            panic!("a direct client");
        };
        assert_eq!(base.as_str(), "http://127.0.0.1:1/loki/");
        Ok(())
    }

    #[test]
    fn bad_urls_are_config_errors() {
        let err = HttpClient::new(Source::Tempo, &Endpoint::new("ftp://x")).err();
        assert_eq!(err.map(|e| e.kind), Some(ErrorKind::Config));
        let err = HttpClient::new(Source::Tempo, &Endpoint::new("not a url")).err();
        assert_eq!(err.map(|e| e.kind), Some(ErrorKind::Config));
    }
}
