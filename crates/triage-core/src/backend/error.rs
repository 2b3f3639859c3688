//! What went wrong talking to a backend, as data: the status, the server's
//! own words, the size limit, the wait, the attempts, where a redirect
//! pointed, why an answer did not decode. The words a reader sees are the
//! UI's to choose (the root package's `ui::notice`).
//!
//! `Display` is kept for the log file and for the app's `describe`, which
//! still prints errors with it; it says what it said before the error was
//! typed, so nothing on screen changes until the app calls `ui::notice`.

use crate::domain::time::format_age;
use crate::domain::{SafeText, TraceId};
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Loki,
    Tempo,
    Prometheus,
    Kubernetes,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Loki => "Loki",
            Source::Tempo => "Tempo",
            Source::Prometheus => "Prometheus",
            Source::Kubernetes => "Kubernetes",
        })
    }
}

/// The kind of failure: what retrying and the views decide on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// No URL configured for this source.
    NotConfigured,
    /// The configuration cannot make a client (bad URL, unreadable CA file).
    Config,
    /// Connecting failed: refused, DNS, TLS.
    Unreachable,
    /// No answer within the deadline.
    Timeout,
    /// The server answered with an error status.
    Http,
    /// The answer could not be read as the API promises.
    Decode,
    /// The answer was larger than we keep.
    TooLarge,
    /// The thing asked for does not exist.
    NotFound,
    /// The request is valid but not something this view can show.
    Unsupported,
}

/// What went wrong talking to a backend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendError {
    pub source: Source,
    pub kind: ErrorKind,
    /// The status the server answered with, when it answered.
    pub status: Option<u16>,
    /// What happened, typed (the name is the one the app reads).
    pub message: Message,
}

/// What happened, where, and how often it was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub problem: Problem,
    /// The service proxy it was asked through (`kube://…`).
    pub via: Option<String>,
    /// How many times it was asked.
    pub attempts: u32,
}

/// Each way a request can fail, with what the words need. Text from
/// outside is cut of secrets and made safe before it is put here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// No URL for this source.
    NotConfigured,
    /// The settings cannot make a client.
    Misconfigured(Misconfigured),
    /// The kubeconfig cannot be used.
    Kubeconfig(KubeconfigProblem),
    /// No kubeconfig and not in a pod; why the kubeconfig failed, if known.
    NoKubeconfig(Option<KubeconfigProblem>),
    /// The cluster's credentials could not be had.
    Credentials(CredentialProblem),
    /// The connection failed, or its answer did.
    Transport {
        failure: Transport,
        /// The base URL (without credentials), or "the service".
        to: String,
        cause: SafeText,
    },
    /// The API server could not be reached.
    ClusterUnreachable {
        cause: SafeText,
    },
    /// Nothing within `after`; a watch that goes on asking says so.
    NoAnswerWithin {
        after: Duration,
        still_asking: bool,
    },
    /// An error status, in the server's words; the wait it asked for,
    /// when it says "not now" and asked for one.
    Answered {
        words: ServerWords,
        wait: Option<Duration>,
    },
    /// The Kubernetes API refused with `status` (a `Status`), in its words.
    ClusterRefused {
        status: u16,
        words: ServerWords,
    },
    /// The API server's service proxy for a service in `namespace`
    /// refused with `status`, in its words.
    ProxyRefused {
        status: u16,
        namespace: String,
        words: SafeText,
    },
    /// A redirect, not followed, and where it pointed (credentials cut).
    Redirected {
        location: Option<String>,
    },
    /// An answer that does not read as the API promises.
    Unreadable {
        what: Part,
        why: Unreadable,
    },
    TooLarge(TooLarge),
    /// Reading an answer through the service proxy broke off.
    BrokenAnswer {
        cause: SafeText,
    },
    /// A container log's stream broke off.
    LogStreamBroke {
        cause: SafeText,
    },
    /// A list without a resourceVersion: it cannot be watched.
    NotWatchable,
    TraceNotFound(TraceId),
    /// Neither of Tempo's trace routes is there.
    NoTempoApi,
    /// A metric query's answer where log lines were asked for.
    MetricQuery {
        result_type: SafeText,
    },
    /// A result type that cannot be graphed.
    Ungraphable {
        result_type: SafeText,
    },
    /// Words made outside the backends (the app's own).
    Said(SafeText),
}

