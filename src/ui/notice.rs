//! Every message in words, chosen here and nowhere else: the app hands
//! over what happened as data (a `Notice`), the backends typed errors (what
//! happened, with its data). Where a server's answer has a known cause, the
//! words say what to do about it.

use super::format;
use crate::app::Notice;
use crate::app::notice::Usage;
use triage_core::backend::error::{
    CredentialProblem, KubeconfigProblem, Message, Misconfigured, Part, Problem, ServerWords,
    TempoLimit, TooLarge, Transport, Unreadable,
};
use triage_core::backend::{BackendError, ErrorKind, Source};
use triage_core::domain::{Completeness, SafeText};

/// What the message line says.
pub fn words(notice: &Notice) -> String {
    match notice {
        Notice::Failed(e) => backend_error(e),
        Notice::NothingToGoBack => "nothing to go back to (q quits)".into(),
        Notice::NotATraceId(text) => format!("not a trace id: {text} (1 to 32 hex digits)"),
        Notice::NotANamespace(text) => format!("not a namespace's name: {text}"),
        Notice::NotAContext(text) => format!("not a kubeconfig context's name: {text}"),
        Notice::NotAPod { namespace, name } => {
            format!("not a pod's namespace and name: {namespace}/{name}")
        }
        Notice::UnknownCommand(verb) => format!(
            "unknown command :{verb} (try :logs, :logs-pods, :trace, :traces, :metrics, :alerts, :pods, :ns, :ctx, :q)"
        ),
        Notice::Usage(Usage::LogsPods) => {
            "usage: :logs-pods SELECTOR, e.g. :logs-pods app=api (the pods' logs, merged)".into()
        }
        Notice::Usage(Usage::Logs) => {
            "usage: :logs LOGQL, e.g. :logs {app=\"api\"} |= \"error\"".into()
        }
        Notice::Usage(Usage::Metrics) => {
            "usage: :metrics PROMQL, e.g. :metrics sum by (code) (rate(http_requests_total[5m]))"
                .into()
        }
        Notice::Usage(Usage::Trace) => "usage: :trace TRACE-ID".into(),
        Notice::Scope(scope) => format!("pods: {scope}"),
        Notice::ScopeUsage(scope) => format!("pods: {scope} (:ns NAME or :ns all, :ctx NAME)"),
        Notice::BadSearch(e) => format!("search: {}", e.0),
        Notice::BadFilter(e) => format!("filter: {}", e.0),
        Notice::NoMatchLoaded(text) => format!("no loaded line matches /{text}/"),
        Notice::SearchFirst => "search first (/), then f shows only the matching lines".into(),
        Notice::NoSearch => "no search: press / first".into(),
        Notice::NoMoreMatches => "no more matches in the loaded lines".into(),
        Notice::NoTraceOnLine => "no trace id on this line".into(),
        Notice::SharedInstant(page) => {
            format!("more than {page} lines share one timestamp; the rest of them are skipped")
        }
        Notice::PartialTrace(warning) => partial_trace(warning),
        Notice::PartialSearch(Completeness::Partial {
            completed_jobs,
            total_jobs,
        }) => format!(
            "Tempo stopped early ({completed_jobs} of {total_jobs} jobs): more traces may match; showing what it found"
        ),
        Notice::PartialSearch(Completeness::Complete) => "the search completed".into(),
        Notice::NoTraceSelected => "no trace selected".into(),
        Notice::NoExpression => "no expression: e to edit, Esc to keep the one shown".into(),
        Notice::NoExemplars => "no exemplars to open".into(),
        Notice::ExemplarWithoutLabel(label) => format!("this exemplar has no {label} label"),
        Notice::NoAlert => "no alert to graph".into(),
        Notice::UnknownExpression { alert, rules } => {
            let why = rules
                .as_ref()
                .map_or("no rule of that name".to_owned(), backend_error);
            format!("the expression of {alert} is not known: {why}")
        }
        Notice::NoPodSelected => "no pod selected".into(),
        Notice::NoContainers(pod) => format!("{pod} has no containers known yet"),
        Notice::TooManyStreams { shown, matched } => format!(
            "following {shown} of {matched} containers' logs: at most {shown} at once (as stern); narrow the selector"
        ),
        Notice::NoPodsMatch(selector) => format!("no pods match {selector} here (:ns to look elsewhere)"),
        Notice::StreamBroke { from, error } => {
            format!("{from}'s log stopped, the others go on: {}", backend_error(error))
        }
        Notice::Copied { what, bytes } => match bytes {
            Some(bytes) => format!("copied {what} ({bytes} bytes) to the clipboard"),
            None => format!("copied {what} to the clipboard, as --print draws it"),
        },
        Notice::NothingToCopy => "nothing selected to copy here (Y copies the whole view)".into(),
        Notice::TooLongToCopy(what) => format!("{what} is too long for the terminal's clipboard (OSC 52 takes 74 kB)"),
        Notice::ClipboardOff => "copying is off: clipboard = false in the config file".into(),
        Notice::NoVolumeShown => {
            "no volume histogram here: a Loki query's, on a screen of 18 rows or more".into()
        }
        Notice::NotStructured => "this line is neither JSON nor logfmt: no fields".into(),
        Notice::NotFilterable(key) => {
            format!("{key}: Loki's parser does not give this value as shown, a filter on it would match nothing")
        }
        Notice::ExcludeNeedsLoki => {
            "leaving a value out asks Loki: L opens the pod's logs there".into()
        }
        Notice::Following(true) => "following: new lines arrive on top (F stops)".into(),
        Notice::Following(false) => "stopped following".into(),
        Notice::NotALokiView => {
            "a container's log has no LogQL and follows itself: L opens the pod's logs in Loki".into()
        }
        Notice::NoLogQueryInside => "the query has no stream selector to read lines by".into(),
        Notice::NoPodsMarked => "none of the marked pods is here any more".into(),
        Notice::NotRestarted(container) => {
            format!("{container} has not restarted: there is no previous container")
        }
        Notice::ShowingSince(since) => match since {
            Some(since) => format!(
                "showing the last {}",
                format::duration(i64::try_from(since.as_nanos()).unwrap_or(i64::MAX))
            ),
            None => "showing the whole log".into(),
        },
        Notice::SpanGraph { name, number, of } => {
            format!("graph {number} of {of}: {name} (back, then M again: the next)")
        }
        Notice::EdgesOfServicesOnly => {
            "the calls between services are in the services table (back, then Tab)".into()
        }
        Notice::SpanWithoutPod => {
            "this span's resource names no pod (k8s.namespace.name and k8s.pod.name)".into()
        }
        Notice::SpanWithoutLogLabels(unknown) if unknown.is_empty() => {
            "no attribute of this span maps to a Loki label (see [contexts.NAME.traces_to_logs] tags)".into()
        }
        Notice::SpanWithoutLogLabels(unknown) => format!(
            "Loki has none of this span's labels ({}); see [contexts.NAME.traces_to_logs] tags",
            unknown.join(", ")
        ),
        Notice::NothingToFocus => "focus needs a span with children (F backs out)".into(),
        Notice::NotADuration(text) => {
            format!("not a duration: {text} (e.g. 250ms, 2s, 1m; empty: off)")
        }
        Notice::FilterFirst => "no span filter: / words, e errors, > slower than".into(),
        Notice::NoMoreSpans => "no more spans the filter takes that way".into(),
        Notice::LineWithoutPod { namespace, pod } => {
            format!("this line has no {namespace} and {pod} labels to name its pod")
        }
    }
}

