//! Credentials never leak: every credential is set to a canary, every
//! backend is driven down its error paths (servers that echo the request's
//! headers back, hang, refuse, redirect), with the log at its most verbose,
//! and no canary may appear on the screen, on stderr, in the log file or
//! in a panic's message. A tenant and a literal extra header are no
//! credentials: they are shown as they are.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use base64::Engine;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;
use support::faults::{self, Fault};

const BASIC_PASSWORD: &str = "canary-basic-password-7f3a";
const TOKEN_COMMAND: &str = "canary-token-command-19bd";
const TOKEN_ENV: &str = "canary-bearer-env-c0de";
const TOKEN_FILE: &str = "canary-bearer-file-4b4b";
const TENANT: &str = "canary-tenant-5e11";
const HEADER: &str = "canary-header-a9e2";
const KUBE_TOKEN: &str = "canary-kube-token-77aa";
const URL_PASSWORD: &str = "canary-url-password-3141";

/// Every form a canary could take on the way out. The tenant and the
/// header are not among them: names, shown as they are.
fn canaries() -> Vec<String> {
    let mut all: Vec<String> = [
        BASIC_PASSWORD,
        TOKEN_COMMAND,
        TOKEN_ENV,
        TOKEN_FILE,
        KUBE_TOKEN,
        URL_PASSWORD,
    ]
    .map(String::from)
    .to_vec();
    let encode = |pair: &str| base64::engine::general_purpose::STANDARD.encode(pair);
    all.push(encode(&format!("triage:{BASIC_PASSWORD}")));
    all.push(encode(&format!("me:{URL_PASSWORD}")));
    all
}

fn assert_clean(what: &str, text: &str) {
    for canary in canaries() {
        assert!(!text.contains(&canary), "{what} leaked {canary}:\n{text}");
    }
}

/// A folder with a config naming every credential (readable by its owner
/// only), the files and kubeconfig it points at, and the state folder.
struct Home {
    dir: PathBuf,
}

