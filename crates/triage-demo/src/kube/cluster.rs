//! The demo cluster's state and its live changes: every few seconds the
//! crash-looping pod moves on (running, exited, backing off), its events
//! count up and the frontend answers a health check. Each change to a pod
//! gets a new resourceVersion and is kept, so watches can replay it.

use super::events;
use super::object::{Change, Changed};
use super::pods::{DemoPod, Exit, FIRST_START, Health, NODES, PODS, Run, Spec, repository};
use crate::clock::Clock;
use crate::data::DemoData;
use crate::incidents::{self, CRASH_AFTER, OOM_KILLS_AGO, RESTART_DELAY, crash_starts};
use k8s_openapi::api::core::v1::Event;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::watch;
use triage_core::domain::Nanos;

/// How often the cluster changes: often enough that someone watching
/// sees rows move.
pub const STEP: Duration = Duration::from_secs(2);
/// The crash-looping container runs for this many steps, shows as exited
/// for this many, and backs off for this many before it starts again.
const RUNNING_STEPS: u64 = 1;
const EXITED_STEPS: u64 = 1;
const BACKOFF_STEPS: u64 = 2;
/// How many changes a watch can replay.
const HISTORY: usize = 1000;

/// What a watch from an old resourceVersion gets when the changes since
/// are no longer kept.
pub struct Expired;

pub struct State {
    /// The demo's `now` when it started, moving on.
    clock: Clock,
    /// The newest resourceVersion.
    pub rv: u64,
    pub pods: Vec<DemoPod>,
    pub events: Vec<Event>,
    history: VecDeque<Change>,
    /// Changes after this resourceVersion can be replayed.
    replayable_after: u64,
    rng: fastrand::Rng,
    steps: u64,
    /// The step at which the crash-looping pod last changed.
    crash_since: u64,
}

pub struct Cluster {
    state: Mutex<State>,
    /// Bumped after every step; closed when the live changes stop.
    steps: watch::Receiver<u64>,
}

impl Cluster {
    /// The cluster as it is at `now`, and the future that changes it live
    /// (spawn it; when it is dropped, watches and followed logs end).
    pub fn new(data: &DemoData, now: Nanos) -> (Arc<Cluster>, impl Future<Output = ()> + use<>) {
        let (sender, steps) = watch::channel(0);
        let cluster = Arc::new(Cluster {
            state: Mutex::new(State::generate(data, now)),
            steps,
        });
        let live = Arc::clone(&cluster);
        (cluster, async move { live.run(sender).await })
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A receiver that wakes after each step.
    pub fn steps(&self) -> watch::Receiver<u64> {
        self.steps.clone()
    }

    async fn run(&self, sender: watch::Sender<u64>) {
        let mut interval = tokio::time::interval(STEP);
        interval.tick().await; // the first tick is immediate
        loop {
            interval.tick().await;
            let step = self.state().step();
            sender.send_replace(step);
        }
    }
}

impl State {
    fn generate(data: &DemoData, now: Nanos) -> State {
        let mut state = State {
            clock: Clock::start(now),
            rv: 48_000,
            pods: Vec::new(),
            events: Vec::new(),
            history: VecDeque::new(),
            replayable_after: 0,
            rng: fastrand::Rng::with_seed(33),
            steps: 0,
            crash_since: 0,
        };
        for (i, spec) in PODS.iter().enumerate() {
            let pod = state.new_pod(spec, i, data, now);
            state.pods.push(pod);
        }
        // The API lists objects in the order etcd keeps them.
        state.pods.sort_by_key(|p| (p.spec.namespace, p.spec.name));
        for pod in &state.pods {
            for (i, o) in events::occurrences(pod, now).iter().enumerate() {
                state.rv += 1;
                state.events.push(events::object(pod, o, i, state.rv));
            }
            if pod.spec.health == Health::OomKilled {
                let kills = events::oom_kills(pod, now, &mut state.rv);
                state.events.extend(kills);
            }
        }
        let key = |e: &Event| (e.metadata.namespace.clone(), e.metadata.name.clone());
        state.events.sort_by_key(key);
        state.replayable_after = state.rv;
        state
    }

    /// The demo's clock: its `now` at start plus the time since.
    pub fn now(&self) -> Nanos {
        self.clock.now()
    }

    fn container_id(&mut self) -> String {
        format!("containerd://{}", hex(&mut self.rng, 64))
    }

