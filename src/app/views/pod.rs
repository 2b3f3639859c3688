//! One pod: what the cluster says of it now (watched), its events, and
//! its containers' logs, from the API server or from Loki.

use crate::app::action::Action;
use crate::app::cursor::moved;
use crate::app::effect::{Effect, RequestId};
use crate::app::keys::{Binding, ch};
use crate::app::layout;
use crate::app::loadable::Loadable;
use crate::app::msg::Msg;
use crate::app::notice::Notice;
use crate::app::screen::{Copied, Ctx, Screen};
use crate::app::target::{Known, Target};
use crate::app::watch::Watch;
use triage_core::backend::BackendError;
use triage_core::backend::cluster::{Namespaces, PodLogRequest};
use triage_core::correlate::logql_string;
use triage_core::domain::pod::Container;
use triage_core::domain::{Nanos, Pod, PodChange, PodEvent, PodKey};

pub const KEYS: &[Binding] = &[
    Binding::new(&[ch('j')], Action::Down, "next container").hint("container"),
    Binding::new(&[ch('k')], Action::Up, "previous container").hint("container"),
    Binding::new(
        &[ch('l')],
        Action::PodLogs,
        "the selected container's log (j/k choose), followed",
    )
    .hint("log"),
    Binding::new(
        &[ch('p')],
        Action::PreviousLogs,
        "the log of the container's previous run (why it restarted)",
    )
    .hint("previous"),
    Binding::new(&[ch('L')], Action::LokiLogs, "the container's logs in Loki").hint("Loki"),
];

/// One pod: what the cluster says of it now, and its events.
pub struct PodView {
    pub key: PodKey,
    pub context: Option<String>,
    pub watch: Watch,
    /// The newest state seen; where the jump came from, what it knew.
    pub pod: Pod,
    /// The watch found no such pod (deleted, or never there).
    pub gone: bool,
    /// What the place the jump came from knew (span or log labels).
    pub known: Known,
    pub events: Loadable<Vec<PodEvent>>,
    /// A newer list of events asked for while the old one is shown.
    pub events_refresh: Option<RequestId>,
    /// Index into `pod.containers`.
    pub container: usize,
    /// Rows scrolled past.
    pub scroll: usize,
}

impl PodView {
    pub fn new(
        key: PodKey,
        context: Option<String>,
        watch: RequestId,
        events: RequestId,
        now: Nanos,
    ) -> Self {
        PodView {
            pod: Pod::unknown(key.clone()),
            key,
            context,
            watch: Watch::Listing {
                id: watch,
                since: now,
            },
            gone: false,
            known: Vec::new(),
            events: Loadable::Loading {
                id: events,
                since: now,
            },
            events_refresh: None,
            container: 0,
            scroll: 0,
        }
    }

    /// Takes what the single-pod watch saw: the pod, or that it is gone.
    pub fn apply(&mut self, changes: Vec<Result<PodChange, BackendError>>) {
        let mut error = None;
        for change in changes {
            match change {
                Ok(PodChange::Reset(pods)) => match pods.into_iter().find(|p| p.key == self.key) {
                    Some(pod) => self.seen(pod),
                    None => self.gone = true,
                },
                Ok(PodChange::Applied(pod)) if pod.key == self.key => self.seen(*pod),
                Ok(PodChange::Deleted(key)) if key == self.key => self.gone = true,
                Ok(_) => {}
                Err(e) => error = Some(e),
            }
        }
        self.watch.record(error);
    }

    fn seen(&mut self, pod: Pod) {
        self.pod = pod;
        self.gone = false;
        self.container = self
            .container
            .min(self.pod.containers.len().saturating_sub(1));
    }

    /// The container under the cursor.
    pub fn selected_container(&self) -> Option<&Container> {
        self.pod.containers.get(self.container)
    }
}

impl PodView {
    /// One pod of a context, watched, with its events. What a list
    /// underneath has `seen` of it is shown while the watch starts.
    pub fn open(
        context: Option<String>,
        key: PodKey,
        known: Known,
        seen: Option<&Pod>,
        cx: &mut Ctx,
    ) -> Self {
        let watch = cx.ask(|id| Effect::WatchPods {
            id,
            context: context.clone(),
            namespaces: Namespaces::One(key.namespace.to_string()),
            name: Some(key.name.to_string()),
        });
        let events = cx.ask(|id| Effect::FetchEvents {
            id,
            context: context.clone(),
            pod: key.clone(),
        });
        let mut view = PodView::new(key.clone(), context, watch, events, cx.now);
        view.known = known;
        if let Some(pod) = seen {
            view.pod = pod.clone();
        }
        view
    }

