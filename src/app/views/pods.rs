//! The pods list, kept live by a watch: sorted, filtered, and the way
//! into a pod, its log and its Loki logs.

use crate::app::action::{Action, PodColumn};
use crate::app::cursor::Cursor;
use crate::app::effect::{Effect, RequestId};
use crate::app::keys::{Binding, ch, key};
use crate::app::layout;
use crate::app::msg::Msg;
use crate::app::notice::Notice;
use crate::app::prompt::{Pattern, PromptKind};
use crate::app::screen::{Copied, Ctx, PromptEvent, Screen};
use crate::app::target::{PodPick, Target};
use crate::app::watch::Watch;
use crossterm::event::KeyCode;
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use triage_core::backend::BackendError;
use triage_core::backend::cluster::Namespaces;
use triage_core::domain::text::width;
use triage_core::domain::{Nanos, Pod, PodChange, PodKey, SafeText};

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
    /// The filter typed, and the one before it (what Esc goes back to).
    pub filter: Option<(Pattern, Option<String>)>,
    /// The widest namespace and name among the shown rows, in cells:
    /// measured when the rows change, not on every frame.
    pub widest: (usize, usize),
    pub cursor: Cursor,
    /// Pods marked with Space, whose logs `l` merges.
    pub marked: BTreeSet<PodKey>,
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
            cursor: Cursor::default(),
            marked: BTreeSet::new(),
            namespaces,
        }
    }

    pub fn selected_pod(&self) -> Option<&Pod> {
        let &row = self.rows.get(self.cursor.selected)?;
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

    /// `/`: the filter prompt opens on the filter shown.
    fn open_filter(&mut self, cx: &mut Ctx) {
        let previous = self.filter.as_ref().map(|(p, _)| p.text.clone());
        let pattern = previous.clone().unwrap_or_default();
        self.filter = Some((Pattern::new(pattern.clone()), previous));
        cx.open_prompt(PromptKind::Filter, &pattern);
    }

    /// The list with a filter already typed.
    pub fn filtered(mut self, pattern: String) -> Self {
        self.filter_by(pattern);
        self
    }

    /// A keystroke in the filter prompt: the list narrows as one types.
    fn filter_by(&mut self, pattern: String) {
        let keep = self.selected_key();
        let previous = self.filter.take().and_then(|(_, previous)| previous);
        self.filter = Some((Pattern::new(pattern), previous));
        self.refilter(keep);
    }

    /// Esc in the filter prompt: back to the filter before it.
    fn cancel_filter(&mut self) {
        let keep = self.selected_key();
        let previous = self.filter.take().and_then(|(_, previous)| previous);
        self.filter = previous.map(|p| (Pattern::new(p), None));
        self.refilter(keep);
    }

    /// Shows the pods that match the filter, keeping the cursor on `keep`.
    fn refilter(&mut self, keep: Option<PodKey>) {
        let pods = &self.pods;
        self.rows = match &self.filter {
            Some((pattern, _)) if !pattern.text.is_empty() => self
                .sorted
                .iter()
                .copied()
                .filter(|&i| matches(pattern, &pods[i as usize]))
                .collect(),
            _ => self.sorted.clone(),
        };
        if let Some(key) = keep
            && let Some(position) = self.rows.iter().position(|&i| pods[i as usize].key == key)
        {
            self.cursor.selected = position;
        }
        self.cursor.selected = self.cursor.selected.min(self.rows.len().saturating_sub(1));
        self.widest = self.rows.iter().fold((0, 0), |(ns, name), &i| {
            let key = &pods[i as usize].key;
            (ns.max(width(&key.namespace)), name.max(width(&key.name)))
        });
    }

    pub fn selected_key(&self) -> Option<PodKey> {
        self.selected_pod().map(|p| p.key.clone())
    }

    pub fn get(&self, key: &PodKey) -> Option<&Pod> {
        self.index.get(key).map(|&i| &self.pods[i])
    }
}

