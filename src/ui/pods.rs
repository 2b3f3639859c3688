//! Pods: the live list (a row each, as `kubectl get pods -o wide` shows
//! them) and one pod's detail. Only the rows on screen are built.

use super::format;
use super::notice::backend_error as describe;
use super::text::{fit, pad};
use super::theme::Styles;
use crate::app::Loadable;
use crate::app::State;
use crate::app::action::PodColumn;
use crate::app::views::pod::PodView;
use crate::app::views::pods::PodsView;
use crate::app::watch::Watch;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use triage_core::backend::cluster::Namespaces;
use triage_core::config::Theme;
use triage_core::domain::pod::{Container, ContainerState, Health, Termination};
use triage_core::domain::text::width;
use triage_core::domain::{Labels, Nanos, Pod};

const MAX_NAMESPACE: usize = 20;
const MAX_NAME: usize = 56;
const READY_WIDTH: usize = 6;
const STATUS_WIDTH: usize = 22;
const RESTARTS_WIDTH: usize = 24;
const AGE_WIDTH: usize = 7;
const NODE_WIDTH: usize = 16;

/// Rows for printing every pod.
pub fn natural_rows(view: &PodsView) -> usize {
    view.rows.len().max(1) + 2
}

pub fn draw(frame: &mut Frame, area: Rect, view: &PodsView, state: &State) {
    let theme = &state.settings.theme;
    let banner = match &view.watch {
        Watch::Failing { error, .. } => Some(Line::styled(
            format!(
                " watch failing, retrying (rows may be stale): {}",
                describe(error)
            ),
            theme.error(),
        )),
        Watch::Listing { .. } if view.pods.is_empty() => {
            Some(Line::styled(" listing pods …", theme.dim()))
        }
        _ => None,
    };
    let [banner_area, header_area, list_area] = Layout::vertical([
        Constraint::Length(u16::from(banner.is_some())),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(area);
    if let Some(banner) = banner {
        frame.render_widget(Paragraph::new(banner), banner_area);
    }
    let columns = Columns::new(view, area.width as usize);
    frame.render_widget(Paragraph::new(columns.header(view, theme)), header_area);
    if view.rows.is_empty() {
        let why = match (&view.filter, view.pods.is_empty()) {
            (Some((f, _)), false) => format!(" no pod matches /{}/", f.text),
            (_, true) if matches!(view.watch, Watch::Live { .. }) => " no pods".into(),
            _ => String::new(),
        };
        frame.render_widget(Paragraph::new(Line::styled(why, theme.dim())), list_area);
        return;
    }
    let rows = (list_area.height as usize).max(1);
    let top = view.cursor.top_for(rows);
    let lines: Vec<Line> = view.rows[top..]
        .iter()
        .take(rows)
        .enumerate()
        .map(|(i, &row)| {
            let pod = &view.pods[row as usize];
            let line = columns.row(pod, view.marked.contains(&pod.key), state);
            if top + i == view.cursor.selected {
                line.patch_style(theme.selection())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list_area);
}

/// Which columns fit, and how wide each is.
struct Columns {
    namespace: Option<usize>,
    name: usize,
    node: bool,
    ip: bool,
}

impl Columns {
    fn new(view: &PodsView, screen: usize) -> Self {
        let column = |widest: usize, max: usize| widest.clamp(4, max) + 1;
        // One namespace needs no column; all of them do.
        let namespace =
            (view.namespaces == Namespaces::All).then(|| column(view.widest.0, MAX_NAMESPACE));
        let name = column(view.widest.1, MAX_NAME);
        let fixed = 1 + namespace.unwrap_or(0) + name + READY_WIDTH + STATUS_WIDTH;
        let after = RESTARTS_WIDTH + AGE_WIDTH;
        Columns {
            namespace,
            name,
            node: screen >= fixed + after + NODE_WIDTH,
            ip: screen >= fixed + after + NODE_WIDTH + 16,
        }
    }

    fn header(&self, view: &PodsView, theme: &Theme) -> Line<'static> {
        let title = |label: &str, column: PodColumn, width: usize| {
            let mark = match (view.sort == column, view.descending) {
                (false, _) => "",
                (true, false) => "↑",
                (true, true) => "↓",
            };
            pad(&format!("{label}{mark}"), width)
        };
        let mut text = String::from(" ");
        if let Some(w) = self.namespace {
            text += &title("NAMESPACE", PodColumn::Namespace, w);
        }
        text += &title("NAME", PodColumn::Name, self.name);
        text += &title("READY", PodColumn::Ready, READY_WIDTH);
        text += &title("STATUS", PodColumn::Status, STATUS_WIDTH);
        text += &title("RESTARTS", PodColumn::Restarts, RESTARTS_WIDTH);
        text += &title("AGE", PodColumn::Age, AGE_WIDTH);
        if self.node {
            text += &title("NODE", PodColumn::Node, NODE_WIDTH);
        }
        if self.ip {
            text += &title("IP", PodColumn::Ip, 16);
        }
        Line::styled(text, theme.dim())
    }

    /// A pod's row; a marked one (for merged logs) is led by a mark.
    fn row(&self, pod: &Pod, marked: bool, state: &State) -> Line<'static> {
        let theme = &state.settings.theme;
        let mut spans = vec![match marked {
            true => Span::styled("•", theme.accent()),
            false => Span::raw(" "),
        }];
        if let Some(w) = self.namespace {
            spans.push(Span::styled(pad(&pod.key.namespace, w), theme.dim()));
        }
        let name_style = if marked { theme.accent() } else { theme.text() };
        spans.push(Span::styled(pad(&pod.key.name, self.name), name_style));
        let ready = format!("{}/{}", pod.ready.0, pod.ready.1);
        let ready_style = if pod.ready.0 < pod.ready.1 {
            theme.warn()
        } else {
            theme.text()
        };
        spans.push(Span::styled(pad(&ready, READY_WIDTH), ready_style));
        spans.push(Span::styled(
            pad(&pod.status, STATUS_WIDTH),
            health_style(pod.health, theme),
        ));
        spans.push(Span::styled(
            pad(&restarts(pod, state.now), RESTARTS_WIDTH),
            if pod.restarts > 0 {
                theme.warn()
            } else {
                theme.text()
            },
        ));
        spans.push(Span::raw(pad(&age(pod.created, state.now), AGE_WIDTH)));
        if self.node {
            spans.push(Span::styled(pad(&pod.node, NODE_WIDTH), theme.dim()));
        }
        if self.ip {
            spans.push(Span::styled(pad(&pod.ip, 16), theme.dim()));
        }
        Line::from(spans)
    }
}

fn health_style(health: Health, theme: &Theme) -> Style {
    match health {
        Health::Failing => theme.error(),
        Health::Pending => theme.warn(),
        Health::Healthy => theme.ok(),
        Health::Done => theme.dim(),
    }
}

/// `2 (OOMKilled 25m ago)`: how many, and why and when the last one was.
fn restarts(pod: &Pod, now: Nanos) -> String {
    match &pod.last_restart {
        Some(last) if pod.restarts > 0 => {
            let when = last.finished.map_or(String::new(), |t| {
                format!(" {} ago", format::age(now.saturating_sub(t)))
            });
            format!("{} ({}{when})", pod.restarts, last.reason)
        }
        _ => pod.restarts.to_string(),
    }
}

fn age(created: Option<Nanos>, now: Nanos) -> String {
    created.map_or("?".into(), |t| format::age(now.saturating_sub(t)))
}

/// Rows for printing all of a pod's detail.
pub fn natural_detail_rows(view: &PodView, state: &State) -> usize {
    detail_lines(view, state, usize::MAX).len() + 1
}

pub fn draw_detail(frame: &mut Frame, area: Rect, view: &PodView, state: &State) {
    let lines = detail_lines(view, state, area.width as usize);
    let scroll = view.scroll.min(lines.len().saturating_sub(1));
    let shown: Vec<Line> = lines.into_iter().skip(scroll).collect();
    frame.render_widget(Paragraph::new(shown), area);
}

/// The detail as lines: summary, containers, conditions, events, labels,
/// annotations. `screen` is the width long texts are cut to.
fn detail_lines(view: &PodView, state: &State, screen: usize) -> Vec<Line<'static>> {
    let theme = &state.settings.theme;
    let pod = &view.pod;
    let now = state.now;
    let mut lines = Vec::new();
    let heading = |text: &str| Line::styled(format!(" {text}"), theme.accent());
    lines.push(Line::from(vec![
        Span::raw(format!(" {}   ", pod.key)),
        Span::styled(pod.status.to_string(), health_style(pod.health, theme)),
        Span::styled(
            format!(
                "   {}/{} ready   restarts {}   age {}   node {}   IP {}",
                pod.ready.0,
                pod.ready.1,
                restarts(pod, now),
                age(pod.created, now),
                or_dash(&pod.node),
                or_dash(&pod.ip),
            ),
            theme.dim(),
        ),
    ]));
    match &view.watch {
        Watch::Failing { error, .. } => lines.push(Line::styled(
            fit(
                &format!(" watch failing, retrying: {}", describe(error)),
                screen,
            ),
            theme.error(),
        )),
        Watch::Listing { .. } => lines.push(Line::styled(" asking the cluster …", theme.dim())),
        Watch::Live { .. } if view.gone => {
            lines.push(Line::styled(
                " this pod no longer exists (deleted, or replaced under another name); shown is what was last known",
                theme.error(),
            ));
            for (key, value) in &view.known {
                lines.push(Line::raw(fit(&format!("   {key} = {value}"), screen)));
            }
        }
        Watch::Live { .. } => {}
    }
    lines.push(Line::raw(""));
    lines.push(heading(
        "CONTAINERS  (j/k choose · l log · p previous · L Loki)",
    ));
    for (i, container) in pod.containers.iter().enumerate() {
        let [head, state] = container_lines(container, now, screen, theme);
        let mark = if i == view.container {
            theme.selection()
        } else {
            Style::default()
        };
        lines.push(head.patch_style(mark));
        lines.push(state);
    }
    if pod.containers.is_empty() {
        lines.push(Line::styled("   none known", theme.dim()));
    }
    lines.push(Line::raw(""));
    lines.push(heading("CONDITIONS"));
    let kind_width = pod
        .conditions
        .iter()
        .map(|c| width(&c.kind))
        .max()
        .unwrap_or(0)
        + 2;
    for c in &pod.conditions {
        let style = if c.status.as_str() == "True" {
            theme.text()
        } else {
            theme.warn()
        };
        let since = c.since.map_or(String::new(), |t| {
            format!("{} ago", format::age(now.saturating_sub(t)))
        });
        let why = [c.reason.as_str(), c.message.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(": ");
        lines.push(Line::styled(
            fit(
                &format!(
                    "   {}{:<7}{:<10}{why}",
                    pad(&c.kind, kind_width),
                    c.status.as_str(),
                    since
                ),
                screen,
            ),
            style,
        ));
    }
    lines.push(Line::raw(""));
    lines.push(heading("EVENTS  (newest first)"));
    match &view.events {
        Loadable::Loading { .. } => lines.push(Line::styled("   loading …", theme.dim())),
        Loadable::Failed(e) => lines.push(Line::styled(
            fit(&format!("   {}", describe(e)), screen),
            theme.error(),
        )),
        Loadable::Ready(events) if events.is_empty() => lines.push(Line::styled(
            "   none (events are kept for an hour)",
            theme.dim(),
        )),
        Loadable::Ready(events) => {
            for e in events {
                let when = e.last.map_or("?".into(), |t| {
                    format!("{} ago", format::age(now.saturating_sub(t)))
                });
                let count = if e.count > 1 {
                    format!(" x{}", e.count)
                } else {
                    String::new()
                };
                let style = if e.warning {
                    theme.warn()
                } else {
                    theme.text()
                };
                let text = format!(
                    "   {:<10}{:<8}{:<18}{}{count}  {}",
                    when,
                    if e.warning { "Warning" } else { "Normal" },
                    e.reason.as_str(),
                    e.message,
                    e.source,
                );
                lines.push(Line::styled(fit(&text, screen), style));
            }
        }
    }
    for (title, labels) in [("LABELS", &pod.labels), ("ANNOTATIONS", &pod.annotations)] {
        lines.push(Line::raw(""));
        lines.push(heading(title));
        lines.extend(pairs(labels, screen));
    }
    lines
}

/// A container: its name, image and restarts; then its state and how
/// its last run ended.
fn container_lines(c: &Container, now: Nanos, screen: usize, theme: &Theme) -> [Line<'static>; 2] {
    let (state, style) = match &c.state {
        ContainerState::Running { since } => (
            since.map_or("Running".into(), |t| {
                format!("Running for {}", format::age(now.saturating_sub(t)))
            }),
            if c.ready { theme.ok() } else { theme.warn() },
        ),
        ContainerState::Waiting { reason, message } => (
            [reason.as_str(), message.as_str()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(": "),
            theme.error(),
        ),
        ContainerState::Terminated(t) => (termination(t, now), theme.error()),
        ContainerState::Unknown => ("not started".into(), theme.warn()),
    };
    let init = if c.init { " (init)" } else { "" };
    let ready = if c.ready { "ready" } else { "not ready" };
    let head = format!(
        "   {}{init}   {}   {ready}   restarts {}",
        c.name, c.image, c.restarts
    );
    let last = c.last_termination.as_ref().map_or(String::new(), |t| {
        format!("   last run: {}", termination(t, now))
    });
    [
        Line::raw(fit(&head, screen)),
        Line::styled(fit(&format!("     {state}{last}"), screen), style),
    ]
}

/// `OOMKilled (exit 137) 25m ago`.
fn termination(t: &Termination, now: Nanos) -> String {
    let reason = if t.reason.is_empty() {
        "Terminated"
    } else {
        t.reason.as_str()
    };
    let signal = t.signal.map_or(String::new(), |s| format!(", signal {s}"));
    let when = t.finished.map_or(String::new(), |f| {
        format!(" {} ago", format::age(now.saturating_sub(f)))
    });
    format!("{reason} (exit {}{signal}){when}", t.exit_code)
}

fn pairs(labels: &Labels, screen: usize) -> Vec<Line<'static>> {
    if labels.0.is_empty() {
        return vec![Line::raw("   none")];
    }
    labels
        .0
        .iter()
        .map(|(k, v)| Line::raw(fit(&format!("   {k}={v}"), screen)))
        .collect()
}

fn or_dash(text: &str) -> &str {
    if text.is_empty() { "-" } else { text }
}
