//! Configuration: the file, then environment variables, then flags.
//!
//! `$XDG_CONFIG_HOME/triage/config.toml` (or `~/.config/triage/config.toml`)
//! holds named contexts, one per cluster or stack, each with its backends
//! and their credentials. The README has a commented example.

pub mod grafana;
mod theme;

pub use theme::{BUILT_IN as BUILT_IN_THEMES, Colour, Named, NotAColour, Theme, ThemeError};

use crate::backend::cluster::{ClusterSettings, Namespaces, kubeconfig_secrets};
use crate::backend::tempo::DEFAULT_TRACE_MAX_BYTES;
use crate::backend::{Auth, Endpoint, Tls};
use crate::correlate::derived::RuleError;
use crate::correlate::{
    DerivedField, DerivedFields, SpanMetricNames, TracesToLogs, TracesToMetrics,
};
use crate::domain::labels::is_label_name;
use crate::domain::time::parse_duration;
use crate::secret::{Redactor, Secret, redact_url};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

const DEFAULT_EXEMPLAR_TRACE_LABEL: &str = "trace_id";

/// Everything the app needs, resolved: secrets read, URLs chosen.
/// The most lines a streamed log keeps unless the config says otherwise.
pub const DEFAULT_LOG_BUFFER: usize = 100_000;

#[derive(Clone, Debug)]
pub struct Config {
    pub context: String,
    pub loki: Option<Endpoint>,
    pub tempo: Option<Endpoint>,
    pub prometheus: Option<Endpoint>,
    /// Alertmanager (or Mimir's, under its path): alerts' silences.
    pub alertmanager: Option<Endpoint>,
    /// Every write (a silence created, expired) is hidden and refused
    /// (`--read-only`, `read_only = true` in the context).
    pub read_only: bool,
    /// Who a silence is created by: the config's `author`, else `$USER`.
    pub author: Option<String>,
    /// The exemplar label that holds a trace id.
    pub exemplar_trace_label: String,
    pub derived_fields: DerivedFields,
    /// How a span's logs are found in Loki.
    pub traces_to_logs: TracesToLogs,
    /// Which graphs a span leads to in Prometheus.
    pub traces_to_metrics: TracesToMetrics,
    /// The span metrics and service graph the services view reads.
    pub span_metrics: SpanMetricNames,
    /// How long one request may take before the UI gives up on it.
    pub timeout: Duration,
    /// Show times in UTC rather than the local zone.
    pub utc: bool,
    /// Shown in the title row for as long as the program runs.
    pub warnings: Vec<String>,
    pub theme: Theme,
    /// The folder the expression histories are kept in (one file per
    /// language); none keeps them for the session only.
    pub history_dir: Option<PathBuf>,
    pub kubernetes: Kubernetes,
    /// The most lines a streamed log keeps.
    pub log_buffer: usize,
    /// `y` and `Y` copy to the terminal's clipboard (OSC 52); false: off.
    pub clipboard: bool,
    /// The most bytes of one trace by id read (`[contexts.NAME.tempo]
    /// trace_max_bytes`); every other answer is capped at 64 MiB.
    pub trace_max_bytes: u64,
    /// Every credential above, to be cut out of what comes back; each
    /// endpoint and the cluster settings hold a clone.
    pub redactor: Redactor,
}

/// The cluster, and how its pods are named elsewhere.
#[derive(Clone, Debug)]
pub struct Kubernetes {
    pub cluster: ClusterSettings,
    pub namespaces: Namespaces,
    pub loki_labels: PodLabels,
}

impl Default for Kubernetes {
    fn default() -> Self {
        Kubernetes {
            cluster: ClusterSettings::default(),
            namespaces: Namespaces::Default,
            loki_labels: PodLabels::default(),
        }
    }
}

/// The Loki labels that hold a pod's namespace, name and container.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PodLabels {
    pub namespace: String,
    pub pod: String,
    pub container: String,
}

impl Default for PodLabels {
    fn default() -> Self {
        PodLabels {
            namespace: "namespace".into(),
            pod: "pod".into(),
            container: "container".into(),
        }
    }
}