/// Tempo's words for a partial trace; when it was cut at its per-trace
/// size, the server setting that cut it.
fn partial_trace(warning: &str) -> String {
    if warning
        .to_ascii_lowercase()
        .contains("exceeds maximum size")
    {
        return format!(
            "partial trace: {warning} (Tempo's max_bytes_per_trace, in its overrides, is the limit)"
        );
    }
    format!("partial trace: {warning}")
}

/// A failed request, as the reader is told it.
pub fn backend_error(e: &BackendError) -> String {
    match e.kind {
        ErrorKind::NotConfigured => not_configured(e.source),
        ErrorKind::Timeout => {
            format!(
                "{} did not answer in time: {}",
                e.source,
                message(&e.message)
            )
        }
        _ => format!("{}{}", headline(e), what_to_do(e)),
    }
}

fn not_configured(source: Source) -> String {
    let name = source.to_string();
    format!(
        "no {name} URL: pass --{} URL, set TRIAGE_{}_URL, or add it to the config",
        name.to_lowercase(),
        name.to_uppercase()
    )
}

fn headline(e: &BackendError) -> String {
    match e.status {
        Some(status) => format!("{}: HTTP {status}: {}", e.source, message(&e.message)),
        None => format!("{}: {}", e.source, message(&e.message)),
    }
}