fn matches(search: &Pattern, pod: &Pod) -> bool {
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

pub const KEYS: &[Binding] = &[
    Binding::new(
        &[key(KeyCode::Enter)],
        Action::Open,
        "the pod's detail: containers, conditions, events, labels",
    )
    .hint("detail"),
    Binding::new(
        &[ch('/')],
        Action::OpenSearch,
        "filter by name, namespace, status, node or IP (regex)",
    )
    .hint("filter"),
    Binding::new(
        &[ch('l')],
        Action::PodLogs,
        "the pod's log (its main container), followed; with pods marked, all their containers' logs merged",
    )
    .hint("log"),
    Binding::new(
        &[ch(' ')],
        Action::Mark,
        "mark or unmark the pod, for its logs to be merged with others' (l)",
    )
    .hint("mark"),
    Binding::new(&[ch('L')], Action::LokiLogs, "the pod's logs in Loki").hint("Loki"),
    Binding::new(
        &[ch('P')],
        Action::SortBy(PodColumn::Namespace),
        "sort by namespace (again: reverse)",
    )
    .hint("sort"),
    Binding::new(&[ch('N')], Action::SortBy(PodColumn::Name), "sort by name").hint("sort"),
    Binding::new(
        &[ch('R')],
        Action::SortBy(PodColumn::Ready),
        "sort by ready",
    )
    .hint("sort"),
    Binding::new(
        &[ch('S')],
        Action::SortBy(PodColumn::Status),
        "sort by status, failing first",
    )
    .hint("sort"),
    Binding::new(
        &[ch('T')],
        Action::SortBy(PodColumn::Restarts),
        "sort by restarts, most first",
    )
    .hint("sort"),
    Binding::new(&[ch('A')], Action::SortBy(PodColumn::Age), "sort by age").hint("sort"),
    Binding::new(&[ch('O')], Action::SortBy(PodColumn::Node), "sort by node").hint("sort"),
    Binding::new(&[ch('I')], Action::SortBy(PodColumn::Ip), "sort by IP").hint("sort"),
];

impl PodsView {
    /// The pods of a context and namespaces (None: the current scope),
    /// watched.
    pub fn open(scope: Option<(Option<String>, Namespaces)>, cx: &mut Ctx) -> Self {
        let (context, namespaces) =
            scope.unwrap_or_else(|| (cx.kube.context.clone(), cx.kube.namespaces.clone()));
        let id = cx.ask(|id| Effect::WatchPods {
            id,
            context: context.clone(),
            namespaces: namespaces.clone(),
            name: None,
        });
        PodsView::new(context, namespaces, id, cx.now)
    }
}

impl PodsView {
    /// `l` with pods marked: every container of theirs, merged. A marked
    /// pod gone since is left out.
    fn merged_logs(&mut self, cx: &mut Ctx) {
        let pods: Vec<Pod> = (self.marked.iter())
            .filter_map(|key| self.get(key).cloned())
            .collect();
        let requests = super::logs::containers_of(&pods, cx);
        if requests.is_empty() {
            return cx.tell(Notice::NoPodsMarked);
        }
        cx.go(Target::MergedLogs {
            context: self.context.clone(),
            pods: PodPick::Containers(requests),
        });
    }
}

impl Screen for PodsView {
    fn copied(&self) -> Option<Copied> {
        Copied::new("pod name", &self.selected_pod()?.key.name)
    }

    fn keys(&self) -> &'static [Binding] {
        KEYS
    }

    fn hints(&self) -> &'static [Action] {
        &[
            Action::Open,
            Action::OpenSearch,
            Action::PodLogs,
            Action::Mark,
            Action::LokiLogs,
            Action::SortBy(PodColumn::Name),
            Action::SortBy(PodColumn::Status),
            Action::SortBy(PodColumn::Restarts),
            Action::SortBy(PodColumn::Age),
            Action::ToggleHelp,
        ]
    }

    fn act(&mut self, action: Action, cx: &mut Ctx) {
        if self
            .cursor
            .act(action, self.rows.len(), layout::pods_rows(cx.height))
        {
            return;
        }
        match action {
            Action::SortBy(column) => return self.sort_by(column),
            Action::OpenSearch => return self.open_filter(cx),
            Action::PodLogs if !self.marked.is_empty() => return self.merged_logs(cx),
            _ => {}
        }
        let Some(pod) = self.selected_pod() else {
            if matches!(action, Action::Open | Action::PodLogs | Action::LokiLogs) {
                cx.tell(Notice::NoPodSelected);
            }
            return;
        };
        let context = self.context.clone();
        match action {
            Action::Open => cx.go(Target::Pod {
                context,
                key: pod.key.clone(),
                known: Vec::new(),
            }),
            Action::PodLogs => super::pod::container_logs(context, pod, None, false, cx),
            Action::Mark => {
                let key = pod.key.clone();
                if !self.marked.remove(&key) {
                    self.marked.insert(key);
                }
                self.cursor
                    .act(Action::Down, self.rows.len(), layout::pods_rows(cx.height));
            }
            Action::LokiLogs => super::pod::loki_logs(&pod.key, None, cx),
            _ => {}
        }
    }

    fn receive(&mut self, msg: Msg, _cx: &mut Ctx) {
        if let Msg::PodsChanged { changes, .. } = msg {
            self.apply(changes);
        }
    }

    fn pending(&self) -> Option<RequestId> {
        match self.watch {
            Watch::Listing { id, .. } => Some(id),
            _ => None,
        }
    }

    fn requests(&self) -> Vec<RequestId> {
        vec![self.watch.id()]
    }

    fn failure(&self) -> Option<&BackendError> {
        self.watch.error()
    }

    fn target(&self) -> Option<Target> {
        Some(Target::Pods(Some((
            self.context.clone(),
            self.namespaces.clone(),
        ))))
    }

    fn prompt(&mut self, event: PromptEvent, cx: &mut Ctx) {
        match event {
            PromptEvent::Edited(pattern) => self.filter_by(pattern),
            PromptEvent::Submitted(_) => {
                if let Some(e) = self.filter.as_ref().and_then(|(p, _)| p.error()) {
                    cx.tell(Notice::BadFilter(e.clone()));
                }
            }
            PromptEvent::Cancelled => self.cancel_filter(),
        }
    }

    fn fit(&mut self, _width: u16, height: u16) {
        self.cursor.fit(self.rows.len(), layout::pods_rows(height));
    }

    fn follow_scope(&mut self, cx: &mut Ctx) -> bool {
        cx.go_instead(Target::Pods(None));
        true
    }

    fn shows_time(&self) -> bool {
        true
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
        view.cursor.selected = 1; // y
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
        assert_eq!(view.cursor.selected, 0, "the cursor follows its pod");
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
