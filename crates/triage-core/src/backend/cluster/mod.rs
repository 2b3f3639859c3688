//! Kubernetes through the `kube` crate: one client per kubeconfig context,
//! made when first needed, so triage works when no cluster does. Pods,
//! events and container logs leave as domain values (see `convert`); the
//! service proxy behind `kube://` backend URLs is in `proxy`.

pub mod cap;
pub mod convert;
pub mod proxy;

use super::answer::{MAX_BODY_BYTES, body_words, root_cause};
use super::error::{
    BackendError, CredentialProblem, ErrorKind, KubeconfigProblem, Misconfigured, Part, Problem,
    ServerWords, Source, TooLarge, Unreadable,
};
use crate::domain::log::{CUT_MARK, MAX_LINE_BYTES};
use crate::domain::{LogLine, PodChange, PodEvent, PodKey};
use crate::secret::Redactor;
use futures::{Stream, StreamExt};
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, ListParams, LogParams};
use kube::client::AuthError;
use kube::config::{ExecInteractiveMode, KubeConfigOptions, Kubeconfig, KubeconfigError};
use kube::runtime::{WatchStreamExt, watcher};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// How to find the cluster.
#[derive(Clone, Debug, Default)]
pub struct ClusterSettings {
    /// A kubeconfig file other than `$KUBECONFIG` or `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context; none is its current context (or, with no
    /// kubeconfig, the service account of the pod triage runs in).
    pub context: Option<String>,
    /// An API server reached without credentials (the demo's).
    pub url: Option<String>,
    /// The secrets cut out of what the cluster sends back (the config's,
    /// the kubeconfig's credentials among them: see [`kubeconfig_secrets`]).
    pub redactor: Redactor,
}

/// Which namespaces a list covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Namespaces {
    All,
    One(String),
    /// The context's own namespace.
    Default,
}

impl std::fmt::Display for Namespaces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Namespaces::All => f.write_str("all namespaces"),
            Namespaces::One(ns) => write!(f, "namespace {ns}"),
            Namespaces::Default => f.write_str("the context's namespace"),
        }
    }
}

/// A cluster, reached lazily; clients are kept per context.
pub struct Cluster {
    settings: ClusterSettings,
    clients: Mutex<HashMap<Option<String>, kube::Client>>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("context", &self.settings.context)
            .finish_non_exhaustive()
    }
}

