//! The metrics view: a braille line chart of a range query with its
//! exemplars as markers, the legend, and the exemplar list.

use super::editor;
use super::format::{self, clock};
use super::text::{fit, pad};
use super::theme::Styles;
use crate::app::Loadable;
use crate::app::State;
use crate::app::layout::METRICS_Y_LABEL_WIDTH;
use crate::app::prompt::Language;
use crate::app::views::metrics::{MetricsModel, MetricsView, x_of};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::widgets::canvas::{Canvas, Line as CanvasLine, Points};
use triage_core::config::Theme;
use triage_core::domain::Nanos;
use triage_core::domain::Unit;

/// Legend rows at most; the legend scrolls with its cursor beyond that.
const LEGEND_ROWS: usize = 5;
/// The chart's height is bounded so that a tall terminal also shows exemplars.
const CHART_ROWS: [u16; 2] = [4, 24];
/// The list's rows when printing all of it.
const PRINT_LIST_MIN: usize = 16;

fn legend_rows(model: &MetricsModel) -> usize {
    model.series.len().min(LEGEND_ROWS) + usize::from(model.left_out > 0)
}

/// Rows for printing everything: the chart at full height and every exemplar.
pub fn natural_rows(view: &MetricsView) -> usize {
    match &view.load {
        Loadable::Ready(model) => {
            1 + legend_rows(model)
                + CHART_ROWS[1] as usize
                + (model.exemplars.len() + 1).max(PRINT_LIST_MIN)
        }
        _ => 2,
    }
}

pub fn draw(frame: &mut Frame, area: Rect, view: &MetricsView, state: &State) {
    let editor = editor::open(state, Language::PromQl);
    let [editor_area, area] = Layout::vertical([
        Constraint::Length(u16::from(editor.is_some())),
        Constraint::Fill(1),
    ])
    .areas(area);
    draw_graph(frame, area, view, state);
    if let Some(prompt) = editor {
        editor::draw(frame, editor_area, prompt, state);
        // Below Prometheus's complaint, when there is one, not over it.
        let below = match view.load.failed() {
            Some(_) => area.inner(ratatui::layout::Margin::new(0, 1)),
            None => area,
        };
        editor::draw_completion(frame, below, prompt, state);
    }
}

fn draw_graph(frame: &mut Frame, area: Rect, view: &MetricsView, state: &State) {
    let theme = &state.settings.theme;
    let Some(model) = super::loaded(frame, area, &view.load, view.title.as_str(), state) else {
        return;
    };
    let legend = legend_rows(model) as u16;
    let rest = area.height.saturating_sub(1 + legend);
    let chart = (rest * 3 / 5).clamp(CHART_ROWS[0], CHART_ROWS[1]).min(rest);
    let [summary_area, chart_area, legend_area, list_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(chart),
        Constraint::Length(legend),
        Constraint::Fill(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(summary(view, model, theme)), summary_area);
    draw_chart(frame, chart_area, view, model, state);
    frame.render_widget(Paragraph::new(legend_lines(model, theme)), legend_area);
    frame.render_widget(
        Paragraph::new(exemplar_lines(model, state, list_area.height as usize)),
        list_area,
    );
}

fn summary(view: &MetricsView, model: &MetricsModel, theme: &Theme) -> Line<'static> {
    let mut spans = vec![
        Span::styled(format!(" {}", view.title), theme.accent()),
        Span::raw(format!(
            " · {} window",
            format::duration(view.span.as_nanos() as i64)
        )),
        Span::raw(format!(" · {} series", model.series.len())),
    ];
    if model.left_out > 0 {
        spans.push(Span::styled(
            format!(" ({} more not drawn)", model.left_out),
            theme.warn(),
        ));
    }
    if let Some(unit) = &model.unit {
        spans.push(Span::raw(format!(" · in {unit}")));
    }
    spans.push(Span::raw(format!(" · {} exemplars", model.exemplars.len())));
    for warning in &model.warnings {
        spans.push(Span::styled(format!(" · ⚠ {warning}"), theme.warn()));
    }
    Line::from(spans)
}

