//! Carries out effects: each request on its own task, with a deadline and a
//! cancellation token; its result comes back as a `Msg` on a bounded channel.

use super::complete::Names;
use super::effect::{Effect, MetricSource, RequestId};
use super::msg::{Alerts, Edges, Metrics, Msg};
use super::now;
use crate::history;
use futures::stream::BoxStream;
use futures::{StreamExt, stream};
use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use triage_core::backend::cluster::Cluster;
use triage_core::backend::{
    BackendError, Endpoint, LokiClient, PrometheusClient, Source, TempoClient,
};
use triage_core::config::Config;
use triage_core::correlate::red::{self, RedAnswers, RedQueries, RedRow};
use triage_core::correlate::{Scope, SpanMetricNames};
use triage_core::domain::{SafeText, Tag, TimeRange, TraceId, promql};

/// Results waiting to be read by the loop; workers wait when it is full.
const CHANNEL_CAPACITY: usize = 64;

/// The backends, or why one cannot be used; and the history folder.
pub struct Clients {
    pub loki: Result<LokiClient, BackendError>,
    pub tempo: Result<TempoClient, BackendError>,
    pub prometheus: Result<PrometheusClient, BackendError>,
    /// Where expression histories are appended; none keeps them in memory only.
    pub history_dir: Option<PathBuf>,
    /// Kubernetes, reached when first asked; `kube://` backends go through it.
    pub cluster: Arc<Cluster>,
}

impl Clients {
    pub fn from_config(config: &Config) -> Self {
        let cluster = Arc::new(Cluster::new(config.kubernetes.cluster.clone()));
        Clients {
            loki: backend(&config.loki, Source::Loki, &cluster, LokiClient::new),
            tempo: backend(&config.tempo, Source::Tempo, &cluster, |endpoint| {
                Ok(TempoClient::new(endpoint)?.with_trace_max_bytes(config.trace_max_bytes))
            }),
            prometheus: backend(
                &config.prometheus,
                Source::Prometheus,
                &cluster,
                PrometheusClient::new,
            ),
            history_dir: config.history_dir.clone(),
            cluster,
        }
    }
}

/// A backend's client, able to go through the cluster (`kube://` URLs).
fn backend<C>(
    endpoint: &Option<Endpoint>,
    source: Source,
    cluster: &Arc<Cluster>,
    new: impl Fn(&Endpoint) -> Result<C, BackendError>,
) -> Result<C, BackendError> {
    let Some(endpoint) = endpoint else {
        return Err(BackendError::not_configured(source));
    };
    new(&Endpoint {
        cluster: Some(Arc::clone(cluster)),
        ..endpoint.clone()
    })
}

/// The most changes of a watch that arrive together sent as one message.
const WATCH_BATCH: usize = 4096;

/// The messages of an effect that goes on answering (a watch, a followed
/// log); none for one-shot effects. Silence past `deadline` is reported.
pub fn open_stream(
    clients: &Clients,
    effect: &Effect,
    deadline: Duration,
) -> Option<BoxStream<'static, Msg>> {
    let cluster = Arc::clone(&clients.cluster);
    match effect {
        Effect::WatchPods {
            id,
            context,
            namespaces,
            name,
        } => {
            let id = *id;
            let changes =
                cluster.watch_pods(context.clone(), namespaces.clone(), name.clone(), deadline);
            Some(
                changes
                    .ready_chunks(WATCH_BATCH)
                    .map(move |changes| Msg::PodsChanged { id, changes })
                    .boxed(),
            )
        }
        Effect::StreamPodLogs {
            id,
            context,
            requests,
        } => {
            let id = *id;
            let streams = requests.iter().enumerate().map(|(stream, request)| {
                let lines = Arc::clone(&cluster).logs(context.clone(), request.clone(), deadline);
                lines.map(move |result| Msg::PodLogs { id, stream, result })
            });
            Some(
                stream::select_all(streams.map(StreamExt::boxed))
                    .chain(stream::once(async move { Msg::PodLogsEnded { id } }))
                    .boxed(),
            )
        }
        Effect::FetchTrace { id, trace_id } => {
            Some(trace_with_progress(clients, *id, *trace_id, deadline))
        }
        Effect::TailLogs { id, query } => {
            let id = *id;
            let events = match &clients.loki {
                Ok(loki) => loki.tail(query.clone()),
                Err(e) => stream::once(futures::future::ready(Err(e.clone()))).boxed(),
            };
            Some(
                events
                    .map(move |event| Msg::Tailed { id, event })
                    .chain(stream::once(async move { Msg::TailEnded { id } }))
                    .boxed(),
            )
        }
        _ => None, // one-shot: see execute
    }
}

