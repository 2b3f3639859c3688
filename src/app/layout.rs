//! The screen's geometry, shared by `update` (to keep the cursor in view)
//! and the views (to draw): a title row, the body, a status row.

use triage_core::domain::text::wrap_points;

/// Rows above and below the body.
pub const CHROME_ROWS: u16 = 2;
/// `HH:MM:SS.mmm` and a space.
pub const LOG_TIME_WIDTH: usize = 13;
/// Sources (pod names) longer than this are cut.
pub const MAX_SOURCE_WIDTH: usize = 32;

pub fn body_rows(height: u16) -> usize {
    height.saturating_sub(CHROME_ROWS) as usize
}

/// Rows of the pods list: the body less its column header.
pub fn pods_rows(height: u16) -> usize {
    body_rows(height).saturating_sub(1)
}

/// Rows above the trace search's list: the TraceQL, and the column
/// header or Tempo's complaint.
pub const TRACES_HEADER_ROWS: usize = 2;

pub fn traces_list_rows(height: u16) -> usize {
    body_rows(height).saturating_sub(TRACES_HEADER_ROWS)
}

/// Rows above the spans: the trace's summary, the selected span's
/// ancestors and the time ruler.
pub const TRACE_HEADER_ROWS: usize = 3;

/// Rows of the span list; the detail pane, when open, takes the rest.
pub fn trace_list_rows(height: u16, detail: bool) -> usize {
    let body = body_rows(height);
    let list = if detail {
        body - detail_rows(height)
    } else {
        body
    };
    list.saturating_sub(TRACE_HEADER_ROWS)
}

pub fn detail_rows(height: u16) -> usize {
    body_rows(height) * 2 / 5
}

/// Rows of the volume histogram above a Loki logs view (its bars and a row
/// of marks); none on a screen too short to spare them.
pub fn volume_rows(height: u16) -> usize {
    if body_rows(height) >= 16 { 5 } else { 0 }
}

/// Rows of the patterns list: the body less its heading.
pub fn patterns_rows(height: u16) -> usize {
    body_rows(height).saturating_sub(1)
}

/// Rows of the fields pane under a log's lines.
pub fn fields_rows(height: u16) -> usize {
    detail_rows(height)
}

/// Columns before a log line's text: time, source, and their gaps.
pub fn log_prefix_width(source_width: usize) -> usize {
    LOG_TIME_WIDTH + source_width + 1
}

/// Rows one log line takes: one, or as many as it wraps into.
pub fn log_line_rows(text: &str, screen_width: u16, source_width: usize, wrap: bool) -> usize {
    let room = (screen_width as usize).saturating_sub(log_prefix_width(source_width));
    if wrap {
        1 + wrap_points(text, room).count()
    } else {
        1
    }
}

/// Room for the y axis's labels, e.g. `1.25k` or `350ms`.
pub const METRICS_Y_LABEL_WIDTH: u16 = 8;

/// Columns of the metrics chart's plot: the screen less its y-axis labels.
pub fn metrics_chart_columns(width: u16) -> u16 {
    width.saturating_sub(METRICS_Y_LABEL_WIDTH + 1)
}

/// Braille dots across the metrics chart: two a column.
pub fn metrics_chart_dots(width: u16) -> usize {
    metrics_chart_columns(width) as usize * 2
}