    fn ask_events(&mut self, cx: &mut Ctx) {
        let (context, pod) = (self.context.clone(), self.key.clone());
        let id = cx.ask(|id| Effect::FetchEvents { id, context, pod });
        // What is shown stays until the new list arrives.
        if matches!(self.events, Loadable::Ready(_)) {
            self.events_refresh = Some(id);
        } else {
            self.events = Loadable::Loading { id, since: cx.now };
        }
    }

    fn pod_changed(&mut self, changes: Vec<Result<PodChange, BackendError>>, cx: &mut Ctx) {
        let was_live = !matches!(self.watch, Watch::Listing { .. });
        self.apply(changes);
        // The pod changed: its events likely did too.
        if was_live && self.events.pending().is_none() && self.events_refresh.is_none() {
            self.ask_events(cx);
        }
    }
}

impl Screen for PodView {
    fn copied(&self) -> Option<Copied> {
        Copied::new("pod name", &self.key.name)
    }

    fn keys(&self) -> &'static [Binding] {
        KEYS
    }

    fn hints(&self) -> &'static [Action] {
        &[
            Action::Down,
            Action::Up,
            Action::PodLogs,
            Action::PreviousLogs,
            Action::LokiLogs,
            Action::Back,
            Action::ToggleHelp,
        ]
    }

    fn act(&mut self, action: Action, cx: &mut Ctx) {
        let half_page = layout::body_rows(cx.height) / 2;
        match action {
            Action::Up | Action::Down | Action::Top | Action::Bottom => {
                let len = self.pod.containers.len();
                self.container = moved(self.container, len, 1, action).unwrap_or(self.container);
            }
            Action::PageDown => self.scroll += half_page,
            Action::PageUp => self.scroll = self.scroll.saturating_sub(half_page),
            Action::PodLogs | Action::PreviousLogs => {
                let container = self.selected_container().map(|c| c.name.to_string());
                let previous = action == Action::PreviousLogs;
                let context = self.context.clone();
                container_logs(context, &self.pod, container.as_deref(), previous, cx);
            }
            Action::LokiLogs => {
                let container = self.selected_container().map(|c| c.name.to_string());
                loki_logs(&self.key, container.as_deref(), cx);
            }
            _ => {}
        }
    }

    fn receive(&mut self, msg: Msg, cx: &mut Ctx) {
        match msg {
            Msg::PodsChanged { changes, .. } => self.pod_changed(changes, cx),
            Msg::EventsLoaded { result, .. } => {
                self.events_refresh = None;
                self.events = match result {
                    Ok(events) => Loadable::Ready(events),
                    Err(e) => Loadable::Failed(e),
                };
            }
            _ => {}
        }
    }

    fn pending(&self) -> Option<RequestId> {
        match self.watch {
            Watch::Listing { id, .. } => Some(id),
            _ => self.events.pending(),
        }
    }

    fn requests(&self) -> Vec<RequestId> {
        let mut ids = vec![self.watch.id()];
        ids.extend(self.events.pending());
        ids.extend(self.events_refresh);
        ids
    }

    fn failure(&self) -> Option<&BackendError> {
        self.watch.error().or(self.events.failed())
    }

    fn target(&self) -> Option<Target> {
        Some(Target::Pod {
            context: self.context.clone(),
            key: self.key.clone(),
            known: self.known.clone(),
        })
    }

    fn shows_time(&self) -> bool {
        true
    }
}

/// Streams a container's log: the one named, else the pod's main one.
pub fn container_logs(
    context: Option<String>,
    pod: &Pod,
    container: Option<&str>,
    previous: bool,
    cx: &mut Ctx,
) {
    let Some(chosen) = pod.container(container) else {
        return cx.tell(Notice::NoContainers(pod.key.clone()));
    };
    if previous && chosen.last_termination.is_none() && chosen.restarts == 0 {
        return cx.tell(Notice::NotRestarted(chosen.name.clone()));
    }
    let request = PodLogRequest {
        pod: pod.key.clone(),
        container: chosen.name.to_string(),
        previous,
        follow: !previous,
        since: Some(cx.settings.since),
    };
    cx.go(Target::PodLogs { context, request });
}

/// The pod's logs in Loki, by the labels that name it there.
pub fn loki_logs(pod: &PodKey, container: Option<&str>, cx: &mut Ctx) {
    let names = &cx.settings.pod_labels;
    let matcher = |label: &str, value: &str| format!("{label}={}", logql_string(value));
    let mut selector = vec![
        matcher(&names.namespace, &pod.namespace),
        matcher(&names.pod, &pod.name),
    ];
    if let Some(container) = container {
        selector.push(matcher(&names.container, container));
    }
    cx.go(Target::Logs(format!("{{{}}}", selector.join(", "))));
}