/// How often the bytes of a trace on its way are told.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// A trace by id: the bytes received so far, now and then, then the trace.
fn trace_with_progress(
    clients: &Clients,
    id: RequestId,
    trace_id: TraceId,
    deadline: Duration,
) -> BoxStream<'static, Msg> {
    let tempo = clients.tempo.clone();
    let (sender, receiver) = watch::channel(0u64);
    let trace = async move {
        let work = async {
            let tempo = tempo?;
            tempo.trace_with_progress(trace_id, sender).await
        };
        let result = within(deadline, Source::Tempo, work).await;
        Msg::TraceLoaded { id, result }
    };
    // Ends when the trace is read and the sender dropped.
    let progress = stream::unfold(receiver, move |mut receiver| async move {
        tokio::time::sleep(PROGRESS_EVERY).await;
        receiver.changed().await.ok()?;
        let bytes = *receiver.borrow_and_update();
        Some((Msg::TraceProgress { id, bytes }, receiver))
    });
    stream::select(progress, stream::once(trace)).boxed()
}

/// Runs one request effect to its result message. `None` for effects that
/// are not requests.
pub async fn execute(clients: &Clients, effect: Effect, deadline: Duration) -> Option<Msg> {
    match effect {
        Effect::FetchLogs { id, query } => {
            let work = async {
                match &clients.loki {
                    Ok(loki) => loki.query_range(&query).await,
                    Err(e) => Err(e.clone()),
                }
            };
            let result = within(deadline, Source::Loki, work).await;
            Some(Msg::LogsLoaded { id, result })
        }
        Effect::SearchTraces { id, query } => {
            let work = async {
                let tempo = clients.tempo.as_ref().map_err(Clone::clone)?;
                tempo.search(&query).await
            };
            let result = within(deadline, Source::Tempo, work).await;
            Some(Msg::TracesFound { id, result })
        }
        Effect::FetchMetrics {
            id,
            source: MetricSource::Loki,
            expression,
            range,
            step,
        } => {
            let work = async {
                let loki = clients.loki.as_ref().map_err(Clone::clone)?;
                Ok(Metrics {
                    series: loki.metric_range(&expression, range, step).await?,
                    exemplars: Ok(Vec::new()),
                    unit: None,
                })
            };
            let result = within(deadline, Source::Loki, work).await;
            Some(Msg::MetricsLoaded { id, result })
        }
        Effect::FetchMetrics {
            id,
            source: MetricSource::Prometheus,
            expression: promql,
            range,
            step,
        } => {
            let work = async {
                let prometheus = clients.prometheus.as_ref().map_err(Clone::clone)?;
                // Exemplars and the unit are extras: a hanging endpoint for
                // them must not cost the graph.
                let extra = deadline / 2;
                let (series, exemplars, unit) = tokio::join!(
                    prometheus.query_range(&promql, range, step),
                    within(
                        extra,
                        Source::Prometheus,
                        prometheus.exemplars(&promql, range)
                    ),
                    tokio::time::timeout(extra, metadata_unit(prometheus, &promql)),
                );
                Ok(Metrics {
                    series: series?,
                    exemplars: exemplars.map(|e| e.data),
                    unit: unit.ok().flatten(),
                })
            };
            let result = within(deadline, Source::Prometheus, work).await;
            Some(Msg::MetricsLoaded { id, result })
        }
        Effect::FetchAlerts { id } => {
            let work = async {
                let prometheus = clients.prometheus.as_ref().map_err(Clone::clone)?;
                let rules = within(deadline / 2, Source::Prometheus, prometheus.alert_rules());
                let (alerts, rules) = tokio::join!(prometheus.alerts(), rules);
                Ok(Alerts {
                    alerts: alerts?,
                    rules,
                })
            };
            let result = within(deadline, Source::Prometheus, work).await;
            Some(Msg::AlertsLoaded { id, result })
        }
        Effect::FetchRed {
            id,
            names,
            scope,
            range,
        } => {
            let work = async {
                let prometheus = clients.prometheus.as_ref().map_err(Clone::clone)?;
                let table = |queries| red_table(prometheus, &names, queries, range);
                match scope {
                    Scope::Services => {
                        let (served, all) = tokio::join!(
                            table(RedQueries::new(&names, &scope)),
                            table(RedQueries::all_kinds(&names))
                        );
                        Ok(red::with_the_rest(served?, all?))
                    }
                    Scope::Operations { .. } => table(RedQueries::new(&names, &scope)).await,
                }
            };
            // Eight queries at once make a large future: on the heap, not
            // on the stack of every effect.
            let result = within(deadline, Source::Prometheus, Box::pin(work)).await;
            // No rows: are there no such series, or too few samples for a rate?
            let unrated = match (&result, &clients.prometheus) {
                (Ok(rows), Ok(prometheus)) if rows.is_empty() => {
                    let count = format!("count({})", names.calls);
                    let asked = within(
                        deadline,
                        Source::Prometheus,
                        prometheus.query(&count, Some(range.end)),
                    );
                    asked.await.is_ok_and(|a| !a.data.is_empty())
                }
                _ => false,
            };
            Some(Msg::RedLoaded {
                id,
                result,
                unrated,
            })
        }
        Effect::FetchEdges { id, names, at } => {
            let work = async {
                let prometheus = clients.prometheus.as_ref().map_err(Clone::clone)?;
                let [rate, failed, p99] = red::edge_queries(&names);
                let (rate, failed, p99) = tokio::join!(
                    prometheus.query(&rate, Some(at)),
                    prometheus.query(&failed, Some(at)),
                    prometheus.query(&p99, Some(at))
                );
                let failed = failed?.data;
                let failed_counted = !failed.is_empty();
                let edges = red::edges(
                    &rate?.data,
                    failed_counted.then_some(failed.as_slice()),
                    &p99?.data,
                );
                Ok(Edges {
                    edges,
                    failed_counted,
                })
            };
            let result = within(deadline, Source::Prometheus, work).await;
            Some(Msg::EdgesLoaded { id, result })
        }
        Effect::FetchNames { id, names } => {
            let result = match &names {
                Names::TempoTags | Names::TempoValues(_) => {
                    within(deadline, Source::Tempo, tempo_names(clients, &names)).await
                }
                Names::LokiLabels(_) | Names::LokiValues { .. } => {
                    within(deadline, Source::Loki, loki_names(clients, &names)).await
                }
                _ => {
                    within(
                        deadline,
                        Source::Prometheus,
                        prometheus_names(clients, &names),
                    )
                    .await
                }
            };
            Some(Msg::NamesLoaded { id, names, result })
        }
        Effect::FetchLokiLabels { id, range } => {
            let work = async {
                let loki = clients.loki.as_ref().map_err(Clone::clone)?;
                loki.labels(None, range).await
            };
            let result = within(deadline, Source::Loki, work).await;
            Some(Msg::LokiLabelsLoaded { id, result })
        }
        Effect::FetchVolume {
            id,
            logql,
            range,
            step,
        } => {
            let work = async {
                let loki = clients.loki.as_ref().map_err(Clone::clone)?;
                loki.volume(&logql, range, step).await
            };
            let result = within(deadline, Source::Loki, work).await;
            Some(Msg::VolumeLoaded { id, result })
        }
        Effect::FetchPatterns {
            id,
            selector,
            range,
            step,
        } => {
            let work = async {
                let loki = clients.loki.as_ref().map_err(Clone::clone)?;
                loki.patterns(&selector, range, step).await
            };
            let result = within(deadline, Source::Loki, work).await;
            Some(Msg::PatternsLoaded { id, result })
        }
        Effect::ListPods {
            id,
            context,
            namespaces,
            selector,
        } => {
            let work = (clients.cluster).pods_matching(context.as_deref(), &namespaces, &selector);
            let result = within(deadline, Source::Kubernetes, work).await;
            Some(Msg::PodsListed { id, result })
        }
        Effect::FetchEvents { id, context, pod } => {
            let work = clients.cluster.events(context.as_deref(), &pod);
            let result = within(deadline, Source::Kubernetes, work).await;
            Some(Msg::EventsLoaded { id, result })
        }
        Effect::WatchPods { .. }
        | Effect::StreamPodLogs { .. }
        | Effect::FetchTrace { .. }
        | Effect::TailLogs { .. } => {
            None // see open_stream
        }
        Effect::Remember {
            language,
            expression,
        } => {
            let path = history::file(clients.history_dir.as_ref()?, language);
            if let Err(e) = history::append(&path, &expression) {
                tracing::warn!("history not kept in {}: {e}", path.display());
            }
            None
        }
        Effect::Clipboard(_) => None, // the loop writes it: it owns the terminal
        Effect::Cancel(_) => None,
    }
}