/// What the command line says; each field overrides the file.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub context: Option<String>,
    pub loki: Option<String>,
    pub tempo: Option<String>,
    pub prometheus: Option<String>,
    pub alertmanager: Option<String>,
    /// Hides and refuses every write, whatever the context says.
    pub read_only: bool,
    pub utc: bool,
    pub kubeconfig: Option<PathBuf>,
    pub kube_context: Option<String>,
    pub namespace: Option<String>,
    pub all_namespaces: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// TOML's own words (they name the key and the line).
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: {source}")]
    Theme { path: PathBuf, source: ThemeError },
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error("no context named {0:?} in the config file")]
    UnknownContext(String),
    #[error("{0}")]
    Invalid(String),
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    /// The context used when no `--context` is given.
    context: Option<String>,
    timeout: Option<String>,
    /// Lines a followed log keeps before the oldest are dropped.
    log_buffer: Option<usize>,
    /// Copying to the terminal's clipboard; on unless false.
    clipboard: Option<bool>,
    #[serde(default)]
    utc: bool,
    /// Who silences are created by; else `$USER`.
    author: Option<String>,
    /// A built-in theme's name (default, light, ansi16) or a theme file;
    /// see themes/default.toml.
    theme: Option<PathBuf>,
    #[serde(default)]
    derived_fields: Vec<DerivedFieldFile>,
    #[serde(default)]
    contexts: BTreeMap<String, ContextFile>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ContextFile {
    loki: Option<BackendFile>,
    tempo: Option<BackendFile>,
    prometheus: Option<BackendFile>,
    alertmanager: Option<BackendFile>,
    /// No writes (silences) from this context.
    #[serde(default)]
    read_only: bool,
    /// The exemplar label that holds a trace id (`trace_id`, `traceID`...).
    exemplar_trace_label: Option<String>,
    #[serde(default)]
    kubernetes: KubernetesFile,
    #[serde(default)]
    traces_to_logs: TracesToLogsFile,
    #[serde(default)]
    traces_to_metrics: TracesToMetricsFile,
    #[serde(default)]
    span_metrics: SpanMetricsFile,
    /// This context's rules, tried before the file-wide ones.
    #[serde(default)]
    derived_fields: Vec<DerivedFieldFile>,
}

/// Who writes the span metrics (`tempo`, the default, or `otel`), and any
/// name that differs from theirs.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SpanMetricsFile {
    writer: Option<String>,
    calls: Option<String>,
    latency: Option<String>,
    service_label: Option<String>,
    /// `s` or `ms`: the unit of the latency histogram's buckets.
    latency_unit: Option<String>,
    service_graph: Option<String>,
}

/// Unset keys keep `TracesToMetrics::default()`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TracesToMetricsFile {
    /// Span or resource attribute -> Prometheus label; replaces the default.
    tags: Option<BTreeMap<String, String>>,
    /// Replaces the default queries; the first is opened first.
    queries: Option<Vec<NamedQueryFile>>,
    start_shift: Option<String>,
    end_shift: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NamedQueryFile {
    name: String,
    query: String,
}