/// What failed of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Connect,
    NoAnswer,
    Broken,
}

/// What a server said in an error's body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerWords {
    /// An empty body, with this status.
    Nothing { status: u16 },
    /// Its words: a JSON error field, or the text; shortened.
    Said(SafeText),
    /// An HTML page, most likely a proxy's, and its title (shortened).
    HtmlPage { title: Option<SafeText> },
    /// Prometheus's `errorType` and `error`.
    Prometheus {
        error_type: Option<SafeText>,
        error: Option<SafeText>,
    },
}

/// Which answer did not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    LokiAnswer,
    TempoTrace,
    PrometheusAnswer,
    PrometheusSeries,
    PrometheusScalar,
    ClusterAnswer,
}

/// Why an answer did not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// The JSON parser's words (they quote what they found).
    Json(SafeText),
    /// The envelope says it failed: its error, else its status.
    Failed(SafeText),
    NoData,
    BadTimestamp(SafeText),
    BadNumber(SafeText),
    BadSpanId(SafeText),
    BadParentSpanId(SafeText),
}

/// An answer larger than triage reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TooLarge {
    /// It said up front it is `size` bytes; not read.
    Declared { size: u64, limit: u64 },
    /// It went past `limit` while read; none of it is kept.
    Read { limit: u64 },
    /// kube's cap stopped reading it at `limit`.
    Stopped { limit: u64 },
}

/// Settings that cannot make a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Misconfigured {
    /// The URL does not parse (not quoted: it may hold a password).
    BadUrl(SafeText),
    /// Not http or https; the URL with credentials cut.
    NotHttp {
        url: String,
    },
    /// A `kube://` URL that is not one; the URL (credentials cut) when
    /// its names are the problem.
    BadServiceUrl {
        url: Option<String>,
    },
    AuthThroughProxy,
    TlsThroughProxy,
    NoCluster,
    BadHeaderName(String),
    BadHeaderValue(String),
    CannotRead {
        path: PathBuf,
        cause: SafeText,
    },
    BadCaFile {
        path: PathBuf,
        cause: SafeText,
    },
    BadClientIdentity(SafeText),
    HalfClientIdentity,
    NoHttpClient(SafeText),
    BadPath {
        path: String,
        cause: SafeText,
    },
    BadRequest(SafeText),
    BadClusterUrl,
}

/// What is wrong with a kubeconfig, without quoting it (it holds tokens).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KubeconfigProblem {
    NoCurrentContext,
    NoContext(String),
    NoClusterFor(String),
    NotFound,
    CannotRead {
        path: PathBuf,
        io: std::io::ErrorKind,
    },
    NotYaml,
    NoServerUrl,
    BadCertificateAuthority,
    BadClientCertificate,
    Unusable,
}

/// Why the cluster's credentials could not be had; a plugin's output, its
/// command line and environment may hold tokens, so none is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialProblem {
    PluginStart(std::io::ErrorKind),
    PluginFailed(std::process::ExitStatus),
    NotExecCredential,
    TokenFile {
        path: PathBuf,
        io: std::io::ErrorKind,
    },
    BadExpiry,
    Unusable,
}

impl BackendError {
    /// An error in words made outside the backends (the app's own).
    pub fn new(source: Source, kind: ErrorKind, message: impl AsRef<str>) -> Self {
        BackendError::of(source, kind, Problem::Said(SafeText::new(message.as_ref())))
    }

    pub fn of(source: Source, kind: ErrorKind, problem: Problem) -> Self {
        BackendError {
            source,
            kind,
            status: None,
            message: Message {
                problem,
                via: None,
                attempts: 1,
            },
        }
    }

    /// No URL is configured for `source`.
    pub fn not_configured(source: Source) -> Self {
        BackendError::of(source, ErrorKind::NotConfigured, Problem::NotConfigured)
    }

