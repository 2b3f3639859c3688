//! Kubernetes through the `kube` crate: one client per kubeconfig context,
//! made when first needed, so triage works when no cluster does. Pods,
//! events and container logs leave as domain values (see `convert`); the
//! service proxy behind `kube://` backend URLs is in `proxy`.

pub mod cap;
pub mod convert;
pub mod proxy;

use super::answer::{MAX_BODY_BYTES, root_cause};
use super::{BackendError, ErrorKind, Source};
use crate::domain::log::{CUT_MARK, MAX_LINE_BYTES};
use crate::domain::{LogLine, PodChange, PodEvent, PodKey};
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
        remember_credentials(&config.auth_info);
        let client = kube::client::ClientBuilder::try_from(config)
            .map_err(|e| api_error(&e))?
            .with_layer(&cap::CapBodies)
            .build();
        clients.insert(context, client.clone());
        Ok(client)
    }

    /// Drops a context's client after the cluster refused its credentials:
    /// the next one reads the kubeconfig again and re-runs its credential
    /// plugin, which is how an expired token gets renewed.
    pub(super) async fn forget(&self, context: Option<&str>) {
        let context = context.map(str::to_owned).or(self.settings.context.clone());
        self.clients.lock().await.remove(&context);
    }

    async fn config(&self, context: Option<&str>) -> Result<kube::Config, BackendError> {
        let config_error = |e: &KubeconfigError| error(ErrorKind::Config, kubeconfig_words(e));
        if let Some(url) = &self.settings.url {
            let uri = url.parse().map_err(|_| {
                error(
                    ErrorKind::Config,
                    "bad cluster URL (expected http(s)://host:port)",
                )
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
                    .map_or_else(String::new, |k| format!(": {}", kubeconfig_words(k)));
                error(
                    ErrorKind::Config,
                    format!(
                        "no usable kubeconfig ($KUBECONFIG, ~/.kube/config) and not in a pod{why}"
                    ),
                )
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
                request(client).await.map_err(|e| api_error(&e))
            }
            result => result.map_err(|e| api_error(&e)),
        }
    }

    /// The pods of the namespaces asked for.
    async fn pods_api(
        &self,
        context: Option<&str>,
        namespaces: &Namespaces,
    ) -> Result<Api<Pod>, BackendError> {
        let client = self.client(context).await?;
        Ok(match namespaces {
            Namespaces::All => Api::all(client),
            Namespaces::One(ns) => Api::namespaced(client, ns),
            Namespaces::Default => Api::default_namespaced(client),
        })
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
                                list.push(convert::pod(&pod));
                            }
                            continue; // still listing: the deadline stands
                        }
                        Ok(watcher::Event::InitDone) => {
                            Ok(PodChange::Reset(listing.take().unwrap_or_default()))
                        }
                        Ok(watcher::Event::Apply(pod)) => {
                            Ok(PodChange::Applied(Box::new(convert::pod(&pod))))
                        }
                        Ok(watcher::Event::Delete(pod)) => {
                            Ok(PodChange::Deleted(convert::key(&pod)))
                        }
                        Err(e) => Err(watch_error(&e)),
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
        let mut events: Vec<PodEvent> = events.items.iter().map(convert::event).collect();
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
                        Ok(line) => batch_lines.push(convert::log_line(&line, &labels)),
                        Err(e) => {
                            failed =
                                Some(error(ErrorKind::Decode, format!("log stream broke: {e}")))
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

fn error(kind: ErrorKind, message: impl AsRef<str>) -> BackendError {
    BackendError::new(Source::Kubernetes, kind, message)
}

/// The API server said nothing for `deadline`.
fn silent(deadline: Duration) -> BackendError {
    error(
        ErrorKind::Timeout,
        format!("no answer within {}s; still asking", deadline.as_secs_f32()),
    )
}

fn status_code(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(status) => Some(status.code),
        _ => None,
    }
}

/// What the API server said, or why it could not be reached, in words an
/// engineer can act on. Kubernetes' own messages name the user, the verb
/// and the resource of an RBAC refusal; they are kept.
/// Makes a kubeconfig's token and password known secrets, to be cut out
/// of what comes back. A credential plugin's token is not known here:
/// kube keeps it.
fn remember_credentials(auth: &kube::config::AuthInfo) {
    use secrecy::ExposeSecret;
    let file = auth
        .token_file
        .as_ref()
        .and_then(|f| std::fs::read_to_string(f).ok());
    let values = [&auth.token, &auth.password]
        .into_iter()
        .flatten()
        .map(|s| s.expose_secret().to_owned());
    for value in values.chain(file) {
        crate::secret::Secret::new(value);
    }
}

