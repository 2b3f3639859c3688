//! A trace's span waterfall: fold, filter, focus, the critical path, the
//! span's detail, and the jumps to a span's pod and logs.

mod filter;
pub mod model;
pub mod stats;

use crate::app::action::Action;
use crate::app::effect::{Effect, RequestId};
use crate::app::keys::{Binding, ch, key};
use crate::app::layout;
use crate::app::loadable::Loadable;
use crate::app::msg::Msg;
use crate::app::notice::Notice;
use crate::app::prompt::PromptKind;
use crate::app::screen::{Copied, Ctx, PromptEvent, Screen};
use crate::app::target::Target;
use crossterm::event::KeyCode;
pub use filter::SpanFilter;
pub use model::TraceModel;
use stats::Statistics;
use std::time::Duration;
use triage_core::backend::BackendError;
use triage_core::correlate::{logs_query, metrics_query};
use triage_core::domain::time::parse_duration;
use triage_core::domain::{SafeText, Span, SpanId, TimeRange, Trace, TraceId};

pub const KEYS: &[Binding] = &[
    Binding::new(
        &[ch('p')],
        Action::OpenPod,
        "open the span's pod (k8s.namespace.name, k8s.pod.name)",
    )
    .hint("pod"),
    Binding::new(
        &[ch(' ')],
        Action::ToggleCollapse,
        "collapse / expand the span",
    )
    .hint("fold"),
    Binding::new(
        &[ch('h'), key(KeyCode::Left)],
        Action::Collapse,
        "collapse, or go to the parent",
    ),
    Binding::new(
        &[ch('l'), key(KeyCode::Right)],
        Action::Expand,
        "expand, or go to the first child",
    ),
    Binding::new(
        &[ch('1')],
        Action::CollapseToDepth(1),
        "show that many levels of spans (0: every level)",
    )
    .written("1..9 0"),
    Binding::new(&[ch('2')], Action::CollapseToDepth(2), "").quiet(),
    Binding::new(&[ch('3')], Action::CollapseToDepth(3), "").quiet(),
    Binding::new(&[ch('4')], Action::CollapseToDepth(4), "").quiet(),
    Binding::new(&[ch('5')], Action::CollapseToDepth(5), "").quiet(),
    Binding::new(&[ch('6')], Action::CollapseToDepth(6), "").quiet(),
    Binding::new(&[ch('7')], Action::CollapseToDepth(7), "").quiet(),
    Binding::new(&[ch('8')], Action::CollapseToDepth(8), "").quiet(),
    Binding::new(&[ch('9')], Action::CollapseToDepth(9), "").quiet(),
    Binding::new(&[ch('0')], Action::CollapseToDepth(0), "").quiet(),
    Binding::new(
        &[ch('f')],
        Action::Focus,
        "focus: the span's subtree as if it were the trace",
    )
    .hint("focus"),
    Binding::new(&[ch('F')], Action::Unfocus, "back out of the focus"),
    Binding::new(
        &[ch('/')],
        Action::OpenSearch,
        "filter spans: words in the name, service or attribute values",
    )
    .hint("filter"),
    Binding::new(
        &[ch('e')],
        Action::ErrorsOnly,
        "filter: errors only (again: off)",
    ),
    Binding::new(
        &[ch('>')],
        Action::SlowerThan,
        "filter: spans slower than a duration (empty: off)",
    ),
    Binding::new(
        &[ch('H')],
        Action::ToggleFilter,
        "hide the spans the filter leaves out / dim them",
    ),
    Binding::new(&[ch('n')], Action::NextMatch, "next span the filter takes"),
    Binding::new(
        &[ch('N')],
        Action::PrevMatch,
        "previous span the filter takes",
    ),
    Binding::new(
        &[ch('c')],
        Action::CriticalOnly,
        "only the critical path (◆) / every span",
    )
    .hint("critical"),
    Binding::new(
        &[ch('S')],
        Action::Statistics,
        "statistics: time per service and operation (Enter filters to a row)",
    )
    .hint("stats"),
    Binding::new(
        &[ch('L')],
        Action::LokiLogs,
        "the span's logs in Loki: its pod and service, around its time, with its trace id",
    )
    .hint("logs"),
    Binding::new(
        &[ch('M')],
        Action::SpanMetrics,
        "the span's graphs in Prometheus: its service's span metrics (again: the next graph)",
    ),
    Binding::new(
        &[ch('d'), key(KeyCode::Enter)],
        Action::ToggleDetail,
        "span detail: attributes, events, status",
    )
    .hint("detail"),
];