impl Cluster {
    pub fn new(settings: ClusterSettings) -> Self {
        Cluster {
            settings,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The client for a context (none: the configured one), made on first
    /// use. The lock is held while it is made: a watch and a request that
    /// start together run a credential plugin once, not twice.
    pub async fn client(&self, context: Option<&str>) -> Result<kube::Client, BackendError> {
        let context = context.map(str::to_owned).or(self.settings.context.clone());
        let mut clients = self.clients.lock().await;
        if let Some(client) = clients.get(&context) {
            return Ok(client.clone());
        }
        let config = self.config(context.as_deref()).await?;
        let client = kube::client::ClientBuilder::try_from(config)
            .map_err(|e| api_error(&e, self.redactor()))?
            .with_layer(&cap::CapBodies)
            .build();
        clients.insert(context, client.clone());
        Ok(client)
    }

    /// The secrets cut out of what this cluster sends back.
    pub fn redactor(&self) -> &Redactor {
        &self.settings.redactor
    }

    /// Drops a context's client after the cluster refused its credentials:
    /// the next one reads the kubeconfig again and re-runs its credential
    /// plugin, which is how an expired token gets renewed.
    pub(super) async fn forget(&self, context: Option<&str>) {
        let context = context.map(str::to_owned).or(self.settings.context.clone());
        self.clients.lock().await.remove(&context);
    }

    async fn config(&self, context: Option<&str>) -> Result<kube::Config, BackendError> {
        let config_error = |e: &KubeconfigError| {
            fail(
                ErrorKind::Config,
                Problem::Kubeconfig(kubeconfig_problem(e)),
            )
        };
        if let Some(url) = &self.settings.url {
            let uri = url.parse().map_err(|_| {
                let what = Misconfigured::BadClusterUrl;
                fail(ErrorKind::Config, Problem::Misconfigured(what))
            })?;
            return Ok(kube::Config::new(uri));
        }
        let options = KubeConfigOptions {
            context: context.map(str::to_owned),
            ..KubeConfigOptions::default()
        };
        let mut config = match (&self.settings.kubeconfig, context) {
            (Some(path), _) => {
                let file = Kubeconfig::read_from(path).map_err(|e| config_error(&e))?;
                kube::Config::from_custom_kubeconfig(file, &options)
                    .await
                    .map_err(|e| config_error(&e))?
            }
            (None, Some(_)) => kube::Config::from_kubeconfig(&options)
                .await
                .map_err(|e| config_error(&e))?,
            (None, None) => kube::Config::infer().await.map_err(|e| {
                let why = std::error::Error::source(&e)
                    .and_then(|s| s.downcast_ref::<KubeconfigError>())
                    .map(kubeconfig_problem);
                fail(ErrorKind::Config, Problem::NoKubeconfig(why))
            })?,
        };
        config.connect_timeout = Some(Duration::from_secs(10));
        // A credential plugin must not write over the screen or read keys.
        if let Some(exec) = config.auth_info.exec.as_mut() {
            exec.interactive_mode = Some(ExecInteractiveMode::Never);
        }
        Ok(config)
    }

    /// Runs one request, renewing credentials once if they were refused.
    async fn call<T, F, Fut>(&self, context: Option<&str>, request: F) -> Result<T, BackendError>
    where
        F: Fn(kube::Client) -> Fut,
        Fut: Future<Output = Result<T, kube::Error>>,
    {
        let client = self.client(context).await?;
        match request(client).await {
            Err(e) if status_code(&e) == Some(401) => {
                self.forget(context).await;
                let client = self.client(context).await?;
                request(client)
                    .await
                    .map_err(|e| api_error(&e, self.redactor()))
            }
            result => result.map_err(|e| api_error(&e, self.redactor())),
        }
    }

    /// The pods of the namespaces asked for.
    async fn pods_api(
        &self,
        context: Option<&str>,
        namespaces: &Namespaces,
    ) -> Result<Api<Pod>, BackendError> {
        Ok(pods_in(self.client(context).await?, namespaces))
    }

    /// Pods, kept up to date: the whole list first (and again whenever the
    /// watch has to start over), then each change. Errors come through and
    /// the watch goes on after a back-off; refused credentials are renewed.
    /// With `name`, only that pod is watched. A server that says nothing
    /// for `deadline` after a (re)start is reported, and waited for still.
    pub fn watch_pods(
        self: Arc<Self>,
        context: Option<String>,
        namespaces: Namespaces,
        name: Option<String>,
        deadline: Duration,
    ) -> impl Stream<Item = Result<PodChange, BackendError>> + Send {
        async_stream(move |sender| async move {
            // Credentials are renewed once after a refusal; if the new ones
            // are refused too, the watcher's back-off paces the retries.
            let mut renewed = false;
            loop {
                let api = match self.pods_api(context.as_deref(), &namespaces).await {
                    Ok(api) => api,
                    Err(e) => {
                        // A broken kubeconfig or unknown context: said, then
                        // tried again now and then (it may be fixed).
                        if sender.send(Err(e)).await.is_err() {
                            return;
                        }
                        tokio::time::sleep(RETRY_CONFIG).await;
                        continue;
                    }
                };
                let mut config = watcher::Config::default();
                if let Some(name) = &name {
                    config = config.fields(&format!("metadata.name={name}"));
                }
                let mut events = watcher(api, config).default_backoff().boxed();
                let mut listing: Option<Vec<crate::domain::Pod>> = None;
                // When a list must have ended; a silent server is said once.
                let mut due = None;
                loop {
                    let event = match due {
                        Some(at) => match tokio::time::timeout_at(at, events.next()).await {
                            Ok(event) => event,
                            Err(_) => {
                                due = None;
                                if sender.send(Err(silent(deadline))).await.is_err() {
                                    return;
                                }
                                continue;
                            }
                        },
                        None => events.next().await,
                    };
                    let Some(event) = event else { break };
                    let change = match event {
                        Ok(watcher::Event::Init) => {
                            listing = Some(Vec::new());
                            due = Some(tokio::time::Instant::now() + deadline);
                            continue;
                        }
                        Ok(watcher::Event::InitApply(pod)) => {
                            if let Some(list) = &mut listing {
                                list.push(convert::pod(&pod, self.redactor()));
                            }
                            continue; // still listing: the deadline stands
                        }
                        Ok(watcher::Event::InitDone) => {
                            Ok(PodChange::Reset(listing.take().unwrap_or_default()))
                        }
                        Ok(watcher::Event::Apply(pod)) => Ok(PodChange::Applied(Box::new(
                            convert::pod(&pod, self.redactor()),
                        ))),
                        Ok(watcher::Event::Delete(pod)) => {
                            Ok(PodChange::Deleted(convert::key(&pod, self.redactor())))
                        }
                        Err(e) => Err(watch_error(&e, self.redactor())),
                    };
                    due = None; // the list ended, or said why not
                    let refused = matches!(&change, Err(e) if e.status == Some(401));
                    renewed &= change.is_err();
                    if sender.send(change).await.is_err() {
                        return; // nobody is listening
                    }
                    if refused && !renewed {
                        self.forget(context.as_deref()).await;
                        renewed = true;
                        break; // start over with renewed credentials
                    }
                }
            }
        })
    }

    /// The pods of `namespaces` whose labels match `selector` (Kubernetes'
    /// label selector syntax, checked by the API server), once.
    pub async fn pods_matching(
        &self,
        context: Option<&str>,
        namespaces: &Namespaces,
        selector: &str,
    ) -> Result<Vec<crate::domain::Pod>, BackendError> {
        let params = ListParams::default().labels(selector);
        let list = self
            .call(context, |client| {
                let api = pods_in(client, namespaces);
                let params = params.clone();
                async move { api.list(&params).await }
            })
            .await?;
        let mut pods: Vec<_> = (list.items.iter())
            .map(|pod| convert::pod(pod, self.redactor()))
            .collect();
        pods.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(pods)
    }

    /// A pod's events, newest first.
    pub async fn events(
        &self,
        context: Option<&str>,
        pod: &PodKey,
    ) -> Result<Vec<PodEvent>, BackendError> {
        let fields = format!(
            "involvedObject.name={},involvedObject.namespace={}",
            pod.name, pod.namespace
        );
        let events = self
            .call(context, |client| {
                let api: Api<Event> = Api::namespaced(client, &pod.namespace);
                let params = ListParams::default().fields(&fields);
                async move { api.list(&params).await }
            })
            .await?;
        let mut events: Vec<PodEvent> = events
            .items
            .iter()
            .map(|e| convert::event(e, self.redactor()))
            .collect();
        events.sort_by_key(|e| std::cmp::Reverse(e.last));
        Ok(events)
    }

    /// A container's log, in batches of the lines that arrived together;
    /// with `follow`, new lines keep coming until the stream is dropped.
    /// A log that does not start within `deadline` is an error.
    pub fn logs(
        self: Arc<Self>,
        context: Option<String>,
        request: PodLogRequest,
        deadline: Duration,
    ) -> impl Stream<Item = Result<Vec<LogLine>, BackendError>> + Send {
        async_stream(move |sender| async move {
            let params = LogParams {
                container: Some(request.container.clone()),
                follow: request.follow,
                previous: request.previous,
                since_seconds: request.since.map(|s| s.as_secs().max(1) as i64),
                tail_lines: Some(MAX_LOG_LINES as i64),
                timestamps: true,
                ..LogParams::default()
            };
            let key = &request.pod;
            let connect = self.call(context.as_deref(), |client| {
                let api: Api<Pod> = Api::namespaced(client, &key.namespace);
                let params = params.clone();
                async move { api.log_stream(&key.name, &params).await }
            });
            let reader = tokio::time::timeout(deadline, connect)
                .await
                .unwrap_or_else(|_| Err(silent(deadline)));
            let reader = match reader {
                Ok(reader) => reader,
                Err(e) => {
                    let _ = sender.send(Err(e)).await;
                    return;
                }
            };
            let labels = convert::log_labels(&request);
            // Connected: an empty batch, so a quiet container is not "loading".
            if sender.send(Ok(Vec::new())).await.is_err() {
                return;
            }
            let mut lines = log_lines(reader).ready_chunks(1024).boxed();
            while let Some(batch) = lines.next().await {
                let mut batch_lines = Vec::with_capacity(batch.len());
                let mut failed = None;
                for line in batch {
                    match line {
                        Ok(line) => {
                            batch_lines.push(convert::log_line(&line, &labels, self.redactor()))
                        }
                        Err(e) => {
                            let cause = self.redactor().safe(&e.to_string());
                            failed =
                                Some(fail(ErrorKind::Decode, Problem::LogStreamBroke { cause }))
                        }
                    }
                }
                if !batch_lines.is_empty() && sender.send(Ok(batch_lines)).await.is_err() {
                    return;
                }
                if let Some(e) = failed {
                    let _ = sender.send(Err(e)).await;
                    return;
                }
            }
        })
    }
}

/// A log's lines, read as bytes: invalid UTF-8 is replaced, not fatal, and
/// a line longer than [`MAX_LINE_BYTES`] is cut (the reader skips the rest).
fn log_lines(
    reader: impl futures::AsyncBufRead + Unpin + Send + 'static,
) -> impl Stream<Item = std::io::Result<String>> + Send {
    use futures::AsyncBufReadExt;
    futures::stream::unfold(reader, |mut reader| async move {
        let mut line = Vec::new();
        let mut cut = false;
        loop {
            let buffer = match reader.fill_buf().await {
                Ok(buffer) => buffer,
                Err(e) => return Some((Err(e), reader)),
            };
            if buffer.is_empty() {
                break; // the end; a last line without a newline still counts
            }
            let (taken, done) = match buffer.iter().position(|&b| b == b'\n') {
                Some(at) => (at + 1, true),
                None => (buffer.len(), false),
            };
            let room = MAX_LINE_BYTES.saturating_sub(line.len());
            cut |= taken > room;
            line.extend_from_slice(&buffer[..taken.min(room)]);
            reader.consume_unpin(taken);
            if done {
                break;
            }
        }
        if line.is_empty() && !cut {
            return None;
        }
        let mut text = String::from_utf8_lossy(&line)
            .trim_end_matches(['\n', '\r'])
            .to_owned();
        if cut {
            text.push_str(CUT_MARK);
        }
        Some((Ok(text), reader))
    })
}

fn pods_in(client: kube::Client, namespaces: &Namespaces) -> Api<Pod> {
    match namespaces {
        Namespaces::All => Api::all(client),
        Namespaces::One(ns) => Api::namespaced(client, ns),
        Namespaces::Default => Api::default_namespaced(client),
    }
}

/// How long a watch waits before trying a kubeconfig that failed again.
const RETRY_CONFIG: Duration = Duration::from_secs(5);

/// The most lines a container log starts with, as `kubectl logs --tail`.
pub const MAX_LOG_LINES: usize = 10_000;

/// Which log: a container of a pod, its current run or the one before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodLogRequest {
    pub pod: PodKey,
    pub container: String,
    pub previous: bool,
    pub follow: bool,
    /// How far back; none is the whole log (up to [`MAX_LOG_LINES`]).
    pub since: Option<Duration>,
}

/// A stream fed by a task, so a loop with early returns can produce it.
fn async_stream<T, F, Fut>(body: F) -> impl Stream<Item = T> + Send
where
    T: Send + 'static,
    F: FnOnce(tokio::sync::mpsc::Sender<T>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    let task = tokio::spawn(body(sender));
    let abort = AbortOnDrop(task);
    futures::stream::unfold((receiver, abort), |(mut receiver, abort)| async move {
        let item = receiver.recv().await?;
        Some((item, (receiver, abort)))
    })
}

/// Stops the feeding task when the stream is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn fail(kind: ErrorKind, problem: Problem) -> BackendError {
    BackendError::of(Source::Kubernetes, kind, problem)
}