impl Home {
    fn new(name: &str, loki: &str, tempo: &str, prometheus: &str, cluster: &str) -> Home {
        let dir =
            std::env::temp_dir().join(format!("triage-secrets-{name}-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("config/triage")).unwrap();
        let password = dir.join("password");
        std::fs::write(&password, BASIC_PASSWORD).unwrap();
        let token = dir.join("token");
        std::fs::write(&token, TOKEN_FILE).unwrap();
        let user = format!("    token: {KUBE_TOKEN}");
        let kubeconfig = support::kube::kubeconfig(&dir, cluster, &user);
        let config = format!(
            r#"
timeout = "2s"
[contexts.canary.loki]
url = "{loki}"
tenant = "{TENANT}"
basic = {{ user = "triage", password_file = "{password}" }}
[contexts.canary.tempo]
url = "{tempo}"
headers = {{ "X-Api-Key" = "{HEADER}" }}
bearer = {{ token_command = ["echo", "{TOKEN_COMMAND}"] }}
[contexts.canary.prometheus]
url = "{prometheus}"
tenant = "{TENANT}"
bearer = {{ {prometheus_token} }}
[contexts.canary.kubernetes]
kubeconfig = "{kubeconfig}"
"#,
            password = password.display(),
            kubeconfig = kubeconfig.display(),
            // Both ways a token is read in, one home each.
            prometheus_token = if name.len() % 2 == 0 {
                "token_env = \"TRIAGE_CANARY_TOKEN\"".to_owned()
            } else {
                format!("token_file = \"{}\"", token.display())
            },
        );
        let path = dir.join("config/triage/config.toml");
        std::fs::write(&path, config).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        Home { dir }
    }

    fn config(&self) -> PathBuf {
        self.dir.join("config/triage/config.toml")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_triage"));
        command
            .args(args)
            .env("XDG_CONFIG_HOME", self.dir.join("config"))
            .env("XDG_STATE_HOME", self.dir.join("state"))
            .env("TRIAGE_LOG", "trace")
            .env("TRIAGE_CANARY_TOKEN", TOKEN_ENV)
            .env_remove("KUBECONFIG")
            .env_remove("TRIAGE_LOKI_URL")
            .env_remove("TRIAGE_TEMPO_URL")
            .env_remove("TRIAGE_PROMETHEUS_URL")
            .env_remove("TRIAGE_ALERTMANAGER_URL");
        command
    }

    /// Runs a printed view; what it printed on stdout and stderr.
    fn print(&self, args: &[&str]) -> String {
        let mut args = args.to_vec();
        args.push("--print");
        let output = self.command(&args).output().unwrap();
        format!(
            "{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("state/triage/triage.log")).unwrap_or_default()
    }
}

/// Every view that asks a backend, printed.
const VIEWS: &[&[&str]] = &[
    &["logs", "{app=\"api\"}"],
    &["trace", support::FAILING_TRACE],
    &["metrics", "rate(http_server_requests_total[5m])"],
    &["alerts"],
    &["pods", "-A"],
];

/// Servers that send the request's headers back in each place an answer
/// can reach the screen: an error body as text, a JSON error, a JSON
/// answer that does not decode (serde quotes what it found).
fn echoes() -> Vec<Fault> {
    vec![
        Fault::Echo(401, "text/plain", "unauthorized; you sent {head}"),
        Fault::Echo(
            500,
            "application/json",
            r#"{"status":"error","error":{head}}"#,
        ),
        Fault::Echo(
            200,
            "application/json",
            r#"{"status":"success","data":{"resultType":"matrix","result":{head}},"streams":{head},"trace":{head}}"#,
        ),
        Fault::Echo(
            403,
            "application/json",
            r#"{"kind":"Status","apiVersion":"v1","status":"Failure","code":403,"reason":"Forbidden","message":{head}}"#,
        ),
        Fault::Echo(
            200,
            "application/json",
            r#"{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":{head}}}]}"#,
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn no_credential_reaches_the_screen_stderr_or_the_log() {
    let mut urls = Vec::new();
    for fault in echoes() {
        urls.push(faults::start(fault).await);
    }
    urls.push(faults::start(Fault::Hang).await);
    urls.push(faults::start(Fault::Redirect("http://elsewhere.example/".into())).await);
    urls.push(faults::refusing_url().await);
    for (n, url) in urls.iter().enumerate() {
        let name = "x".repeat(n + 1); // odd and even lengths: both token forms
        let home = Home::new(&name, url, url, url, url);
        for view in VIEWS {
            let text = home.print(view);
            let what = format!("{view:?} against server {n}");
            assert_clean(&what, &text);
            // The error path was taken, or what came back was shown cut.
            let failed = ["Loki", "Tempo", "Prometheus", "Kubernetes"]
                .iter()
                .any(|source| {
                    text.contains(&format!("{source}: "))
                        || text.contains(&format!("{source} did not answer"))
                });
            assert!(failed || text.contains("***"), "{what}: {text}");
        }
        let log = home.log();
        assert!(
            log.contains("TRACE") || log.contains("DEBUG"),
            "the log is verbose: {log}"
        );
        assert_clean(&format!("the log against server {n}"), &log);
    }
}

/// A Loki answer of one line, in a stream labelled with the tenant.
fn one_line(line: &str) -> String {
    serde_json::json!({
        "status": "success",
        "data": {"resultType": "streams", "result": [{
            "stream": {"namespace": TENANT},
            "values": [["1795288900000000000", line]],
        }]},
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tenant_and_a_plain_header_are_shown_beside_a_cut_secret() {
    let line = format!("tenant {TENANT} header {HEADER} sent {BASIC_PASSWORD} and {TOKEN_COMMAND}");
    let loki = faults::start(Fault::Status(200, "application/json", one_line(&line))).await;
    let home = Home::new("tenant", &loki, &loki, &loki, "http://127.0.0.1:9");
    let query = format!("{{namespace=\"{TENANT}\"}}");
    let text = home.print(&["logs", &query, "--width", "250"]);
    assert_clean("the logs view", &text);
    let title = text.lines().next().unwrap_or_default();
    assert!(
        title.contains(&query),
        "the title names the tenant: {title}"
    );
    assert!(
        text.contains(&format!("tenant {TENANT} header {HEADER} sent *** and ***")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_in_a_url_is_never_shown() {
    let echo = faults::start(Fault::Echo(401, "text/plain", "you sent {head}")).await;
    let refusing = faults::refusing_url().await;
    for url in [echo, refusing] {
        let with_password = url.replace("http://", &format!("http://me:{URL_PASSWORD}@"));
        let home = Home::new("url", &url, &url, &url, &url);
        for view in [
            &["logs", "{app=\"api\"}", "--loki"][..],
            &["trace", support::FAILING_TRACE, "--tempo"],
            &["alerts", "--prometheus"],
        ] {
            let mut args = view.to_vec();
            args.push(&with_password);
            let text = home.print(&args);
            assert_clean(&format!("{view:?}"), &text);
            assert!(
                text.contains("HTTP 401") || text.contains("cannot connect"),
                "{text}"
            );
        }
        let home_screen = home.print(&["--loki", &with_password]);
        assert_clean("home", &home_screen);
        assert_clean("the log", &home.log());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_panic_tells_no_credential() {
    let url = faults::start(Fault::Echo(401, "text/plain", "{head}")).await;
    let home = Home::new("panic", &url, &url, &url, &url);
    for place in ["main", "task"] {
        let mut command = support::pty::triage(&[]);
        command.env("XDG_CONFIG_HOME", home.dir.join("config"));
        command.env("XDG_STATE_HOME", home.dir.join("state"));
        command.env("TRIAGE_LOG", "trace");
        command.env("TRIAGE_CANARY_TOKEN", TOKEN_ENV);
        command.env("TRIAGE_CRASH_TEST", place);
        let session = support::pty::spawn(command);
        session.wait_until("the panic's message", |s| {
            s.printed().contains("crash test in")
        });
        assert_clean("the panic", &session.ends_restored(place));
    }
    assert_clean("the log", &home.log());
}

/// A config file that others can read, and TLS checks turned off: both
/// are said on screen, for as long as triage runs.
#[test]
fn risky_settings_are_warned_about_on_screen() {
    let home = Home::new(
        "warn",
        "http://127.0.0.1:9",
        "http://127.0.0.1:9",
        "http://127.0.0.1:9",
        "http://127.0.0.1:9",
    );
    let config = std::fs::read_to_string(home.config()).unwrap();
    let config = config.replace(
        "[contexts.canary.tempo]",
        "[contexts.canary.tempo]\ntls = { insecure_skip_verify = true }",
    );
    std::fs::write(home.config(), config).unwrap();
    std::fs::set_permissions(home.config(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let text = home.print(&["--width", "250"]);
    assert!(text.contains("TLS verification is OFF for Tempo"), "{text}");
    assert!(text.contains("can be read by group or others"), "{text}");
    let text = home.print(&["logs", "{app=\"api\"}", "--width", "250"]);
    assert!(text.contains("TLS verification is OFF for Tempo"), "{text}");
    assert_clean("warnings", &text);
}