pub(crate) fn api_error(e: &kube::Error) -> BackendError {
    match e {
        kube::Error::Api(status) => {
            let (kind, hint) = match status.code {
                401 => (
                    ErrorKind::Http,
                    " (the cluster refused the credentials: an expired token? log in again)",
                ),
                403 => (
                    ErrorKind::Http,
                    " (RBAC: ask for this verb on this resource)",
                ),
                404 => (ErrorKind::NotFound, ""),
                _ => (ErrorKind::Http, ""),
            };
            let message = if status.message.is_empty() {
                status.reason.clone()
            } else {
                // Not always Kubernetes' own: a proxy's page or text, which
                // kube passes on whole.
                super::answer::body_words(status.message.trim(), false)
            };
            BackendError {
                status: Some(status.code),
                ..error(kind, format!("{message}{hint}"))
            }
        }
        kube::Error::Auth(e) => error(ErrorKind::Config, auth_words(e)),
        kube::Error::SerdeError(e) => error(ErrorKind::Decode, format!("unreadable answer: {e}")),
        other => {
            // A refresh of credentials fails inside a request, too.
            if let Some(auth) = causes(other).find_map(|c| c.downcast_ref::<AuthError>()) {
                return error(ErrorKind::Config, auth_words(auth));
            }
            if causes(other).any(|c| c.is::<http_body_util::LengthLimitError>()) {
                return error(
                    ErrorKind::TooLarge,
                    format!(
                        "the answer is larger than {} MiB; stopped reading there",
                        MAX_BODY_BYTES / 1024 / 1024
                    ),
                );
            }
            let cause = root_cause(other);
            let kind = if cause.contains("timed out") || cause.contains("deadline") {
                ErrorKind::Timeout
            } else {
                ErrorKind::Unreachable
            };
            error(kind, format!("cannot reach the cluster: {cause}"))
        }
    }
}

fn watch_error(e: &watcher::Error) -> BackendError {
    match e {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => api_error(e),
        watcher::Error::WatchError(status) => api_error(&kube::Error::Api(status.clone())),
        watcher::Error::NoResourceVersion => error(
            ErrorKind::Decode,
            "the list has no resourceVersion: the server cannot be watched",
        ),
    }
}

fn causes<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(e), |e| e.source())
}

/// Why credentials could not be had, in words that cannot carry them: a
/// plugin's output, its command line and environment, a kubeconfig's
/// YAML may all hold tokens, so none of them is quoted.
fn auth_words(e: &AuthError) -> String {
    let what = match e {
        AuthError::AuthExecStart(io) => {
            format!("the credential plugin could not start ({})", io.kind())
        }
        AuthError::AuthExecRun { out, .. } => {
            format!(
                "the credential plugin failed ({}); run it by hand to see why",
                out.status
            )
        }
        AuthError::AuthExecParse(_) | AuthError::ExecPluginFailed => {
            "the credential plugin's answer is not an ExecCredential".into()
        }
        AuthError::ReadTokenFile(io, path) => {
            format!(
                "cannot read the token file {} ({})",
                path.display(),
                io.kind()
            )
        }
        AuthError::MalformedTokenExpirationDate(_) => {
            "the credential plugin's expirationTimestamp is not a time".into()
        }
        _ => "the kubeconfig's user gives no usable credentials".into(),
    };
    format!("cannot get credentials: {what}")
}

/// What is wrong with a kubeconfig, without quoting it (it holds tokens).
fn kubeconfig_words(e: &KubeconfigError) -> String {
    match e {
        KubeconfigError::CurrentContextNotSet => {
            "the kubeconfig has no current context: give --kube-context".into()
        }
        KubeconfigError::LoadContext(name) => format!("the kubeconfig has no context {name:?}"),
        KubeconfigError::LoadClusterOfContext(name) => {
            format!("the kubeconfig names no cluster for context {name:?}")
        }
        KubeconfigError::FindPath => "no kubeconfig found ($KUBECONFIG, ~/.kube/config)".into(),
        KubeconfigError::ReadConfig(io, path) => {
            format!(
                "cannot read the kubeconfig {} ({})",
                path.display(),
                io.kind()
            )
        }
        KubeconfigError::Parse(_) => {
            "the kubeconfig is not valid YAML (not quoted: it may hold credentials)".into()
        }
        KubeconfigError::MissingClusterUrl | KubeconfigError::ParseClusterUrl(_) => {
            "the kubeconfig's cluster has no usable server URL".into()
        }
        KubeconfigError::LoadCertificateAuthority(_) | KubeconfigError::ParseCertificates(_) => {
            "the kubeconfig's certificate authority cannot be read".into()
        }
        KubeconfigError::LoadClientCertificate(_) | KubeconfigError::LoadClientKey(_) => {
            "the kubeconfig's client certificate or key cannot be read".into()
        }
        _ => "the kubeconfig cannot be used (check it with `kubectl config view`)".into(),
    }
}