/// The graph's unit: from metadata when it names one, else from the name.
fn graph_unit(view: &MetricsView, model: &MetricsModel) -> Unit {
    let from_metadata = model
        .unit
        .as_ref()
        .and_then(|u| Unit::from_metadata(u.as_str()));
    from_metadata.unwrap_or_else(|| Unit::of_expression(&view.expression))
}

/// The chart: y labels, axes, the series on one braille canvas, and the
/// exemplars as markers on top. One canvas layer for all series, rather
/// than `Chart`'s layer per dataset, keeps a redraw cheap at 50 series.
fn draw_chart(
    frame: &mut Frame,
    area: Rect,
    view: &MetricsView,
    model: &MetricsModel,
    state: &State,
) {
    let theme = &state.settings.theme;
    if area.height < 3 || area.width <= METRICS_Y_LABEL_WIDTH + 2 {
        return;
    }
    let [labels, plot_column] = Layout::horizontal([
        Constraint::Length(METRICS_Y_LABEL_WIDTH + 1),
        Constraint::Fill(1),
    ])
    .areas(area);
    let [plot, x_axis, x_labels] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(plot_column);
    let range = view.range();
    let width = x_of(range.end, range.start);
    let [low, high] = model.y_bounds;
    let canvas = Canvas::default()
        .marker(Marker::Braille)
        .x_bounds([0.0, width])
        .y_bounds([low, high])
        .paint(|ctx| {
            for line in model.lines.iter().filter(|l| model.shows(l.series)) {
                let color = theme.series(line.series).fg.unwrap_or_default();
                if let [point] = line.points.as_slice() {
                    ctx.draw(&Points {
                        coords: &[*point],
                        color,
                    });
                }
                for pair in line.points.windows(2) {
                    ctx.draw(&CanvasLine::new(
                        pair[0].0, pair[0].1, pair[1].0, pair[1].1, color,
                    ));
                }
            }
        });
    frame.render_widget(canvas, plot);
    draw_exemplar_markers(frame, plot, model, range.start, [width, low, high], state);
    draw_axes(frame, [labels, plot, x_axis, x_labels], view, model, state);
}

/// Exemplars as `•` on the cell their time and value fall in (clamped to
/// the chart), the selected one as `█`.
fn draw_exemplar_markers(
    frame: &mut Frame,
    plot: Rect,
    model: &MetricsModel,
    start: Nanos,
    [width, low, high]: [f64; 3],
    state: &State,
) {
    let theme = &state.settings.theme;
    let cell = |e: &triage_core::domain::Exemplar| {
        let x = x_of(e.time, start) / width.max(f64::MIN_POSITIVE);
        let y = (e.value.clamp(low, high) - low) / (high - low);
        let column = (x * f64::from(plot.width - 1)).round() as u16;
        let row = (y * f64::from(plot.height - 1)).round() as u16;
        (
            plot.x + column.min(plot.width - 1),
            plot.bottom() - 1 - row.min(plot.height - 1),
        )
    };
    let buffer = frame.buffer_mut();
    for e in &model.exemplars {
        buffer[cell(e)].set_symbol("•").set_style(theme.text());
    }
    if let Some(e) = model.exemplars.get(model.cursor.selected) {
        buffer[cell(e)].set_symbol("█").set_style(theme.warn());
    }
}

/// The y axis's labels (bottom, middle, top) and line, the x axis's line
/// and its times (start, middle, end).
fn draw_axes(
    frame: &mut Frame,
    [labels, plot, x_axis, x_labels]: [Rect; 4],
    view: &MetricsView,
    model: &MetricsModel,
    state: &State,
) {
    let theme = &state.settings.theme;
    let unit = graph_unit(view, model);
    let [low, high] = model.y_bounds;
    let buffer = frame.buffer_mut();
    for (row, value) in [
        (plot.bottom() - 1, low),
        (plot.y + plot.height / 2, (low + high) / 2.0),
        (plot.y, high),
    ] {
        let text = fit(&format::value(value, unit), METRICS_Y_LABEL_WIDTH as usize);
        buffer.set_string(labels.x, row, text, theme.dim());
    }
    let axis_x = labels.right() - 1;
    for row in plot.top()..plot.bottom() {
        buffer[(axis_x, row)].set_symbol("│").set_style(theme.dim());
    }
    buffer[(axis_x, x_axis.y)]
        .set_symbol("└")
        .set_style(theme.dim());
    buffer.set_string(
        x_axis.x,
        x_axis.y,
        "─".repeat(x_axis.width as usize),
        theme.dim(),
    );
    let range = view.range();
    let time = |t| clock(t, state.settings.utc)[..8].to_owned();
    let times = [
        time(range.start),
        time(range.start / 2 + range.end / 2),
        time(range.end),
    ];
    let text = spread(&times, x_labels.width as usize);
    buffer.set_string(x_labels.x, x_labels.y, text, theme.dim());
}