/// What the prompt this view opened is for.
enum Editing {
    /// The filter line, and the filter before it, for Esc.
    Filter(SpanFilter),
    SlowerThan,
}

impl TraceView {
    /// Asks for the trace; `select`, a span to put the cursor on once it
    /// is here.
    pub fn open(trace_id: TraceId, select: Option<SpanId>, cx: &mut Ctx) -> Self {
        let id = cx.ask(|id| Effect::FetchTrace { id, trace_id });
        let load = Loadable::Loading { id, since: cx.now };
        TraceView {
            select,
            ..Self::of(trace_id, load)
        }
    }

    /// A trace already at hand (benches, tests).
    pub fn ready(trace: Trace) -> Self {
        Self::of(trace.id, Loadable::Ready(TraceModel::new(trace)))
    }

    fn of(trace_id: TraceId, load: Loadable<TraceModel>) -> Self {
        TraceView {
            trace_id,
            load,
            editing: None,
            received: 0,
            select: None,
            logs_of: None,
            loki_labels: None,
            graphs_opened: 0,
        }
    }

    /// `M` on a span: its traces-to-metrics graph; each `M` the next one.
    fn open_metrics(&mut self, cx: &mut Ctx) {
        let Loadable::Ready(model) = &self.load else {
            return;
        };
        let Some(span) = model.selected_span() else {
            return;
        };
        let settings = &cx.settings.traces_to_metrics;
        let of = settings.queries.len();
        let Some(query) = metrics_query(settings, model.trace.id, span, self.graphs_opened) else {
            return;
        };
        if of > 1 {
            cx.tell(Notice::SpanGraph {
                name: query.name,
                number: self.graphs_opened % of + 1,
                of,
            });
        }
        self.graphs_opened += 1;
        let length = query.range.end.saturating_sub(query.range.start).max(1);
        cx.go(Target::Metrics {
            promql: query.promql,
            span: Duration::from_nanos(length.unsigned_abs()),
            end: query.range.end,
        });
    }

    /// `L` on a span: the labels Loki has are asked for first (once), so
    /// the query names only labels it can match.
    fn open_logs(&mut self, cx: &mut Ctx) {
        let Loadable::Ready(model) = &self.load else {
            return;
        };
        let Some(span) = model.selected_span() else {
            return;
        };
        if let Some(labels) = &self.loki_labels {
            return go_to_logs(model, span, Some(labels), cx);
        }
        let range = logs_query(&cx.settings.traces_to_logs, model.trace.id, span, None)
            .map_or(TimeRange::last(cx.settings.since, cx.now), |q| q.range);
        let id = cx.ask(|id| Effect::FetchLokiLabels { id, range });
        self.logs_of = Some((id, span.span_id));
    }

    fn labels_loaded(&mut self, result: Result<Vec<SafeText>, BackendError>, cx: &mut Ctx) {
        let Some((_, span_id)) = self.logs_of.take() else {
            return;
        };
        // Without the list (an old Loki, a proxy), every mapped label is tried.
        let labels = result
            .ok()
            .map(|l| l.iter().map(ToString::to_string).collect::<Vec<_>>());
        let Loadable::Ready(model) = &self.load else {
            return;
        };
        if let Some(span) = model.trace.spans.iter().find(|s| s.span_id == span_id) {
            go_to_logs(model, span, labels.as_deref(), cx);
        }
        self.loki_labels = labels;
    }

    /// `S`: the statistics table over the waterfall, or back.
    fn toggle_statistics(model: &mut TraceModel) {
        model.statistics = match model.statistics {
            Some(_) => None,
            None => Some(Statistics::new(&model.trace, &model.waterfall)),
        };
    }

    /// Keys while the statistics table is shown: Enter filters the
    /// waterfall to the row's spans and shows it.
    fn act_on_statistics(model: &mut TraceModel, action: Action, cx: &mut Ctx) {
        let Some(table) = &mut model.statistics else {
            return;
        };
        let page = layout::body_rows(cx.height).saturating_sub(2);
        if table.cursor.act(action, table.rows.len(), page) {
            return;
        }
        match action {
            Action::ToggleDetail | Action::Open => {
                let only = table
                    .selected()
                    .map(|row| (row.service.clone(), row.operation.clone()));
                model.statistics = None;
                model.set_filter(|f| f.only = only);
                if !model.hide_unmatched {
                    model.toggle_hidden();
                }
            }
            Action::Statistics => model.statistics = None,
            _ => {}
        }
    }

    pub fn model(&self) -> Option<&TraceModel> {
        match &self.load {
            Loadable::Ready(model) => Some(model),
            _ => None,
        }
    }

