//! The alerts list: active alerts joined to the expressions of their rules,
//! firing before pending, the most severe and newest first.

use super::metrics::SPANS;
use crate::app::action::Action;
use crate::app::cursor::Cursor;
use crate::app::effect::{Effect, RequestId};
use crate::app::keys::{Binding, key};
use crate::app::layout;
use crate::app::loadable::Loadable;
use crate::app::msg::{Alerts, Msg};
use crate::app::notice::Notice;
use crate::app::screen::{Ctx, Screen};
use crate::app::target::Target;
use crossterm::event::KeyCode;
use std::time::Duration;
use triage_core::backend::BackendError;
use triage_core::domain::{Alert, AlertRule, AlertState, Nanos, SafeText};

pub const KEYS: &[Binding] = &[Binding::new(
    &[key(KeyCode::Enter)],
    Action::Open,
    "graph the alert's expression around when it started",
)
.hint("graph")];

/// A list of alerts and its cursor: the alerts view, and the top of home.
pub struct AlertsView {
    pub load: Loadable<AlertsModel>,
    pub cursor: Cursor,
}

impl AlertsView {
    /// Asks for the active alerts and their rules.
    pub fn open(cx: &mut Ctx) -> Self {
        let id = cx.ask(|id| Effect::FetchAlerts { id });
        AlertsView {
            load: Loadable::Loading { id, since: cx.now },
            cursor: Cursor::default(),
        }
    }

    /// Walks the list; Enter graphs the alert's expression around when it
    /// started.
    pub fn act_on_list(&mut self, action: Action, cx: &mut Ctx) {
        let Loadable::Ready(model) = &self.load else {
            return;
        };
        if self
            .cursor
            .act(action, model.rows.len(), layout::body_rows(cx.height))
            || action != Action::Open
        {
            return;
        }
        let Some(row) = model.rows.get(self.cursor.selected) else {
            return cx.tell(Notice::NoAlert);
        };
        let Some(query) = &row.query else {
            return cx.tell(Notice::UnknownExpression {
                alert: row.alert.name().to_owned(),
                rules: model.rules_error.clone(),
            });
        };
        let (span, end) = graph_window(row.alert.active_since, cx.now, cx.settings.since);
        cx.go(Target::Metrics {
            promql: query.to_string(),
            span,
            end,
        });
    }

    pub fn receive_alerts(&mut self, msg: Msg) {
        if let Msg::AlertsLoaded { result, .. } = msg {
            self.load = match result {
                Ok(Alerts { alerts, rules }) => Loadable::Ready(AlertsModel::new(alerts, rules)),
                Err(e) => Loadable::Failed(e),
            };
        }
    }
}

impl Screen for AlertsView {
    fn keys(&self) -> &'static [Binding] {
        KEYS
    }

    fn hints(&self) -> &'static [Action] {
        &[
            Action::Open,
            Action::Reload,
            Action::Back,
            Action::ToggleHelp,
        ]
    }

    fn act(&mut self, action: Action, cx: &mut Ctx) {
        self.act_on_list(action, cx);
    }

    fn receive(&mut self, msg: Msg, _cx: &mut Ctx) {
        self.receive_alerts(msg);
    }

    fn pending(&self) -> Option<RequestId> {
        self.load.pending()
    }

    fn target(&self) -> Option<Target> {
        Some(Target::Alerts)
    }

    fn failure(&self) -> Option<&BackendError> {
        self.load.failed()
    }
}

#[derive(Debug)]
pub struct AlertRow {
    pub alert: Alert,
    /// The rule's expression, when the rules API named it.
    pub query: Option<SafeText>,
}

#[derive(Debug)]
pub struct AlertsModel {
    /// Firing and pending only.
    pub rows: Vec<AlertRow>,
    /// Why expressions are missing, when asking for the rules failed.
    pub rules_error: Option<BackendError>,
}

impl AlertsModel {
    pub fn new(alerts: Vec<Alert>, rules: Result<Vec<AlertRule>, BackendError>) -> Self {
        let (rules, rules_error) = match rules {
            Ok(rules) => (rules, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        let mut rows: Vec<AlertRow> = alerts
            .into_iter()
            .filter(|a| a.state != AlertState::Inactive)
            .map(|alert| AlertRow {
                query: rule_of(&alert, &rules).map(|r| r.query.clone()),
                alert,
            })
            .collect();
        rows.sort_by_cached_key(|r| {
            let a = &r.alert;
            (
                a.state != AlertState::Firing,
                severity_rank(a.severity()),
                std::cmp::Reverse(a.active_since),
            )
        });
        AlertsModel { rows, rules_error }
    }

    pub fn firing(&self) -> usize {
        let firing = |r: &&AlertRow| r.alert.state == AlertState::Firing;
        self.rows.iter().filter(firing).count()
    }
}

/// The rule that made an alert: one with the same name whose alerts include
/// one with the same labels (names repeat across groups), else the first of
/// that name.
fn rule_of<'a>(alert: &Alert, rules: &'a [AlertRule]) -> Option<&'a AlertRule> {
    let named = || rules.iter().filter(|r| r.name.as_str() == alert.name());
    named()
        .find(|r| r.alerts.iter().any(|a| a.labels == alert.labels))
        .or_else(|| named().next())
}