/// Advice for answers whose cause is known.
fn what_to_do(e: &BackendError) -> String {
    let Some(key) = config_key(e.source) else {
        return String::new();
    };
    let no_tenant = match e.problem() {
        Problem::Answered { words, .. } => server_words(words).contains("no org id"),
        _ => false,
    };
    if e.status == Some(401) && no_tenant {
        // Loki, Tempo and Mimir run multi-tenant want X-Scope-OrgID.
        return format!(
            "; this {} serves several tenants: name one in the config, [contexts.NAME.{key}] tenant = \"...\"",
            e.source
        );
    }
    String::new()
}

/// The config file's table for a source's settings.
fn config_key(source: Source) -> Option<&'static str> {
    match source {
        Source::Loki => Some("loki"),
        Source::Tempo => Some("tempo"),
        Source::Prometheus => Some("prometheus"),
        Source::Kubernetes => None,
        Source::Alertmanager => Some("alertmanager"),
    }
}

/// What happened, through which proxy, how often asked, how long to wait.
pub fn message(m: &Message) -> String {
    let mut words = m
        .via
        .as_ref()
        .map_or_else(String::new, |via| format!("{via}: "));
    words.push_str(&problem(&m.problem));
    let read = matches!(
        m.problem,
        Problem::TooLarge(TooLarge::Declared { .. } | TooLarge::Read { .. })
    );
    if read && m.via.is_none() {
        words.push_str(". Narrow the query or the time range");
    }
    if m.attempts > 1 {
        words.push_str(&format!(" (asked {} times)", m.attempts));
    }
    if let Problem::Answered {
        wait: Some(wait), ..
    } = &m.problem
    {
        let wait = format::age(i64::try_from(wait.as_nanos()).unwrap_or(i64::MAX));
        words.push_str(&format!(
            "; the server asks to wait {wait} before asking again"
        ));
    }
    words
}

