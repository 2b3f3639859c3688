//! A trace's span waterfall: collapse, expand, detail, and the jump to a
//! span's pod.

use crate::app::action::Action;
use crate::app::cursor::Cursor;
use crate::app::effect::{Effect, RequestId};
use crate::app::keys::{Binding, ch, key};
use crate::app::layout;
use crate::app::loadable::Loadable;
use crate::app::msg::Msg;
use crate::app::notice::Notice;
use crate::app::screen::{Ctx, Screen};
use crate::app::target::Target;
use crossterm::event::KeyCode;
use triage_core::backend::BackendError;
use triage_core::correlate::Waterfall;
use triage_core::domain::{Trace, TraceId};

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
        &[ch('d'), key(KeyCode::Enter)],
        Action::ToggleDetail,
        "span detail: attributes, events, status",
    )
    .hint("detail"),
];

impl TraceView {
    pub fn open(trace_id: TraceId, cx: &mut Ctx) -> Self {
        let id = cx.ask(|id| Effect::FetchTrace { id, trace_id });
        let load = Loadable::Loading { id, since: cx.now };
        TraceView { trace_id, load }
    }

    /// `p` on a span: its pod, named by the resource's `k8s.namespace.name`
    /// and `k8s.pod.name`.
    fn open_pod(&self, cx: &mut Ctx) {
        let Loadable::Ready(model) = &self.load else {
            return;
        };
        let Some(span) = model
            .selected_row()
            .and_then(|row| model.waterfall.rows.get(row))
            .and_then(|node| model.trace.spans.get(node.span as usize))
        else {
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
}

impl Screen for TraceView {
    fn keys(&self) -> &'static [Binding] {
        KEYS
    }

    fn hints(&self) -> &'static [Action] {
        &[
            Action::ToggleCollapse,
            Action::ToggleDetail,
            Action::OpenPod,
            Action::Back,
            Action::ToggleHelp,
        ]
    }

    fn act(&mut self, action: Action, cx: &mut Ctx) {
        if action == Action::OpenPod {
            return self.open_pod(cx);
        }
        let Loadable::Ready(model) = &mut self.load else {
            return;
        };
        let page = layout::trace_list_rows(cx.height, model.detail);
        if model.cursor.act(action, model.visible.len(), page) {
            return;
        }
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

    fn receive(&mut self, msg: Msg, cx: &mut Ctx) {
        let Msg::TraceLoaded { result, .. } = msg else {
            return;
        };
        self.load = match result {
            Ok(trace) => {
                if let Some(warning) = &trace.partial {
                    cx.tell(Notice::PartialTrace(warning.clone()));
                }
                Loadable::Ready(TraceModel::new(trace))
            }
            Err(e) => Loadable::Failed(e),
        };
    }

    fn pending(&self) -> Option<RequestId> {
        self.load.pending()
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
        }
    }
}

pub struct TraceView {
    pub trace_id: TraceId,
    pub load: Loadable<TraceModel>,
}

/// A loaded trace and where the user is in it.
#[derive(Debug)]
pub struct TraceModel {
    pub trace: Trace,
    pub waterfall: Waterfall,
    /// Per waterfall row.
    pub collapsed: Vec<bool>,
    /// Waterfall rows not hidden by a collapsed ancestor.
    pub visible: Vec<u32>,
    /// Over `visible`.
    pub cursor: Cursor,
    pub detail: bool,
}

impl TraceModel {
    pub fn new(trace: Trace) -> Self {
        let waterfall = Waterfall::new(&trace);
        let collapsed = vec![false; waterfall.rows.len()];
        let visible = waterfall.visible_rows(&collapsed);
        TraceModel {
            trace,
            waterfall,
            collapsed,
            visible,
            cursor: Cursor::default(),
            detail: false,
        }
    }

    /// The waterfall row under the cursor.
    pub fn selected_row(&self) -> Option<usize> {
        self.visible.get(self.cursor.selected).map(|&r| r as usize)
    }

    pub fn set_collapsed(&mut self, row: usize, collapsed: bool) {
        if !self.waterfall.has_children(row) || self.collapsed[row] == collapsed {
            return;
        }
        self.collapsed[row] = collapsed;
        self.visible = self.waterfall.visible_rows(&self.collapsed);
        self.select_row(row);
    }

    /// Puts the cursor on a waterfall row, if it is visible.
    pub fn select_row(&mut self, row: usize) {
        if let Ok(position) = self.visible.binary_search(&(row as u32)) {
            self.cursor.selected = position;
        }
    }
}
