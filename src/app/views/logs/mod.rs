//! A list of log lines, newest first: a LogQL query paged back through
//! Loki, or a container's log streamed from the API server. Search,
//! filter, wrap, and the jumps to a line's trace and pod.

mod fields;
mod follow;
mod merged;
mod model;
mod volume;

pub use fields::FieldsPane;
pub use follow::{Follow, FollowState};
pub use merged::{MAX_STREAMS, containers_of};
pub use model::{LogRow, LogSource, LogsView, Older, Search};
pub use volume::{Bars, LEVELS, VolumePanel};

use crate::app::action::Action;
use crate::app::effect::{Effect, RequestId};
use crate::app::keys::{Binding, ch, key};
use crate::app::msg::Msg;
use crate::app::notice::Notice;
use crate::app::prompt::{Language, PromptKind};
use crate::app::screen::{Copied, Ctx, PromptEvent, Screen};
use crate::app::target::{PodPick, Target};
use crossterm::event::KeyCode;
use std::time::Duration;
use triage_core::backend::BackendError;
use triage_core::backend::cluster::PodLogRequest;
use triage_core::domain::logql::is_metric_query;
use triage_core::domain::{LogLine, Nanos, SafeText, TimeRange};

/// Rows from the end of the loaded lines at which the next page is asked for.
const PREFETCH_ROWS: usize = 50;

/// How far back a container's log starts, `-`/`+` stepping through them.
pub const LOG_SPANS: [Duration; 6] = [
    Duration::from_secs(5 * 60),
    Duration::from_secs(15 * 60),
    Duration::from_secs(3600),
    Duration::from_secs(6 * 3600),
    Duration::from_secs(24 * 3600),
    Duration::from_secs(7 * 24 * 3600),
];

pub const KEYS: &[Binding] = &[
    Binding::new(
        &[key(KeyCode::Enter)],
        Action::Open,
        "open the trace of the line's trace id",
    )
    .hint("trace"),
    Binding::new(
        &[ch('/')],
        Action::OpenSearch,
        "search lines (regex, incremental)",
    )
    .hint("search"),
    Binding::new(&[ch('n')], Action::NextMatch, "next match (older)"),
    Binding::new(&[ch('N')], Action::PrevMatch, "previous match (newer)"),
    Binding::new(
        &[ch('f')],
        Action::ToggleFilter,
        "show only matching lines / all lines",
    ),
    Binding::new(&[ch('w')], Action::ToggleWrap, "wrap long lines").hint("wrap"),
    Binding::new(
        &[ch('J')],
        Action::Fields,
        "the line's fields (JSON, logfmt): j k move; i narrows the query to a value, x leaves it out, c shows it as a column",
    )
    .hint("fields"),
    Binding::new(
        &[ch('i')],
        Action::Narrow,
        "fields: only lines with this value (Loki asked again)",
    )
    .hint("narrow"),
    Binding::new(
        &[ch('x')],
        Action::Exclude,
        "fields: lines without this value (Loki asked again)",
    )
    .hint("exclude"),
    Binding::new(
        &[ch('c')],
        Action::ToggleColumn,
        "fields: show this field as a column / not",
    )
    .hint("column"),
    Binding::new(
        &[ch('P')],
        Action::Patterns,
        "the patterns the query's lines fall into (Loki's pattern ingester)",
    )
    .hint("patterns"),
    Binding::new(
        &[ch('v')],
        Action::Volume,
        "pick a bar of the volume histogram (h l to move, Enter: the list to its time); again: back to the lines",
    )
    .hint("volume"),
    Binding::new(
        &[ch('h'), key(KeyCode::Left)],
        Action::Earlier,
        "volume: the bar before",
    ),
    Binding::new(
        &[ch('l'), key(KeyCode::Right)],
        Action::Later,
        "volume: the bar after",
    ),
    Binding::new(
        &[ch('F')],
        Action::Follow,
        "follow the query live (Loki's tail); again: stop",
    )
    .hint("follow"),
    Binding::new(
        &[ch('e')],
        Action::EditQuery,
        "edit the LogQL query: Tab completes, ↑↓ history, Enter runs (a metric query opens a graph)",
    )
    .hint("edit"),
    Binding::new(
        &[ch('p')],
        Action::OpenPod,
        "open the line's pod (its namespace and pod labels)",
    )
    .hint("pod"),
    Binding::new(
        &[ch('-')],
        Action::ZoomOut,
        "container log: look further back (5m 15m 1h 6h 24h 7d)",
    ),
    Binding::new(
        &[ch('+'), ch('=')],
        Action::ZoomIn,
        "container log: look less far back",
    ),
];