fn problem(p: &Problem) -> String {
    match p {
        Problem::NotConfigured => "no URL configured".into(),
        Problem::Misconfigured(m) => misconfigured(m),
        Problem::Kubeconfig(k) => kubeconfig(k),
        Problem::NoKubeconfig(why) => format!(
            "no usable kubeconfig ($KUBECONFIG, ~/.kube/config) and not in a pod{}",
            why.as_ref()
                .map_or_else(String::new, |k| format!(": {}", kubeconfig(k)))
        ),
        Problem::Credentials(c) => format!("cannot get credentials: {}", credentials(c)),
        Problem::Transport { failure, to, cause } => {
            let what = match failure {
                Transport::Connect => "cannot connect to",
                Transport::NoAnswer => "no answer from",
                Transport::Broken => "broken answer from",
            };
            format!("{what} {to}: {cause}")
        }
        Problem::ClusterUnreachable { cause } => format!("cannot reach the cluster: {cause}"),
        Problem::NoAnswerWithin {
            after,
            still_asking,
        } => {
            let still = if *still_asking { "; still asking" } else { "" };
            format!("no answer within {}s{still}", after.as_secs_f32())
        }
        Problem::Answered { words, .. } => server_words(words),
        Problem::ClusterRefused { status, words } => {
            format!("{}{}", server_words(words), cluster_hint(*status))
        }
        Problem::ProxyRefused {
            status,
            namespace,
            words,
        } => format!("{}: {words}", proxy_refusal(*status, namespace)),
        Problem::Redirected { location } => format!(
            "redirected{}; not followed (a login page or a wrong URL?)",
            location
                .as_ref()
                .map_or_else(String::new, |l| format!(" to {l}"))
        ),
        Problem::Unreadable { what, why } => {
            format!("unreadable {}: {}", part(*what), unreadable(why))
        }
        Problem::TooLarge(t) => too_large(t),
        Problem::TraceTooLarge(t) => trace_too_large(t),
        Problem::TempoLimit { limit, words } => tempo_limit(*limit, words),
        Problem::BrokenAnswer { cause } => format!("broken answer: {cause}"),
        Problem::LogStreamBroke { cause } => format!("log stream broke: {cause}"),
        Problem::NotWatchable => {
            "the list has no resourceVersion: the server cannot be watched".into()
        }
        Problem::TraceNotFound(id) => format!("trace {id} not found"),
        Problem::NoTempoApi => "no Tempo API here: /api/v2/traces and /api/traces both answered 404 (is the URL Tempo's?)".into(),
        Problem::BadTraceQl(words) => words.to_string(), // Tempo names the TraceQL and where it stopped
        Problem::MetricQuery { result_type } => format!(
            "this is a metric query (it returns a {result_type}); the logs view needs a log query such as {{app=\"api\"}} |= \"error\""
        ),
        Problem::Ungraphable { result_type } => format!("a {result_type} result cannot be graphed"),
        Problem::NotWebSocket { status } => format!(
            "answered HTTP {status} instead of opening a websocket (a proxy on the way that does not pass upgrades?)"
        ),
        Problem::SocketClosed { code: 1006, .. } => "the connection ended".into(),
        Problem::SocketClosed { code, reason } => match reason {
            Some(reason) => format!("closed the connection (code {code}): {reason}"),
            None => format!("closed the connection (code {code})"),
        },
        Problem::NoPatterns => {
            "no log patterns here: this Loki runs no pattern ingester (pattern_ingester.enabled)".into()
        }
        Problem::Said(words) => words.to_string(),
        Problem::ReadOnly => "read-only: nothing was changed".into(),
        Problem::SilenceRefused(why) => format!("silence not sent: {why}"),
    }
}

/// What a Kubernetes refusal means, for the statuses that say it.
fn cluster_hint(status: u16) -> &'static str {
    match status {
        401 => " (the cluster refused the credentials: an expired token? log in again)",
        403 => " (RBAC: ask for this verb on this resource)",
        _ => "",
    }
}

fn proxy_refusal(status: u16, namespace: &str) -> String {
    match status {
        401 => "the cluster refused the credentials (an expired token? log in again)".into(),
        403 => format!(
            "forbidden: the API server needs the RBAC verb `get` on `services/proxy` in namespace {namespace}"
        ),
        404 => "no such service".into(),
        503 => "the service has no ready endpoints".into(),
        _ => "the API server refused".into(),
    }
}

fn server_words(words: &ServerWords) -> String {
    match words {
        ServerWords::Nothing { status } => format!("empty answer with status {status}"),
        ServerWords::Said(words) => words.to_string(),
        ServerWords::HtmlPage { title } => format!(
            "an HTML page, probably from a proxy in front of the server{}",
            title
                .as_ref()
                .map_or_else(String::new, |t| format!(": {t}"))
        ),
        ServerWords::Prometheus { error_type, error } => match (error_type, error) {
            (Some(kind), Some(error)) => format!("{kind}: {error}"),
            (None, Some(error)) => error.to_string(),
            (Some(kind), None) => kind.to_string(),
            (None, None) => "error without a message".into(),
        },
    }
}

fn part(what: Part) -> &'static str {
    match what {
        Part::LokiAnswer => "Loki answer",
        Part::TempoTrace => "Tempo trace",
        Part::TempoSearch => "Tempo search answer",
        Part::PrometheusAnswer => "Prometheus answer",
        Part::PrometheusSeries => "Prometheus series",
        Part::PrometheusScalar => "Prometheus scalar",
        Part::ClusterAnswer => "answer",
        Part::AlertmanagerAnswer => "Alertmanager answer",
    }
}