    /// `p` on a span: its pod, named by the resource's `k8s.namespace.name`
    /// and `k8s.pod.name`.
    fn open_pod(model: &TraceModel, cx: &mut Ctx) {
        let Some(span) = model.selected_span() else {
            return;
        };
        let (Some(namespace), Some(name)) = (
            span.attribute("k8s.namespace.name"),
            span.attribute("k8s.pod.name"),
        ) else {
            return cx.tell(Notice::SpanWithoutPod);
        };
        let known = span
            .resource
            .iter()
            .filter(|a| {
                ["k8s.", "service.", "host."]
                    .iter()
                    .any(|p| a.key.starts_with(p))
            })
            .map(|a| (a.key.to_string(), a.value.clone()))
            .collect();
        cx.go_to_pod(namespace, name, known);
    }

    fn open_prompt(&mut self, editing: Editing, cx: &mut Ctx) {
        let Loadable::Ready(model) = &self.load else {
            return;
        };
        match &editing {
            Editing::Filter(_) => cx.open_prompt(PromptKind::Filter, &model.filter.text),
            Editing::SlowerThan => cx.open_prompt(PromptKind::Threshold, ""),
        }
        self.editing = Some(editing);
    }

    /// Keys that change what the waterfall shows.
    fn shape(model: &mut TraceModel, action: Action, cx: &mut Ctx) {
        match action {
            Action::CollapseToDepth(depth) => model.collapse_to_depth(depth.into()),
            Action::Focus => {
                if !model.focus_selected() {
                    cx.tell(Notice::NothingToFocus);
                }
            }
            Action::Unfocus => {
                model.unfocus();
            }
            Action::ErrorsOnly => model.set_filter(|f| f.errors_only = !f.errors_only),
            Action::ToggleFilter if !model.filter.is_active() => cx.tell(Notice::FilterFirst),
            Action::ToggleFilter => model.toggle_hidden(),
            Action::CriticalOnly => model.toggle_critical_only(),
            Action::NextMatch | Action::PrevMatch if !model.filter.is_active() => {
                cx.tell(Notice::FilterFirst)
            }
            Action::NextMatch | Action::PrevMatch => {
                if !model.step_match(action == Action::NextMatch) {
                    cx.tell(Notice::NoMoreSpans);
                }
            }
            _ => Self::fold(model, action),
        }
    }

    /// Folding and the detail pane, on the selected span.
    fn fold(model: &mut TraceModel, action: Action) {
        let Some(row) = model.selected_row() else {
            return;
        };
        let has_children = model.waterfall.has_children(row);
        match action {
            Action::ToggleDetail => model.detail = !model.detail,
            Action::ToggleCollapse => model.set_collapsed(row, !model.collapsed[row]),
            Action::Collapse if has_children && !model.collapsed[row] => {
                model.set_collapsed(row, true)
            }
            Action::Collapse => {
                if let Some(parent) = model.waterfall.parent_row(row) {
                    model.select_row(parent);
                }
            }
            Action::Expand if model.collapsed[row] => model.set_collapsed(row, false),
            Action::Expand if has_children => model.select_row(row + 1),
            _ => {}
        }
    }
}

impl Screen for TraceView {
    fn copied(&self) -> Option<Copied> {
        let Loadable::Ready(model) = &self.load else {
            return None;
        };
        let span = model.selected_span()?;
        let lines: Vec<String> = (span.attributes.iter().chain(span.resource.iter()))
            .map(|a| format!("{}={}", a.key, a.value))
            .collect();
        Copied::new("span's attributes", lines.join("\n"))
    }

