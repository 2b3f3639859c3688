//! A structured line (JSON, logfmt) read as fields: `J` opens them under
//! the list with a cursor of their own; on a field, `i` narrows the query
//! to its value and `x` leaves its value out (Loki asked again, as
//! Grafana's filter for value does), `c` shows it as a column in place of
//! the raw lines.

use super::{LogSource, LogsView, Search};
use crate::app::action::Action;
use crate::app::cursor::Cursor;
use crate::app::notice::Notice;
use crate::app::screen::Ctx;
use crate::app::target::Target;
use triage_core::correlate::narrow;
use triage_core::domain::structured::{self, Fields, Format};

/// The fields pane's cursor, while it is open.
#[derive(Debug, Default)]
pub struct FieldsPane {
    pub cursor: Cursor,
}

impl LogsView {
    /// The selected line's fields, read now: a line is read again rather
    /// than its fields kept, so memory holds lines, not their parts.
    pub fn selected_fields(&self) -> Option<Fields> {
        structured::parse(&self.selected_row()?.line.line)
    }

    /// `J`: the selected line's fields, or back to the lines.
    pub(super) fn toggle_fields(&mut self, cx: &mut Ctx) {
        if self.fields.take().is_some() {
            return;
        }
        if self.selected_fields().is_none() {
            return cx.tell(Notice::NotStructured);
        }
        self.fields = Some(FieldsPane::default());
    }

    /// Keys while the pane is open: the cursor moves over the fields.
    /// Whether the key was the pane's.
    pub(super) fn fields_act(&mut self, action: Action, cx: &mut Ctx) -> bool {
        if self.fields.is_none() {
            return false;
        }
        let count = self.selected_fields().map_or(0, |f| f.fields.len());
        let rows = crate::app::layout::fields_rows(cx.height);
        if let Some(pane) = self.fields.as_mut()
            && pane.cursor.act(action, count, rows)
        {
            return true;
        }
        match action {
            Action::Narrow | Action::Exclude => self.narrow(action == Action::Narrow, cx),
            Action::ToggleColumn => self.toggle_column(),
            _ => return false,
        }
        true
    }

    /// The field under the pane's cursor, and the line's format.
    fn field(&self) -> Option<(Format, structured::Field)> {
        let fields = self.selected_fields()?;
        let at = self.fields.as_ref()?.cursor.selected;
        Some((fields.format, fields.fields.get(at)?.clone()))
    }

    /// Only the lines whose field has this value (`keep`), or all but them:
    /// Loki asked again with `| json | key="value"`. A container's log has
    /// no Loki to ask: its lines are filtered where they are.
    fn narrow(&mut self, keep: bool, cx: &mut Ctx) {
        let Some((format, field)) = self.field() else {
            return;
        };
        if !field.filterable {
            return cx.tell(Notice::NotFilterable(field.key));
        }
        let LogSource::Loki { logql, .. } = &self.source else {
            return self.filter_by_field(format, &field, keep, cx);
        };
        match narrow(logql, format, &field.key, &field.value, keep) {
            Some(narrowed) => cx.go(Target::Logs(narrowed)),
            None => cx.tell(Notice::NotFilterable(field.key)),
        }
    }

    /// A streamed log narrowed in place: the search becomes the field as
    /// the line writes it, and only matching lines are shown.
    fn filter_by_field(
        &mut self,
        format: Format,
        field: &structured::Field,
        keep: bool,
        cx: &mut Ctx,
    ) {
        if !keep {
            return cx.tell(Notice::ExcludeNeedsLoki);
        }
        let key = field.key.rsplit('.').next().unwrap_or(&field.key);
        let (key, value) = (regex::escape(key), regex::escape(&field.value));
        let pattern = match format {
            Format::Json => format!(r#""{key}"\s*:\s*"?{value}\b"#),
            Format::Logfmt => format!(r#"(^|\s){key}="?{value}\b"#),
        };
        self.fields = None;
        self.reshow(|l| {
            l.search = Some(Search::new(pattern, 0, None));
            l.filter = true;
        });
    }

    /// `c`: the field as a column in place of the raw lines, or not.
    fn toggle_column(&mut self) {
        let Some((_, field)) = self.field() else {
            return;
        };
        let key = field.key.to_string();
        match self.columns.iter().position(|c| *c == key) {
            Some(at) => drop(self.columns.remove(at)),
            None => self.columns.push(key),
        }
    }
}
