//! Active alerts: a row each (state, severity, name, how long, summary),
//! and the selected one in full below the list.

use super::format::{self, clock};
use super::text::{fit, pad, word_wrap};
use super::theme::Styles;
use crate::app::State;
use crate::app::layout::detail_rows;
use crate::app::views::alerts::{AlertRow, AlertsModel, AlertsView};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use triage_core::config::Theme;
use triage_core::domain::text::width;
use triage_core::domain::{AlertState, Unit};

/// Columns of the state, severity and age; names take up to `MAX_NAME`.
const STATE_WIDTH: usize = 8;
const SEVERITY_WIDTH: usize = 9;
const AGE_WIDTH: usize = 7;
const MAX_NAME: usize = 32;
/// The detail pane's rows at least: its title, and a line for each field
/// an alert usually has.
const DETAIL_MIN_ROWS: u16 = 8;
/// Rows a printed detail pane is given, for a description that wraps.
const PRINT_DETAIL_ROWS: usize = 12;

/// Rows for printing everything: every alert and the first one's detail.
pub fn natural_rows(view: &AlertsView) -> usize {
    match &view.load {
        crate::app::Loadable::Ready(model) => 1 + model.rows.len().max(1) + PRINT_DETAIL_ROWS,
        _ => 2,
    }
}

pub fn draw(frame: &mut Frame, area: Rect, view: &AlertsView, state: &State) {
    let Some(model) = super::loaded(frame, area, &view.load, "alerts", state) else {
        return;
    };
    let theme = &state.settings.theme;
    let detail_height = if model.rows.is_empty() {
        0
    } else {
        (detail_rows(state.height) as u16)
            .max(DETAIL_MIN_ROWS)
            .min(area.height / 2)
    };
    let [summary_area, list_area, detail_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(detail_height),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(summary(model, theme)), summary_area);
    draw_list(frame, list_area, model, view.cursor.selected, state);
    if let Some(row) = model.rows.get(view.cursor.selected) {
        draw_detail(frame, detail_area, row, state);
    }
}

/// `3 firing, 1 pending`, and why expressions are missing, if they are.
pub fn summary(model: &AlertsModel, theme: &Theme) -> Line<'static> {
    let firing = model.firing();
    let pending = model.rows.len() - firing;
    let mut spans = vec![
        Span::styled(format!(" {firing} firing"), firing_style(firing, theme)),
        Span::styled(format!(", {pending} pending"), theme.dim()),
    ];
    if let Some(e) = &model.rules_error {
        spans.push(Span::styled(
            format!(
                "   rules not read, Enter cannot graph: {}",
                super::notice::message(&e.message)
            ),
            theme.error(),
        ));
    }
    Line::from(spans)
}

fn firing_style(firing: usize, theme: &Theme) -> Style {
    if firing > 0 {
        theme.error()
    } else {
        theme.ok()
    }
}

/// The rows that fit in `area`, scrolled so the selected one shows.
pub fn draw_list(
    frame: &mut Frame,
    area: Rect,
    model: &AlertsModel,
    selected: usize,
    state: &State,
) {
    let theme = &state.settings.theme;
    if model.rows.is_empty() {
        let quiet = Line::styled(" nothing is firing or pending", theme.ok());
        frame.render_widget(Paragraph::new(quiet), area);
        return;
    }
    let rows = (area.height as usize).max(1);
    let first = selected.saturating_sub(rows - 1);
    let name_width = model
        .rows
        .iter()
        .map(|r| width(r.alert.name()))
        .max()
        .unwrap_or(0)
        .min(MAX_NAME);
    let lines: Vec<Line> = model
        .rows
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .map(|(i, row)| {
            let line = row_line(row, name_width, area.width as usize, state);
            if i == selected {
                line.patch_style(theme.selection())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

fn row_line(row: &AlertRow, name_width: usize, screen: usize, state: &State) -> Line<'static> {
    let theme = &state.settings.theme;
    let alert = &row.alert;
    let (word, style) = match alert.state {
        AlertState::Firing => ("firing", theme.error()),
        AlertState::Pending => ("pending", theme.warn()),
        AlertState::Inactive => ("inactive", theme.dim()),
    };
    let age = alert
        .active_since
        .map_or(String::new(), |t| format::age(state.now.saturating_sub(t)));
    let used = 1 + STATE_WIDTH + SEVERITY_WIDTH + name_width + 1 + AGE_WIDTH;
    Line::from(vec![
        Span::raw(" "),
        Span::styled(pad(word, STATE_WIDTH), style),
        Span::styled(pad(alert.severity(), SEVERITY_WIDTH), theme.accent()),
        Span::raw(pad(alert.name(), name_width + 1)),
        Span::styled(pad(&age, AGE_WIDTH), theme.dim()),
        Span::raw(fit(&gist(alert), screen.saturating_sub(used))),
    ])
}

/// What the alert is about in a line: its summary, else its labels.
fn gist(alert: &triage_core::domain::Alert) -> String {
    if let Some(summary) = alert.annotation("summary") {
        return summary.to_owned();
    }
    alert
        .labels
        .0
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "alertname" | "severity"))
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The value as the graph's axis would write it, then as Prometheus did.
fn value(row: &AlertRow) -> String {
    let raw = row.alert.value.as_str();
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() => {
            let unit = Unit::of_expression(row.query.as_ref().map_or("", |q| q.as_str()));
            format!("{}   ({raw})", format::value(v, unit))
        }
        _ => raw.to_owned(),
    }
}

fn draw_detail(frame: &mut Frame, area: Rect, row: &AlertRow, state: &State) {
    let theme = &state.settings.theme;
    let alert = &row.alert;
    let field = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!(" {name:<13}"), theme.dim()),
            Span::raw(value),
        ])
    };
    let since = alert.active_since.map_or("unknown".to_owned(), |t| {
        format!(
            "{} ({} ago)",
            clock(t, state.settings.utc),
            format::age(state.now.saturating_sub(t))
        )
    });
    let mut lines = vec![field("active since", since), field("value", value(row))];
    // summary, description and runbook_url first, as Alertmanager shows them.
    let known = ["summary", "description", "runbook_url"];
    let annotations = known
        .iter()
        .filter_map(|k| Some((*k, alert.annotation(k)?)))
        .chain(
            alert
                .annotations
                .0
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .filter(|(k, _)| !known.contains(k)),
        );
    lines.extend(annotations.map(|(k, v)| field(k, v.to_owned())));
    lines.push(field("labels", alert.labels.to_string()));
    lines.push(field(
        "expression",
        row.query
            .as_ref()
            .map_or("unknown (rules not read)".to_owned(), ToString::to_string),
    ));
    let block = Block::new()
        .borders(Borders::TOP)
        .title(format!(" {} (Enter graphs it) ", alert.name()));
    frame.render_widget(
        Paragraph::new(word_wrap(lines, area.width as usize)).block(block),
        area,
    );
}