    /// `source` did not answer within `after`.
    pub fn timeout(source: Source, after: Duration) -> Self {
        let problem = Problem::NoAnswerWithin {
            after,
            still_asking: false,
        };
        BackendError::of(source, ErrorKind::Timeout, problem)
    }

    pub fn problem(&self) -> &Problem {
        &self.message.problem
    }

    pub fn with_status(self, status: u16) -> Self {
        BackendError {
            status: Some(status),
            ..self
        }
    }

    /// The same error, asked through the service proxy `via`.
    pub fn via(mut self, via: impl Into<String>) -> Self {
        self.message.via = Some(via.into());
        self
    }

    /// The same error, after `attempts` requests.
    pub fn after_attempts(mut self, attempts: u32) -> Self {
        self.message.attempts = attempts;
        self
    }

    /// The same error, told as the backend's (a cluster error on the way
    /// to Tempo is Tempo's problem to the reader).
    pub fn with_source(self, source: Source) -> Self {
        BackendError { source, ..self }
    }
}

impl std::error::Error for BackendError {}

// What follows is the text as it was before the error was typed: see the
// module's comment. The UI's words are in the root package's ui::notice.

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(status) => write!(f, "{}: HTTP {status}: {}", self.source, self.message),
            None => write!(f, "{}: {}", self.source, self.message),
        }
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(via) = &self.via {
            write!(f, "{via}: ")?;
        }
        write!(f, "{}", self.problem)?;
        if matches!(
            self.problem,
            Problem::TooLarge(TooLarge::Declared { .. } | TooLarge::Read { .. })
        ) && self.via.is_none()
        {
            f.write_str(". Narrow the query or the time range")?;
        }
        if self.attempts > 1 {
            write!(f, " (asked {} times)", self.attempts)?;
        }
        if let Problem::Answered {
            wait: Some(wait), ..
        } = &self.problem
        {
            let nanos = i64::try_from(wait.as_nanos()).unwrap_or(i64::MAX);
            let wait = format_age(nanos);
            write!(f, "; the server asks to wait {wait} before asking again")?;
        }
        Ok(())
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NotConfigured => f.write_str("no URL configured"),
            Problem::Misconfigured(m) => write!(f, "{m}"),
            Problem::Kubeconfig(k) => write!(f, "{k}"),
            Problem::NoKubeconfig(why) => {
                f.write_str("no usable kubeconfig ($KUBECONFIG, ~/.kube/config) and not in a pod")?;
                why.as_ref().map_or(Ok(()), |why| write!(f, ": {why}"))
            }
            Problem::Credentials(c) => write!(f, "cannot get credentials: {c}"),
            Problem::Transport { failure, to, cause } => {
                let what = match failure {
                    Transport::Connect => "cannot connect to",
                    Transport::NoAnswer => "no answer from",
                    Transport::Broken => "broken answer from",
                };
                write!(f, "{what} {to}: {cause}")
            }
            Problem::ClusterUnreachable { cause } => write!(f, "cannot reach the cluster: {cause}"),
            Problem::NoAnswerWithin {
                after,
                still_asking,
            } => {
                write!(f, "no answer within {}s", after.as_secs_f32())?;
                f.write_str(if *still_asking { "; still asking" } else { "" })
            }
            Problem::Answered { words, .. } => write!(f, "{words}"),
            Problem::ClusterRefused { status, words } => {
                let hint = match status {
                    401 => " (the cluster refused the credentials: an expired token? log in again)",
                    403 => " (RBAC: ask for this verb on this resource)",
                    _ => "",
                };
                write!(f, "{words}{hint}")
            }
            Problem::ProxyRefused {
                status,
                namespace,
                words,
            } => {
                match status {
                    401 => f.write_str(
                        "the cluster refused the credentials (an expired token? log in again)",
                    )?,
                    403 => write!(
                        f,
                        "forbidden: the API server needs the RBAC verb `get` on `services/proxy` in namespace {namespace}"
                    )?,
                    404 => f.write_str("no such service")?,
                    503 => f.write_str("the service has no ready endpoints")?,
                    _ => f.write_str("the API server refused")?,
                }
                write!(f, ": {words}")
            }
            Problem::Redirected { location } => {
                f.write_str("redirected")?;
                if let Some(location) = location {
                    write!(f, " to {location}")?;
                }
                f.write_str("; not followed (a login page or a wrong URL?)")
            }
            Problem::Unreadable { what, why } => write!(f, "unreadable {what}: {why}"),
            Problem::TooLarge(t) => write!(f, "{t}"),
            Problem::BrokenAnswer { cause } => write!(f, "broken answer: {cause}"),
            Problem::LogStreamBroke { cause } => write!(f, "log stream broke: {cause}"),
            Problem::NotWatchable => {
                f.write_str("the list has no resourceVersion: the server cannot be watched")
            }
            Problem::TraceNotFound(id) => write!(f, "trace {id} not found"),
            Problem::NoTempoApi => f.write_str(
                "no Tempo API here: /api/v2/traces and /api/traces both answered 404 (is the URL Tempo's?)",
            ),
            Problem::MetricQuery { result_type } => write!(
                f,
                "this is a metric query (it returns a {result_type}); the logs view needs a log query such as {{app=\"api\"}} |= \"error\""
            ),
            Problem::Ungraphable { result_type } => {
                write!(f, "a {result_type} result cannot be graphed")
            }
            Problem::Said(words) => write!(f, "{words}"),
        }
    }
}

