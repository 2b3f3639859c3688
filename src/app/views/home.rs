//! The first screen: where triage is pointed and, when a Prometheus is,
//! the active alerts on top.

use super::alerts::AlertsView;
use crate::app::action::Action;
use crate::app::effect::RequestId;
use crate::app::keys::{Binding, key};
use crate::app::msg::Msg;
use crate::app::screen::{Ctx, Screen};
use crate::app::target::Target;
use crossterm::event::KeyCode;

pub const KEYS: &[Binding] = &[Binding::new(
    &[key(KeyCode::Enter)],
    Action::Open,
    "graph the alert's expression around when it started",
)
.hint("graph alert")];

pub struct HomeView {
    /// Asked for when the settings say home shows alerts.
    pub alerts: Option<AlertsView>,
}

impl HomeView {
    pub const EMPTY: HomeView = HomeView { alerts: None };
}

impl Screen for HomeView {
    fn keys(&self) -> &'static [Binding] {
        KEYS
    }

    fn hints(&self) -> &'static [Action] {
        match self.alerts {
            Some(_) => &[
                Action::Open,
                Action::OpenCommand,
                Action::ToggleHelp,
                Action::Quit,
            ],
            None => &[Action::OpenCommand, Action::ToggleHelp, Action::Quit],
        }
    }

    fn act(&mut self, action: Action, cx: &mut Ctx) {
        if action == Action::Reload {
            if cx.settings.alerts_on_home {
                cx.cancel(self.pending());
                self.alerts = Some(AlertsView::open(cx));
            }
            return;
        }
        if let Some(alerts) = &mut self.alerts {
            alerts.act_on_list(action, cx);
        }
    }

    fn receive(&mut self, msg: Msg, _cx: &mut Ctx) {
        if let Some(alerts) = &mut self.alerts {
            alerts.receive_alerts(msg);
        }
    }

    fn pending(&self) -> Option<RequestId> {
        self.alerts.as_ref().and_then(|a| a.load.pending())
    }

    fn target(&self) -> Option<Target> {
        None
    }
}
