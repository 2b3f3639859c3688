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
use tokio::task::JoinHandle;
use triage_core::domain::Nanos;

/// The running demo servers; they stop when this is dropped.
pub struct Demo {
    pub loki_url: String,
    pub tempo_url: String,
    pub prometheus_url: String,
    /// The Kubernetes API, plain http on loopback.
    pub kube_url: String,
    pub data: Arc<DemoData>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Demo {
    fn drop(&mut self) {
        self.tasks.iter().for_each(JoinHandle::abort);
    }
}

/// Starts the servers on free loopback ports, with data ending at `now`;
/// from then on the shop's traffic goes on as the demo's clock moves.
pub async fn start(now: Nanos) -> std::io::Result<Demo> {
    let data = Arc::new(DemoData::generate(now));
    let (loki_url, loki_task) = serve(loki::router(Arc::clone(&data))).await?;
    let (tempo_url, tempo_task) = serve(tempo::router(Arc::clone(&data))).await?;
    let (prometheus_url, prometheus_task) = serve(prometheus::router(Arc::clone(&data))).await?;
    let (cluster, changes) = kube::Cluster::new(&data, now);
    let changes_task = tokio::spawn(changes);
    let (kube_url, kube_task) = serve(kube::router(cluster)).await?;
    Ok(Demo {
        loki_url,
        tempo_url,
        prometheus_url,
        kube_url,
        data,
        tasks: vec![
            loki_task,
            tempo_task,
            prometheus_task,
            kube_task,
            changes_task,
        ],
    })
}

async fn serve(router: axum::Router) -> std::io::Result<(String, JoinHandle<()>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!("demo server stopped: {e}");
        }
    });
    Ok((url, task))
}