impl fmt::Display for ServerWords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerWords::Nothing { status } => write!(f, "empty answer with status {status}"),
            ServerWords::Said(words) => write!(f, "{words}"),
            ServerWords::HtmlPage { title } => {
                f.write_str("an HTML page, probably from a proxy in front of the server")?;
                title.as_ref().map_or(Ok(()), |t| write!(f, ": {t}"))
            }
            ServerWords::Prometheus { error_type, error } => match (error_type, error) {
                (Some(kind), Some(error)) => write!(f, "{kind}: {error}"),
                (None, Some(error)) => write!(f, "{error}"),
                (Some(kind), None) => write!(f, "{kind}"),
                (None, None) => f.write_str("error without a message"),
            },
        }
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::LokiAnswer => "Loki answer",
            Part::TempoTrace => "Tempo trace",
            Part::PrometheusAnswer => "Prometheus answer",
            Part::PrometheusSeries => "Prometheus series",
            Part::PrometheusScalar => "Prometheus scalar",
            Part::ClusterAnswer => "answer",
        })
    }
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unreadable::Json(words) | Unreadable::Failed(words) => write!(f, "{words}"),
            Unreadable::NoData => f.write_str("no data"),
            Unreadable::BadTimestamp(t) => write!(f, "bad timestamp {t:?}"),
            Unreadable::BadNumber(n) => write!(f, "bad number {n:?}"),
            Unreadable::BadSpanId(id) => write!(f, "bad span id {id:?}"),
            Unreadable::BadParentSpanId(id) => write!(f, "bad parent span id {id:?}"),
        }
    }
}

/// A size as the messages give it: MiB rounded up, or GiB with a decimal.
pub fn bytes(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    match n {
        n if n >= 1024 * MIB => format!("{:.1} GiB", n as f64 / (1024 * MIB) as f64),
        n => format!("{} MiB", n.div_ceil(MIB)),
    }
}

impl fmt::Display for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TooLarge::Declared { size, limit } => write!(
                f,
                "the answer is {}, more than the {} triage reads; not read",
                bytes(*size),
                bytes(*limit)
            ),
            TooLarge::Read { limit } => write!(
                f,
                "the answer is larger than {}; stopped reading there and kept none of it",
                bytes(*limit)
            ),
            TooLarge::Stopped { limit } => write!(
                f,
                "the answer is larger than {} MiB; stopped reading there",
                limit / 1024 / 1024
            ),
        }
    }
}

