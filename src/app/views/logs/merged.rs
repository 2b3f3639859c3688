//! The logs of several containers at once, merged in time order, as stern
//! does: the pods the pods view marked, or those a label selector matches.

use super::{LogSource, LogsView, Older};
use crate::app::effect::Effect;
use crate::app::notice::Notice;
use crate::app::screen::Ctx;
use crate::app::target::PodPick;
use std::borrow::Cow;
use triage_core::backend::BackendError;
use triage_core::backend::cluster::PodLogRequest;
use triage_core::domain::{LogLine, Pod, SafeText, TimeRange};

/// The most logs followed at once, as stern: each is a connection to the
/// API server.
pub const MAX_STREAMS: usize = 50;

impl LogsView {
    /// The logs of the picked containers, streamed and merged; a selector
    /// asks for its pods first.
    pub fn open_merged(context: Option<String>, pick: PodPick, cx: &mut Ctx) -> Self {
        let context = context.or_else(|| cx.kube.context.clone());
        let title = match &pick {
            PodPick::Containers(_) => "marked pods".to_owned(),
            PodPick::Selector(selector) => selector.clone(),
        };
        let source = LogSource::Merged {
            context: context.clone(),
            pick: pick.clone(),
            containers: Vec::new(),
        };
        let range = TimeRange::last(cx.settings.since, cx.now);
        let mut view = LogsView {
            capacity: cx.settings.log_buffer.max(1),
            ..Self::of(SafeText::new(&title), source, range)
        };
        match pick {
            PodPick::Containers(requests) => view.stream_containers(requests, cx),
            PodPick::Selector(selector) => {
                let namespaces = cx.kube.namespaces.clone();
                let id = cx.ask(|id| Effect::ListPods {
                    id,
                    context,
                    namespaces,
                    selector,
                });
                view.older = Older::Loading { id, since: cx.now };
            }
        }
        view
    }

    /// Follows up to [`MAX_STREAMS`] of `requests`, saying so when there
    /// are more.
    fn stream_containers(&mut self, mut requests: Vec<PodLogRequest>, cx: &mut Ctx) {
        let LogSource::Merged {
            context,
            containers,
            pick,
        } = &mut self.source
        else {
            return;
        };
        let matched = requests.len();
        if matched > MAX_STREAMS {
            requests.truncate(MAX_STREAMS);
            cx.tell(Notice::TooManyStreams {
                shown: MAX_STREAMS,
                matched,
            });
        }
        if let PodPick::Containers(_) = pick {
            self.title = SafeText::new(&format!("marked pods ({} containers)", requests.len()));
        }
        *containers = requests.clone();
        let context = context.clone();
        let id = cx.ask(|id| Effect::StreamPodLogs {
            id,
            context,
            requests,
        });
        self.stream = Some(id);
        self.older = Older::Loading { id, since: cx.now };
    }

    /// A selector's pods arrived: their containers' logs are followed.
    pub(super) fn pods_listed(&mut self, result: Result<Vec<Pod>, BackendError>, cx: &mut Ctx) {
        let pods = match result {
            Ok(pods) => pods,
            Err(e) => {
                cx.tell(Notice::Failed(e.clone()));
                self.older = Older::Failed(e);
                return;
            }
        };
        let requests = containers_of(&pods, cx);
        if requests.is_empty() {
            self.loaded = true;
            self.older = Older::Exhausted;
            return cx.tell(Notice::NoPodsMatch(self.title.clone()));
        }
        self.title = SafeText::new(&format!(
            "{} ({} pods)",
            self.title,
            pods.iter().filter(|p| !p.containers.is_empty()).count()
        ));
        self.stream_containers(requests, cx);
    }

    /// One of the merged logs broke (its pod deleted, say): the others go on.
    pub(super) fn merged_stream_broke(&mut self, stream: usize, error: BackendError, cx: &mut Ctx) {
        let LogSource::Merged { containers, .. } = &self.source else {
            return;
        };
        let from = containers
            .get(stream)
            .map_or_else(String::new, |r| format!("{}/{}", r.pod.name, r.container));
        cx.tell(Notice::StreamBroke {
            from: SafeText::new(&from),
            error,
        });
    }
}

/// Where a merged line came from: its pod and container.
pub fn merged_source(line: &LogLine) -> Cow<'_, str> {
    match (line.labels.get("pod"), line.labels.get("container")) {
        (Some(pod), Some(container)) => Cow::Owned(format!("{pod}/{container}")),
        _ => Cow::Borrowed(line.source()),
    }
}

/// A followed log request for every container of `pods` that runs beside
/// the others (init containers end before the pod starts).
pub fn containers_of(pods: &[Pod], cx: &Ctx) -> Vec<PodLogRequest> {
    let since = Some(cx.settings.since);
    (pods.iter())
        .flat_map(|pod| {
            (pod.containers.iter())
                .filter(|c| !c.init || c.sidecar)
                .map(move |c| PodLogRequest {
                    pod: pod.key.clone(),
                    container: c.name.to_string(),
                    previous: false,
                    follow: true,
                    since,
                })
        })
        .collect()
}
