//! Every message in words, in one place: what the app reports as data
//! (`Notice`, `BackendError`) becomes what an engineer at 3 a.m. can act on.

use crate::app::Notice;
use crate::app::notice::Usage;
use triage_core::backend::{BackendError, ErrorKind};
use triage_core::domain::time::format_duration;

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
            "unknown command :{verb} (try :logs, :trace, :metrics, :alerts, :pods, :ns, :ctx, :q)"
        ),
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
        Notice::PartialTrace(warning) => format!("partial trace: {warning}"),
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
        Notice::NotRestarted(container) => {
            format!("{container} has not restarted: there is no previous container")
        }
        Notice::ShowingSince(since) => match since {
            Some(since) => format!(
                "showing the last {}",
                format_duration(i64::try_from(since.as_nanos()).unwrap_or(i64::MAX))
            ),
            None => "showing the whole log".into(),
        },
        Notice::SpanWithoutPod => {
            "this span's resource names no pod (k8s.namespace.name and k8s.pod.name)".into()
        }
        Notice::LineWithoutPod { namespace, pod } => {
            format!("this line has no {namespace} and {pod} labels to name its pod")
        }
    }
}

/// A backend's error in words.
pub fn backend_error(e: &BackendError) -> String {
    match e.kind {
        ErrorKind::NotConfigured => format!(
            "no {} URL: pass --{} URL, set TRIAGE_{}_URL, or add it to the config",
            e.source,
            e.source.to_string().to_lowercase(),
            e.source.to_string().to_uppercase()
        ),
        ErrorKind::Timeout => format!("{} did not answer in time: {}", e.source, e.message),
        _ => e.to_string(),
    }
}