impl LogsView {
    /// A LogQL query over the configured span up to now; its first page
    /// is asked for at once.
    pub fn open_loki(logql: String, cx: &mut Ctx) -> Self {
        let range = TimeRange::last(cx.settings.since, cx.now);
        let mut view = Self::new(logql, range);
        view.fetch_page(cx);
        view.ask_volume(cx);
        view
    }

    /// A LogQL query over a given time, such as a span's.
    pub fn open_loki_between(logql: String, range: TimeRange, cx: &mut Ctx) -> Self {
        let mut view = Self::new(logql, range);
        if let LogSource::Loki { pinned, .. } = &mut view.source {
            *pinned = true;
        }
        view.fetch_page(cx);
        view.ask_volume(cx);
        view
    }

    /// A container's log, streamed from the API server, newest on top.
    pub fn open_pod(context: Option<String>, request: PodLogRequest, cx: &mut Ctx) -> Self {
        let now = cx.now;
        let start = request.since.map_or(0, |since| {
            now.saturating_sub(since.as_nanos().min(i64::MAX as u128) as i64)
        });
        let range = TimeRange { start, end: now };
        let mut view = Self::of_pod(
            context.clone(),
            request.clone(),
            range,
            cx.settings.log_buffer,
        );
        let id = cx.ask(|id| Effect::StreamPodLogs {
            id,
            context,
            requests: vec![request],
        });
        view.stream = Some(id);
        view.older = Older::Loading { id, since: now };
        view
    }

    /// The list starts over from `end` back (a volume bar's time): what was
    /// held and asked for is let go, and following stops (it is at the top).
    fn start_over_at(&mut self, end: Nanos, cx: &mut Ctx) {
        cx.cancel(self.pending());
        if let Some(follow) = self.follow.take() {
            cx.cancel(Some(follow.id));
        }
        self.rows.clear();
        self.filtered.clear();
        self.cursor = Default::default();
        self.skip_instant = false;
        self.loaded = false;
        self.until = Some(end);
        self.fetch_page(cx);
    }

    /// Asks for the next (older) page.
    fn fetch_page(&mut self, cx: &mut Ctx) {
        let query = self.next_page(cx.settings.page_size);
        let id = cx.ask(|id| Effect::FetchLogs { id, query });
        self.older = Older::Loading { id, since: cx.now };
    }

    /// Asks for the next older page when the cursor nears the oldest line.
    fn fetch_older_if_near_end(&mut self, cx: &mut Ctx) {
        let near_end = self.cursor.selected + PREFETCH_ROWS >= self.shown_len();
        if self.loaded && matches!(self.older, Older::More) && near_end {
            self.fetch_page(cx);
        }
    }

    fn page_loaded(&mut self, result: Result<Vec<LogLine>, BackendError>, cx: &mut Ctx) {
        let lines = match result {
            Ok(lines) => lines,
            // Loki refused the query: back into the editor, with its words
            // right under it.
            Err(e) if e.status == Some(400) && cx.on_top && cx.prompt().is_none() => {
                self.older = Older::Failed(e);
                return self.edit_query(cx);
            }
            Err(e) => {
                cx.tell(Notice::Failed(e.clone()));
                self.older = Older::Failed(e);
                return;
            }
        };
        let page_size = cx.settings.page_size;
        let full = lines.len() >= page_size as usize;
        let added = self.append(lines, &cx.settings.derived_fields);
        self.loaded = true;
        self.older = if full { Older::More } else { Older::Exhausted };
        // A full page that added nothing is a page of lines that all share
        // the oldest instant: step past it rather than ask for it again.
        self.skip_instant = full && added == 0;
        if self.skip_instant {
            cx.tell(Notice::SharedInstant(page_size));
        }
        // The cursor may already be waiting at the end for more. Not when
        // filtering: a rare match would pull in the whole range.
        if cx.on_top && self.pending().is_none() && !self.filter {
            self.fetch_older_if_near_end(cx);
        }
    }

