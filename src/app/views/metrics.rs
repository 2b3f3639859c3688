//! The metrics view's state: a PromQL expression over a window of time,
//! its series prepared once for drawing, and a cursor over its exemplars.

use crate::app::action::Action;
use crate::app::cursor::Cursor;
pub use crate::app::effect::MetricSource;
use crate::app::effect::{Effect, RequestId};
use crate::app::keys::{Binding, ch, key};
use crate::app::layout;
use crate::app::loadable::Loadable;
use crate::app::msg::{Metrics, Msg};
use crate::app::notice::Notice;
use crate::app::prompt::PromptKind;
use crate::app::screen::{Copied, Ctx, PromptEvent, Screen};
use crate::app::target::Target;
use crossterm::event::KeyCode;
use std::sync::Arc;
use std::time::Duration;
use triage_core::backend::BackendError;
use triage_core::correlate::logql_string;
use triage_core::domain::logql::{log_query_of, range_of};
use triage_core::domain::time::NANOS_PER_SEC;
use triage_core::domain::{Exemplar, Labels, Nanos, SafeText, Series, TimeRange};

/// A graph's keys: those of its cursor (`$cursor`), then those every
/// graph has, written once.
macro_rules! graph_keys {
    ($($cursor:expr),* $(,)?) => {
        &[
            $($cursor,)*
            Binding::new(
                &[ch('-')],
                Action::ZoomOut,
                "longer window: 5m 15m 1h 6h 24h 7d",
            )
            .hint("window"),
            Binding::new(&[ch('+'), ch('=')], Action::ZoomIn, "shorter window").hint("window"),
            Binding::new(&[ch('[')], Action::Earlier, "move the window back by half").hint("move"),
            Binding::new(
                &[ch(']')],
                Action::Later,
                "move the window forward by half (not past now)",
            )
            .hint("move"),
            Binding::new(
                &[key(KeyCode::Tab)],
                Action::NextSeries,
                "select the next series in the legend",
            ),
            Binding::new(
                &[ch('i')],
                Action::Isolate,
                "show only the selected series / all",
            ),
            Binding::new(
                &[ch('e')],
                Action::EditQuery,
                "edit the expression: Tab completes, ↑↓ history, Enter runs",
            )
            .hint("edit"),
        ]
    };
}

pub const KEYS: &[Binding] = graph_keys![
    Binding::new(
        &[key(KeyCode::Enter)],
        Action::Open,
        "open the selected exemplar's trace",
    )
    .hint("trace"),
    Binding::new(
        &[ch('h'), key(KeyCode::Left)],
        Action::Up,
        "previous exemplar (earlier on the chart)",
    )
    .hint("exemplar"),
    Binding::new(
        &[ch('l'), key(KeyCode::Right)],
        Action::Down,
        "next exemplar (later on the chart)",
    )
    .hint("exemplar"),
];

/// A LogQL metric query's graph: its points are what the cursor visits.
pub const LOKI_KEYS: &[Binding] = graph_keys![
    Binding::new(
        &[key(KeyCode::Enter)],
        Action::Open,
        "open the log lines behind the selected point",
    )
    .hint("logs"),
    Binding::new(
        &[ch('h'), key(KeyCode::Left)],
        Action::Up,
        "previous point (earlier on the chart)",
    )
    .hint("point"),
    Binding::new(
        &[ch('l'), key(KeyCode::Right)],
        Action::Down,
        "next point (later on the chart)",
    )
    .hint("point"),
];

/// More series than this are not drawn; the view says how many were left out.
pub const MAX_SERIES: usize = 50;

/// Window lengths offered by `+` and `-`.
pub const SPANS: [Duration; 6] = [
    Duration::from_secs(300),
    Duration::from_secs(900),
    Duration::from_secs(3600),
    Duration::from_secs(6 * 3600),
    Duration::from_secs(24 * 3600),
    Duration::from_secs(7 * 24 * 3600),
];

pub struct MetricsView {
    pub source: MetricSource,
    /// Sent to the source as written.
    pub expression: String,
    pub title: SafeText,
    pub span: Duration,
    /// Where the window ends; `[` and `]` move it.
    pub end: Nanos,
    pub load: Loadable<MetricsModel>,
}

impl MetricsView {
    pub fn new(
        source: MetricSource,
        expression: String,
        span: Duration,
        end: Nanos,
        load: Loadable<MetricsModel>,
    ) -> Self {
        MetricsView {
            source,
            title: SafeText::new(&expression),
            expression,
            span,
            end,
            load,
        }
    }

