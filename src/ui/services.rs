//! Services: a row per service or operation (rate, errors, p50, p99, each
//! with its line over the window where there is room), or the calls
//! between services. What is missing is said, not guessed.

use super::text::{fit, pad};
use super::theme::Styles;
use crate::app::State;
use crate::app::loadable::Loadable;
use crate::app::msg::Edges;
use crate::app::views::services::{ServicesView, Table};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use triage_core::correlate::red::graph_lines;
use triage_core::correlate::{RedRow, Scope};
use triage_core::domain::text::width;

/// Columns: name, then four figures; sparklines where the screen is wide.
const NAME_WIDTH: usize = 28;
const FIGURE_WIDTH: usize = 10;
const SPARK_WIDTH: usize = 12;
const WIDE: usize = NAME_WIDTH + 4 * FIGURE_WIDTH + 3 * (SPARK_WIDTH + 1);
/// The graph is drawn below the calls table from this width on.
const GRAPH_WIDTH: usize = 60;

pub fn natural_rows(view: &ServicesView) -> usize {
    match (&view.table, &view.red, &view.edges) {
        (Table::Red, Loadable::Ready(rows), _) => 2 + rows.len().max(1),
        (Table::Edges, _, Some(Loadable::Ready(edges))) => {
            4 + edges.edges.len().max(1) + graph_lines(&edges.edges).len()
        }
        _ => 2,
    }
}

pub fn draw(frame: &mut Frame, area: Rect, view: &ServicesView, state: &State) {
    match view.table {
        Table::Red => {
            let Some(rows) = super::loaded(frame, area, &view.red, "span metrics", state) else {
                return;
            };
            draw_red(frame, area, rows, view, state);
        }
        Table::Edges => {
            let Some(load) = &view.edges else { return };
            let Some(edges) = super::loaded(frame, area, load, "the service graph", state) else {
                return;
            };
            draw_edges(frame, area, edges, view.cursor.selected, state);
        }
    }
}