fn unreadable(why: &Unreadable) -> String {
    match why {
        Unreadable::Json(words) | Unreadable::Failed(words) | Unreadable::Protobuf(words) => {
            words.to_string()
        }
        Unreadable::CutShort => "a protobuf field runs past the end of the answer".into(),
        Unreadable::Interrupted => "stopped before it was read".into(),
        Unreadable::NoData => "no data".into(),
        Unreadable::BadTimestamp(t) => format!("bad timestamp {t:?}"),
        Unreadable::BadNumber(n) => format!("bad number {n:?}"),
        Unreadable::BadSpanId(id) => format!("bad span id {id:?}"),
        Unreadable::BadParentSpanId(id) => format!("bad parent span id {id:?}"),
    }
}

fn too_large(t: &TooLarge) -> String {
    match t {
        TooLarge::Declared { size, limit } => format!(
            "the answer is {}, more than the {} triage reads; not read",
            format::size(*size),
            format::size(*limit)
        ),
        TooLarge::Read { limit } => format!(
            "the answer is larger than {}; stopped reading there and kept none of it",
            format::size(*limit)
        ),
        TooLarge::Stopped { limit } => format!(
            "the answer is larger than {} MiB; stopped reading there",
            limit / 1024 / 1024
        ),
    }
}

/// Over the config's cap for a trace by id: the words name the setting.
fn trace_too_large(t: &TooLarge) -> String {
    const RAISE: &str = "raise it in the config: [contexts.NAME.tempo] trace_max_bytes = \"1GiB\"";
    match t {
        TooLarge::Declared { size, limit } => format!(
            "the trace is {}, more than trace_max_bytes ({}); not read: {RAISE}",
            format::size(*size),
            format::size(*limit)
        ),
        TooLarge::Read { limit } | TooLarge::Stopped { limit } => format!(
            "the trace is larger than trace_max_bytes ({}); stopped reading there and kept none of it: {RAISE}",
            format::size(*limit)
        ),
    }
}

/// Tempo refused over a limit of its own: its words, and its setting.
fn tempo_limit(limit: TempoLimit, words: &SafeText) -> String {
    let setting = match limit {
        TempoLimit::MaxBytesPerTrace => {
            "the trace is over Tempo's own per-trace limit, max_bytes_per_trace in its overrides (overrides.defaults.global.max_bytes_per_trace); only Tempo's operators can raise it"
        }
        TempoLimit::MessageSize => {
            "the trace is over the message size between Tempo's querier and query frontend: server.grpc_server_max_recv_msg_size and grpc_server_max_send_msg_size, and querier.frontend_worker.grpc_client_config.max_send_msg_size, in Tempo's config"
        }
    };
    format!("{words} ({setting})")
}

fn misconfigured(m: &Misconfigured) -> String {
    const SERVICE_URL: &str = "expected kube://<namespace>/<service>:<port>[/path]";
    match m {
        Misconfigured::BadUrl(e) => format!("bad URL: {e} (expected http://host:port)"),
        Misconfigured::NotHttp { url } => {
            format!("bad URL {url}: only http and https are supported")
        }
        Misconfigured::BadServiceUrl { url: None } => SERVICE_URL.into(),
        Misconfigured::BadServiceUrl { url: Some(url) } => format!(
            "{url}: namespace, service and port must be Kubernetes names; {SERVICE_URL}"
        ),
        Misconfigured::AuthThroughProxy => "basic or bearer auth cannot pass through the service proxy; the cluster's credentials are used".into(),
        Misconfigured::TlsThroughProxy => {
            "TLS settings do not apply through the service proxy; the kubeconfig's are used".into()
        }
        Misconfigured::NoCluster => "no cluster to reach it through".into(),
        Misconfigured::BadHeaderName(name) => format!("bad header name {name:?}"),
        Misconfigured::BadHeaderValue(name) => format!("bad value for header {name}"),
        Misconfigured::CannotRead { path, cause } => {
            format!("cannot read {}: {cause}", path.display())
        }
        Misconfigured::BadCaFile { path, cause } => {
            format!("bad CA file {}: {cause}", path.display())
        }
        Misconfigured::BadClientIdentity(cause) => {
            format!("bad client certificate or key: {cause}")
        }
        Misconfigured::HalfClientIdentity => {
            "a client certificate needs both client_cert and client_key".into()
        }
        Misconfigured::NoHttpClient(cause) => format!("cannot make an HTTP client: {cause}"),
        Misconfigured::BadPath { path, cause } => format!("bad path {path}: {cause}"),
        Misconfigured::BadRequest(cause) => format!("bad request: {cause}"),
        Misconfigured::BadClusterUrl => "bad cluster URL (expected http(s)://host:port)".into(),
    }
}

