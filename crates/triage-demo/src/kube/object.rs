//! The kinds of object the API serves and watches (pods, events), what
//! selectors may ask of them, and the changes a watch replays.

use super::cluster::State;
use super::pods::DemoPod;
use super::table::Tabular;
use k8s_openapi::api::core::v1::{Event, Pod};

/// What changed: an object as it was after the change.
pub enum Changed {
    Pod(Box<Pod>),
    Event(Box<Event>),
}

/// A change to an object that was there before: pods and events are not
/// created or deleted while the demo runs, they change.
pub struct Change {
    pub rv: u64,
    pub object: Changed,
}

/// What the API serves of a kind of object: its objects now, its changes,
/// and what selectors may ask of it.
pub trait Object: Tabular + Clone + Send + 'static {
    /// The resource's name in URLs and messages.
    const PLURAL: &'static str;
    /// The fields a field selector may name; unset ones read as "".
    const FIELDS: &'static [&'static str];
    fn field(&self, key: &str) -> String;
    fn current(state: &State) -> Vec<Self>;
    fn changed(change: &Change) -> Option<&Self>;
}

impl Object for Pod {
    const PLURAL: &'static str = "pods";
    const FIELDS: &'static [&'static str] = &[
        "metadata.name",
        "metadata.namespace",
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ];

    fn field(&self, key: &str) -> String {
        let spec = self.spec.as_ref();
        let status = self.status.as_ref();
        let value = match key {
            "metadata.name" => self.metadata.name.clone(),
            "metadata.namespace" => self.metadata.namespace.clone(),
            "spec.nodeName" => spec.and_then(|s| s.node_name.clone()),
            "spec.restartPolicy" => spec.and_then(|s| s.restart_policy.clone()),
            "spec.schedulerName" => spec.and_then(|s| s.scheduler_name.clone()),
            "spec.serviceAccountName" => spec.and_then(|s| s.service_account_name.clone()),
            "spec.hostNetwork" => Some(
                spec.and_then(|s| s.host_network)
                    .unwrap_or(false)
                    .to_string(),
            ),
            "status.phase" => status.and_then(|s| s.phase.clone()),
            "status.podIP" => status.and_then(|s| s.pod_ip.clone()),
            "status.nominatedNodeName" => status.and_then(|s| s.nominated_node_name.clone()),
            _ => None,
        };
        value.unwrap_or_default()
    }

    fn current(state: &State) -> Vec<Pod> {
        state.pods.iter().map(DemoPod::object).collect()
    }

    fn changed(change: &Change) -> Option<&Pod> {
        match &change.object {
            Changed::Pod(pod) => Some(pod),
            Changed::Event(_) => None,
        }
    }
}

impl Object for Event {
    const PLURAL: &'static str = "events";
    const FIELDS: &'static [&'static str] = &[
        "metadata.name",
        "metadata.namespace",
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ];

    fn field(&self, key: &str) -> String {
        let o = &self.involved_object;
        let value = match key {
            "metadata.name" => self.metadata.name.clone(),
            "metadata.namespace" => self.metadata.namespace.clone(),
            "involvedObject.kind" => o.kind.clone(),
            "involvedObject.namespace" => o.namespace.clone(),
            "involvedObject.name" => o.name.clone(),
            "involvedObject.uid" => o.uid.clone(),
            "involvedObject.apiVersion" => o.api_version.clone(),
            "involvedObject.resourceVersion" => o.resource_version.clone(),
            "involvedObject.fieldPath" => o.field_path.clone(),
            "reason" => self.reason.clone(),
            "reportingComponent" => self.reporting_component.clone(),
            "source" => self.source.as_ref().and_then(|s| s.component.clone()),
            "type" => self.type_.clone(),
            _ => None,
        };
        value.unwrap_or_default()
    }

    fn current(state: &State) -> Vec<Event> {
        state.events.clone()
    }

    fn changed(change: &Change) -> Option<&Event> {
        match &change.object {
            Changed::Event(event) => Some(event),
            Changed::Pod(_) => None,
        }
    }
}