/// Common severity words, most urgent first; unknown ones after them.
fn severity_rank(severity: &str) -> usize {
    const ORDER: [&str; 9] = [
        "critical", "page", "high", "error", "warning", "ticket", "medium", "low", "info",
    ];
    let lower = severity.to_ascii_lowercase();
    ORDER
        .iter()
        .position(|s| *s == lower)
        .unwrap_or(ORDER.len())
}

/// The window to graph an alert in: a preset at least twice as long as the
/// alert has been active, centred on when it started, never past now.
/// Without a start time, `fallback` ending now.
pub fn graph_window(
    active_since: Option<Nanos>,
    now: Nanos,
    fallback: Duration,
) -> (Duration, Nanos) {
    let Some(since) = active_since.filter(|s| *s <= now) else {
        return (fallback, now);
    };
    let age = Duration::from_nanos(now.saturating_sub(since).unsigned_abs());
    let span = SPANS
        .iter()
        .copied()
        .find(|s| *s >= age * 2)
        .unwrap_or(SPANS[SPANS.len() - 1]);
    let half = i64::try_from(span.as_nanos() / 2).unwrap_or(i64::MAX);
    (span, since.saturating_add(half).min(now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use triage_core::backend::{ErrorKind, Source};
    use triage_core::domain::{Labels, SafeText};

    const MINUTE: Nanos = 60 * 1_000_000_000;

    fn alert(name: &str, severity: &str, state: AlertState, since: Nanos) -> Alert {
        Alert {
            labels: Labels::from_pairs([("alertname", name), ("severity", severity)]),
            annotations: Labels::default(),
            state,
            active_since: Some(since),
            value: SafeText::new("1"),
        }
    }

    fn rule(name: &str, query: &str, alerts: Vec<Alert>) -> AlertRule {
        AlertRule {
            name: SafeText::new(name),
            query: SafeText::new(query),
            alerts,
        }
    }

    #[test]
    fn firing_first_then_severity_then_newest() {
        let alerts = vec![
            alert("Pending", "critical", AlertState::Pending, 50 * MINUTE),
            alert("OldWarning", "warning", AlertState::Firing, 10 * MINUTE),
            alert("Gone", "critical", AlertState::Inactive, 0),
            alert("NewWarning", "warning", AlertState::Firing, 40 * MINUTE),
            alert("Page", "page", AlertState::Firing, 5 * MINUTE),
        ];
        let model = AlertsModel::new(alerts, Ok(Vec::new()));
        let names: Vec<&str> = model.rows.iter().map(|r| r.alert.name()).collect();
        assert_eq!(names, ["Page", "NewWarning", "OldWarning", "Pending"]);
        assert_eq!(model.firing(), 3);
    }

    #[test]
    fn an_alert_takes_the_expression_of_the_rule_that_made_it() {
        let fired = alert("Errors", "page", AlertState::Firing, 0);
        let other = alert("Errors", "ticket", AlertState::Firing, 0);
        let rules = vec![
            rule("Errors", "in_group_a > 1", vec![other.clone()]),
            rule("Errors", "in_group_b > 1", vec![fired.clone()]),
        ];
        let model = AlertsModel::new(vec![fired, other], Ok(rules));
        let queries: Vec<_> = (model.rows.iter())
            .map(|r| r.query.as_ref().map(SafeText::as_str))
            .collect();
        assert_eq!(queries, [Some("in_group_b > 1"), Some("in_group_a > 1")]);

        let failed = BackendError::new(Source::Prometheus, ErrorKind::Http, "rules: 403");
        let model = AlertsModel::new(vec![alert("X", "", AlertState::Firing, 0)], Err(failed));
        assert_eq!(model.rows[0].query, None);
        assert!(model.rules_error.is_some());
    }

    #[test]
    fn the_graph_window_is_centred_on_the_start_and_ends_by_now() {
        let now = 100_000 * MINUTE;
        // Active 10 minutes: an hour, the start in it, ending now.
        assert_eq!(
            graph_window(Some(now - 10 * MINUTE), now, Duration::from_secs(60)),
            (Duration::from_secs(3600), now)
        );
        // Active 5 days: 7 days centred on the start.
        let since = now - 5 * 24 * 60 * MINUTE;
        let (span, end) = graph_window(Some(since), now, Duration::from_secs(60));
        assert_eq!(span, Duration::from_secs(7 * 86_400));
        assert_eq!(end, since + 7 * 12 * 60 * MINUTE);
        // No start, or one in the future (clock skew): the fallback.
        let fallback = Duration::from_secs(900);
        assert_eq!(graph_window(None, now, fallback), (fallback, now));
        assert_eq!(
            graph_window(Some(now + MINUTE), now, fallback),
            (fallback, now)
        );
    }
}