/// How far back completion looks for Tempo's tags and Loki's labels.
const TAGS_WINDOW: Duration = Duration::from_secs(3600);

async fn prometheus_names(clients: &Clients, names: &Names) -> Result<Vec<SafeText>, BackendError> {
    let prometheus = clients.prometheus.as_ref().map_err(Clone::clone)?;
    match names {
        Names::Labels => prometheus.label_names().await,
        Names::Values(label) => prometheus.label_values(label).await,
        _ => prometheus.label_values("__name__").await,
    }
}

/// Loki's label names or one label's values, seen in the last
/// `TAGS_WINDOW`, scoped by the selector typed so far.
async fn loki_names(clients: &Clients, names: &Names) -> Result<Vec<SafeText>, BackendError> {
    let loki = clients.loki.as_ref().map_err(Clone::clone)?;
    let range = TimeRange::last(TAGS_WINDOW, now());
    match names {
        Names::LokiValues { label, selector } => {
            loki.label_values(label, selector.as_deref(), range).await
        }
        Names::LokiLabels(selector) => loki.labels(selector.as_deref(), range).await,
        _ => Ok(Vec::new()),
    }
}

/// Tag names, written as TraceQL writes them, or one tag's values, seen in
/// the last `TAGS_WINDOW`.
async fn tempo_names(clients: &Clients, names: &Names) -> Result<Vec<SafeText>, BackendError> {
    let tempo = clients.tempo.as_ref().map_err(Clone::clone)?;
    let range = TimeRange::last(TAGS_WINDOW, now());
    match names {
        Names::TempoValues(tag) => tempo.tag_values(&Tag::parse(tag), None, range).await,
        _ => Ok(tempo
            .tags(None, range)
            .await?
            .iter()
            .map(|tag| SafeText::new(&tag.traceql()))
            .collect()),
    }
}

