//! What the program was started with, and the cluster scope `:pods` lists.

use std::fmt;
use std::time::Duration;
use triage_core::backend::cluster::Namespaces;
use triage_core::config::{DEFAULT_LOG_BUFFER, PodLabels, Theme};
use triage_core::correlate::{DerivedFields, SpanMetricNames, TracesToLogs, TracesToMetrics};

/// What does not change while the program runs.
#[derive(Clone, Debug)]
pub struct Settings {
    pub context: String,
    /// (name, URL safe to show) of each configured backend.
    pub backends: Vec<(String, String)>,
    pub derived_fields: DerivedFields,
    pub utc: bool,
    /// How far back a new log query looks.
    pub since: Duration,
    /// The exemplar label that holds a trace id.
    pub exemplar_trace_label: String,
    /// Lines asked of Loki per page.
    pub page_size: u32,
    pub theme: Theme,
    /// The Loki labels that name a pod.
    pub pod_labels: PodLabels,
    /// The most lines a streamed log keeps; older ones are dropped.
    pub log_buffer: usize,
    /// Home lists the active alerts (a Prometheus is configured).
    pub alerts_on_home: bool,
    /// How `L` on a span finds its logs.
    pub traces_to_logs: TracesToLogs,
    /// Which graphs `M` on a span opens.
    pub traces_to_metrics: TracesToMetrics,
    /// The names of the span metrics the services view reads.
    pub span_metrics: SpanMetricNames,
    /// `y` and `Y` copy to the terminal's clipboard.
    pub clipboard: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            context: "default".into(),
            backends: Vec::new(),
            derived_fields: DerivedFields::default(),
            utc: false,
            since: Duration::from_secs(3600),
            exemplar_trace_label: "trace_id".into(),
            page_size: 1000,
            theme: Theme::default(),
            pod_labels: PodLabels::default(),
            log_buffer: DEFAULT_LOG_BUFFER,
            alerts_on_home: false,
            traces_to_logs: TracesToLogs::default(),
            traces_to_metrics: TracesToMetrics::default(),
            span_metrics: SpanMetricNames::default(),
            clipboard: true,
        }
    }
}

/// The kubeconfig context and namespaces `:pods` lists.
#[derive(Clone, Debug)]
pub struct KubeScope {
    pub context: Option<String>,
    pub namespaces: Namespaces,
}

impl KubeScope {
    /// `:ns` and `:ctx`: what is given changes, the rest stays.
    pub fn change(&mut self, namespaces: Option<Namespaces>, context: Option<String>) {
        if let Some(namespaces) = namespaces {
            self.namespaces = namespaces;
        }
        if context.is_some() {
            self.context = context;
        }
    }
}

impl Default for KubeScope {
    fn default() -> Self {
        KubeScope {
            context: None,
            namespaces: Namespaces::Default,
        }
    }
}

impl fmt::Display for KubeScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.context {
            Some(context) => write!(f, "{} in context {context}", self.namespaces),
            None => write!(f, "{}", self.namespaces),
        }
    }
}
