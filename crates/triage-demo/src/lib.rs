//! `triage demo`: loopback servers inside the process that speak the Loki,
//! Tempo, Prometheus and Kubernetes HTTP APIs, serving a generated shop
//! whose logs, traces, metrics and pods point at each other. The app
//! reaches them with the same clients it uses against real servers.

pub mod big_trace;
mod clock;
mod data;
mod incidents;
mod kube;
mod logql;
mod loki;
mod metrics;
mod prometheus;
mod promql;
mod spanmetrics;
mod tempo;
mod tempo_search;
mod traceql;

pub use data::{DemoData, DemoTrace, NAMESPACE, WORKLOADS};

use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use triage_core::domain::Nanos;

/// The running demo servers, their data made; they stop when this is
/// dropped.
pub struct Demo {
    pub loki_url: String,
    pub tempo_url: String,
    pub prometheus_url: String,
    /// The Kubernetes API, plain http on loopback.
    pub kube_url: String,
    pub data: Arc<DemoData>,
    _tasks: Tasks,
}

/// The demo servers listening while the shop's data is still being made
/// on a blocking thread: what `triage demo` starts with, so that its first
/// frame need not wait for the data. A request made meanwhile waits in its
/// listener's backlog: the servers accept once the data is made. They
/// stop when this is dropped.
pub struct Listening {
    pub loki_url: String,
    pub tempo_url: String,
    pub prometheus_url: String,
    /// The Kubernetes API, plain http on loopback.
    pub kube_url: String,
    made: Made,
    tasks: Tasks,
}

/// The shop's data, once made; None for as long as it is being made.
type Made = watch::Receiver<Option<Arc<DemoData>>>;

/// The servers' tasks, ended when dropped.
struct Tasks(Vec<JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        self.0.iter().for_each(JoinHandle::abort);
    }
}

/// Starts the servers on free loopback ports, with data ending at `now`;
/// from then on the shop's traffic goes on as the demo's clock moves.
/// Returns once the data is made.
pub async fn start(now: Nanos) -> std::io::Result<Demo> {
    listen(now).await?.ready().await
}

/// Binds the servers' loopback ports and makes the data (ending at `now`)
/// on a blocking thread; the servers answer once it is made. Returns as
/// soon as the ports are bound.
pub async fn listen(now: Nanos) -> std::io::Result<Listening> {
    let (done, made) = watch::channel(None);
    tokio::task::spawn_blocking(move || {
        done.send_replace(Some(Arc::new(DemoData::generate(now))));
    });
    let (loki_url, loki) = bind().await?;
    let (tempo_url, tempo) = bind().await?;
    let (prometheus_url, prometheus) = bind().await?;
    let (kube_url, kube) = bind().await?;
    let serve_made = |listener, router: fn(Arc<DemoData>) -> axum::Router| {
        let made = made.clone();
        tokio::spawn(async move {
            if let Some(data) = data(made).await {
                serve_on(listener, router(data)).await;
            }
        })
    };
    let tasks = vec![
        serve_made(loki, loki::router),
        serve_made(tempo, tempo::router),
        serve_made(prometheus, prometheus::router),
        tokio::spawn({
            let made = made.clone();
            async move {
                if let Some(data) = data(made).await {
                    let (cluster, changes) = kube::Cluster::new(&data, now);
                    tokio::join!(changes, serve_on(kube, kube::router(cluster)));
                }
            }
        }),
    ];
    Ok(Listening {
        loki_url,
        tempo_url,
        prometheus_url,
        kube_url,
        made,
        tasks: Tasks(tasks),
    })
}

impl Listening {
    /// The demo once its data is made.
    pub async fn ready(self) -> std::io::Result<Demo> {
        let data = data(self.made)
            .await
            .ok_or_else(|| std::io::Error::other("the demo's data could not be made"))?;
        Ok(Demo {
            loki_url: self.loki_url,
            tempo_url: self.tempo_url,
            prometheus_url: self.prometheus_url,
            kube_url: self.kube_url,
            data,
            _tasks: self.tasks,
        })
    }
}

/// Waits for the data; None if making it failed (the thread panicked).
async fn data(mut made: Made) -> Option<Arc<DemoData>> {
    let data = made.wait_for(Option::is_some).await.ok()?;
    data.clone()
}

async fn bind() -> std::io::Result<(String, TcpListener)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    Ok((format!("http://{}", listener.local_addr()?), listener))
}

/// Serves `router` on a free loopback port: its URL, and the task.
async fn serve(router: axum::Router) -> std::io::Result<(String, JoinHandle<()>)> {
    let (url, listener) = bind().await?;
    Ok((url, tokio::spawn(serve_on(listener, router))))
}

async fn serve_on(listener: TcpListener, router: axum::Router) {
    if let Err(e) = axum::serve(listener, router).await {
        tracing::error!("demo server stopped: {e}");
    }
}
