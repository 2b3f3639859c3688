//! `kube://<namespace>/<service>:<port>[/path]`: a backend reached through
//! the API server's service proxy, with the kubeconfig's credentials, so no
//! `kubectl port-forward` is needed.

use super::Cluster;
use crate::backend::answer::{Answer, BodyCap, Reading, root_cause};
use crate::backend::call::{Call, Method};
use crate::backend::error::{BackendError, ErrorKind, Misconfigured, Problem, Source};
use crate::backend::retry::parse_retry_after;
use crate::backend::websocket::{self, Handshake, Upgrade};
use crate::domain::SafeText;
use http_body_util::BodyExt;
use reqwest::header::HeaderMap;
use std::fmt;
use std::sync::Arc;

pub const SCHEME: &str = "kube://";

/// A service port, and the path under it where the backend's API starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceRef {
    pub namespace: String,
    /// As the proxy names it: `name`, or `https:name` for a TLS port.
    pub service: String,
    pub port: String,
    /// Ends with `/`.
    pub path: String,
}

impl ServiceRef {
    /// Reads `kube://<namespace>/<service>:<port>[/path]`.
    pub fn parse(url: &str) -> Result<ServiceRef, Misconfigured> {
        let usage = || Misconfigured::BadServiceUrl { url: None };
        let rest = url.strip_prefix(SCHEME).ok_or_else(usage)?;
        let (namespace, rest) = rest.split_once('/').ok_or_else(usage)?;
        let (service_port, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (service, port) = service_port.rsplit_once(':').ok_or_else(usage)?;
        let name = service.strip_prefix("https:").unwrap_or(service);
        let dns = |s: &str| {
            s.starts_with(|c: char| c.is_ascii_alphanumeric())
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        };
        if !dns(namespace) || !dns(name) || !dns(&port.to_ascii_lowercase()) {
            return Err(Misconfigured::BadServiceUrl {
                url: Some(crate::secret::redact_url(url)),
            });
        }
        let path = path.trim_matches('/');
        Ok(ServiceRef {
            namespace: namespace.into(),
            service: service.into(),
            port: port.into(),
            path: if path.is_empty() {
                String::new()
            } else {
                format!("{path}/")
            },
        })
    }

    /// The API server's path for `path` under the backend's base.
    fn proxy_path(&self, path: &str) -> String {
        format!(
            "/api/v1/namespaces/{}/services/{}:{}/proxy/{}{}",
            self.namespace,
            self.service,
            self.port,
            self.path,
            path.trim_start_matches('/')
        )
    }
}

impl fmt::Display for ServiceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{SCHEME}{}/{}:{}/{}",
            self.namespace, self.service, self.port, self.path
        )
    }
}

/// A backend behind the service proxy.
#[derive(Clone, Debug)]
pub struct ServiceProxy {
    pub cluster: Arc<Cluster>,
    pub service: ServiceRef,
    /// Tenant and extra headers; the proxy passes them on.
    pub headers: HeaderMap,
}

impl ServiceProxy {
    /// Sends `call` to the backend, through the API server.
    pub async fn request(
        &self,
        source: Source,
        call: Call<'_>,
        reading: Reading<'_>,
    ) -> Result<Answer, BackendError> {
        let uri = self.uri(call.path, call.query);
        let mut retried = false;
        loop {
            let mut extra: Vec<(String, String)> = call
                .headers
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect();
            let body = match call.json {
                Some(json) => {
                    extra.push(("content-type".into(), "application/json".into()));
                    kube::client::Body::from(json.to_vec())
                }
                None => kube::client::Body::empty(),
            };
            let response = (self.send(source, call.method, &uri, extra.into_iter(), body)).await?;
            let answer = self.read(source, response, reading).await?;
            if let Some(answer) = self.settle(source, answer, &mut retried).await? {
                return Ok(answer);
            }
        }
    }