    fn new_pod(
        &mut self,
        spec: &'static Spec,
        index: usize,
        data: &DemoData,
        now: Nanos,
    ) -> DemoPod {
        let created = now - spec.age;
        let mut runs = Vec::new();
        for (started, exit) in past_runs(spec, created, now) {
            let id = self.container_id();
            runs.push(Run {
                id,
                started,
                exit,
                lines: Vec::new(),
            });
        }
        fill_lines(&mut runs, spec, data);
        self.rv += 1;
        let pulled = !runs.is_empty();
        let ip = match spec.owner {
            // kube-proxy runs in the host's network.
            super::pods::Owner::DaemonSet => NODES[spec.node].1.to_owned(),
            _ => format!("10.244.{}.{}", spec.node, 10 + index),
        };
        let uid = random_uid(&mut self.rng);
        let image_id = if pulled {
            format!(
                "{}@sha256:{}",
                repository(spec.image),
                hex(&mut self.rng, 64)
            )
        } else {
            String::new()
        };
        // Pods of one controller share its uid.
        let owner_uid = random_uid(&mut fastrand::Rng::with_seed(fnv(spec.owner_name())));
        let mut pod = DemoPod {
            spec,
            uid,
            owner_uid,
            created,
            ip,
            image_id,
            runs,
            waiting: None,
            resource_version: self.rv,
        };
        pod.waiting = waiting_reason(&pod);
        pod
    }

    /// The pod changes after `after`, oldest first.
    pub fn changes_after(&self, after: u64) -> Result<impl Iterator<Item = &Change>, Expired> {
        if after < self.replayable_after {
            return Err(Expired);
        }
        Ok(self.history.iter().filter(move |c| c.rv > after))
    }

    /// One step of live changes; returns the step's number.
    fn step(&mut self) -> u64 {
        self.steps += 1;
        // The shop's pods write their lines on their own (the demo's
        // upcoming lines, due as the clock reaches them); only the
        // crash-looping one is driven from here.
        let now = self.now();
        self.crash_loop(now);
        self.steps
    }

    fn crash_loop(&mut self, now: Nanos) {
        let Some(i) = self
            .pods
            .iter()
            .position(|p| p.spec.health == Health::CrashLoop)
        else {
            return;
        };
        let held = self.steps - self.crash_since;
        let pod = &self.pods[i];
        if pod.waiting.is_some() && held >= BACKOFF_STEPS {
            self.restart(i, now);
        } else if pod.running() && held >= RUNNING_STEPS {
            self.exit(i, now);
        } else if pod.waiting.is_none() && !pod.running() && held >= EXITED_STEPS {
            self.back_off(i, now);
        } else {
            return;
        }
        self.crash_since = self.steps;
        self.modified(i);
    }

    fn restart(&mut self, i: usize, now: Nanos) {
        let id = self.container_id();
        let pod = &mut self.pods[i];
        pod.waiting = None;
        pod.runs.push(Run {
            id,
            started: now,
            exit: None,
            lines: incidents::crash_startup_lines(now),
        });
        let pod = &self.pods[i];
        let recurring = [
            ("Pulled", events::already_present(pod)),
            ("Created", events::created(pod)),
            ("Started", events::started(pod)),
        ];
        for (reason, message) in recurring {
            self.recur(i, reason, &message, now);
        }
    }

    fn exit(&mut self, i: usize, now: Nanos) {
        if let Some(run) = self.pods[i].runs.last_mut() {
            run.lines.extend(incidents::crash_death_lines(now));
            run.exit = Some(Exit {
                at: now,
                code: 1,
                reason: "Error",
            });
        }
    }

    fn back_off(&mut self, i: usize, now: Nanos) {
        let pod = &mut self.pods[i];
        pod.waiting = waiting_reason(pod);
        let message = events::restart_backoff(&self.pods[i]);
        self.recur(i, "BackOff", &message, now);
    }

    /// Records that pod `i` changed: a new resourceVersion, kept for watches.
    fn modified(&mut self, i: usize) {
        self.rv += 1;
        let pod = &mut self.pods[i];
        pod.resource_version = self.rv;
        let object = Changed::Pod(Box::new(pod.object()));
        self.record(object);
    }

    /// One more of pod `i`'s events like this one, recorded for watches.
    fn recur(&mut self, i: usize, reason: &str, message: &str, now: Nanos) {
        self.rv += 1;
        let pod = &self.pods[i];
        if let Some(event) = events::recur(&mut self.events, pod, reason, message, now, self.rv) {
            let object = Changed::Event(Box::new(event.clone()));
            self.record(object);
        }
    }