    fn keys(&self) -> &'static [Binding] {
        KEYS
    }

    fn hints(&self) -> &'static [Action] {
        &[
            Action::OpenSearch,
            Action::CriticalOnly,
            Action::Statistics,
            Action::LokiLogs,
            Action::Focus,
            Action::ToggleCollapse,
            Action::ToggleDetail,
            Action::OpenPod,
            Action::Back,
            Action::ToggleHelp,
        ]
    }

    fn act(&mut self, action: Action, cx: &mut Ctx) {
        match action {
            Action::OpenSearch => {
                let before = self.model().map(|m| m.filter.clone()).unwrap_or_default();
                return self.open_prompt(Editing::Filter(before), cx);
            }
            Action::SlowerThan => return self.open_prompt(Editing::SlowerThan, cx),
            _ => {}
        }
        match action {
            Action::LokiLogs => return self.open_logs(cx),
            Action::SpanMetrics => return self.open_metrics(cx),
            _ => {}
        }
        let Loadable::Ready(model) = &mut self.load else {
            return;
        };
        if model.statistics.is_some() {
            return Self::act_on_statistics(model, action, cx);
        }
        let page = layout::trace_list_rows(cx.height, model.detail);
        if model.cursor.act(action, model.visible.len(), page) {
            return;
        }
        match action {
            Action::OpenPod => Self::open_pod(model, cx),
            Action::Statistics => Self::toggle_statistics(model),
            _ => Self::shape(model, action, cx),
        }
    }

    fn receive(&mut self, msg: Msg, cx: &mut Ctx) {
        match msg {
            Msg::LokiLabelsLoaded { result, .. } => return self.labels_loaded(result, cx),
            Msg::TraceProgress { bytes, .. } => return self.received = bytes,
            _ => {}
        }
        let Msg::TraceLoaded { result, .. } = msg else {
            return;
        };
        self.load = match result {
            Ok(trace) => {
                if let Some(warning) = &trace.partial {
                    cx.tell(Notice::PartialTrace(warning.clone()));
                }
                let mut model = TraceModel::new(trace);
                if let Some(span) = self.select.take() {
                    model.select_span(span);
                }
                Loadable::Ready(model)
            }
            Err(e) => Loadable::Failed(e),
        };
    }

    fn prompt(&mut self, event: PromptEvent, cx: &mut Ctx) {
        let Loadable::Ready(model) = &mut self.load else {
            return;
        };
        let done = !matches!(event, PromptEvent::Edited(_));
        match (&self.editing, event) {
            (Some(Editing::Filter(_)), PromptEvent::Edited(text)) => {
                model.set_filter(|f| f.set_text(&text))
            }
            (Some(Editing::Filter(before)), PromptEvent::Cancelled) => {
                let before = before.clone();
                model.set_filter(|f| *f = before);
            }
            (Some(Editing::SlowerThan), PromptEvent::Submitted(text)) => {
                let text = text.trim();
                if text.is_empty() {
                    model.set_filter(|f| f.slower_than = None);
                } else if let Some(limit) = parse_duration(text) {
                    let nanos = i64::try_from(limit.as_nanos()).unwrap_or(i64::MAX);
                    model.set_filter(|f| f.slower_than = Some(nanos));
                } else {
                    cx.tell(Notice::NotADuration(SafeText::new(text)));
                }
            }
            _ => {}
        }
        if done {
            self.editing = None;
        }
    }

    fn pending(&self) -> Option<RequestId> {
        self.load.pending()
    }

    fn requests(&self) -> Vec<RequestId> {
        self.pending()
            .into_iter()
            .chain(self.logs_of.map(|(id, _)| id))
            .collect()
    }

    fn target(&self) -> Option<Target> {
        Some(Target::Trace(self.trace_id))
    }

    fn failure(&self) -> Option<&BackendError> {
        self.load.failed()
    }

    fn fit(&mut self, _width: u16, height: u16) {
        if let Loadable::Ready(model) = &mut self.load {
            let rows = layout::trace_list_rows(height, model.detail);
            model.cursor.fit(model.visible.len(), rows);
            if let Some(table) = &mut model.statistics {
                // Under the summary and the table's header.
                let rows = layout::body_rows(height).saturating_sub(2);
                table.cursor.fit(table.rows.len(), rows);
            }
        }
    }
}

pub struct TraceView {
    pub trace_id: TraceId,
    pub load: Loadable<TraceModel>,
    editing: Option<Editing>,
    /// Bytes of the trace received while it loads.
    pub received: u64,
    /// The span the cursor goes to once the trace is here.
    select: Option<SpanId>,
    /// `L` waits for Loki's labels to build the query for this span.
    logs_of: Option<(RequestId, SpanId)>,
    /// The labels Loki has, once asked.
    loki_labels: Option<Vec<String>>,
    /// How many span graphs `m` opened: the next opens the next query.
    graphs_opened: usize,
}

/// Opens the logs of `span`: its pod's and service's lines around its time
/// that name its trace, as `[contexts.NAME.traces_to_logs]` says.
fn go_to_logs(model: &TraceModel, span: &Span, labels: Option<&[String]>, cx: &mut Ctx) {
    match logs_query(&cx.settings.traces_to_logs, model.trace.id, span, labels) {
        Ok(query) => cx.go(Target::LogsBetween {
            logql: query.logql,
            range: query.range,
        }),
        Err(e) => cx.tell(Notice::SpanWithoutLogLabels(e.unknown_to_loki)),
    }
}