    /// A graph of `expression` over `span` ending at `end` (never past
    /// now), asked of `source` at once.
    pub fn open(
        source: MetricSource,
        expression: String,
        span: Duration,
        end: Nanos,
        cx: &mut Ctx,
    ) -> Self {
        let loading = Loadable::Loading {
            id: RequestId(0),
            since: cx.now,
        };
        let mut view = MetricsView::new(source, expression, span, end.min(cx.now), loading);
        view.ask(cx);
        view
    }

    pub fn range(&self) -> TimeRange {
        TimeRange::last(self.span, self.end)
    }

    /// Asks for a new window; a request still out for the old one is
    /// cancelled.
    fn fetch(&mut self, cx: &mut Ctx) {
        cx.cancel(self.load.pending());
        self.ask(cx);
    }

    /// Asks for the window, a point per braille dot.
    fn ask(&mut self, cx: &mut Ctx) {
        let step = step_for(self.span, layout::metrics_chart_columns(cx.width));
        let (expression, range, source) = (self.expression.clone(), self.range(), self.source);
        let id = cx.ask(|id| Effect::FetchMetrics {
            id,
            source,
            expression,
            range,
            step,
        });
        self.load = Loadable::Loading { id, since: cx.now };
    }

    fn open_exemplar(&self, cx: &mut Ctx) {
        let Loadable::Ready(model) = &self.load else {
            return;
        };
        if self.source == MetricSource::Loki {
            return self.open_point_logs(model, cx);
        }
        let label = &cx.settings.exemplar_trace_label;
        match model
            .exemplars
            .get(model.cursor.selected)
            .map(|e| e.trace_id(label))
        {
            Some(Some(trace_id)) => cx.go(Target::Trace(trace_id)),
            Some(None) => cx.tell(Notice::ExemplarWithoutLabel(label.clone())),
            None => cx.tell(Notice::NoExemplars),
        }
    }
}

impl MetricsView {
    /// Enter on a Loki graph's point: the lines it counted, over its range,
    /// narrowed to its series' labels.
    fn open_point_logs(&self, model: &MetricsModel, cx: &mut Ctx) {
        let Some(point) = model.exemplars.get(model.cursor.selected) else {
            return cx.tell(Notice::NoExemplars);
        };
        let Some(logql) = log_query_of(&self.expression) else {
            return cx.tell(Notice::NoLogQueryInside);
        };
        let filters: String = (point.series.0.iter())
            .map(|(label, value)| format!(" | {label}={}", logql_string(value)))
            .collect();
        // A point counts the lines of its range (`[1m]`) up to its time.
        let counted = range_of(&self.expression)
            .unwrap_or_else(|| step_for(self.span, layout::metrics_chart_columns(cx.width)));
        let counted = i64::try_from(counted.as_nanos()).unwrap_or(i64::MAX);
        cx.go(Target::LogsBetween {
            logql: format!("{logql}{filters}"),
            range: TimeRange {
                start: point.time.saturating_sub(counted),
                end: point.time,
            },
        });
    }
}

/// A Loki graph's points with a count, as places the cursor visits (the
/// exemplars of a Prometheus graph).
fn points(series: &[Series]) -> Vec<Exemplar> {
    let mut points: Vec<Exemplar> = (series.iter())
        .flat_map(|s| {
            let labels = Arc::new(s.labels.clone());
            (s.points.iter())
                .filter(|p| p.value > 0.0)
                .map(move |p| Exemplar {
                    series: Arc::clone(&labels),
                    labels: Labels::default(),
                    value: p.value,
                    time: p.time,
                })
        })
        .collect();
    points.sort_by_key(|p| p.time);
    points
}

impl Screen for MetricsView {
    fn copied(&self) -> Option<Copied> {
        Copied::new("expression", &self.expression)
    }

