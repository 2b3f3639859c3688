//! What went wrong talking to a backend, as data: the status, the server's
//! own words, the size limit, the wait, the attempts, where a redirect
//! pointed, why an answer did not decode. The words a reader sees are the
//! UI's to choose (the root package's `ui::notice`).
//!
//! `Display` is kept for the log file and for the app's `describe`, which
//! still prints errors with it; it says what it said before the error was
//! typed, so nothing on screen changes until the app calls `ui::notice`.

use crate::domain::silence::SilenceRefusal;
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
    Alertmanager,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Loki => "Loki",
            Source::Tempo => "Tempo",
            Source::Prometheus => "Prometheus",
            Source::Kubernetes => "Kubernetes",
            Source::Alertmanager => "Alertmanager",
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
    /// triage refused to send it: a write in read-only mode, or a silence
    /// that would silence every alert (nothing was asked).
    Refused,
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
    /// A trace by id larger than the config's `trace_max_bytes`.
    TraceTooLarge(TooLarge),
    /// Tempo refused a trace over one of its own limits, in its words.
    TempoLimit {
        limit: TempoLimit,
        words: SafeText,
    },
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
    /// Tempo refused a TraceQL expression, in its words (where it stopped
    /// reading), for the app to show under the expression.
    BadTraceQl(SafeText),
    /// A metric query's answer where log lines were asked for.
    MetricQuery {
        result_type: SafeText,
    },
    /// A result type that cannot be graphed.
    Ungraphable {
        result_type: SafeText,
    },
    /// A websocket was asked for and the server answered `status` without
    /// switching to one (a proxy on the way that does not pass upgrades?).
    NotWebSocket {
        status: u16,
    },
    /// The server closed a websocket with `code` (1006: with no close frame,
    /// the connection just ended) and, maybe, its reason.
    SocketClosed {
        code: u16,
        reason: Option<SafeText>,
    },
    /// Loki answered 404 for log patterns: it runs no pattern ingester
    /// (`pattern_ingester.enabled` is false), or is older than 3.0.
    NoPatterns,
    /// Words made outside the backends (the app's own).
    Said(SafeText),
    /// A write asked of a context that is read-only (`--read-only`,
    /// `read_only = true`); nothing was sent.
    ReadOnly,
    /// A silence triage would not send, and why; nothing was sent.
    SilenceRefused(Box<SilenceRefusal>),
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
    /// A search's, or a list of tags or values.
    TempoSearch,
    PrometheusAnswer,
    PrometheusSeries,
    PrometheusScalar,
    ClusterAnswer,
    AlertmanagerAnswer,
}

/// Why an answer did not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// The JSON parser's words (they quote what they found).
    Json(SafeText),
    /// The protobuf decoder's words (they name the field).
    Protobuf(SafeText),
    /// A protobuf field runs past the end of the answer.
    CutShort,
    /// The envelope says it failed: its error, else its status.
    Failed(SafeText),
    NoData,
    BadTimestamp(SafeText),
    BadNumber(SafeText),
    BadSpanId(SafeText),
    BadParentSpanId(SafeText),
    /// The work of reading it was stopped (the program is ending).
    Interrupted,
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

/// A limit of Tempo's own that a trace by id runs into; each is a
/// setting of the server, not of triage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TempoLimit {
    /// "trace exceeds max size": the per-tenant `max_bytes_per_trace`.
    MaxBytesPerTrace,
    /// "response larger than the max": the gRPC message size between
    /// Tempo's querier and query frontend.
    MessageSize,
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

// The words for people are chosen in the root package's `ui::notice`;
// this is the short technical line the log file gets.
impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}", self.source, self.kind)?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {status})")?;
        }
        write!(f, ": {:?}", self.message)
    }
}