    /// Lines of a container's log arrived, or its stream failed (one of
    /// several merged ones is said, and the others go on).
    fn streamed(
        &mut self,
        stream: usize,
        result: Result<Vec<LogLine>, BackendError>,
        cx: &mut Ctx,
    ) {
        match result {
            Err(e) if matches!(self.source, LogSource::Merged { .. }) => {
                self.merged_stream_broke(stream, e, cx)
            }
            Ok(lines) => {
                self.prepend(lines, &cx.settings.derived_fields);
                self.loaded = true;
                self.older = Older::Exhausted;
            }
            Err(e) => {
                cx.tell(Notice::Failed(e.clone()));
                self.older = Older::Failed(e);
                self.stream = None;
            }
        }
    }

    /// The stream ended: the log is all there (not followed, or the
    /// container stopped).
    fn stream_ended(&mut self) {
        self.stream = None;
        self.loaded = true;
        if matches!(self.older, Older::Loading { .. }) {
            self.older = Older::Exhausted;
        }
    }

    /// A streamed container log over a longer or shorter span: opened again.
    fn restream(&self, longer: bool, cx: &mut Ctx) {
        let step = |since: Option<Duration>| {
            let current = since.unwrap_or(Duration::MAX);
            if longer {
                LOG_SPANS.iter().copied().find(|s| *s > current)
            } else {
                (LOG_SPANS.iter().rev().copied())
                    .find(|s| *s < current)
                    .or(Some(LOG_SPANS[0]))
            }
        };
        let target = match &self.source {
            LogSource::Loki { .. } => return,
            LogSource::Pod { context, request } => Target::PodLogs {
                context: context.clone(),
                request: PodLogRequest {
                    since: step(request.since),
                    ..request.clone()
                },
            },
            LogSource::Merged {
                context,
                containers,
                ..
            } => Target::MergedLogs {
                context: context.clone(),
                pods: PodPick::Containers(
                    (containers.iter())
                        .map(|r| PodLogRequest {
                            since: step(r.since),
                            ..r.clone()
                        })
                        .collect(),
                ),
            },
        };
        let since = match &target {
            Target::PodLogs { request, .. } => request.since,
            Target::MergedLogs {
                pods: PodPick::Containers(requests),
                ..
            } => requests.first().and_then(|r| r.since),
            _ => None,
        };
        cx.tell(Notice::ShowingSince(since));
        cx.go_instead(target);
    }

    /// `p` on a line: its pod, from the line's labels (or the pod whose
    /// log this is).
    fn open_pod_of_line(&self, cx: &mut Ctx) {
        if let LogSource::Pod { context, request } = &self.source {
            return cx.go(Target::Pod {
                context: context.clone(),
                key: request.pod.clone(),
                known: Vec::new(),
            });
        }
        let Some(row) = self.selected_row() else {
            return;
        };
        let names = &cx.settings.pod_labels;
        // A merged line carries the API server's names, not Loki's.
        let (namespace, pod) = match self.source {
            LogSource::Merged { .. } => ("namespace", "pod"),
            _ => (names.namespace.as_str(), names.pod.as_str()),
        };
        let labels = &row.line.labels;
        let (Some(namespace), Some(name)) = (labels.get(namespace), labels.get(pod)) else {
            return cx.tell(Notice::LineWithoutPod {
                namespace: names.namespace.clone(),
                pod: names.pod.clone(),
            });
        };
        let known = labels
            .0
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        cx.go_to_pod(namespace, name, known);
    }

    fn step_match(&mut self, forward: bool, cx: &mut Ctx) {
        let selected = self.cursor.selected;
        let from = if forward {
            selected + 1
        } else {
            selected.saturating_sub(1)
        };
        match self.find_match(from, forward) {
            Some(hit) if hit != selected || forward => self.cursor.selected = hit,
            _ if self.search.is_none() => cx.tell(Notice::NoSearch),
            _ => cx.tell(Notice::NoMoreMatches),
        }
    }