/// The API server said nothing for `deadline`.
fn silent(deadline: Duration) -> BackendError {
    let problem = Problem::NoAnswerWithin {
        after: deadline,
        still_asking: true,
    };
    fail(ErrorKind::Timeout, problem)
}

fn status_code(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(status) => Some(status.code),
        _ => None,
    }
}

/// Where a pod's service account token is, when triage runs in a pod.
const SERVICE_ACCOUNT_TOKEN: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/// The tokens and passwords the cluster may be reached with, to be cut
/// out of what comes back: every user's of the kubeconfig these settings
/// read (any context may be switched to), and a pod's service account
/// token. Read once, with the configuration; a credential plugin's token
/// is not known here: kube keeps it.
pub fn kubeconfig_secrets(settings: &ClusterSettings) -> Vec<String> {
    use secrecy::ExposeSecret;
    if settings.url.is_some() {
        return Vec::new(); // reached without credentials
    }
    let file = match &settings.kubeconfig {
        Some(path) => Kubeconfig::read_from(path),
        None => Kubeconfig::read(),
    };
    let users = file.map(|f| f.auth_infos).unwrap_or_default();
    let mut values = Vec::new();
    for auth in users.iter().filter_map(|u| u.auth_info.as_ref()) {
        let held = [&auth.token, &auth.password].into_iter().flatten();
        values.extend(held.map(|s| s.expose_secret().to_owned()));
        let file = auth.token_file.as_ref();
        values.extend(file.and_then(|f| std::fs::read_to_string(f).ok()));
    }
    values.extend(std::fs::read_to_string(SERVICE_ACCOUNT_TOKEN).ok());
    values
}