/// Unset keys keep `TracesToLogs::default()`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TracesToLogsFile {
    /// Span or resource attribute -> Loki label; replaces the default map.
    tags: Option<BTreeMap<String, String>>,
    start_shift: Option<String>,
    end_shift: Option<String>,
    filter_by_trace_id: Option<bool>,
    filter_by_span_id: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct KubernetesFile {
    kubeconfig: Option<PathBuf>,
    /// The kubeconfig context; else its current one.
    context: Option<String>,
    /// The namespace pods are listed in; else the context's.
    namespace: Option<String>,
    #[serde(default)]
    loki_labels: PodLabels,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BackendFile {
    url: String,
    tenant: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    basic: Option<BasicFile>,
    bearer: Option<BearerFile>,
    #[serde(default)]
    tls: TlsFile,
    /// Tempo only: the most bytes of one trace by id.
    trace_max_bytes: Option<ByteSize>,
}

/// A size: bytes, or a number with a unit (`"512MiB"`, `"1GB"`).
#[derive(Deserialize)]
#[serde(untagged)]
enum ByteSize {
    Bytes(u64),
    Text(String),
}

impl ByteSize {
    fn bytes(&self) -> Option<u64> {
        let text = match self {
            ByteSize::Bytes(n) => return Some(*n),
            ByteSize::Text(text) => text.trim(),
        };
        let digits = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(digits);
        let unit: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "kb" => 1000,
            "kib" => 1 << 10,
            "mb" => 1000 * 1000,
            "mib" => 1 << 20,
            "gb" => 1000 * 1000 * 1000,
            "gib" => 1 << 30,
            _ => return None,
        };
        number.parse::<u64>().ok()?.checked_mul(unit)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BasicFile {
    user: String,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BearerFile {
    token_env: Option<String>,
    token_file: Option<PathBuf>,
    token_command: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TlsFile {
    ca_file: Option<PathBuf>,
    client_cert: Option<PathBuf>,
    client_key: Option<PathBuf>,
    #[serde(default)]
    insecure_skip_verify: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DerivedFieldFile {
    name: String,
    /// A regex whose one capture group is the trace id.
    regex: Option<String>,
    /// Or a JSON / logfmt field name holding it.
    field: Option<String>,
    /// Or a label of the line (Loki's structured metadata) holding it.
    label: Option<String>,
}

/// Whether a config file's text has the form triage reads (its secrets
/// are not read, so what they name need not exist yet).
pub fn check_file(text: &str) -> Result<(), ConfigError> {
    toml::from_str::<File>(text)
        .map(drop)
        .map_err(|e| ConfigError::Invalid(format!("the config would not load: {}", e.message())))
}

/// `$XDG_CONFIG_HOME/triage/config.toml`, else `~/.config/triage/config.toml`.
pub fn default_path() -> Option<PathBuf> {
    Some(xdg_dir("XDG_CONFIG_HOME", ".config")?.join("config.toml"))
}

/// Where triage keeps what it writes for itself (the log, the PromQL
/// history): `$XDG_STATE_HOME/triage`, else `~/.local/state/triage`.
pub fn state_dir() -> Option<PathBuf> {
    xdg_dir("XDG_STATE_HOME", ".local/state")
}

/// triage's folder under an XDG base directory, or under its default in home.
fn xdg_dir(variable: &str, under_home: &str) -> Option<PathBuf> {
    let base = std::env::var_os(variable)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(under_home)))?;
    Some(base.join("triage"))
}

impl Config {
    /// Reads the file (if there is one) and applies the overrides.
    pub fn load(overrides: &Overrides) -> Result<Config, ConfigError> {
        let (file, path) = match overrides.config_file.clone().or_else(default_path) {
            Some(path) if path.exists() || overrides.config_file.is_some() => {
                let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                let file = toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: path.clone(),
                    message: e.message().to_owned(),
                })?;
                (file, Some(path))
            }
            _ => (File::default(), None),
        };
        let mut warnings = Vec::new();
        if let Some(path) = &path {
            warnings.extend(permission_warning(path));
        }
        resolve(file, overrides, warnings)
    }

    /// Configuration with only the given URLs, as the demo and tests use.
    pub fn with_urls(loki: Option<&str>, tempo: Option<&str>, prometheus: Option<&str>) -> Config {
        let config = Config {
            context: "default".into(),
            loki: loki.map(Endpoint::new),
            tempo: tempo.map(Endpoint::new),
            prometheus: prometheus.map(Endpoint::new),
            alertmanager: None,
            read_only: false,
            author: user(),
            exemplar_trace_label: DEFAULT_EXEMPLAR_TRACE_LABEL.into(),
            derived_fields: DerivedFields::default(),
            traces_to_logs: TracesToLogs::default(),
            traces_to_metrics: TracesToMetrics::default(),
            span_metrics: SpanMetricNames::default(),
            timeout: Duration::from_secs(20),
            utc: false,
            warnings: Vec::new(),
            theme: Theme::default(),
            history_dir: None,
            kubernetes: Kubernetes::default(),
            log_buffer: DEFAULT_LOG_BUFFER,
            clipboard: true,
            trace_max_bytes: DEFAULT_TRACE_MAX_BYTES,
            redactor: Redactor::default(),
        };
        config.with_secrets_shared()
    }

    /// The one set of secrets, from every backend's credentials and the
    /// kubeconfig's, given to each client's settings: what any server
    /// echoes of any of them is cut. Tenants and extra headers are not
    /// secrets, and are shown as they are.
    fn with_secrets_shared(mut self) -> Config {
        let endpoints = [
            &self.loki,
            &self.tempo,
            &self.prometheus,
            &self.alertmanager,
        ];
        let from_endpoints = endpoints.into_iter().flatten().flat_map(Endpoint::secrets);
        let cluster = kubeconfig_secrets(&self.kubernetes.cluster);
        self.redactor = Redactor::new(from_endpoints.chain(cluster));
        let endpoints = [
            &mut self.loki,
            &mut self.tempo,
            &mut self.prometheus,
            &mut self.alertmanager,
        ];
        for endpoint in endpoints.into_iter().flatten() {
            endpoint.redactor = self.redactor.clone();
        }
        self.kubernetes.cluster.redactor = self.redactor.clone();
        self
    }
}

fn resolve(
    file: File,
    overrides: &Overrides,
    mut warnings: Vec<String>,
) -> Result<Config, ConfigError> {
    let mut contexts = file.contexts;
    let chosen = overrides.context.clone().or(file.context.clone());
    let (name, context) = match chosen {
        // A named context must exist: a typo must not quietly mean "none".
        Some(name) => match contexts.remove(&name) {
            Some(context) => (name, context),
            None => return Err(ConfigError::UnknownContext(name)),
        },
        None if contexts.len() > 1 => {
            let names: Vec<&str> = contexts.keys().map(String::as_str).collect();
            return Err(ConfigError::Invalid(format!(
                "the config file has several contexts ({}): choose one with --context or `context = \"...\"`",
                names.join(", ")
            )));
        }
        None => contexts
            .pop_first()
            .unwrap_or_else(|| ("default".into(), ContextFile::default())),
    };
    let mut endpoint = |backend: Option<BackendFile>, url: &Option<String>, what: &str| {
        let mut endpoint = backend.map(|b| endpoint(b, what)).transpose()?;
        if let Some(url) = url {
            match &mut endpoint {
                Some(e) => e.url = url.clone(), // keep the context's credentials
                None => endpoint = Some(Endpoint::new(url.clone())),
            }
        }
        if let Some(e) = &endpoint
            && e.tls.insecure_skip_verify
        {
            warnings.push(format!(
                "TLS verification is OFF for {what} ({})",
                redact_url(&e.url)
            ));
        }
        Ok::<_, ConfigError>(endpoint)
    };
    for (backend, what) in [
        (&context.loki, "Loki"),
        (&context.prometheus, "Prometheus"),
        (&context.alertmanager, "Alertmanager"),
    ] {
        if backend
            .as_ref()
            .is_some_and(|b| b.trace_max_bytes.is_some())
        {
            return Err(ConfigError::Invalid(format!(
                "{what}: trace_max_bytes is a Tempo setting ([contexts.NAME.tempo])"
            )));
        }
    }
    let trace_max_bytes = trace_max_bytes(context.tempo.as_ref())?;
    let loki = endpoint(context.loki, &overrides.loki, "Loki")?;
    let tempo = endpoint(context.tempo, &overrides.tempo, "Tempo")?;
    let prometheus = endpoint(context.prometheus, &overrides.prometheus, "Prometheus")?;
    let alertmanager = endpoint(
        context.alertmanager,
        &overrides.alertmanager,
        "Alertmanager",
    )?;
    let author = match file.author {
        Some(author) if author.trim().is_empty() => {
            return Err(ConfigError::Invalid(
                "author is empty: name who silences are created by, or leave it out for $USER"
                    .into(),
            ));
        }
        Some(author) => Some(author.trim().to_owned()),
        None => user(),
    };
    let theme = match &file.theme {
        Some(spec) => {
            Theme::load(&spec.to_string_lossy()).map_err(|source| ConfigError::Theme {
                path: spec.clone(),
                source,
            })?
        }
        None => Theme::default(),
    };
    let timeout = match &file.timeout {
        Some(text) => parse_duration(text).ok_or_else(|| {
            ConfigError::Invalid(format!("timeout {text:?} is not a duration like 20s or 1m"))
        })?,
        None => Duration::from_secs(20),
    };
    let rules = context
        .derived_fields
        .iter()
        .chain(&file.derived_fields)
        .map(derived_field)
        .collect::<Result<Vec<_>, _>>()?;
    let traces_to_logs = traces_to_logs(context.traces_to_logs, &name)?;
    let traces_to_metrics = traces_to_metrics(context.traces_to_metrics, &name)?;
    let span_metrics = span_metrics(context.span_metrics, &name)?;
    let config = Config {
        context: name,
        loki,
        tempo,
        prometheus,
        alertmanager,
        read_only: overrides.read_only || context.read_only,
        author,
        exemplar_trace_label: context
            .exemplar_trace_label
            .unwrap_or_else(|| DEFAULT_EXEMPLAR_TRACE_LABEL.into()),
        derived_fields: DerivedFields::with_defaults(rules),
        traces_to_logs,
        traces_to_metrics,
        span_metrics,
        timeout,
        utc: overrides.utc || file.utc,
        warnings,
        theme,
        history_dir: None,
        kubernetes: kubernetes(context.kubernetes, overrides),
        log_buffer: match file.log_buffer {
            Some(0) => return Err(ConfigError::Invalid("log_buffer must be at least 1".into())),
            Some(lines) => lines,
            None => DEFAULT_LOG_BUFFER,
        },
        clipboard: file.clipboard.unwrap_or(true),
        trace_max_bytes,
        redactor: Redactor::default(),
    };
    Ok(config.with_secrets_shared())
}

/// `$USER`, when it names someone.
fn user() -> Option<String> {
    std::env::var("USER")
        .ok()
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
}

/// `trace_max_bytes` of the context's Tempo, at least 1 KiB.
fn trace_max_bytes(tempo: Option<&BackendFile>) -> Result<u64, ConfigError> {
    let Some(size) = tempo.and_then(|t| t.trace_max_bytes.as_ref()) else {
        return Ok(DEFAULT_TRACE_MAX_BYTES);
    };
    match size.bytes() {
        Some(bytes) if bytes >= 1024 => Ok(bytes),
        _ => Err(ConfigError::Invalid(
            "Tempo: trace_max_bytes must be a size of at least 1KiB, like 536870912 or \"512MiB\""
                .into(),
        )),
    }
}

fn kubernetes(file: KubernetesFile, overrides: &Overrides) -> Kubernetes {
    let namespaces = match (
        overrides.all_namespaces,
        &overrides.namespace,
        file.namespace,
    ) {
        (true, _, _) => Namespaces::All,
        (false, Some(ns), _) => Namespaces::One(ns.clone()),
        (false, None, Some(ns)) => Namespaces::One(ns),
        (false, None, None) => Namespaces::Default,
    };
    Kubernetes {
        cluster: ClusterSettings {
            kubeconfig: overrides.kubeconfig.clone().or(file.kubeconfig),
            context: overrides.kube_context.clone().or(file.context),
            url: None,
            redactor: Redactor::default(), // shared once all is read
        },
        namespaces,
        loki_labels: file.loki_labels,
    }
}

/// A `start_shift` or `end_shift`, else its default; errors name the key.
fn shift(key: String, text: Option<String>, default: Duration) -> Result<Duration, ConfigError> {
    match text {
        None => Ok(default),
        Some(text) => parse_duration(&text).ok_or_else(|| {
            ConfigError::Invalid(format!("{key} {text:?} is not a duration like 30s or 1m"))
        }),
    }
}

/// The writer's names, with the ones the context gives instead.
fn span_metrics(file: SpanMetricsFile, context: &str) -> Result<SpanMetricNames, ConfigError> {
    let key = |name: &str| format!("contexts.{context}.span_metrics.{name}");
    let mut names = match file.writer.as_deref() {
        None | Some("tempo") => SpanMetricNames::tempo(),
        Some("otel") => SpanMetricNames::otel(),
        Some(other) => {
            return Err(ConfigError::Invalid(format!(
                "{} {other:?}: tempo or otel",
                key("writer")
            )));
        }
    };
    names.latency_millis = match file.latency_unit.as_deref() {
        None => names.latency_millis,
        Some("s") => false,
        Some("ms") => true,
        Some(other) => {
            return Err(ConfigError::Invalid(format!(
                "{} {other:?}: s or ms",
                key("latency_unit")
            )));
        }
    };
    for (value, slot) in [
        (file.calls, &mut names.calls),
        (file.latency, &mut names.latency),
        (file.service_label, &mut names.service_label),
        (file.service_graph, &mut names.graph),
    ] {
        if let Some(value) = value {
            *slot = value;
        }
    }
    Ok(names)
}

/// The context's section over the defaults; errors name the key.
fn traces_to_metrics(
    file: TracesToMetricsFile,
    context: &str,
) -> Result<TracesToMetrics, ConfigError> {
    let key = |name: &str| format!("contexts.{context}.traces_to_metrics.{name}");
    let defaults = TracesToMetrics::default();
    let queries = match file.queries {
        Some(queries) if queries.is_empty() => {
            return Err(ConfigError::Invalid(format!(
                "{}: empty: give at least one {{ name, query }}",
                key("queries")
            )));
        }
        Some(queries) => queries.into_iter().map(|q| (q.name, q.query)).collect(),
        None => defaults.queries,
    };
    Ok(TracesToMetrics {
        tags: match file.tags {
            Some(tags) => label_map(tags, &key("tags"), "Prometheus")?,
            None => defaults.tags,
        },
        queries,
        start_shift: shift(key("start_shift"), file.start_shift, defaults.start_shift)?,
        end_shift: shift(key("end_shift"), file.end_shift, defaults.end_shift)?,
    })
}

/// The context's section over the defaults; errors name the key.
fn traces_to_logs(file: TracesToLogsFile, context: &str) -> Result<TracesToLogs, ConfigError> {
    let key = |name: &str| format!("contexts.{context}.traces_to_logs.{name}");
    let defaults = TracesToLogs::default();
    let shift = |name: &str, text, default| shift(key(name), text, default);
    Ok(TracesToLogs {
        tags: match file.tags {
            Some(tags) => label_map(tags, &key("tags"), "Loki")?,
            None => defaults.tags,
        },
        start_shift: shift("start_shift", file.start_shift, defaults.start_shift)?,
        end_shift: shift("end_shift", file.end_shift, defaults.end_shift)?,
        filter_by_trace_id: file
            .filter_by_trace_id
            .unwrap_or(defaults.filter_by_trace_id),
        filter_by_span_id: file.filter_by_span_id.unwrap_or(defaults.filter_by_span_id),
    })
}

/// Attribute -> label pairs, each label a label name given once (a
/// table has no order to say which of two attributes would win).
fn label_map(
    tags: BTreeMap<String, String>,
    key: &str,
    backend: &str,
) -> Result<Vec<(String, String)>, ConfigError> {
    let invalid = |message: String| Err(ConfigError::Invalid(format!("{key}: {message}")));
    if tags.is_empty() {
        return invalid(format!(
            "empty: map at least one span attribute to a {backend} label"
        ));
    }
    let mut labels: BTreeMap<&str, &str> = BTreeMap::new();
    for (attribute, label) in &tags {
        if !is_label_name(label) {
            return invalid(format!(
                "{label:?} (for {attribute:?}) is not a {backend} label name: letters, digits and _, not starting with a digit"
            ));
        }
        if let Some(first) = labels.insert(label, attribute) {
            return invalid(format!(
                "{first:?} and {attribute:?} both map to {label:?}: give each label one attribute"
            ));
        }
    }
    Ok(tags.into_iter().collect())
}

fn derived_field(rule: &DerivedFieldFile) -> Result<DerivedField, RuleError> {
    match (&rule.regex, &rule.field, &rule.label) {
        (Some(regex), None, None) => DerivedField::from_regex(&rule.name, regex),
        (None, Some(field), None) => DerivedField::from_field(&rule.name, field),
        (None, None, Some(label)) => Ok(DerivedField::from_label(&rule.name, label)),
        _ => Err(RuleError::RegexOrField {
            name: rule.name.clone(),
        }),
    }
}

fn endpoint(backend: BackendFile, what: &str) -> Result<Endpoint, ConfigError> {
    let auth = match (backend.basic, backend.bearer) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::Invalid(format!(
                "{what}: choose basic or bearer auth, not both"
            )));
        }
        (Some(basic), None) => Auth::Basic {
            password: read_secret(
                &format!("{what} password"),
                basic.password_env.as_deref(),
                basic.password_file.as_deref(),
                None,
            )?,
            user: basic.user,
        },
        (None, Some(bearer)) => Auth::Bearer(read_secret(
            &format!("{what} token"),
            bearer.token_env.as_deref(),
            bearer.token_file.as_deref(),
            bearer.token_command.as_deref(),
        )?),
        (None, None) => Auth::None,
    };
    Ok(Endpoint {
        cluster: None,
        retry: Default::default(),
        url: backend.url,
        auth,
        tenant: backend.tenant,
        headers: backend.headers.into_iter().collect(),
        redactor: Redactor::default(), // shared once all is read
        tls: Tls {
            ca_file: backend.tls.ca_file,
            client_cert: backend.tls.client_cert,
            client_key: backend.tls.client_key,
            insecure_skip_verify: backend.tls.insecure_skip_verify,
        },
    })
}