    /// `e` on a Loki view: the query in the editor.
    fn edit_query(&mut self, cx: &mut Ctx) {
        let LogSource::Loki { logql, .. } = &self.source else {
            return cx.tell(Notice::NotALokiView);
        };
        self.editing = true;
        cx.open_prompt(PromptKind::Expression(Language::LogQl), logql);
    }

    /// The edited query runs: a log query in this view's place, a metric
    /// query as a graph.
    fn query_submitted(&mut self, logql: String, cx: &mut Ctx) {
        self.editing = false;
        if logql.is_empty() {
            return cx.tell(Notice::NoExpression);
        }
        if is_metric_query(&logql) {
            let span = Duration::from_nanos((self.range.end - self.range.start).max(0) as u64);
            return cx.go(Target::LokiMetrics {
                logql,
                span,
                end: self.range.end,
            });
        }
        let pinned = matches!(self.source, LogSource::Loki { pinned: true, .. });
        cx.go_instead(if pinned {
            Target::LogsBetween {
                logql,
                range: self.range,
            }
        } else {
            Target::Logs(logql)
        });
    }

    fn open_search(&mut self, cx: &mut Ctx) {
        self.editing = false;
        let previous = self.search.as_ref().map(|s| s.pattern.text.clone());
        let origin = self.row_index(self.cursor.selected).unwrap_or(0);
        let pattern = previous.clone().unwrap_or_default();
        self.search = Some(Search::new(pattern.clone(), origin, previous));
        cx.open_prompt(PromptKind::Search, &pattern);
    }

    /// Incremental: every keystroke moves to the first match from where
    /// the search started.
    fn search_edited(&mut self, pattern: String) {
        let Some(Search {
            origin, previous, ..
        }) = self.search.take()
        else {
            return;
        };
        self.reshow(|l| l.search = Some(Search::new(pattern, origin, previous)));
        let from = self.position_of(origin);
        if let Some(hit) = self
            .find_match(from, true)
            .or_else(|| self.find_match(from, false))
        {
            self.cursor.selected = hit;
        }
    }

    fn search_submitted(&mut self, text: String, cx: &mut Ctx) {
        if text.is_empty() {
            self.reshow(|l| {
                l.search = None;
                l.filter = false;
            });
        } else if let Some(e) = self.search.as_ref().and_then(|s| s.pattern.error()) {
            cx.tell(Notice::BadSearch(e.clone()));
        } else if self.find_match(0, true).is_none() {
            cx.tell(Notice::NoMatchLoaded(SafeText::new(&text)));
        }
    }

    /// Esc: back to the search and line before it.
    fn search_cancelled(&mut self) {
        let Some(Search {
            origin, previous, ..
        }) = self.search.take()
        else {
            return;
        };
        self.reshow(|l| {
            l.search = previous.map(|p| Search::new(p, origin, None));
            l.filter &= l.search.is_some();
        });
        self.cursor.selected = self.position_of(origin);
        self.clamp();
    }
}

impl Screen for LogsView {
    fn copied(&self) -> Option<Copied> {
        let row = self.selected_row()?;
        match row.traces.first() {
            Some(found) => Copied::new("trace id", found.trace_id),
            None => Copied::new("log line", &row.line.line),
        }
    }