    fn keys(&self) -> &'static [Binding] {
        match self.source {
            MetricSource::Prometheus => KEYS,
            MetricSource::Loki => LOKI_KEYS,
        }
    }

    fn hints(&self) -> &'static [Action] {
        &[
            Action::Open,
            Action::Up,
            Action::Down,
            Action::ZoomOut,
            Action::ZoomIn,
            Action::Earlier,
            Action::Later,
            Action::EditQuery,
            Action::ToggleHelp,
        ]
    }

    fn act(&mut self, action: Action, cx: &mut Ctx) {
        match action {
            Action::EditQuery => {
                let language = self.source.language();
                return cx.open_prompt(PromptKind::Expression(language), &self.expression);
            }
            Action::ZoomOut | Action::ZoomIn => {
                self.span = zoom(self.span, action == Action::ZoomOut);
                return self.fetch(cx);
            }
            Action::Earlier | Action::Later => {
                // Half a window at a time, never past now.
                let half = i64::try_from(self.span.as_nanos() / 2).unwrap_or(i64::MAX);
                let end = if action == Action::Earlier {
                    self.end.saturating_sub(half)
                } else {
                    self.end.saturating_add(half)
                };
                self.end = end.min(cx.now);
                return self.fetch(cx);
            }
            Action::Open => return self.open_exemplar(cx),
            _ => {}
        }
        let Loadable::Ready(model) = &mut self.load else {
            return;
        };
        if model.cursor.act(action, model.exemplars.len(), 10) {
            return;
        }
        match action {
            Action::NextSeries if !model.series.is_empty() => {
                model.focus = (model.focus + 1) % model.series.len()
            }
            Action::Isolate => model.isolated = !model.isolated,
            _ => {}
        }
    }

    fn receive(&mut self, msg: Msg, cx: &mut Ctx) {
        let Msg::MetricsLoaded { result, .. } = msg else {
            return;
        };
        // Prometheus refused the expression (bad_data): back into the
        // editor, with its words right under it.
        let refused = matches!(&result, Err(e) if e.status == Some(400));
        self.load = match result {
            Ok(Metrics {
                series,
                exemplars,
                unit,
            }) => {
                let exemplars = match self.source {
                    MetricSource::Prometheus => exemplars,
                    MetricSource::Loki => Ok(points(&series.data)),
                };
                let dots = layout::metrics_chart_dots(cx.width);
                let mut model =
                    MetricsModel::new(series.data, series.warnings, exemplars, self.range(), dots);
                model.unit = unit;
                Loadable::Ready(model)
            }
            Err(e) => Loadable::Failed(e),
        };
        if refused && cx.on_top && cx.prompt().is_none() {
            let language = self.source.language();
            cx.open_prompt(PromptKind::Expression(language), &self.expression);
        }
    }

    fn prompt(&mut self, event: PromptEvent, cx: &mut Ctx) {
        let PromptEvent::Submitted(expression) = event else {
            return;
        };
        if expression.is_empty() {
            return cx.tell(Notice::NoExpression);
        }
        self.title = SafeText::new(&expression);
        self.expression = expression;
        self.fetch(cx);
    }

    fn pending(&self) -> Option<RequestId> {
        self.load.pending()
    }

    fn target(&self) -> Option<Target> {
        let (span, end) = (self.span, i64::MAX);
        Some(match self.source {
            MetricSource::Prometheus => Target::Metrics {
                promql: self.expression.clone(),
                span,
                end,
            },
            MetricSource::Loki => Target::LokiMetrics {
                logql: self.expression.clone(),
                span,
                end,
            },
        })
    }

    fn failure(&self) -> Option<&BackendError> {
        self.load.failed()
    }

    fn fit(&mut self, width: u16, _height: u16) {
        if let Loadable::Ready(model) = &mut self.load {
            model.fit(layout::metrics_chart_dots(width));
        }
    }
}

/// A series as drawn: runs of finite points, x in seconds from the
/// window's start. NaN and infinities break a run, so gaps show as gaps.
/// Each braille dot column keeps only its lowest and highest point: all
/// the eye can see, and what keeps a redraw cheap whatever the answer held.
#[derive(Debug)]
pub struct Line {
    /// Index into `MetricsModel::series`.
    pub series: usize,
    pub points: Vec<(f64, f64)>,
}

#[derive(Debug)]
pub struct MetricsModel {
    pub series: Vec<Series>,
    /// Series the answer held beyond `MAX_SERIES`.
    pub left_out: usize,
    pub warnings: Vec<SafeText>,
    pub lines: Vec<Line>,
    /// The y range of the finite values, widened when flat.
    pub y_bounds: [f64; 2],
    /// Oldest first, as they sit along the chart.
    pub exemplars: Vec<Exemplar>,
    /// Why there are no exemplars, when asking for them failed.
    pub exemplar_error: Option<BackendError>,
    /// Over `exemplars`.
    pub cursor: Cursor,
    /// The window the lines are laid out in, and its width in dots.
    range: TimeRange,
    dots: usize,
    /// The series the legend's cursor is on, and whether it is shown alone.
    pub focus: usize,
    pub isolated: bool,
    /// The unit metadata names, if it names one.
    pub unit: Option<SafeText>,
}