fn kubeconfig(k: &KubeconfigProblem) -> String {
    match k {
        KubeconfigProblem::NoCurrentContext => {
            "the kubeconfig has no current context: give --kube-context".into()
        }
        KubeconfigProblem::NoContext(name) => format!("the kubeconfig has no context {name:?}"),
        KubeconfigProblem::NoClusterFor(name) => {
            format!("the kubeconfig names no cluster for context {name:?}")
        }
        KubeconfigProblem::NotFound => "no kubeconfig found ($KUBECONFIG, ~/.kube/config)".into(),
        KubeconfigProblem::CannotRead { path, io } => {
            format!("cannot read the kubeconfig {} ({io})", path.display())
        }
        KubeconfigProblem::NotYaml => {
            "the kubeconfig is not valid YAML (not quoted: it may hold credentials)".into()
        }
        KubeconfigProblem::NoServerUrl => {
            "the kubeconfig's cluster has no usable server URL".into()
        }
        KubeconfigProblem::BadCertificateAuthority => {
            "the kubeconfig's certificate authority cannot be read".into()
        }
        KubeconfigProblem::BadClientCertificate => {
            "the kubeconfig's client certificate or key cannot be read".into()
        }
        KubeconfigProblem::Unusable => {
            "the kubeconfig cannot be used (check it with `kubectl config view`)".into()
        }
    }
}