/// What the API server said, or why it could not be reached, its words
/// cut of `secrets`. Kubernetes' own messages name the user, the verb and
/// the resource of an RBAC refusal; they are kept.
pub(crate) fn api_error(e: &kube::Error, secrets: &Redactor) -> BackendError {
    match e {
        kube::Error::Api(status) => {
            let kind = match status.code {
                404 => ErrorKind::NotFound,
                _ => ErrorKind::Http,
            };
            let words = if status.message.is_empty() {
                ServerWords::Said(secrets.safe(&status.reason))
            } else {
                // Not always Kubernetes' own: a proxy's page or text, which
                // kube passes on whole.
                body_words(status.message.trim(), false, secrets)
            };
            let problem = Problem::ClusterRefused {
                status: status.code,
                words,
            };
            fail(kind, problem).with_status(status.code)
        }
        kube::Error::Auth(e) => fail(ErrorKind::Config, Problem::Credentials(credentials(e))),
        kube::Error::SerdeError(e) => {
            let why = Unreadable::Json(secrets.safe(&e.to_string()));
            let what = Part::ClusterAnswer;
            fail(ErrorKind::Decode, Problem::Unreadable { what, why })
        }
        other => unreachable_error(other, secrets),
    }
}

/// A request that got no answer from the API server: refreshing the
/// credentials failed, the cap stopped it, or the connection did.
fn unreachable_error(e: &kube::Error, secrets: &Redactor) -> BackendError {
    if let Some(auth) = causes(e).find_map(|c| c.downcast_ref::<AuthError>()) {
        return fail(ErrorKind::Config, Problem::Credentials(credentials(auth)));
    }
    if causes(e).any(|c| c.is::<http_body_util::LengthLimitError>()) {
        let limit = MAX_BODY_BYTES as u64;
        return fail(
            ErrorKind::TooLarge,
            Problem::TooLarge(TooLarge::Stopped { limit }),
        );
    }
    let cause = root_cause(e);
    let kind = if cause.contains("timed out") || cause.contains("deadline") {
        ErrorKind::Timeout
    } else {
        ErrorKind::Unreachable
    };
    let cause = secrets.safe(&cause);
    fail(kind, Problem::ClusterUnreachable { cause })
}

