//! The first screen: what is firing, where triage is pointed, and how to
//! start.

use super::theme::Styles;
use crate::app::Loadable;
use crate::app::State;
use crate::app::views::alerts::AlertsView;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Rows the rest of the home screen uses.
const ROWS: usize = 13;
/// Alerts listed at most; the list scrolls with its cursor beyond that.
const ALERT_ROWS: usize = 10;

/// Rows for printing everything.
pub fn natural_rows(alerts: Option<&AlertsView>) -> usize {
    alerts_rows(alerts) + ROWS
}

fn alerts_rows(alerts: Option<&AlertsView>) -> usize {
    match alerts.map(|a| &a.load) {
        None => 0,
        Some(Loadable::Ready(model)) => 2 + model.rows.len().clamp(1, ALERT_ROWS),
        Some(_) => 2,
    }
}

pub fn draw(frame: &mut Frame, area: Rect, alerts: Option<&AlertsView>, state: &State) {
    let [alerts_area, rest] = Layout::vertical([
        Constraint::Length(alerts_rows(alerts) as u16),
        Constraint::Fill(1),
    ])
    .areas(area);
    if let Some(alerts) = alerts {
        draw_alerts(frame, alerts_area, alerts, state);
    }
    draw_start(frame, rest, state);
}

/// Firing alerts first, as the place an on-call shift starts.
fn draw_alerts(frame: &mut Frame, area: Rect, alerts: &AlertsView, state: &State) {
    let [heading, list] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let theme = &state.settings.theme;
    let title = Span::styled(" alerts ", theme.accent());
    match &alerts.load {
        Loadable::Ready(model) => {
            let mut line = super::alerts::summary(model, theme);
            line.spans.insert(0, title);
            frame.render_widget(Paragraph::new(line), heading);
            super::alerts::draw_list(frame, list, model, alerts.cursor.selected, state);
        }
        _ => {
            frame.render_widget(Paragraph::new(title), heading);
            super::loaded(frame, list, &alerts.load, "alerts", state);
        }
    }
}

fn draw_start(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.settings.theme;
    let mut lines = vec![
        Line::styled(
            " triage: follow an incident across alerts, graphs, logs and traces",
            theme.accent(),
        ),
        Line::raw(""),
        Line::from(vec![
            Span::styled(" context    ", theme.dim()),
            Span::raw(state.settings.context.clone()),
        ]),
    ];
    for (name, url) in &state.settings.backends {
        lines.push(Line::from(vec![
            Span::styled(format!(" {name:<10} "), theme.dim()),
            Span::raw(url.clone()),
        ]));
    }
    lines.push(Line::raw(""));
    for (command, what) in [
        (":logs {app=\"api\"} |= \"error\"", "search logs (LogQL)"),
        (":trace <trace id>", "open a trace"),
        (
            ":metrics <PromQL>",
            "graph an expression with its exemplars",
        ),
        (":alerts", "firing and pending alerts"),
        ("?", "all keys"),
    ] {
        lines.push(Line::from(vec![
            Span::styled(format!(" {command:<34}"), theme.accent()),
            Span::styled(what, theme.dim()),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