    /// Asks for a websocket at `path` of the backend: the API server's
    /// proxy passes the upgrade on. The socket, or the answer when the
    /// backend did not switch; the API server's own refusal is an error.
    pub async fn upgrade(
        &self,
        source: Source,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Upgrade, BackendError> {
        let uri = self.uri(path, query);
        let mut retried = false;
        loop {
            let handshake = Handshake::new();
            let extra = handshake
                .headers()
                .into_iter()
                .map(|(n, v)| (n.to_string(), v));
            let empty = kube::client::Body::empty();
            let response = self.send(source, Method::Get, &uri, extra, empty).await?;
            let status = response.status().as_u16();
            if status == 101 {
                if !handshake.accepted(response.headers()) {
                    let problem = Problem::NotWebSocket { status };
                    return Err(self.fail(source, ErrorKind::Decode, problem));
                }
                let upgraded = hyper::upgrade::on(response).await.map_err(|e| {
                    let cause = self.cluster.redactor().safe(&root_cause(&e));
                    self.fail(source, ErrorKind::Decode, Problem::BrokenAnswer { cause })
                })?;
                let io = Box::new(hyper_util::rt::TokioIo::new(upgraded));
                return Ok(Upgrade::Socket(websocket::socket(io).await));
            }
            let answer = self.read(source, response, Reading::default()).await?;
            if let Some(answer) = self.settle(source, answer, &mut retried).await? {
                return Ok(Upgrade::Refused(answer));
            }
        }
    }

    /// `method` on `uri` with the proxy's headers, `extra` and `body`,
    /// sent through the API server with the kubeconfig's credentials.
    async fn send(
        &self,
        source: Source,
        method: Method,
        uri: &str,
        extra: impl Iterator<Item = (String, String)>,
        body: kube::client::Body,
    ) -> Result<http::Response<kube::client::Body>, BackendError> {
        let client = (self.cluster.client(None).await).map_err(|e| e.with_source(source))?;
        let mut request = http::Request::builder().uri(uri).method(match method {
            Method::Get => http::Method::GET,
            Method::Post => http::Method::POST,
            Method::Delete => http::Method::DELETE,
        });
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        for (name, value) in extra {
            request = request.header(name, value);
        }
        let request = request.body(body).map_err(|e| {
            let what = Misconfigured::BadRequest(SafeText::new(&e.to_string()));
            self.fail(source, ErrorKind::Config, Problem::Misconfigured(what))
        })?;
        client
            .send(request)
            .await
            .map_err(|e| super::api_error(&e, self.cluster.redactor()).with_source(source))
    }

    /// What an answer through the proxy is: the backend's (Some); none
    /// when the API server refused credentials that had expired, renewed
    /// once to ask again (see `Cluster::forget`); an error when the API
    /// server refused otherwise (its refusal is not the backend's answer).
    async fn settle(
        &self,
        source: Source,
        answer: Answer,
        retried: &mut bool,
    ) -> Result<Option<Answer>, BackendError> {
        if answer.status == 401 && !*retried {
            self.cluster.forget(None).await;
            *retried = true;
            return Ok(None);
        }
        match self.cluster_error(source, &answer) {
            Some(refused) => Err(refused),
            None => Ok(Some(answer)),
        }
    }

    /// The API server's path and query for `path` of the backend.
    fn uri(&self, path: &str, query: &[(&str, String)]) -> String {
        let uri = self.service.proxy_path(path);
        if query.is_empty() {
            return uri;
        }
        let encoded: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect();
        format!("{uri}?{}", encoded.join("&"))
    }

    async fn read(
        &self,
        source: Source,
        response: http::Response<kube::client::Body>,
        reading: Reading<'_>,
    ) -> Result<Answer, BackendError> {
        let (head, mut stream) = response.into_parts();
        let header = |name| {
            head.headers
                .get(name)
                .and_then(|v: &http::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let status = head.status.as_u16();
        let content_type = header(http::header::CONTENT_TYPE).unwrap_or_default();
        let location = header(http::header::LOCATION);
        let declared = header(http::header::CONTENT_LENGTH).and_then(|v| v.parse().ok());
        let too_large = |what| self.fail(source, ErrorKind::TooLarge, Problem::TooLarge(what));
        let mut cap = BodyCap::new(reading, declared).map_err(too_large)?;
        let mut body = cap.buffer();
        while let Some(frame) = stream.frame().await {
            let frame = frame.map_err(|e| {
                let cause = self.cluster.redactor().safe(&root_cause(&e));
                self.fail(source, ErrorKind::Decode, Problem::BrokenAnswer { cause })
            })?;
            if let Some(chunk) = frame.data_ref() {
                cap.take(&mut body, chunk).map_err(too_large)?;
            }
        }
        let retry_after = header(http::header::RETRY_AFTER)
            .and_then(|v| parse_retry_after(&v, std::time::SystemTime::now()));
        Ok(Answer {
            status,
            content_type,
            location,
            retry_after,
            attempts: 1,
            body,
        })
    }

    /// The API server's own refusal (a Kubernetes `Status`), in words that
    /// name the service and, for RBAC, the verb; none for the backend's own
    /// errors, which pass through the proxy unchanged.
    fn cluster_error(&self, source: Source, answer: &Answer) -> Option<BackendError> {
        if answer.is_success() {
            return None;
        }
        let body: serde_json::Value = serde_json::from_slice(&answer.body).ok()?;
        if body.get("kind").and_then(|k| k.as_str()) != Some("Status") {
            return None;
        }
        let status: kube::core::Status = serde_json::from_value(body).ok()?;
        let kind = if answer.status == 404 {
            ErrorKind::NotFound
        } else {
            ErrorKind::Http
        };
        let refused = Problem::ProxyRefused {
            status: answer.status,
            namespace: self.service.namespace.clone(),
            words: self.cluster.redactor().safe(&status.message),
        };
        Some(self.fail(source, kind, refused).with_status(answer.status))
    }

    /// An error of `source`, asked through this proxy.
    pub fn fail(&self, source: Source, kind: ErrorKind, problem: Problem) -> BackendError {
        BackendError::of(source, kind, problem).via(self.service.to_string())
    }
}

fn urlencode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_urls_name_the_proxy_path() -> Result<(), Misconfigured> {
        let tempo = ServiceRef::parse("kube://observability/tempo:3200")?;
        assert_eq!(
            tempo.proxy_path("api/v2/traces/abc"),
            "/api/v1/namespaces/observability/services/tempo:3200/proxy/api/v2/traces/abc"
        );
        let prom = ServiceRef::parse("kube://monitoring/https:prometheus:web/prom/")?;
        assert_eq!(
            prom.proxy_path("/api/v1/query"),
            "/api/v1/namespaces/monitoring/services/https:prometheus:web/proxy/prom/api/v1/query"
        );
        assert_eq!(
            prom.to_string(),
            "kube://monitoring/https:prometheus:web/prom/"
        );
        for bad in [
            "kube://tempo:3200",
            "kube://ns/tempo",
            "kube://ns/Tempo:3200",
            "kube://ns/te mpo:1",
            "kube://../x:1",
        ] {
            assert!(ServiceRef::parse(bad).is_err(), "{bad}");
        }
        Ok(())
    }
}
