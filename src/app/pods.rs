//! The pods list, kept live by a watch, and one pod's detail.

use super::effect::RequestId;
use super::state::{Loadable, Search};
use std::cmp::Ordering;
use std::collections::HashMap;
use triage_core::backend::BackendError;
use triage_core::backend::cluster::Namespaces;
use triage_core::domain::text::width;
use triage_core::domain::{Nanos, Pod, PodChange, PodEvent, PodKey, SafeText};

/// Where a watch is: waiting for its first list, live, or failing (it goes
/// on trying; what it had is kept).
#[derive(Debug)]
pub enum Watch {
    Listing { id: RequestId, since: Nanos },
    Live { id: RequestId },
    Failing { id: RequestId, error: BackendError },
}

impl Watch {
    pub fn id(&self) -> RequestId {
        match self {
            Watch::Listing { id, .. } | Watch::Live { id } | Watch::Failing { id, .. } => *id,
        }
    }

    pub fn error(&self) -> Option<&BackendError> {
        match self {
            Watch::Failing { error, .. } => Some(error),
            _ => None,
        }
    }

    /// Moves on with what a watch sent: live after a change, failing after
    /// an error.
    fn record(&mut self, error: Option<BackendError>) {
        let id = self.id();
        *self = match error {
            Some(error) => Watch::Failing { id, error },
            None => Watch::Live { id },
        };
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodColumn {
    Namespace,
    Name,
    Ready,
    Status,
    Restarts,
    Age,
    Node,
    Ip,
}

pub struct PodsView {
    /// The kubeconfig context asked for; none is the configured one.
    pub context: Option<String>,
    pub namespaces: Namespaces,
    pub watch: Watch,
    /// Every pod the watch knows, in arrival order.
    pub pods: Vec<Pod>,
    index: HashMap<PodKey, usize>,
    pub sort: PodColumn,
    pub descending: bool,
    /// `pods` in sort order; kept across filter keystrokes.
    sorted: Vec<u32>,
    /// The shown rows: `sorted` through the filter.
    pub rows: Vec<u32>,
    pub filter: Option<Search>,
    /// The widest namespace and name among the shown rows, in cells:
    /// measured when the rows change, not on every frame.
    pub widest: (usize, usize),
    pub selected: usize,
    pub top: usize,
}

impl PodsView {
    pub fn new(context: Option<String>, namespaces: Namespaces, id: RequestId, now: Nanos) -> Self {
        PodsView {
            context,
            watch: Watch::Listing { id, since: now },
            pods: Vec::new(),
            index: HashMap::new(),
            // As kubectl lists them: by namespace (when there are several), then name.
            sort: if namespaces == Namespaces::All {
                PodColumn::Namespace
            } else {
                PodColumn::Name
            },
            descending: false,
            sorted: Vec::new(),
            rows: Vec::new(),
            filter: None,
            widest: (0, 0),
            selected: 0,
            top: 0,
            namespaces,
        }
    }

    pub fn pending(&self) -> Option<RequestId> {
        match self.watch {
            Watch::Listing { id, .. } => Some(id),
            _ => None,
        }
    }

    pub fn selected_pod(&self) -> Option<&Pod> {
        let &row = self.rows.get(self.selected)?;
        self.pods.get(row as usize)
    }

    /// Takes what the watch saw; rows change in place and the cursor stays
    /// on its pod.
    pub fn apply(&mut self, changes: Vec<Result<PodChange, BackendError>>) {
        let mut error = None;
        for change in changes {
            match change {
                Ok(PodChange::Reset(pods)) => {
                    self.index = pods
                        .iter()
                        .enumerate()
                        .map(|(i, p)| (p.key.clone(), i))
                        .collect();
                    self.pods = pods;
                    error = None;
                }
                Ok(PodChange::Applied(pod)) => {
                    let pod = *pod;
                    match self.index.get(&pod.key) {
                        Some(&i) => self.pods[i] = pod,
                        None => {
                            self.index.insert(pod.key.clone(), self.pods.len());
                            self.pods.push(pod);
                        }
                    }
                    error = None;
                }
                Ok(PodChange::Deleted(key)) => {
                    if let Some(i) = self.index.remove(&key) {
                        self.pods.swap_remove(i);
                        if let Some(moved) = self.pods.get(i) {
                            self.index.insert(moved.key.clone(), i);
                        }
                    }
                    error = None;
                }
                Err(e) => error = Some(e),
            }
        }
        self.watch.record(error);
        self.resort();
    }

    /// Sorts by a column; the same column again reverses.
    pub fn sort_by(&mut self, column: PodColumn) {
        if self.sort == column {
            self.descending = !self.descending;
        } else {
            self.sort = column;
            // Newest and most restarted first, as one looks for them.
            self.descending = matches!(column, PodColumn::Restarts);
        }
        self.resort();
    }

    fn resort(&mut self) {
        let selected = self.selected_pod().map(|p| p.key.clone());
        let pods = &self.pods;
        let mut sorted: Vec<u32> = (0..pods.len() as u32).collect();
        sorted.sort_by(|&a, &b| {
            let (a, b) = (&pods[a as usize], &pods[b as usize]);
            let order = compare(self.sort, a, b).then_with(|| a.key.cmp(&b.key));
            if self.descending {
                order.reverse()
            } else {
                order
            }
        });
        self.sorted = sorted;
        self.refilter(selected);
    }

    /// `/`: the filter prompt opens on the filter shown; returns its text.
    pub fn open_filter(&mut self) -> String {
        let previous = self.filter.as_ref().map(|s| s.pattern.clone());
        let pattern = previous.clone().unwrap_or_default();
        self.filter = Some(Search::new(pattern.clone(), self.selected, previous));
        pattern
    }

    /// A keystroke in the filter prompt: the list narrows as one types.
    pub fn filter_by(&mut self, pattern: String) {
        let keep = self.selected_key();
        let (origin, previous) = self
            .filter
            .take()
            .map_or((0, None), |f| (f.origin, f.previous));
        self.filter = Some(Search::new(pattern, origin, previous));
        self.refilter(keep);
    }

    /// Esc in the filter prompt: back to the filter before it.
    pub fn cancel_filter(&mut self) {
        let keep = self.selected_key();
        let previous = self.filter.take().and_then(|f| f.previous);
        self.filter = previous.map(|p| Search::new(p, 0, None));
        self.refilter(keep);
    }

    /// Shows the pods that match the filter, keeping the cursor on `keep`.
    fn refilter(&mut self, keep: Option<PodKey>) {
        let pods = &self.pods;
        self.rows = match &self.filter {
            Some(search) if !search.pattern.is_empty() => self
                .sorted
                .iter()
                .copied()
                .filter(|&i| matches(search, &pods[i as usize]))
                .collect(),
            _ => self.sorted.clone(),
        };
        if let Some(key) = keep
            && let Some(position) = self.rows.iter().position(|&i| pods[i as usize].key == key)
        {
            self.selected = position;
        }
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
        self.widest = self.rows.iter().fold((0, 0), |(ns, name), &i| {
            let key = &pods[i as usize].key;
            (ns.max(width(&key.namespace)), name.max(width(&key.name)))
        });
    }

    pub fn selected_key(&self) -> Option<PodKey> {
        self.selected_pod().map(|p| p.key.clone())
    }

    pub fn scroll_into_view(&mut self, rows: usize) {
        self.top = super::layout::scrolled(self.top, self.selected, rows);
    }

    pub fn get(&self, key: &PodKey) -> Option<&Pod> {
        self.index.get(key).map(|&i| &self.pods[i])
    }
}

fn matches(search: &Search, pod: &Pod) -> bool {
    [
        &pod.key.name,
        &pod.key.namespace,
        &pod.status,
        &pod.node,
        &pod.ip,
    ]
    .iter()
    .any(|field| search.matches(field))
}

fn compare(column: PodColumn, a: &Pod, b: &Pod) -> Ordering {
    match column {
        PodColumn::Namespace => a.key.namespace.cmp(&b.key.namespace),
        PodColumn::Name => a.key.name.cmp(&b.key.name),
        PodColumn::Ready => {
            let share = |p: &Pod| (u32::from(p.ready.0), u32::from(p.ready.1.max(1)));
            let ((ar, at), (br, bt)) = (share(a), share(b));
            (ar * bt).cmp(&(br * at)) // ready/total, without division
        }
        PodColumn::Status => (a.health, &a.status).cmp(&(b.health, &b.status)),
        PodColumn::Restarts => a.restarts.cmp(&b.restarts),
        // Age ascending: the youngest (created last) first.
        PodColumn::Age => b.created.cmp(&a.created),
        PodColumn::Node => a.node.cmp(&b.node),
        PodColumn::Ip => ip_order(&a.ip).cmp(&ip_order(&b.ip)),
    }
}

/// IPv4 addresses in numeric order; others after, as text.
fn ip_order(ip: &SafeText) -> (u32, &str) {
    let parsed: Option<std::net::Ipv4Addr> = ip.parse().ok();
    (parsed.map_or(u32::MAX, u32::from), ip.as_str())
}

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
    pub known: Vec<(String, SafeText)>,
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

    pub fn pending(&self) -> Option<RequestId> {
        match self.watch {
            Watch::Listing { id, .. } => Some(id),
            _ => self.events.pending(),
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
    pub fn selected_container(&self) -> Option<&triage_core::domain::pod::Container> {
        self.pod.containers.get(self.container)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use triage_core::domain::pod::Health;

    fn pod(namespace: &str, name: &str, restarts: u32) -> Pod {
        Pod {
            restarts,
            health: Health::Healthy,
            ..Pod::unknown(PodKey {
                namespace: namespace.into(),
                name: name.into(),
            })
        }
    }

    fn names(view: &PodsView) -> Vec<String> {
        view.rows
            .iter()
            .map(|&i| view.pods[i as usize].key.name.to_string())
            .collect()
    }

    #[test]
    fn changes_update_rows_in_place_and_the_cursor_stays_on_its_pod() {
        let mut view = PodsView::new(None, Namespaces::All, RequestId(1), 0);
        view.apply(vec![Ok(PodChange::Reset(vec![
            pod("a", "x", 0),
            pod("a", "y", 0),
            pod("b", "z", 0),
        ]))]);
        assert_eq!(names(&view), ["x", "y", "z"]);
        view.selected = 1; // y
        view.apply(vec![
            Ok(PodChange::Applied(Box::new(pod("a", "w", 0)))),
            Ok(PodChange::Applied(Box::new(pod("a", "y", 3)))),
            Ok(PodChange::Deleted(pod("a", "x", 0).key)),
            // A resumed watch repeats what it sent: no duplicate rows.
            Ok(PodChange::Applied(Box::new(pod("a", "w", 0)))),
        ]);
        assert_eq!(names(&view), ["w", "y", "z"]);
        assert_eq!(view.selected_pod().map(|p| p.restarts), Some(3));
        view.sort_by(PodColumn::Restarts);
        assert_eq!(names(&view)[0], "y");
        assert_eq!(view.selected, 0, "the cursor follows its pod");
    }

    #[test]
    fn an_error_keeps_the_rows_and_a_later_change_clears_it() {
        let mut view = PodsView::new(None, Namespaces::All, RequestId(1), 0);
        view.apply(vec![Ok(PodChange::Reset(vec![pod("a", "x", 0)]))]);
        let e = BackendError::new(
            triage_core::backend::Source::Kubernetes,
            triage_core::backend::ErrorKind::Unreachable,
            "gone",
        );
        view.apply(vec![Err(e)]);
        assert!(matches!(view.watch, Watch::Failing { .. }));
        assert_eq!(names(&view), ["x"]);
        view.apply(vec![Ok(PodChange::Applied(Box::new(pod("a", "x", 1))))]);
        assert!(matches!(view.watch, Watch::Live { .. }));
    }
}