/// Reads a credential from exactly one place. Errors name the place, never
/// the value.
fn read_secret(
    what: &str,
    env: Option<&str>,
    file: Option<&Path>,
    command: Option<&[String]>,
) -> Result<Secret, ConfigError> {
    let invalid = |message: String| ConfigError::Invalid(format!("{what}: {message}"));
    let value = match (env, file, command) {
        (Some(var), None, None) => std::env::var(var)
            .map_err(|_| invalid(format!("environment variable {var} is not set")))?,
        (None, Some(path), None) => std::fs::read_to_string(path)
            .map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?,
        (None, None, Some([program, args @ ..])) => {
            let output = std::process::Command::new(program)
                .args(args)
                .stdin(std::process::Stdio::null())
                .output()
                .map_err(|e| invalid(format!("cannot run {program}: {e}")))?;
            if !output.status.success() {
                return Err(invalid(format!("{program} exited with {}", output.status)));
            }
            String::from_utf8(output.stdout)
                .map_err(|_| invalid(format!("{program} printed something not UTF-8")))?
        }
        _ => {
            return Err(invalid(
                "give exactly one of _env, _file or _command".into(),
            ));
        }
    };
    Ok(Secret::new(value.trim()))
}

#[cfg(unix)]
fn permission_warning(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o077 != 0).then(|| {
        format!(
            "{} can be read by group or others (mode {:o}); chmod 600 it if it names credentials",
            path.display(),
            mode & 0o777
        )
    })
}

