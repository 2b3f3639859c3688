//! Serves the recorded responses of real Loki, Tempo and Prometheus servers
//! (../shared/fixtures) on loopback, for trying triage by hand:
//!
//!     cargo run --example replay
//!     triage logs '{namespace="shop"}' --loki URL --tempo URL
#[path = "../tests/support/replay.rs"]
#[allow(dead_code, clippy::expect_used)]
mod replay;

#[tokio::main]
async fn main() {
    let url = replay::start(replay::Options::default()).await;
    println!("replaying {} at {url}", replay::fixtures_dir().display());
    println!("try: triage logs '{{namespace=\"shop\"}}' --loki {url} --tempo {url}");
    let _ = tokio::signal::ctrl_c().await;
}