/// The unit metadata gives the first metric an expression selects, asked
/// of each family the name could belong to. A `_count` counts events: its
/// family's unit is not its own. No answer is no unit, not an error.
async fn metadata_unit(prometheus: &PrometheusClient, promql: &str) -> Option<SafeText> {
    let name = promql::metric_names(promql).into_iter().next()?;
    if name.ends_with("_count") {
        return None;
    }
    let asked = promql::families(&name).map(|family| async move {
        let metadata = prometheus.metadata(Some(family)).await.ok()?;
        metadata.get(family).map(|m| m.unit.clone())
    });
    futures::future::join_all(asked)
        .await
        .into_iter()
        .flatten()
        .find(|unit| !unit.as_str().is_empty())
}

async fn within<T>(
    deadline: Duration,
    source: Source,
    work: impl Future<Output = Result<T, BackendError>>,
) -> Result<T, BackendError> {
    tokio::time::timeout(deadline, work)
        .await
        .unwrap_or_else(|_| Err(BackendError::timeout(source, deadline)))
}

pub struct Runner {
    clients: Arc<Clients>,
    deadline: Duration,
    results: mpsc::Sender<Msg>,
    running: HashMap<RequestId, CancellationToken>,
}

impl Runner {
    pub fn new(clients: Clients, deadline: Duration) -> (Runner, mpsc::Receiver<Msg>) {
        let (results, receiver) = mpsc::channel(CHANNEL_CAPACITY);
        let runner = Runner {
            clients: Arc::new(clients),
            deadline,
            results,
            running: HashMap::new(),
        };
        (runner, receiver)
    }

    pub fn run(&mut self, effect: Effect) {
        if let Effect::Cancel(id) = &effect {
            if let Some(token) = self.running.remove(id) {
                token.cancel();
            }
            return;
        }
        let id = effect.request_id();
        let token = CancellationToken::new();
        if let Some(id) = id {
            self.running.insert(id, token.clone());
        }
        let (clients, deadline, results) = (
            Arc::clone(&self.clients),
            self.deadline,
            self.results.clone(),
        );
        tracing::debug!(?effect, "request");
        if let Some(mut messages) = open_stream(&self.clients, &effect, self.deadline) {
            tokio::spawn(async move {
                let forward = async {
                    while let Some(msg) = messages.next().await {
                        if results.send(msg).await.is_err() {
                            return; // the loop has ended
                        }
                    }
                };
                tokio::select! {
                    () = token.cancelled() => tracing::debug!(?id, "stream stopped"),
                    () = forward => {}
                }
            });
            return;
        }
        tokio::spawn(async move {
            tokio::select! {
                () = token.cancelled() => tracing::debug!(?id, "cancelled"),
                msg = execute(&clients, effect, deadline) => {
                    if let Some(msg) = msg {
                        let _ = results.send(msg).await; // the loop has ended: nobody to tell
                    }
                }
            }
        });
    }

    /// The loop has the result of `id`: its token is no longer needed.
    pub fn finished(&mut self, id: RequestId) {
        self.running.remove(&id);
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        for token in self.running.values() {
            token.cancel();
        }
    }
}

/// One table's four range queries, asked together, made into rows.
async fn red_table(
    prometheus: &PrometheusClient,
    names: &SpanMetricNames,
    queries: RedQueries,
    range: TimeRange,
) -> Result<Vec<RedRow>, BackendError> {
    let step = red::sparkline_step(range);
    let over = |promql: String| async move {
        prometheus
            .query_range(&promql, range, step)
            .await
            .map(|a| a.data)
    };
    let (rate, errors, p50, p99) = tokio::join!(
        over(queries.rate),
        over(queries.errors),
        over(queries.p50),
        over(queries.p99)
    );
    let answers = RedAnswers {
        rate: rate?,
        errors: errors?,
        p50: p50?,
        p99: p99?,
    };
    Ok(red::red_rows(names, &answers))
}