#[cfg(not(unix))]
fn permission_warning(_: &Path) -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, overrides: &Overrides) -> Result<Config, ConfigError> {
        let file: File = toml::from_str(text).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        resolve(file, overrides, Vec::new())
    }

    const EXAMPLE: &str = r#"
        context = "prod"
        timeout = "5s"
        log_buffer = 5000
        [[derived_fields]]
        name = "request"
        field = "request_trace"
        [contexts.prod.loki]
        url = "https://loki.prod:3100"
        tenant = "ops"
        headers = { "X-Team" = "sre" }
        basic = { user = "triage", password_env = "TRIAGE_TEST_PASSWORD_UNSET_X" }
        [contexts.staging.tempo]
        url = "https://tempo.staging"
        tls = { insecure_skip_verify = true }
        trace_max_bytes = "1GiB"
        [contexts.staging.kubernetes]
        context = "staging-eu"
        namespace = "shop"
        loki_labels = { pod = "k8s_pod_name" }
    "#;

    #[test]
    fn a_missing_secret_is_named_not_shown() {
        let err = parse(EXAMPLE, &Overrides::default())
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("Loki password: environment variable TRIAGE_TEST_PASSWORD_UNSET_X is not set")
        );
    }

    #[test]
    fn contexts_flags_and_warnings() -> Result<(), ConfigError> {
        let overrides = Overrides {
            context: Some("staging".into()),
            loki: Some("http://127.0.0.1:3100".into()),
            ..Overrides::default()
        };
        let config = parse(EXAMPLE, &overrides)?;
        assert_eq!(config.context, "staging");
        assert_eq!(
            config.loki.map(|e| e.url).as_deref(),
            Some("http://127.0.0.1:3100")
        );
        assert_eq!(config.timeout, Duration::from_secs(5));
        assert_eq!(config.log_buffer, 5000);
        assert_eq!(config.trace_max_bytes, 1 << 30);
        assert_eq!(
            config.warnings,
            ["TLS verification is OFF for Tempo (https://tempo.staging)"]
        );
        let kube = &config.kubernetes;
        assert_eq!(kube.cluster.context.as_deref(), Some("staging-eu"));
        assert_eq!(kube.namespaces, Namespaces::One("shop".into()));
        assert_eq!(
            (
                kube.loki_labels.namespace.as_str(),
                kube.loki_labels.pod.as_str()
            ),
            ("namespace", "k8s_pod_name")
        );
        // Flags win: another kube context, all namespaces.
        let overrides = Overrides {
            context: Some("staging".into()),
            kube_context: Some("kind-local".into()),
            all_namespaces: true,
            ..Overrides::default()
        };
        let kube = parse(EXAMPLE, &overrides)?.kubernetes;
        assert_eq!(kube.cluster.context.as_deref(), Some("kind-local"));
        assert_eq!(kube.namespaces, Namespaces::All);
        Ok(())
    }

    #[test]
    fn unknown_context_and_bad_rules_are_errors() {
        let overrides = Overrides {
            context: Some("nope".into()),
            ..Overrides::default()
        };
        assert!(matches!(
            parse("", &overrides),
            Err(ConfigError::UnknownContext(_))
        ));
        let typo = "context = \"prdo\"\n[contexts.prod.loki]\nurl = \"http://x\"";
        assert!(
            matches!(parse(typo, &Overrides::default()), Err(ConfigError::UnknownContext(n)) if n == "prdo")
        );
        let two = "[contexts.a.loki]\nurl = \"http://a\"\n[contexts.b.loki]\nurl = \"http://b\"";
        assert!(parse(two, &Overrides::default()).is_err());
        let one = "[contexts.only.loki]\nurl = \"http://a\"";
        assert_eq!(
            parse(one, &Overrides::default())
                .map(|c| c.context)
                .ok()
                .as_deref(),
            Some("only")
        );
        let bad = "[[derived_fields]]\nname = \"x\"\nregex = \"no group\"";
        assert!(parse(bad, &Overrides::default()).is_err());
        assert!(parse("lokii = 1", &Overrides::default()).is_err());
        assert!(parse("log_buffer = 0", &Overrides::default()).is_err());
        for bad in ["\"lots\"", "\"12 parsecs\"", "100", "-1"] {
            let text = format!("[contexts.a.tempo]\nurl = \"http://t\"\ntrace_max_bytes = {bad}");
            assert!(parse(&text, &Overrides::default()).is_err(), "{bad}");
        }
        let plain = "[contexts.a.tempo]\nurl = \"http://t\"";
        let config = parse(plain, &Overrides::default()).map_err(|e| e.to_string());
        assert_eq!(config.map(|c| c.trace_max_bytes), Ok(512 << 20));
        let on_loki = "[contexts.a.loki]\nurl = \"http://l\"\ntrace_max_bytes = 1000000";
        assert!(parse(on_loki, &Overrides::default()).is_err());
    }

    #[test]
    fn traces_to_logs_defaults_and_overrides() -> Result<(), ConfigError> {
        let config = parse("", &Overrides::default())?;
        assert_eq!(config.traces_to_logs, TracesToLogs::default());
        let text = r#"
            [contexts.prod.traces_to_logs]
            tags = { "k8s.pod.name" = "pod", "host.name" = "node" }
            start_shift = "30s"
            end_shift = "1h30m"
            filter_by_trace_id = false
            filter_by_span_id = true
        "#;
        let found = parse(text, &Overrides::default())?.traces_to_logs;
        let expected = TracesToLogs {
            tags: vec![
                ("host.name".into(), "node".into()),
                ("k8s.pod.name".into(), "pod".into()),
            ],
            start_shift: Duration::from_secs(30),
            end_shift: Duration::from_secs(5400),
            filter_by_trace_id: false,
            filter_by_span_id: true,
        };
        assert_eq!(found, expected);
        // One key set, the others kept.
        let text = "[contexts.prod.traces_to_logs]\nend_shift = \"5m\"";
        let found = parse(text, &Overrides::default())?.traces_to_logs;
        assert_eq!(
            found,
            TracesToLogs {
                end_shift: Duration::from_secs(300),
                ..TracesToLogs::default()
            }
        );
        Ok(())
    }

    #[test]
    fn traces_to_logs_errors_name_the_key() {
        let error = |section: &str| {
            let text = format!("[contexts.prod.traces_to_logs]\n{section}");
            parse(&text, &Overrides::default())
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert_eq!(
            error("start_shift = \"soon\""),
            "contexts.prod.traces_to_logs.start_shift \"soon\" is not a duration like 30s or 1m"
        );
        assert_eq!(
            error("end_shift = \"-1m\""),
            "contexts.prod.traces_to_logs.end_shift \"-1m\" is not a duration like 30s or 1m"
        );
        assert_eq!(
            error("tags = { \"k8s.pod.name\" = \"k8s.pod\" }"),
            "contexts.prod.traces_to_logs.tags: \"k8s.pod\" (for \"k8s.pod.name\") is not a Loki label name: letters, digits and _, not starting with a digit"
        );
        assert_eq!(
            error("tags = { \"a\" = \"app\", \"b\" = \"app\" }"),
            "contexts.prod.traces_to_logs.tags: \"a\" and \"b\" both map to \"app\": give each label one attribute"
        );
        assert_eq!(
            error("tags = {}"),
            "contexts.prod.traces_to_logs.tags: empty: map at least one span attribute to a Loki label"
        );
        assert!(error("filter_by_traceid = true").contains("filter_by_traceid"));
        assert!(error("filter_by_span_id = \"yes\"").contains("bool"));
        assert!(error("tags = { \"k8s.pod.name\" = \"9pod\" }").contains("not a Loki label name"));
    }

    #[test]
    fn secrets_come_from_files_and_commands() -> Result<(), ConfigError> {
        let dir = std::env::temp_dir().join(format!("triage-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        let file = dir.join("token");
        std::fs::write(&file, "from-file\n").map_err(|e| ConfigError::Invalid(e.to_string()))?;
        let token = read_secret("t", None, Some(&file), None)?;
        assert_eq!(token.expose(), "from-file");
        let token = read_secret(
            "t",
            None,
            None,
            Some(&["echo".into(), "from-command".into()]),
        )?;
        assert_eq!(token.expose(), "from-command");
        assert!(read_secret("t", None, None, Some(&["false".into()])).is_err());
        assert!(read_secret("t", Some("A"), Some(&file), None).is_err());
        Ok(())
    }

    #[test]
    fn only_credentials_are_cut_not_tenants_or_plain_headers() -> Result<(), ConfigError> {
        let text = r#"
            [contexts.prod.loki]
            url = "https://me:url-pass@loki.prod"
            tenant = "shop"
            headers = { "X-Team" = "checkout" }
            bearer = { token_command = ["echo", "the-token"] }
        "#;
        let overrides = Overrides {
            kubeconfig: Some("/nonexistent/kubeconfig".into()),
            ..Overrides::default()
        };
        let config = parse(text, &overrides)?;
        let cut = |t| config.redactor.cut(t).into_owned();
        assert_eq!(
            cut("shop checkout the-token url-pass"),
            "shop checkout *** ***"
        );
        let loki = config.loki.as_ref().map(|e| e.redactor.cut("the-token"));
        assert_eq!(loki.as_deref(), Some("***"), "each endpoint holds the set");
        assert_eq!(config.kubernetes.cluster.redactor.cut("url-pass"), "***");
        Ok(())
    }

    #[test]
    fn alertmanager_read_only_and_author() -> Result<(), ConfigError> {
        let text = r#"
            author = "ann"
            [contexts.prod]
            read_only = true
            [contexts.prod.alertmanager]
            url = "https://mimir.prod/alertmanager"
            tenant = "ops"
            bearer = { token_command = ["echo", "am-token"] }
        "#;
        let config = parse(text, &Overrides::default())?;
        let am = config.alertmanager.as_ref();
        assert_eq!(
            am.map(|e| e.url.as_str()),
            Some("https://mimir.prod/alertmanager")
        );
        assert_eq!(am.and_then(|e| e.tenant.as_deref()), Some("ops"));
        assert_eq!(config.redactor.cut("am-token"), "***", "its token is cut");
        assert_eq!(
            am.map(|e| e.redactor.cut("am-token").into_owned())
                .as_deref(),
            Some("***")
        );
        assert!(config.read_only);
        assert_eq!(config.author.as_deref(), Some("ann"));
        // The flag's URL keeps the context's credentials; --read-only wins.
        let overrides = Overrides {
            alertmanager: Some("kube://monitoring/alertmanager-operated:9093".into()),
            read_only: true,
            ..Overrides::default()
        };
        let plain = parse("[contexts.dev.loki]\nurl = \"http://l\"", &overrides)?;
        assert_eq!(
            plain.alertmanager.map(|e| e.url).as_deref(),
            Some("kube://monitoring/alertmanager-operated:9093")
        );
        assert!(plain.read_only);
        let writable = parse(
            "[contexts.dev.loki]\nurl = \"http://l\"",
            &Overrides::default(),
        )?;
        assert!(!writable.read_only);
        assert!(parse("author = \" \"", &Overrides::default()).is_err());
        let misplaced = "[contexts.a.alertmanager]\nurl = \"http://a\"\ntrace_max_bytes = 2000";
        assert!(parse(misplaced, &Overrides::default()).is_err());
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn a_config_others_can_read_is_warned_about() -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let path = std::env::temp_dir().join(format!("triage-perm-{}.toml", std::process::id()));
        std::fs::write(&path, "")?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;
        assert!(permission_warning(&path).is_some_and(|w| w.contains("mode 644")));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        assert_eq!(permission_warning(&path), None);
        std::fs::remove_file(&path)
    }

    #[test]
    fn the_readme_example_is_a_valid_config_file() {
        let readme = include_str!("../../../README.md");
        let example = readme
            .split("```toml")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .unwrap_or_default();
        let file: Result<File, _> = toml::from_str(example);
        let file = file.map_err(|e| e.to_string());
        assert!(
            file.as_ref().is_ok_and(|f| f.contexts.len() == 2),
            "{:?}",
            file.err()
        );
        // It shows the defaults of traces_to_logs, as it says.
        let prod = file.ok().and_then(|mut f| f.contexts.remove("prod"));
        let shown = prod.map(|c| traces_to_logs(c.traces_to_logs, "prod"));
        let sorted = |mut settings: TracesToLogs| {
            settings.tags.sort();
            settings
        };
        let shown = shown.and_then(Result::ok).map(sorted);
        assert_eq!(shown, Some(sorted(TracesToLogs::default())));
    }
}