fn watch_error(e: &watcher::Error, secrets: &Redactor) -> BackendError {
    match e {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => api_error(e, secrets),
        watcher::Error::WatchError(status) => api_error(&kube::Error::Api(status.clone()), secrets),
        watcher::Error::NoResourceVersion => fail(ErrorKind::Decode, Problem::NotWatchable),
    }
}

fn causes<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(e), |e| e.source())
}

/// Why credentials could not be had, kept to what cannot carry them: a
/// plugin's output, its command line and environment, a kubeconfig's
/// YAML may all hold tokens, so none of them is kept.
fn credentials(e: &AuthError) -> CredentialProblem {
    match e {
        AuthError::AuthExecStart(io) => CredentialProblem::PluginStart(io.kind()),
        AuthError::AuthExecRun { out, .. } => CredentialProblem::PluginFailed(out.status),
        AuthError::AuthExecParse(_) | AuthError::ExecPluginFailed => {
            CredentialProblem::NotExecCredential
        }
        AuthError::ReadTokenFile(io, path) => CredentialProblem::TokenFile {
            path: path.clone(),
            io: io.kind(),
        },
        AuthError::MalformedTokenExpirationDate(_) => CredentialProblem::BadExpiry,
        _ => CredentialProblem::Unusable,
    }
}

/// What is wrong with a kubeconfig, without quoting it (it holds tokens).
fn kubeconfig_problem(e: &KubeconfigError) -> KubeconfigProblem {
    match e {
        KubeconfigError::CurrentContextNotSet => KubeconfigProblem::NoCurrentContext,
        KubeconfigError::LoadContext(name) => KubeconfigProblem::NoContext(name.clone()),
        KubeconfigError::LoadClusterOfContext(name) => {
            KubeconfigProblem::NoClusterFor(name.clone())
        }
        KubeconfigError::FindPath => KubeconfigProblem::NotFound,
        KubeconfigError::ReadConfig(io, path) => KubeconfigProblem::CannotRead {
            path: path.clone(),
            io: io.kind(),
        },
        KubeconfigError::Parse(_) => KubeconfigProblem::NotYaml,
        KubeconfigError::MissingClusterUrl | KubeconfigError::ParseClusterUrl(_) => {
            KubeconfigProblem::NoServerUrl
        }
        KubeconfigError::LoadCertificateAuthority(_) | KubeconfigError::ParseCertificates(_) => {
            KubeconfigProblem::BadCertificateAuthority
        }
        KubeconfigError::LoadClientCertificate(_) | KubeconfigError::LoadClientKey(_) => {
            KubeconfigProblem::BadClientCertificate
        }
        _ => KubeconfigProblem::Unusable,
    }
}