fn credentials(c: &CredentialProblem) -> String {
    match c {
        CredentialProblem::PluginStart(io) => {
            format!("the credential plugin could not start ({io})")
        }
        CredentialProblem::PluginFailed(status) => {
            format!("the credential plugin failed ({status}); run it by hand to see why")
        }
        CredentialProblem::NotExecCredential => {
            "the credential plugin's answer is not an ExecCredential".into()
        }
        CredentialProblem::TokenFile { path, io } => {
            format!("cannot read the token file {} ({io})", path.display())
        }
        CredentialProblem::BadExpiry => {
            "the credential plugin's expirationTimestamp is not a time".into()
        }
        CredentialProblem::Unusable => "the kubeconfig's user gives no usable credentials".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn said(words: &str) -> ServerWords {
        ServerWords::Said(SafeText::new(words))
    }

    /// The words the app showed before errors were typed, kept.
    #[test]
    fn the_words_are_the_ones_shown_before() {
        let answered = |words, wait| Problem::Answered { words, wait };
        let errors = [
            BackendError::not_configured(Source::Loki),
            BackendError::timeout(Source::Tempo, Duration::from_millis(1500)),
            BackendError::of(Source::Loki, ErrorKind::Http, answered(said("bad"), None))
                .with_status(400),
            BackendError::of(
                Source::Prometheus,
                ErrorKind::Http,
                answered(
                    ServerWords::HtmlPage { title: None },
                    Some(Duration::from_secs(3600)),
                ),
            )
            .with_status(503)
            .after_attempts(3),
            BackendError::of(
                Source::Tempo,
                ErrorKind::TooLarge,
                Problem::TooLarge(TooLarge::Read { limit: 64 << 20 }),
            ),
            BackendError::of(
                Source::Tempo,
                ErrorKind::Http,
                Problem::Redirected { location: None },
            )
            .via("kube://ns/tempo:3200/")
            .with_status(302),
            BackendError::of(
                Source::Kubernetes,
                ErrorKind::Http,
                Problem::ClusterRefused {
                    status: 403,
                    words: said("no"),
                },
            )
            .with_status(403),
            BackendError::of(
                Source::Kubernetes,
                ErrorKind::Config,
                Problem::NoKubeconfig(Some(KubeconfigProblem::NotFound)),
            ),
        ];
        let words: Vec<String> = errors.iter().map(backend_error).collect();
        assert_eq!(
            words,
            [
                "no Loki URL: pass --loki URL, set TRIAGE_LOKI_URL, or add it to the config",
                "Tempo did not answer in time: no answer within 1.5s",
                "Loki: HTTP 400: bad",
                "Prometheus: HTTP 503: an HTML page, probably from a proxy in front of the server (asked 3 times); the server asks to wait 1h00m before asking again",
                "Tempo: the answer is larger than 64 MiB; stopped reading there and kept none of it. Narrow the query or the time range",
                "Tempo: HTTP 302: kube://ns/tempo:3200/: redirected; not followed (a login page or a wrong URL?)",
                "Kubernetes: HTTP 403: no (RBAC: ask for this verb on this resource)",
                "Kubernetes: no usable kubeconfig ($KUBECONFIG, ~/.kube/config) and not in a pod: no kubeconfig found ($KUBECONFIG, ~/.kube/config)",
            ]
        );
    }

    #[test]
    fn a_tenant_is_asked_for_only_where_one_is_missing() {
        let no_org = Problem::Answered {
            words: said("no org id"),
            wait: None,
        };
        let loki = BackendError::of(Source::Loki, ErrorKind::Http, no_org.clone()).with_status(401);
        assert!(backend_error(&loki).ends_with("[contexts.NAME.loki] tenant = \"...\""));
        let cluster =
            BackendError::of(Source::Kubernetes, ErrorKind::Http, no_org).with_status(401);
        assert!(!backend_error(&cluster).contains("tenant"));
    }

    /// A trace over a cap names the setting that decides it, triage's or
    /// Tempo's, and never asks to narrow a query (a trace by id has none).
    #[test]
    fn a_trace_too_large_names_the_setting_to_raise() {
        let ours = BackendError::of(
            Source::Tempo,
            ErrorKind::TooLarge,
            Problem::TraceTooLarge(TooLarge::Declared {
                size: 600 << 20,
                limit: 512 << 20,
            }),
        );
        let tempos = |limit, words: &str, status| {
            let problem = Problem::TempoLimit {
                limit,
                words: SafeText::new(words),
            };
            BackendError::of(Source::Tempo, ErrorKind::TooLarge, problem).with_status(status)
        };
        let per_trace = tempos(TempoLimit::MaxBytesPerTrace, "trace exceeds max size", 500);
        let message = tempos(
            TempoLimit::MessageSize,
            "response larger than the max (36329178 vs 16777216)",
            413,
        );
        let words: Vec<String> = [ours, per_trace, message]
            .iter()
            .map(backend_error)
            .collect();
        assert_eq!(
            words[0],
            "Tempo: the trace is 600 MiB, more than trace_max_bytes (512 MiB); not read: raise it in the config: [contexts.NAME.tempo] trace_max_bytes = \"1GiB\""
        );
        assert!(words[1].starts_with("Tempo: HTTP 500: trace exceeds max size (the trace is over Tempo's own per-trace limit, max_bytes_per_trace"), "{}", words[1]);
        assert!(
            words[2].contains("grpc_server_max_send_msg_size"),
            "{}",
            words[2]
        );
        assert!(words.iter().all(|w| !w.contains("Narrow")), "{words:?}");
        let partial = words_of_partial(
            "Trace exceeds maximum size of 5000000 bytes, a partial trace is returned",
        );
        assert!(
            partial.ends_with("(Tempo's max_bytes_per_trace, in its overrides, is the limit)"),
            "{partial}"
        );
        assert_eq!(
            words_of_partial("some blocks failed"),
            "partial trace: some blocks failed"
        );
    }

    fn words_of_partial(warning: &str) -> String {
        words(&Notice::PartialTrace(SafeText::new(warning)))
    }
}