impl MetricsModel {
    pub fn new(
        mut series: Vec<Series>,
        warnings: Vec<SafeText>,
        exemplars: Result<Vec<Exemplar>, BackendError>,
        range: TimeRange,
        dots: usize,
    ) -> Self {
        let left_out = series.len().saturating_sub(MAX_SERIES);
        series.truncate(MAX_SERIES);
        let lines = lines(&series, range, dots);
        let y_bounds = y_bounds(&lines);
        let (mut exemplars, exemplar_error) = match exemplars {
            Ok(list) => (list, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        exemplars.sort_by_key(|e| e.time);
        MetricsModel {
            series,
            left_out,
            warnings,
            lines,
            y_bounds,
            exemplars,
            exemplar_error,
            cursor: Cursor::default(),
            range,
            dots,
            focus: 0,
            isolated: false,
            unit: None,
        }
    }

    /// Lays the lines out again for a chart `dots` wide (the terminal was resized).
    pub fn fit(&mut self, dots: usize) {
        if dots != self.dots {
            self.dots = dots;
            self.lines = lines(&self.series, self.range, dots);
        }
    }

    /// Whether a series is drawn: all are, unless one is isolated.
    pub fn shows(&self, series: usize) -> bool {
        !self.isolated || series == self.focus
    }
}

/// Seconds from `start` to `time`, for the chart's x axis.
pub fn x_of(time: Nanos, start: Nanos) -> f64 {
    time.saturating_sub(start) as f64 / NANOS_PER_SEC as f64
}

fn lines(series: &[Series], range: TimeRange, dots: usize) -> Vec<Line> {
    let width = x_of(range.end, range.start).max(f64::MIN_POSITIVE);
    let column = |x: f64| (x / width * dots as f64) as i64;
    let mut lines = Vec::new();
    for (index, s) in series.iter().enumerate() {
        let mut run = Run::default();
        for point in &s.points {
            if point.value.is_finite() {
                let x = x_of(point.time, range.start);
                run.add(column(x), (x, point.value));
            } else if let Some(points) = run.finish() {
                lines.push(Line {
                    series: index,
                    points,
                });
            }
        }
        if let Some(points) = run.finish() {
            lines.push(Line {
                series: index,
                points,
            });
        }
    }
    lines
}

type XY = (f64, f64);

/// A run of finite points being thinned, one dot column at a time.
#[derive(Default)]
struct Run {
    points: Vec<XY>,
    /// The column being gathered, with its lowest and highest point.
    column: Option<(i64, XY, XY)>,
}

impl Run {
    fn add(&mut self, column: i64, point: (f64, f64)) {
        match &mut self.column {
            Some((c, low, high)) if *c == column => {
                if point.1 < low.1 {
                    *low = point;
                }
                if point.1 > high.1 {
                    *high = point;
                }
            }
            _ => {
                self.flush();
                self.column = Some((column, point, point));
            }
        }
    }

    /// The gathered column's points, in time order.
    fn flush(&mut self) {
        if let Some((_, low, high)) = self.column.take() {
            let (first, second) = if low.0 <= high.0 {
                (low, high)
            } else {
                (high, low)
            };
            self.points.push(first);
            if second != first {
                self.points.push(second);
            }
        }
    }

    fn finish(&mut self) -> Option<Vec<(f64, f64)>> {
        self.flush();
        (!self.points.is_empty()).then(|| std::mem::take(&mut self.points))
    }
}

fn y_bounds(lines: &[Line]) -> [f64; 2] {
    let values = lines.iter().flat_map(|l| l.points.iter().map(|p| p.1));
    let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !low.is_finite() {
        return [0.0, 1.0];
    }
    // A graph of non-negative values starts at zero, as Grafana's do.
    let low = if low >= 0.0 { 0.0 } else { low };
    if (high - low).abs() < f64::EPSILON {
        return [low - 1.0, high + 1.0];
    }
    [low, high + (high - low) * 0.05]
}

/// The next window length up or down the list of spans.
pub fn zoom(span: Duration, out: bool) -> Duration {
    let at = SPANS
        .iter()
        .position(|s| *s >= span)
        .unwrap_or(SPANS.len() - 1);
    let at = if out {
        (at + 1).min(SPANS.len() - 1)
    } else {
        at.saturating_sub(1)
    };
    SPANS[at]
}

/// A step that gives about one point per braille dot across `columns`.
pub fn step_for(span: Duration, columns: u16) -> Duration {
    let dots = (u32::from(columns) * 2).max(1);
    (span / dots).max(Duration::from_secs(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use triage_core::domain::{Labels, Point};

    fn series(values: &[f64]) -> Series {
        let points = values
            .iter()
            .enumerate()
            .map(|(i, v)| Point {
                time: i as i64 * NANOS_PER_SEC,
                value: *v,
            })
            .collect();
        Series {
            labels: Labels::default(),
            points,
        }
    }

    #[test]
    fn gaps_split_lines_and_do_not_move_the_bounds() {
        let model = MetricsModel::new(
            vec![series(&[1.0, f64::NAN, 3.0, f64::INFINITY, 2.0])],
            Vec::new(),
            Ok(Vec::new()),
            TimeRange {
                start: 0,
                end: 5 * NANOS_PER_SEC,
            },
            1000,
        );
        let runs: Vec<usize> = model.lines.iter().map(|l| l.points.len()).collect();
        assert_eq!(runs, [1, 1, 1]);
        assert_eq!(model.y_bounds, [0.0, 3.0 + 0.15]);
    }

    #[test]
    fn empty_and_flat_series_still_have_a_scale() {
        let range = TimeRange { start: 0, end: 1 };
        assert_eq!(
            MetricsModel::new(Vec::new(), Vec::new(), Ok(Vec::new()), range, 100).y_bounds,
            [0.0, 1.0]
        );
        let nan = MetricsModel::new(
            vec![series(&[f64::NAN])],
            Vec::new(),
            Ok(Vec::new()),
            range,
            100,
        );
        assert_eq!(nan.y_bounds, [0.0, 1.0]);
        let flat = MetricsModel::new(
            vec![series(&[-2.0, -2.0])],
            Vec::new(),
            Ok(Vec::new()),
            range,
            100,
        );
        assert_eq!(flat.y_bounds, [-3.0, -1.0]);
    }

    #[test]
    fn a_dot_column_keeps_its_lowest_and_highest_point_in_time_order() {
        // Ten points over two columns: 0..5 s and 5..10 s.
        let values = [3.0, 9.0, 1.0, 4.0, 4.0, 2.0, 2.0, 8.0, 2.0, 0.5];
        let range = TimeRange {
            start: 0,
            end: 10 * NANOS_PER_SEC,
        };
        let mut model =
            MetricsModel::new(vec![series(&values)], Vec::new(), Ok(Vec::new()), range, 2);
        assert_eq!(
            model.lines[0].points,
            [(1.0, 9.0), (2.0, 1.0), (7.0, 8.0), (9.0, 0.5)]
        );
        // Wide enough, nothing is thinned.
        model.fit(100);
        assert_eq!(model.lines[0].points.len(), values.len());
        assert_eq!(model.y_bounds[1], 9.0 + 0.45);
    }

    #[test]
    fn many_series_are_capped() {
        let many = (0..MAX_SERIES + 7).map(|_| series(&[1.0])).collect();
        let model = MetricsModel::new(
            many,
            Vec::new(),
            Ok(Vec::new()),
            TimeRange { start: 0, end: 1 },
            100,
        );
        assert_eq!((model.series.len(), model.left_out), (MAX_SERIES, 7));
    }

    #[test]
    fn zoom_and_step() {
        assert_eq!(
            zoom(Duration::from_secs(3600), true),
            Duration::from_secs(6 * 3600)
        );
        assert_eq!(
            zoom(Duration::from_secs(300), false),
            Duration::from_secs(300)
        );
        assert_eq!(
            zoom(Duration::from_secs(7 * 86_400), true),
            Duration::from_secs(7 * 86_400)
        );
        assert_eq!(
            step_for(Duration::from_secs(3600), 180),
            Duration::from_secs(10)
        );
        assert_eq!(
            step_for(Duration::from_secs(300), 1000),
            Duration::from_secs(1)
        );
    }
}
