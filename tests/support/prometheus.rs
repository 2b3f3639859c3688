//! A real Prometheus (Debian's package), started on a free loopback port
//! with exemplar storage, scraping an OpenMetrics endpoint served here
//! whose exemplars name traces recorded from Tempo. Stopped on drop.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Traces the exemplars point at; each is recorded in the Tempo fixtures.
pub const EXEMPLAR_TRACES: [&str; 2] = [
    "e9f78f3c6ac58ffdf6428c4dac5b6a7a",
    "76c4761179f921c96590a30536afd736",
];

pub const RULES: &str = r#"groups:
  - name: shop
    interval: 1s
    rules:
      - alert: ApiErrors
        expr: sum(rate(http_server_requests_total{code="500"}[1m])) > 0
        labels: { severity: critical }
        annotations:
          summary: api is returning 500s
          runbook_url: https://runbooks.example/api-errors
"#;

pub struct RealPrometheus {
    pub url: String,
    child: Child,
    dir: PathBuf,
}

impl Drop for RealPrometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The page the target serves: counters that grow with every scrape, so
/// rates are not zero, and exemplars with a trace id on each series.
fn open_metrics(scrape: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let [ok, failed] = EXEMPLAR_TRACES;
    format!(
        "# TYPE http_server_requests counter\n\
         http_server_requests_total{{code=\"200\"}} {} # {{trace_id=\"{ok}\"}} 1 {now:.3}\n\
         http_server_requests_total{{code=\"500\"}} {} # {{trace_id=\"{failed}\"}} 1 {now:.3}\n\
         # TYPE http_server_request_duration_seconds histogram\n\
         # UNIT http_server_request_duration_seconds seconds\n\
         http_server_request_duration_seconds_bucket{{le=\"0.1\"}} {} # {{trace_id=\"{ok}\"}} 0.05 {now:.3}\n\
         http_server_request_duration_seconds_bucket{{le=\"+Inf\"}} {} # {{trace_id=\"{failed}\"}} 0.9 {now:.3}\n\
         http_server_request_duration_seconds_count {}\n\
         http_server_request_duration_seconds_sum {}\n\
         # EOF\n",
        scrape * 10,
        scrape,
        scrape * 10,
        scrape * 11,
        scrape * 11,
        scrape as f64 * 1.4,
    )
}

/// Span metrics and a service graph as Tempo's metrics generator writes
/// them: checkout fails half its calls, api one in eleven, db serves no
/// spans of its own (its clients' only); api's latency has 9 in 10 calls
/// under 100 ms, the rest under a second; api -> db fails one call in three.
fn span_metrics(scrape: u64) -> String {
    let n = scrape;
    let calls = |service: &str, span: &str, kind: &str, status: &str, count: u64| {
        format!(
            "traces_spanmetrics_calls_total{{service=\"{service}\",span_name=\"{span}\",span_kind=\"SPAN_KIND_{kind}\",status_code=\"STATUS_CODE_{status}\"}} {count}\n"
        )
    };
    let api = r#"service="api",span_name="GET /items",span_kind="SPAN_KIND_SERVER",status_code="STATUS_CODE_UNSET""#;
    [
        "# TYPE traces_spanmetrics_calls counter\n".to_owned(),
        calls("checkout", "POST /pay", "SERVER", "UNSET", n * 5),
        calls("checkout", "POST /pay", "SERVER", "ERROR", n * 5),
        calls("api", "GET /items", "SERVER", "UNSET", n * 10),
        calls("api", "GET /items", "SERVER", "ERROR", n),
        calls("db", "SELECT items", "CLIENT", "UNSET", n * 3),
        "# TYPE traces_spanmetrics_latency histogram\n".to_owned(),
        format!(
            "traces_spanmetrics_latency_bucket{{{api},le=\"0.1\"}} {}\n",
            n * 9
        ),
        format!(
            "traces_spanmetrics_latency_bucket{{{api},le=\"1.0\"}} {}\n",
            n * 10
        ),
        format!(
            "traces_spanmetrics_latency_bucket{{{api},le=\"+Inf\"}} {}\n",
            n * 10
        ),
        format!("traces_spanmetrics_latency_count{{{api}}} {}\n", n * 10),
        format!("traces_spanmetrics_latency_sum{{{api}}} {}\n", n * 2),
        "# TYPE traces_service_graph_request counter\n".to_owned(),
        format!(
            "traces_service_graph_request_total{{client=\"api\",server=\"db\"}} {}\n",
            n * 3
        ),
        "# TYPE traces_service_graph_request_failed counter\n".to_owned(),
        format!("traces_service_graph_request_failed_total{{client=\"api\",server=\"db\"}} {n}\n"),
    ]
    .concat()
}

async fn serve_target() -> String {
    let scrapes = Arc::new(AtomicU64::new(1));
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let scrape = scrapes.fetch_add(1, Ordering::Relaxed);
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    open_metrics(scrape)
                        .replace("# EOF\n", &format!("{}# EOF\n", span_metrics(scrape))),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    tokio::spawn(async move { axum::serve(listener, app).await.expect("target") });
    address
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl RealPrometheus {
    /// Starts Prometheus and waits until it has scraped exemplars and the
    /// alert fires. Fails, never skips, when Prometheus is not installed.
    pub async fn start() -> RealPrometheus {
        let target = serve_target().await;
        let dir = std::env::temp_dir().join(format!(
            "triage-prometheus-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("rules.yml"), RULES).expect("rules");
        let config = format!(
            "global: {{ scrape_interval: 1s, evaluation_interval: 1s }}\n\
             rule_files: [rules.yml]\n\
             scrape_configs:\n  - job_name: demo-api\n    static_configs: [{{ targets: ['{target}'] }}]\n"
        );
        std::fs::write(dir.join("prometheus.yml"), config).expect("config");
        let port = free_port();
        let child = Command::new("prometheus")
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--enable-feature=exemplar-storage")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("prometheus.log")).expect("log file"))
            .spawn()
            .expect("prometheus is installed (scripts/test.sh installs Debian's package)");
        let prometheus = RealPrometheus {
            url: format!("http://127.0.0.1:{port}"),
            child,
            dir,
        };
        prometheus
            .wait_for(
                "an alert firing with exemplars stored",
                |alerts, exemplars| alerts.contains("\"firing\"") && exemplars.contains("trace_id"),
            )
            .await;
        prometheus
    }

    async fn wait_for(&self, what: &str, ready: impl Fn(&str, &str) -> bool) {
        let client = reqwest::Client::new();
        let get = |path: String| {
            let client = client.clone();
            async move { client.get(path).send().await.ok()?.text().await.ok() }
        };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            let alerts = get(format!("{}/api/v1/alerts", self.url))
                .await
                .unwrap_or_default();
            let exemplars = get(format!(
                "{}/api/v1/query_exemplars?query=http_server_requests_total",
                self.url
            ))
            .await
            .unwrap_or_default();
            if ready(&alerts, &exemplars) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let log = std::fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default();
        panic!("Prometheus did not reach {what} within 60s; its log:\n{log}");
    }
}
