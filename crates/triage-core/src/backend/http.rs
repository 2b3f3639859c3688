//! The HTTP plumbing every client shares: auth, tenant, TLS, a size cap,
//! and turning failures into [`BackendError`]s that keep the server's words.

use super::answer::{Answer, BodyCap, error_message, root_cause};
use super::cluster::Cluster;
use super::cluster::proxy::{SCHEME as KUBE_SCHEME, ServiceProxy, ServiceRef};
use super::retry::{Outcome, RetryPolicy, is_transient, parse_retry_after};
use super::{BackendError, ErrorKind, Source};
use crate::domain::SafeText;
use crate::secret::{Secret, redact_url};
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

/// Where a backend is and how to reach it.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub url: String,
    pub auth: Auth,
    /// Sent as `X-Scope-OrgID` (Loki, Tempo, Mimir multi-tenancy).
    pub tenant: Option<Secret>,
    /// Extra headers; values may be credentials, so they are secrets.
    pub headers: Vec<(String, Secret)>,
    pub tls: Tls,
    /// The cluster a `kube://` URL is reached through.
    pub cluster: Option<Arc<Cluster>>,
    pub retry: RetryPolicy,
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
        }
    }
}

#[derive(Clone, Debug)]
pub struct HttpClient {
    source: Source,
    transport: Transport,
    retry: RetryPolicy,
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
        let config_error = |what: String| BackendError::new(source, ErrorKind::Config, what);
        if endpoint.url.starts_with(KUBE_SCHEME) {
            return Self::through_cluster(source, endpoint).map_err(config_error);
        }
        // The URL is not echoed when it does not parse: it may hold a password.
        let mut base = reqwest::Url::parse(&endpoint.url)
            .map_err(|e| config_error(format!("bad URL: {e} (expected http://host:port)")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(config_error(format!(
                "bad URL {}: only http and https are supported",
                redact_url(&endpoint.url)
            )));
        }
        let mut auth = endpoint.auth.clone();
        if !base.username().is_empty() {
            // Credentials in the URL become basic auth, and leave the URL.
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            auth = Auth::Basic {
                user: decode(base.username()),
                password: Secret::new(decode(base.password().unwrap_or_default())),
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
        let client = builder
            .build()
            .map_err(|e| config_error(format!("cannot make an HTTP client: {}", root_cause(&e))))?;
        Ok(HttpClient {
            source,
            transport: Transport::Direct { base, client },
            retry: endpoint.retry,
        })
    }

    fn through_cluster(source: Source, endpoint: &Endpoint) -> Result<Self, String> {
        let service = ServiceRef::parse(&endpoint.url)?;
        if !matches!(endpoint.auth, Auth::None) {
            // The API server takes the Authorization header for itself.
            return Err(format!(
                "{service}: basic or bearer auth cannot pass through the service proxy; the cluster's credentials are used"
            ));
        }
        let tls = &endpoint.tls;
        if tls.ca_file.is_some() || tls.client_cert.is_some() || tls.insecure_skip_verify {
            return Err(format!(
                "{service}: TLS settings do not apply through the service proxy; the kubeconfig's are used"
            ));
        }
        let cluster = endpoint
            .cluster
            .clone()
            .ok_or_else(|| format!("{service}: no cluster to reach it through"))?;
        let headers = default_headers(endpoint, &Auth::None)?;
        Ok(HttpClient {
            source,
            transport: Transport::Cluster(ServiceProxy {
                cluster,
                service,
                headers,
            }),
            retry: endpoint.retry,
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
        let mut attempt = 1;
        loop {
            let result = self.attempt(path, query, headers).await;
            let outcome = match &result {
                Ok(answer) => Outcome::Answered {
                    status: answer.status,
                    retry_after: answer.retry_after,
                },
                Err(e) => Outcome::of_error(e),
            };
            let Some(wait) = self.retry.wait(attempt, &outcome, fastrand::f64()) else {
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

    async fn attempt(
        &self,
        path: &str,
        query: &[(&str, String)],
        headers: &[(&str, &str)],
    ) -> Result<Answer, BackendError> {
        let (base, client) = match &self.transport {
            Transport::Direct { base, client } => (base, client),
            Transport::Cluster(proxy) => return proxy.get(self.source, path, query, headers).await,
        };
        let url = base
            .join(path.trim_start_matches('/'))
            .map_err(|e| self.error(ErrorKind::Config, format!("bad path {path}: {e}")))?;
        let mut request = client.get(url).query(query);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut response = request.send().await.map_err(|e| self.transport_error(&e))?;
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let mut answer = Answer {
            status: response.status().as_u16(),
            content_type: header(reqwest::header::CONTENT_TYPE).unwrap_or_default(),
            location: header(reqwest::header::LOCATION),
            retry_after: header(reqwest::header::RETRY_AFTER)
                .and_then(|v| parse_retry_after(&v, std::time::SystemTime::now())),
            attempts: 1,
            body: Vec::new(),
        };
        let mut cap = BodyCap::new(response.content_length()).map_err(|e| self.too_large(e))?;
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

    fn too_large(&self, what: String) -> BackendError {
        self.error(
            ErrorKind::TooLarge,
            format!("{what}. Narrow the query or the time range"),
        )
    }

    /// The last attempt's error, saying how often it was tried.
    fn gave_up(&self, e: BackendError, attempts: u32) -> BackendError {
        if attempts == 1 {
            return e;
        }
        BackendError {
            message: SafeText::new(&format!("{} (asked {attempts} times)", e.message)),
            ..e
        }
    }

    pub fn error(&self, kind: ErrorKind, message: impl AsRef<str>) -> BackendError {
        match &self.transport {
            Transport::Direct { .. } => BackendError::new(self.source, kind, message),
            Transport::Cluster(proxy) => proxy.error(self.source, kind, message),
        }
    }

    /// An error status, with the server's own message from the body.
    pub fn status_error(&self, answer: &Answer) -> BackendError {
        if (300..400).contains(&answer.status) {
            let to = answer
                .location
                .as_deref()
                .map_or_else(String::new, |l| format!(" to {}", redact_url(l)));
            return BackendError {
                status: Some(answer.status),
                ..self.error(
                    ErrorKind::Http,
                    format!("redirected{to}; not followed (a login page or a wrong URL?)"),
                )
            };
        }
        let kind = if answer.status == 404 {
            ErrorKind::NotFound
        } else {
            ErrorKind::Http
        };
        self.answer_error(answer, kind, error_message(answer))
    }

    /// An error the server answered, in `words`, with how often it was
    /// asked and how long it asked us to wait.
    pub fn answer_error(
        &self,
        answer: &Answer,
        kind: ErrorKind,
        mut words: String,
    ) -> BackendError {
        if answer.attempts > 1 {
            words.push_str(&format!(" (asked {} times)", answer.attempts));
        }
        if let Some(wait) = answer.retry_after.filter(|_| is_transient(answer.status)) {
            let wait = i64::try_from(wait.as_nanos()).unwrap_or(i64::MAX);
            words.push_str(&format!(
                "; the server asks to wait {} before asking again",
                crate::domain::time::format_age(wait)
            ));
        }
        BackendError {
            status: Some(answer.status),
            ..self.error(kind, words)
        }
    }

    /// An answer that does not parse as the API promises.
    pub fn decode_error(&self, what: &str, e: impl std::fmt::Display) -> BackendError {
        self.error(ErrorKind::Decode, format!("unreadable {what}: {e}"))
    }

    fn transport_error(&self, e: &reqwest::Error) -> BackendError {
        let kind = if e.is_timeout() {
            ErrorKind::Timeout
        } else if e.is_connect() {
            ErrorKind::Unreachable
        } else {
            ErrorKind::Decode
        };
        let what = match kind {
            ErrorKind::Unreachable => "cannot connect to",
            ErrorKind::Timeout => "no answer from",
            _ => "broken answer from",
        };
        let base = match &self.transport {
            Transport::Direct { base, .. } => base.as_str(),
            Transport::Cluster(_) => "the service", // the proxy's errors are not reqwest's
        };
        self.error(kind, format!("{what} {base}: {}", root_cause(e)))
    }
}

/// The header as sent: a secret too, since a server may echo it.
fn basic_header(user: &str, password: &Secret) -> Secret {
    use base64::Engine;
    let pair = format!("{user}:{}", password.expose());
    let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
    Secret::new(format!("Basic {encoded}"))
}

fn default_headers(endpoint: &Endpoint, auth: &Auth) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::new();
    let mut insert = |name: &str, value: &str| -> Result<(), String> {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("bad header name {name:?}"))?;
        let mut value =
            HeaderValue::from_str(value).map_err(|_| format!("bad value for header {name}"))?;
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
        insert("x-scope-orgid", tenant.expose())?;
    }
    for (name, value) in &endpoint.headers {
        insert(name, value.expose())?;
    }
    Ok(headers)
}

fn add_tls(
    mut builder: reqwest::ClientBuilder,
    tls: &Tls,
) -> Result<reqwest::ClientBuilder, String> {
    let read = |path: &PathBuf| {
        std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    if let Some(path) = &tls.ca_file {
        let pem = read(path)?;
        for cert in reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("bad CA file {}: {}", path.display(), root_cause(&e)))?
        {
            builder = builder.add_root_certificate(cert);
        }
    }
    match (&tls.client_cert, &tls.client_key) {
        (Some(cert), Some(key)) => {
            let mut pem = read(cert)?;
            pem.push(b'\n');
            pem.extend(read(key)?);
            let identity = reqwest::Identity::from_pem(&pem)
                .map_err(|e| format!("bad client certificate or key: {}", root_cause(&e)))?;
            builder = builder.identity(identity);
        }
        (None, None) => {}
        _ => return Err("a client certificate needs both client_cert and client_key".into()),
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

    #[test]
    fn error_bodies_keep_the_servers_words() {
        assert_eq!(
            error_message(&answer(400, "text/plain", "parse error at line 1\n")),
            "parse error at line 1"
        );
        assert_eq!(
            error_message(&answer(
                400,
                "application/json",
                r#"{"status":"error","error":"bad_data: x"}"#
            )),
            "bad_data: x"
        );
        assert_eq!(
            error_message(&answer(
                502,
                "text/html",
                "<html><title>502 Bad Gateway</title></html>"
            )),
            "an HTML page, probably from a proxy in front of the server: 502 Bad Gateway"
        );
        assert_eq!(
            error_message(&answer(404, "", "")),
            "empty answer with status 404"
        );
        assert_eq!(
            error_message(&answer(500, "", &"x".repeat(1000)))
                .chars()
                .count(),
            301
        );
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