impl fmt::Display for Misconfigured {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SERVICE_URL: &str = "expected kube://<namespace>/<service>:<port>[/path]";
        match self {
            Misconfigured::BadUrl(e) => write!(f, "bad URL: {e} (expected http://host:port)"),
            Misconfigured::NotHttp { url } => {
                write!(f, "bad URL {url}: only http and https are supported")
            }
            Misconfigured::BadServiceUrl { url: None } => f.write_str(SERVICE_URL),
            Misconfigured::BadServiceUrl { url: Some(url) } => write!(
                f,
                "{url}: namespace, service and port must be Kubernetes names; {SERVICE_URL}"
            ),
            Misconfigured::AuthThroughProxy => f.write_str(
                "basic or bearer auth cannot pass through the service proxy; the cluster's credentials are used",
            ),
            Misconfigured::TlsThroughProxy => f.write_str(
                "TLS settings do not apply through the service proxy; the kubeconfig's are used",
            ),
            Misconfigured::NoCluster => f.write_str("no cluster to reach it through"),
            Misconfigured::BadHeaderName(name) => write!(f, "bad header name {name:?}"),
            Misconfigured::BadHeaderValue(name) => write!(f, "bad value for header {name}"),
            Misconfigured::CannotRead { path, cause } => {
                write!(f, "cannot read {}: {cause}", path.display())
            }
            Misconfigured::BadCaFile { path, cause } => {
                write!(f, "bad CA file {}: {cause}", path.display())
            }
            Misconfigured::BadClientIdentity(cause) => {
                write!(f, "bad client certificate or key: {cause}")
            }
            Misconfigured::HalfClientIdentity => {
                f.write_str("a client certificate needs both client_cert and client_key")
            }
            Misconfigured::NoHttpClient(cause) => write!(f, "cannot make an HTTP client: {cause}"),
            Misconfigured::BadPath { path, cause } => write!(f, "bad path {path}: {cause}"),
            Misconfigured::BadRequest(cause) => write!(f, "bad request: {cause}"),
            Misconfigured::BadClusterUrl => {
                f.write_str("bad cluster URL (expected http(s)://host:port)")
            }
        }
    }
}

impl fmt::Display for KubeconfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KubeconfigProblem::NoCurrentContext => {
                f.write_str("the kubeconfig has no current context: give --kube-context")
            }
            KubeconfigProblem::NoContext(name) => {
                write!(f, "the kubeconfig has no context {name:?}")
            }
            KubeconfigProblem::NoClusterFor(name) => {
                write!(f, "the kubeconfig names no cluster for context {name:?}")
            }
            KubeconfigProblem::NotFound => {
                f.write_str("no kubeconfig found ($KUBECONFIG, ~/.kube/config)")
            }
            KubeconfigProblem::CannotRead { path, io } => {
                write!(f, "cannot read the kubeconfig {} ({io})", path.display())
            }
            KubeconfigProblem::NotYaml => f.write_str(
                "the kubeconfig is not valid YAML (not quoted: it may hold credentials)",
            ),
            KubeconfigProblem::NoServerUrl => {
                f.write_str("the kubeconfig's cluster has no usable server URL")
            }
            KubeconfigProblem::BadCertificateAuthority => {
                f.write_str("the kubeconfig's certificate authority cannot be read")
            }
            KubeconfigProblem::BadClientCertificate => {
                f.write_str("the kubeconfig's client certificate or key cannot be read")
            }
            KubeconfigProblem::Unusable => {
                f.write_str("the kubeconfig cannot be used (check it with `kubectl config view`)")
            }
        }
    }
}

impl fmt::Display for CredentialProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialProblem::PluginStart(io) => {
                write!(f, "the credential plugin could not start ({io})")
            }
            CredentialProblem::PluginFailed(status) => write!(
                f,
                "the credential plugin failed ({status}); run it by hand to see why"
            ),
            CredentialProblem::NotExecCredential => {
                f.write_str("the credential plugin's answer is not an ExecCredential")
            }
            CredentialProblem::TokenFile { path, io } => {
                write!(f, "cannot read the token file {} ({io})", path.display())
            }
            CredentialProblem::BadExpiry => {
                f.write_str("the credential plugin's expirationTimestamp is not a time")
            }
            CredentialProblem::Unusable => {
                f.write_str("the kubeconfig's user gives no usable credentials")
            }
        }
    }
}
