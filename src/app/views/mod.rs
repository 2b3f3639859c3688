//! The views, one module each: its model, its keys, its results and the
//! requests it keeps running. This file is the registry: adding a view is
//! a module here, a file in `ui/`, and one line in `views!` below.

pub mod alerts;
pub mod home;
pub mod logs;
pub mod metrics;
pub mod patterns;
pub mod pod;
pub mod pods;
pub mod services;
pub mod trace;
pub mod traces;

use super::screen::{Ctx, Screen};
use super::target::Target;

/// Declares the views: the `View` enum, its `ViewKind`, and dispatch to
/// each view's `Screen`.
macro_rules! views {
    ($($name:ident($model:ty),)*) => {
        /// A view on the navigation stack.
        pub enum View {
            $($name($model),)*
        }

        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum ViewKind {
            $($name,)*
        }

        impl View {
            pub fn kind(&self) -> ViewKind {
                match self {
                    $(View::$name(_) => ViewKind::$name,)*
                }
            }

            pub fn screen(&self) -> &dyn Screen {
                match self {
                    $(View::$name(view) => view,)*
                }
            }

            pub fn screen_mut(&mut self) -> &mut dyn Screen {
                match self {
                    $(View::$name(view) => view,)*
                }
            }
        }
    };
}

views! {
    Home(home::HomeView),
    Logs(logs::LogsView),
    Trace(trace::TraceView),
    Traces(traces::TracesView),
    Metrics(metrics::MetricsView),
    Alerts(alerts::AlertsView),
    Patterns(patterns::PatternsView),
    Pods(pods::PodsView),
    Pod(pod::PodView),
    Services(services::ServicesView),
}

/// Makes the view a target names and asks for what it shows. `below` is
/// the stack it goes on: a pods list there already knows a pod it opens.
pub fn open(target: Target, below: &[View], cx: &mut Ctx) -> View {
    match target {
        Target::Logs(logql) => View::Logs(logs::LogsView::open_loki(logql, cx)),
        Target::LogsBetween { logql, range } => {
            View::Logs(logs::LogsView::open_loki_between(logql, range, cx))
        }
        Target::PodLogs { context, request } => {
            View::Logs(logs::LogsView::open_pod(context, request, cx))
        }
        Target::MergedLogs { context, pods } => {
            View::Logs(logs::LogsView::open_merged(context, pods, cx))
        }
        Target::Trace(trace_id) => View::Trace(trace::TraceView::open(trace_id, None, cx)),
        Target::TraceAt { trace_id, span_id } => {
            View::Trace(trace::TraceView::open(trace_id, Some(span_id), cx))
        }
        Target::Traces { traceql, since } => {
            View::Traces(traces::TracesView::open(traceql, since, cx))
        }
        Target::Metrics { promql, span, end } => {
            let source = metrics::MetricSource::Prometheus;
            View::Metrics(metrics::MetricsView::open(source, promql, span, end, cx))
        }
        Target::LokiMetrics { logql, span, end } => {
            let source = metrics::MetricSource::Loki;
            View::Metrics(metrics::MetricsView::open(source, logql, span, end, cx))
        }
        Target::Patterns { logql, range } => {
            View::Patterns(patterns::PatternsView::open(logql, range, cx))
        }
        Target::Alerts => View::Alerts(alerts::AlertsView::open(cx)),
        Target::Pods(scope) => View::Pods(pods::PodsView::open(scope, cx)),
        Target::PodsFiltered(pattern) => {
            View::Pods(pods::PodsView::open(None, cx).filtered(pattern))
        }
        Target::Services(service) => {
            let scope = match service {
                Some(service) => triage_core::correlate::Scope::Operations {
                    // Typed on the command line: shown in the title.
                    service: triage_core::domain::SafeText::new(&service).to_string(),
                },
                None => triage_core::correlate::Scope::Services,
            };
            View::Services(services::ServicesView::open(scope, cx))
        }
        Target::Pod {
            context,
            key,
            known,
        } => {
            let seen = below.iter().rev().find_map(|v| match v {
                View::Pods(pods) => pods.get(&key),
                _ => None,
            });
            View::Pod(pod::PodView::open(context, key, known, seen, cx))
        }
    }
}
