//! What Alertmanager knows of alerts: whether each is active, silenced
//! (by which silences) or inhibited (by which alerts), how it groups them,
//! and to which receiver; and the server itself.

use super::silence::{Silence, SilenceId};
use super::{Labels, Nanos, SafeText};

/// An alert as Alertmanager holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AmAlert {
    /// Alertmanager's hash of the labels: the same alert across answers.
    pub fingerprint: SafeText,
    pub labels: Labels,
    pub annotations: Labels,
    pub starts_at: Option<Nanos>,
    /// When it resolves unless Prometheus sends it again.
    pub ends_at: Option<Nanos>,
    pub updated_at: Option<Nanos>,
    /// The Prometheus graph link the rule gave it.
    pub generator_url: Option<SafeText>,
    /// The receivers its route leads to.
    pub receivers: Vec<SafeText>,
    pub status: AmStatus,
}

impl AmAlert {
    pub fn name(&self) -> &str {
        self.labels.get("alertname").map_or("", |n| n.as_str())
    }

    /// Whether it has every label of `labels` with the same value:
    /// Prometheus's alert, whose labels Alertmanager has plus the external
    /// labels Prometheus adds when it sends one.
    pub fn has_labels(&self, labels: &Labels) -> bool {
        (labels.0.iter()).all(|(name, value)| self.labels.get(name) == Some(value))
    }
}

/// Alertmanager's state of an alert.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AmStatus {
    pub state: AmState,
    /// The silences that silence it (empty unless suppressed).
    pub silenced_by: Vec<SilenceId>,
    /// The fingerprints of the alerts that inhibit it.
    pub inhibited_by: Vec<SafeText>,
}

impl AmStatus {
    pub fn is_silenced(&self) -> bool {
        !self.silenced_by.is_empty()
    }

    pub fn is_inhibited(&self) -> bool {
        !self.inhibited_by.is_empty()
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AmState {
    /// Notifications go out.
    #[default]
    Active,
    /// Silenced or inhibited: no notification.
    Suppressed,
    /// Just arrived, not yet through silences and inhibitions.
    Unprocessed,
}

/// A group of alerts as Alertmanager's route groups them, with its receiver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertGroup {
    /// The route's `group_by` labels and their values.
    pub labels: Labels,
    pub receiver: SafeText,
    pub alerts: Vec<AmAlert>,
}

/// The Alertmanager of `/api/v2/alerts` for the alert with `labels` (a
/// Prometheus alert's): the one with exactly these labels, else the one
/// with these and more (the external labels Prometheus adds).
pub fn find_alert<'a>(alerts: &'a [AmAlert], labels: &Labels) -> Option<&'a AmAlert> {
    (alerts.iter().find(|a| &a.labels == labels))
        .or_else(|| alerts.iter().find(|a| a.has_labels(labels)))
}

/// What Alertmanager says of itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerStatus {
    pub version: SafeText,
    /// `ready`, `settling` or `disabled`.
    pub cluster: SafeText,
    pub peers: usize,
    pub uptime: Option<Nanos>,
    /// The configuration it runs, one line of YAML each.
    pub config: Vec<SafeText>,
}

/// Read off the alerts' status, so it lives with them.
impl Silence {
    /// How many of `alerts` Alertmanager says this silence silences now.
    pub fn silenced_count(&self, alerts: &[AmAlert]) -> usize {
        (alerts.iter())
            .filter(|a| a.status.silenced_by.contains(&self.id))
            .count()
    }
}
