//! Services: rate, errors and latency per service (Enter: per operation)
//! from span metrics, and the calls between services from the service
//! graph; each row leads to its traces, its graph, its pods and its logs.

use crate::app::action::Action;
use crate::app::cursor::Cursor;
use crate::app::effect::{Effect, RequestId};
use crate::app::keys::{Binding, ch, key};
use crate::app::layout;
use crate::app::loadable::Loadable;
use crate::app::msg::{Edges, Msg};
use crate::app::notice::Notice;
use crate::app::screen::{Copied, Ctx, Screen};
use crate::app::target::Target;
use crossterm::event::KeyCode;
use triage_core::backend::BackendError;
use triage_core::correlate::{RedRow, Scope, logql_string};
use triage_core::domain::TimeRange;

pub const KEYS: &[Binding] = &[
    Binding::new(
        &[key(KeyCode::Enter)],
        Action::Open,
        "the service's operations",
    )
    .hint("operations"),
    Binding::new(
        &[key(KeyCode::Tab)],
        Action::ToggleEdges,
        "calls between services (the service graph) / services",
    )
    .hint("calls"),
    Binding::new(
        &[ch('t')],
        Action::ErrorTraces,
        "its failed traces (TraceQL)",
    )
    .hint("errors"),
    Binding::new(
        &[ch('s')],
        Action::SlowTraces,
        "its traces slower than its p99",
    )
    .hint("slow"),
    Binding::new(
        &[ch('m')],
        Action::GraphLatency,
        "graph its p99 latency (exemplars: Enter opens a trace)",
    )
    .hint("graph"),
    Binding::new(
        &[ch('p')],
        Action::OpenPod,
        "its pods: the pods list filtered by its name",
    ),
    Binding::new(&[ch('L')], Action::LokiLogs, "its logs in Loki"),
];

/// Which table is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    Red,
    Edges,
}

pub struct ServicesView {
    pub scope: Scope,
    pub table: Table,
    pub red: Loadable<Vec<RedRow>>,
    /// Asked the first time the calls table is shown.
    pub edges: Option<Loadable<Edges>>,
    pub cursor: Cursor,
    pub range: TimeRange,
    /// The calls series exist but the window gave no rate.
    pub unrated: bool,
}

impl ServicesView {
    pub fn open(scope: Scope, cx: &mut Ctx) -> Self {
        let range = TimeRange::last(cx.settings.since, cx.now);
        let names = cx.settings.span_metrics.clone();
        let asked = scope.clone();
        let id = cx.ask(|id| Effect::FetchRed {
            id,
            names,
            scope: asked,
            range,
        });
        ServicesView {
            scope,
            table: Table::Red,
            red: Loadable::Loading { id, since: cx.now },
            edges: None,
            cursor: Cursor::default(),
            range,
            unrated: false,
        }
    }

    pub fn selected(&self) -> Option<&RedRow> {
        match (&self.red, self.table) {
            (Loadable::Ready(rows), Table::Red) => rows.get(self.cursor.selected),
            _ => None,
        }
    }

    fn rows(&self) -> usize {
        match (self.table, &self.red, &self.edges) {
            (Table::Red, Loadable::Ready(rows), _) => rows.len(),
            (Table::Edges, _, Some(Loadable::Ready(edges))) => edges.edges.len(),
            _ => 0,
        }
    }

    fn toggle_edges(&mut self, cx: &mut Ctx) {
        if self.scope != Scope::Services {
            return cx.tell(Notice::EdgesOfServicesOnly);
        }
        self.table = match self.table {
            Table::Red => Table::Edges,
            Table::Edges => Table::Red,
        };
        self.cursor = Cursor::default();
        if self.table == Table::Edges && self.edges.is_none() {
            let names = cx.settings.span_metrics.clone();
            let at = cx.now;
            let id = cx.ask(|id| Effect::FetchEdges { id, names, at });
            self.edges = Some(Loadable::Loading { id, since: cx.now });
        }
    }