    fn keys(&self) -> &'static [Binding] {
        KEYS
    }

    fn hints(&self) -> &'static [Action] {
        if self.fields.is_some() {
            return &[
                Action::Narrow,
                Action::Exclude,
                Action::ToggleColumn,
                Action::Fields,
                Action::ToggleHelp,
            ];
        }
        match self.source {
            LogSource::Loki { .. } => &[
                Action::Open,
                Action::OpenPod,
                Action::OpenSearch,
                Action::Follow,
                Action::Fields,
                Action::EditQuery,
                Action::Volume,
                Action::ToggleWrap,
                Action::ToggleHelp,
            ],
            _ => &[
                Action::Open,
                Action::OpenPod,
                Action::OpenSearch,
                Action::Fields,
                Action::ToggleWrap,
                Action::ToggleHelp,
            ],
        }
    }

    fn act(&mut self, action: Action, cx: &mut Ctx) {
        if self.fields_act(action, cx) {
            return;
        }
        if self
            .cursor
            .act(action, self.shown_len(), self.list_rows(cx.height))
        {
            self.catch_up(cx);
            return self.fetch_older_if_near_end(cx);
        }
        match action {
            Action::OpenSearch => self.open_search(cx),
            Action::EditQuery => self.edit_query(cx),
            Action::Follow => self.toggle_follow(cx),
            Action::Fields => self.toggle_fields(cx),
            Action::Patterns => match &self.source {
                LogSource::Loki { logql, .. } => cx.go(Target::Patterns {
                    logql: logql.clone(),
                    range: self.range,
                }),
                _ => cx.tell(Notice::NotALokiView),
            },
            // Bars that are not drawn cannot be picked.
            Action::Volume if self.volume_rows(cx.height) == 0 && !self.picking_bar() => {
                cx.tell(Notice::NoVolumeShown)
            }
            Action::Volume => self.toggle_bars(),
            Action::Earlier | Action::Later => self.step_bar(action == Action::Later),
            Action::Open if self.picking_bar() => self.go_to_bar(cx),
            Action::ToggleWrap => self.wrap = !self.wrap,
            Action::OpenPod => self.open_pod_of_line(cx),
            Action::ZoomOut | Action::ZoomIn => self.restream(action == Action::ZoomOut, cx),
            Action::ToggleFilter if self.search.is_none() => cx.tell(Notice::SearchFirst),
            Action::ToggleFilter => self.reshow(|l| l.filter = !l.filter),
            Action::NextMatch | Action::PrevMatch => {
                self.step_match(action == Action::NextMatch, cx)
            }
            Action::Open => match self
                .selected_row()
                .map(|r| r.traces.first().map(|m| m.trace_id))
            {
                Some(Some(trace_id)) => cx.go(Target::Trace(trace_id)),
                Some(None) => cx.tell(Notice::NoTraceOnLine),
                None => {}
            },
            _ => {}
        }
    }

    fn receive(&mut self, msg: Msg, cx: &mut Ctx) {
        match msg {
            Msg::LogsLoaded { result, .. } => self.page_loaded(result, cx),
            Msg::PodLogs { stream, result, .. } => self.streamed(stream, result, cx),
            Msg::PodsListed { result, .. } => self.pods_listed(result, cx),
            Msg::Tailed { event, .. } => self.tailed(event, cx),
            Msg::VolumeLoaded { result, .. } => self.volume_loaded(result),
            Msg::TailEnded { .. } => self.follow = None,
            Msg::PodLogsEnded { .. } => self.stream_ended(),
            _ => {}
        }
    }

    fn pending(&self) -> Option<RequestId> {
        match self.older {
            Older::Loading { id, .. } => Some(id),
            _ => None,
        }
    }

    fn requests(&self) -> Vec<RequestId> {
        let follow = self.follow.as_ref().map(|f| f.id);
        let volume = self.volume.as_ref().and_then(|v| v.load.pending());
        let mut ids: Vec<RequestId> = (self.pending().into_iter())
            .chain(self.stream)
            .chain(follow)
            .chain(volume)
            .collect();
        ids.dedup();
        ids
    }

    fn failure(&self) -> Option<&BackendError> {
        match &self.older {
            Older::Failed(e) => Some(e),
            _ => None,
        }
    }

    fn target(&self) -> Option<Target> {
        Some(match &self.source {
            LogSource::Loki {
                logql,
                pinned: true,
            } => Target::LogsBetween {
                logql: logql.clone(),
                range: self.range,
            },
            LogSource::Loki { logql, .. } => Target::Logs(logql.clone()),
            LogSource::Pod { context, request } => Target::PodLogs {
                context: context.clone(),
                request: request.clone(),
            },
            LogSource::Merged { context, pick, .. } => Target::MergedLogs {
                context: context.clone(),
                pods: pick.clone(),
            },
        })
    }

    fn prompt(&mut self, event: PromptEvent, cx: &mut Ctx) {
        match event {
            PromptEvent::Submitted(logql) if self.editing => self.query_submitted(logql, cx),
            PromptEvent::Edited(pattern) => self.search_edited(pattern),
            PromptEvent::Submitted(text) => self.search_submitted(text, cx),
            PromptEvent::Cancelled => self.search_cancelled(),
        }
    }

    fn fit(&mut self, width: u16, height: u16) {
        self.clamp();
        self.scroll_into_view(width, self.list_rows(height));
    }
}