fn draw_red(frame: &mut Frame, area: Rect, rows: &[RedRow], view: &ServicesView, state: &State) {
    let theme = &state.settings.theme;
    let names = &state.settings.span_metrics;
    if rows.is_empty() && view.unrated {
        let short = format!(
            " {} exists, but the last {} hold too few samples for a rate over 5m: widen the window (--since) or wait",
            names.calls,
            super::format::duration(state.settings.since.as_nanos().min(i64::MAX as u128) as i64),
        );
        let lines = super::text::word_wrap(vec![Line::raw(short)], area.width as usize);
        frame.render_widget(Paragraph::new(lines).style(theme.warn()), area);
        return;
    }
    if rows.is_empty() {
        let missing = format!(
            " no span metrics in this Prometheus over the last {}: looked for {} and {} (set [contexts.NAME.span_metrics] if yours are named otherwise)",
            super::format::duration(state.settings.since.as_nanos().min(i64::MAX as u128) as i64),
            names.calls,
            names.latency
        );
        let lines = super::text::word_wrap(vec![Line::raw(missing)], area.width as usize);
        frame.render_widget(Paragraph::new(lines).style(theme.warn()), area);
        return;
    }
    let wide = area.width as usize >= WIDE;
    let first_column = match &view.scope {
        Scope::Services => "service".to_owned(),
        Scope::Operations { service } => format!("{service}: operation"),
    };
    let figure = |name: &str, spark: bool| {
        let mut text = format!("{name:>FIGURE_WIDTH$}");
        if spark && wide {
            text.push_str(&" ".repeat(SPARK_WIDTH + 1));
        }
        text
    };
    let header = format!(
        " {}{}{}{}{}",
        pad(&first_column, NAME_WIDTH - 1),
        figure("req/s", true),
        figure("errors", true),
        figure("p50", false),
        figure("p99", true),
    );
    let mut lines = vec![Line::styled(fit(&header, area.width as usize), theme.dim())];
    let shown = (area.height as usize).saturating_sub(1).max(1);
    let first = view.cursor.selected.saturating_sub(shown - 1);
    for (i, row) in rows.iter().enumerate().skip(first).take(shown) {
        let line = red_line(row, wide, state);
        lines.push(match i == view.cursor.selected {
            true => line.patch_style(theme.selection()),
            false => line,
        });
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn red_line(row: &RedRow, wide: bool, state: &State) -> Line<'static> {
    let theme = &state.settings.theme;
    let name = row.operation.as_deref().unwrap_or(&row.service);
    let failing = row.error_ratio > 0.0;
    let error_style = if failing { theme.error() } else { theme.text() };
    let mut spans = vec![Span::styled(
        format!(" {}", pad(name, NAME_WIDTH - 1)),
        error_style,
    )];
    let mut figure = |text: String, style: Style, line: Option<&[f64]>| {
        spans.push(Span::styled(format!("{text:>FIGURE_WIDTH$}"), style));
        if let (Some(line), true) = (line, wide) {
            spans.push(Span::styled(
                format!(" {}", sparkline(line, SPARK_WIDTH)),
                style,
            ));
        }
    };
    figure(rate(row.rate), theme.text(), Some(&row.rate_line));
    figure(percent(row.error_ratio), error_style, Some(&row.error_line));
    figure(seconds(row.p50), theme.text(), None);
    figure(seconds(row.p99), theme.text(), Some(&row.p99_line));
    Line::from(spans)
}

fn draw_edges(frame: &mut Frame, area: Rect, edges: &Edges, selected: usize, state: &State) {
    let theme = &state.settings.theme;
    let names = &state.settings.span_metrics;
    if edges.edges.is_empty() {
        let missing = format!(
            " no service graph in this Prometheus: looked for {}_total",
            names.graph
        );
        frame.render_widget(Paragraph::new(Line::styled(missing, theme.warn())), area);
        return;
    }
    // As wide as the widest pair, so the figures fit at 80 columns.
    let pair_width = edges
        .edges
        .iter()
        .map(|e| width(&e.client) + width(&e.server) + 4)
        .max()
        .unwrap_or(0)
        .clamp(NAME_WIDTH - 1, NAME_WIDTH * 2 - 1);
    let header = format!(
        " {}{:>FIGURE_WIDTH$}{:>FIGURE_WIDTH$}{:>FIGURE_WIDTH$}",
        pad("client -> server", pair_width),
        "req/s",
        "errors",
        "p99"
    );
    let mut lines = vec![Line::styled(fit(&header, area.width as usize), theme.dim())];
    if !edges.failed_counted {
        lines.push(Line::styled(
            format!(
                " no {}_failed_total series: no call failed, or failures are not counted",
                names.graph
            ),
            theme.dim(),
        ));
    }
    let shown = (area.height as usize).saturating_sub(lines.len()).max(1);
    let first = selected.saturating_sub(shown - 1);
    for (i, edge) in edges.edges.iter().enumerate().skip(first).take(shown) {
        let failing = edge.error_ratio.is_some_and(|r| r > 0.0);
        let style = if failing { theme.error() } else { theme.text() };
        let pair = format!("{} -> {}", edge.client, edge.server);
        let errors = edge.error_ratio.map_or("—".into(), percent);
        let text = format!(
            " {}{:>FIGURE_WIDTH$}{errors:>FIGURE_WIDTH$}{:>FIGURE_WIDTH$}",
            pad(&pair, pair_width),
            rate(edge.rate),
            seconds(edge.p99)
        );
        let line = Line::styled(text, style);
        lines.push(match i == selected {
            true => line.patch_style(theme.selection()),
            false => line,
        });
    }
    // Below the table, where there is room: the graph itself.
    let room = (area.height as usize).saturating_sub(lines.len() + 2);
    if room > 0 && area.width as usize >= GRAPH_WIDTH {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            " who calls whom (failing calls in red)",
            theme.dim(),
        ));
        for pieces in graph_lines(&edges.edges).into_iter().take(room) {
            let spans = pieces.into_iter().map(|(text, failing)| match failing {
                true => Span::styled(text, theme.error()),
                false => Span::styled(text, theme.text()),
            });
            lines.push(Line::from(
                std::iter::once(Span::raw(" "))
                    .chain(spans)
                    .collect::<Vec<_>>(),
            ));
        }
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// Eight heights of block over the line's last `width` points, scaled to
/// its own highest; a gap where Prometheus had no number.
fn sparkline(line: &[f64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let tail = &line[line.len().saturating_sub(width)..];
    let top = tail
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let bars: String = tail
        .iter()
        .map(|&v| match (v.is_finite(), top > 0.0) {
            (false, _) => ' ',
            (true, false) => BARS[0],
            (true, true) => BARS[((v / top) * 7.0).round().clamp(0.0, 7.0) as usize],
        })
        .collect();
    format!("{bars:<width$}")
}

fn rate(value: f64) -> String {
    match value {
        v if !v.is_finite() => "—".into(),
        v if v >= 100.0 => format!("{v:.0}"),
        v => format!("{v:.2}"),
    }
}

fn percent(ratio: f64) -> String {
    match ratio {
        r if !r.is_finite() => "—".into(),
        0.0 => "0%".into(),
        r => format!("{:.1}%", r * 100.0),
    }
}

fn seconds(value: f64) -> String {
    if !value.is_finite() {
        return "—".into();
    }
    super::format::duration((value.max(0.0) * 1e9) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_scale_to_their_own_top_and_leave_gaps() {
        assert_eq!(sparkline(&[0.0, 1.0, 2.0, f64::NAN], 4), "▁▅█ ");
        assert_eq!(sparkline(&[0.0, 0.0], 4), "▁▁  ");
        assert_eq!(sparkline(&[5.0; 20], 3), "███");
        assert_eq!(
            (percent(0.1234), rate(1234.6), seconds(f64::NAN)),
            ("12.3%".into(), "1235".into(), "—".into())
        );
    }
}