/// Three labels at the left, the middle and the right of `width` cells;
/// the middle one gives way when there is no room.
fn spread([left, middle, right]: &[String; 3], width: usize) -> String {
    let used = left.len() + middle.len() + right.len();
    if used + 2 > width {
        let gap = width.saturating_sub(left.len() + right.len());
        return fit(&format!("{left}{}{right}", " ".repeat(gap)), width);
    }
    let first_gap = ((width - middle.len()) / 2).saturating_sub(left.len());
    let second_gap = (width - used).saturating_sub(first_gap);
    format!(
        "{left}{}{middle}{}{right}",
        " ".repeat(first_gap),
        " ".repeat(second_gap)
    )
}

fn legend_lines<'a>(model: &'a MetricsModel, theme: &Theme) -> Vec<Line<'a>> {
    let first = model.focus.saturating_sub(LEGEND_ROWS - 1);
    let mut lines: Vec<Line> = model
        .series
        .iter()
        .enumerate()
        .skip(first)
        .take(LEGEND_ROWS)
        .map(|(i, series)| {
            let mark = if i == model.focus { "▶" } else { " " };
            let alone = if i == model.focus && model.isolated {
                "  (shown alone: i for all)"
            } else {
                ""
            };
            let style = if model.shows(i) {
                theme.series(i)
            } else {
                theme.dim()
            };
            Line::from(vec![
                Span::raw(format!("{mark} ")),
                Span::styled("━━ ", style),
                Span::raw(series.labels.to_string()),
                Span::styled(alone, theme.dim()),
            ])
        })
        .collect();
    if model.left_out > 0 {
        lines.push(Line::styled(
            format!(
                "  {} more series not drawn: narrow the query (sum by, topk)",
                model.left_out
            ),
            theme.warn(),
        ));
    }
    lines
}

fn exemplar_lines<'a>(model: &'a MetricsModel, state: &State, rows: usize) -> Vec<Line<'a>> {
    let theme = &state.settings.theme;
    let label = &state.settings.exemplar_trace_label;
    if model.exemplars.is_empty() {
        let why = match &model.exemplar_error {
            Some(e) => Span::styled(
                format!(" exemplars: {}", super::notice::backend_error(e)),
                theme.error(),
            ),
            None => Span::styled(
                " no exemplars for this query in this window (a server without exemplar storage has none)",
                theme.dim(),
            ),
        };
        return vec![Line::from(why)];
    }
    let header = Line::styled(
        format!(" {:<12} {:>10}  {:<32}  series", "time", "value", label),
        theme.dim(),
    );
    let rows = rows.saturating_sub(1).max(1);
    let first = model.cursor.selected.saturating_sub(rows - 1);
    let unit = Unit::None;
    let mut lines = vec![header];
    lines.extend(
        model
            .exemplars
            .iter()
            .enumerate()
            .skip(first)
            .take(rows)
            .map(|(i, e)| {
                let trace = e
                    .trace_id(label)
                    .map_or_else(|| "-".to_owned(), |t| t.to_string());
                let text = format!(
                    " {} {:>10}  {:<32}  {}",
                    pad(&clock(e.time, state.settings.utc), 12),
                    fit(&format::value(e.value, unit), 10),
                    trace,
                    e.series
                );
                let line = Line::styled(text, theme.text());
                if i == model.cursor.selected {
                    line.style(theme.selection())
                } else {
                    line
                }
            }),
    );
    lines
}