    fn record(&mut self, object: Changed) {
        self.history.push_back(Change {
            rv: self.rv,
            object,
        });
        while self.history.len() > HISTORY {
            if let Some(old) = self.history.pop_front() {
                self.replayable_after = old.rv;
            }
        }
    }
}

fn hex(rng: &mut fastrand::Rng, digits: usize) -> String {
    (0..digits)
        .map(|_| char::from_digit(rng.u32(0..16), 16).unwrap_or('0'))
        .collect()
}

/// A random (version 4) uid.
fn random_uid(rng: &mut fastrand::Rng) -> String {
    let mut part = |digits| hex(rng, digits);
    let (a, b, c, d, e) = (part(8), part(4), part(3), part(3), part(12));
    format!("{a}-{b}-4{c}-a{d}-{e}")
}

/// FNV-1a, to seed a name's uid with the name.
fn fnv(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// When the pod's container runs started and how they ended, oldest first.
fn past_runs(spec: &Spec, created: Nanos, now: Nanos) -> Vec<(Nanos, Option<Exit>)> {
    let first = created + FIRST_START;
    match spec.health {
        Health::Running => vec![(first, None)],
        Health::OomKilled => {
            let kills = OOM_KILLS_AGO.map(|ago| now - ago);
            let oom = |at| {
                Some(Exit {
                    at,
                    code: 137,
                    reason: "OOMKilled",
                })
            };
            vec![
                (first, oom(kills[0])),
                (kills[0] + RESTART_DELAY, oom(kills[1])),
                (kills[1] + RESTART_DELAY, None),
            ]
        }
        Health::CrashLoop => crash_starts(now)
            .into_iter()
            .map(|s| {
                (
                    s,
                    Some(Exit {
                        at: s + CRASH_AFTER,
                        code: 1,
                        reason: "Error",
                    }),
                )
            })
            .collect(),
        Health::ImagePullBackOff | Health::Unschedulable => Vec::new(),
    }
}

/// Gives each run the lines its container wrote, or will write as the
/// demo goes on: the demo's Loki stream for the pod when there is one
/// (each line to the run alive when it was written), else the spec's
/// start-up lines.
fn fill_lines(runs: &mut [Run], spec: &Spec, data: &DemoData) {
    let stream = data.streams.iter().find(|s| {
        s.labels.get("pod").map(String::as_str) == Some(spec.name)
            && s.labels.get("namespace").map(String::as_str) == Some(spec.namespace)
    });
    match stream {
        Some(stream) => {
            // Upcoming lines too: the log shows each once it is due.
            for (t, line) in stream.lines.iter().chain(&stream.upcoming) {
                if let Some(run) = runs.iter_mut().rev().find(|r| r.started <= *t) {
                    run.lines.push((*t, line.clone()));
                }
            }
        }
        None => {
            for run in runs {
                run.lines = (spec.start_lines.iter())
                    .zip(0..)
                    .map(|(line, ms)| (run.started + ms * 1_000_000, (*line).to_owned()))
                    .collect();
            }
        }
    }
}

/// Why the kubelet is not running the pod's container, if it is not.
fn waiting_reason(pod: &DemoPod) -> Option<(&'static str, String)> {
    let s = pod.spec;
    match s.health {
        Health::CrashLoop if !pod.running() => Some((
            "CrashLoopBackOff",
            format!(
                "back-off 5m0s restarting failed container={} pod={}_{}({})",
                s.app, s.name, s.namespace, pod.uid
            ),
        )),
        Health::ImagePullBackOff => Some((
            "ImagePullBackOff",
            format!(
                "Back-off pulling image \"{i}\": ErrImagePull: failed to pull and unpack image \"{i}\": failed to resolve reference \"{i}\": {i}: not found",
                i = s.image
            ),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incidents::SECOND;
    use crate::kube::object::Object;
    use k8s_openapi::api::core::v1::Pod;

    fn cluster() -> State {
        let now = 1_800_000_000 * SECOND;
        State::generate(&DemoData::generate(now), now)
    }

    #[test]
    fn the_crash_loop_cycles_with_new_resource_versions() {
        let mut state = cluster();
        let first = state.rv;
        let crash = |s: &State| {
            s.pods
                .iter()
                .position(|p| p.spec.health == Health::CrashLoop)
        };
        let i = crash(&state).unwrap_or_default();
        let restarts = state.pods[i].restarts();
        assert!(state.pods[i].waiting.is_some());
        for _ in 0..(BACKOFF_STEPS + RUNNING_STEPS + EXITED_STEPS) {
            state.step();
        }
        assert!(state.pods[i].waiting.is_some(), "backing off again");
        assert_eq!(state.pods[i].restarts(), restarts + 1);
        let changes: Vec<u64> = state.changes_after(first).map_or(Vec::new(), |c| {
            c.filter(|c| Pod::changed(c).is_some())
                .map(|c| c.rv)
                .collect()
        });
        assert_eq!(changes.len(), 3);
        assert!(changes.windows(2).all(|w| w[0] < w[1]));
        assert!(state.changes_after(first - 1).is_err());
    }

    #[test]
    fn postgres_was_oom_killed_and_its_previous_run_wrote_why() {
        let state = cluster();
        let pod = state.pods.iter().find(|p| p.spec.name == "postgres-0");
        let Some(pod) = pod else { panic!("no postgres-0") };
        assert_eq!(pod.restarts(), 2);
        let previous = pod.previous().map(|r| r.lines.clone()).unwrap_or_default();
        assert!(
            previous.iter().any(|(_, l)| l.contains("out of memory")),
            "{previous:?}"
        );
        let current = pod.current().map(|r| r.lines.clone()).unwrap_or_default();
        assert!(
            current
                .iter()
                .any(|(_, l)| l.contains("ready to accept connections"))
        );
    }
}