    /// The jumps from a row: its traces, its graph, its pods, its logs.
    fn jump(&self, action: Action, cx: &mut Ctx) {
        let Some(row) = self.selected() else {
            return;
        };
        let service = &row.service;
        let mut traceql = format!("resource.service.name = {}", traceql_string(service));
        if let Some(operation) = &row.operation {
            traceql.push_str(&format!(" && name = {}", traceql_string(operation)));
        }
        let since = cx.settings.since;
        let target = match action {
            Action::Open if row.operation.is_none() => Target::Services(Some(service.clone())),
            Action::ErrorTraces => Target::Traces {
                traceql: format!("{{ {traceql} && status = error }}"),
                since,
            },
            Action::SlowTraces => {
                let slower = if row.p99.is_finite() { row.p99 } else { 0.0 };
                Target::Traces {
                    traceql: format!(
                        "{{ {traceql} && duration > {}ms }}",
                        (slower * 1000.0).round()
                    ),
                    since,
                }
            }
            Action::GraphLatency => Target::Metrics {
                promql: latency_graph(&cx.settings.span_metrics, row),
                span: since,
                end: cx.now,
            },
            Action::OpenPod => Target::PodsFiltered(service.clone()),
            Action::LokiLogs => {
                let label = service_label(cx);
                Target::Logs(format!("{{{label}={}}}", logql_string(service)))
            }
            _ => return,
        };
        cx.go(target);
    }

    pub fn receive_red(&mut self, msg: Msg) {
        match msg {
            Msg::RedLoaded {
                result, unrated, ..
            } => {
                self.unrated = unrated;
                self.red = match result {
                    Ok(rows) => Loadable::Ready(rows),
                    Err(e) => Loadable::Failed(e),
                }
            }
            Msg::EdgesLoaded { result, .. } => {
                self.edges = Some(match result {
                    Ok(edges) => Loadable::Ready(edges),
                    Err(e) => Loadable::Failed(e),
                })
            }
            _ => {}
        }
    }
}

/// The Loki label that names a service: the one traces-to-logs maps
/// `service.name` to.
fn service_label(cx: &Ctx) -> String {
    cx.settings
        .traces_to_logs
        .tags
        .iter()
        .find(|(attribute, _)| attribute == "service.name")
        .map_or("service_name".into(), |(_, label)| label.clone())
}

/// p99 of the row's histogram, by nothing: one line, with its exemplars.
fn latency_graph(names: &triage_core::correlate::SpanMetricNames, row: &RedRow) -> String {
    let mut matchers = format!("{}={}", names.service_label, logql_string(&row.service));
    if let Some(operation) = &row.operation {
        matchers.push_str(&format!(", span_name={}", logql_string(operation)));
    }
    format!(
        "histogram_quantile(0.99, sum by (le) (rate({}{{{matchers}}}[5m])))",
        names.latency
    )
}

/// A TraceQL string: double-quoted, with `"` and `\` escaped.
fn traceql_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

impl Screen for ServicesView {
    fn keys(&self) -> &'static [Binding] {
        KEYS
    }

    fn hints(&self) -> &'static [Action] {
        &[
            Action::Open,
            Action::ToggleEdges,
            Action::ErrorTraces,
            Action::SlowTraces,
            Action::GraphLatency,
            Action::Back,
            Action::ToggleHelp,
        ]
    }

    fn copied(&self) -> Option<Copied> {
        let row = self.selected()?;
        Copied::new(
            "service",
            row.operation.clone().unwrap_or_else(|| row.service.clone()),
        )
    }

    fn act(&mut self, action: Action, cx: &mut Ctx) {
        if action == Action::ToggleEdges {
            return self.toggle_edges(cx);
        }
        let page = layout::body_rows(cx.height).saturating_sub(2);
        if self.cursor.act(action, self.rows(), page) {
            return;
        }
        self.jump(action, cx);
    }

    fn receive(&mut self, msg: Msg, _cx: &mut Ctx) {
        self.receive_red(msg);
    }

    fn pending(&self) -> Option<RequestId> {
        self.red
            .pending()
            .or_else(|| self.edges.as_ref().and_then(Loadable::pending))
    }

    fn target(&self) -> Option<Target> {
        Some(Target::Services(match &self.scope {
            Scope::Services => None,
            Scope::Operations { service } => Some(service.clone()),
        }))
    }

    fn failure(&self) -> Option<&BackendError> {
        self.red.failed()
    }
}
