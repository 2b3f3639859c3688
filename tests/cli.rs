//! The binary as a user or a script runs it: `--print` against the
//! recorded answers of real servers.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use std::process::{Command, Output};
use support::FAILING_TRACE;

/// Runs triage with no config file or log of the user's own.
fn triage(args: &[&str]) -> Output {
    let home = std::env::temp_dir().join(format!("triage-cli-test-{}", std::process::id()));
    Command::new(env!("CARGO_BIN_EXE_triage"))
        .args(args)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env_remove("TRIAGE_LOKI_URL")
        .env_remove("TRIAGE_TEMPO_URL")
        .output()
        .expect("triage runs")
}

/// Runs triage, expects success, and returns what it printed.
fn printed(args: &[&str]) -> String {
    let output = triage(args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn trace_print_draws_the_waterfall_as_text() {
    let url = support::replay::start(Default::default()).await;
    let text = printed(&[
        "trace",
        FAILING_TRACE,
        "--print",
        "--width",
        "120",
        "--tempo",
        &url,
    ]);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.iter().all(|l| l.chars().count() <= 120));
    assert!(
        lines[1].contains("651ca6325e6d780449e8af504f034ee5 · 7 spans · 4 services · 115.0ms"),
        "{text}"
    );
    // Every span has its row, with its bar.
    assert_eq!(
        lines.iter().filter(|l| l.contains('█')).count(),
        7,
        "{text}"
    );
    assert!(text.contains("postgres ! SELECT shop.articles"));
    assert!(
        !text.contains('\u{1b}'),
        "plain text has no escape sequences"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_print_lists_the_recorded_lines() {
    let url = support::replay::start(Default::default()).await;
    let text = printed(&[
        "logs",
        r#"{namespace="shop"}"#,
        "--print",
        "--utc",
        "--loki",
        &url,
        "--tempo",
        &url,
    ]);
    // All 200 recorded lines, the title, the end marker and the status row.
    assert_eq!(text.lines().count(), 203, "{text}");
    assert!(text.contains(
        "19:20:08.461 frontend-7d9f8b6c5-x2kqp [INFO] [trace_id=4ca2f529eefb8f1973c132c3780119ee"
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_print_says_why_and_exits_non_zero() {
    let url = support::replay::start(Default::default()).await;
    let output = triage(&[
        "trace",
        "0123456789abcdef0123456789abcdef",
        "--print",
        "--tempo",
        &url,
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("trace 0123456789abcdef0123456789abcdef not found"),
        "{stderr}"
    );
    let output = triage(&["trace", "not-a-trace-id", "--print", "--tempo", &url]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a trace id: not-a-trace-id"));
}

#[test]
fn a_bad_config_file_is_named() {
    let dir = std::env::temp_dir().join(format!("triage-cli-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("config.toml");
    std::fs::write(&file, "[contexts.prod.loki]\nurl = 3\n").unwrap();
    let output = triage(&["--config", file.to_str().unwrap(), "--print"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("config.toml") && stderr.contains("invalid type"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pods_print_lists_a_clusters_pods_and_a_refusal_exits_non_zero() {
    use support::kube as fake;
    let now = triage::app::now();
    let mut cluster = fake::small_shop(now);
    cluster.token = Some("t0ken".into());
    cluster.forbidden.push("secret-ns".into());
    let (url, _) = fake::start(cluster).await;
    let dir = std::env::temp_dir().join(format!("triage-cli-kube-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kubeconfig = fake::kubeconfig(&dir, &url, "    token: t0ken");
    let kubeconfig = kubeconfig.to_str().unwrap();
    let all = printed(&["pods", "-A", "--print", "--kubeconfig", kubeconfig]);
    assert!(all.contains("NAMESPACE"), "{all}");
    assert!(all.contains("coredns-5d78c9869d-4xwzq"), "{all}");
    assert!(all.contains("CrashLoopBackOff"), "{all}");
    // The context's own namespace, without a namespace column.
    let shop = printed(&["pods", "--print", "--kubeconfig", kubeconfig]);
    assert!(
        !shop.contains("coredns") && shop.contains("api-5c6b9d7f4-mz8wn"),
        "{shop}"
    );

    let refused = triage(&[
        "pods",
        "-n",
        "secret-ns",
        "--print",
        "--kubeconfig",
        kubeconfig,
    ]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("forbidden") && stderr.contains("secret-ns"),
        "{stderr}"
    );
    assert!(!stderr.contains("t0ken"));
}

#[test]
fn completions_and_the_manual_page_name_every_command() {
    for (shell, mark) in [
        ("bash", "_triage()"),
        ("zsh", "#compdef triage"),
        ("fish", "complete -c triage"),
    ] {
        let script = printed(&["completions", shell]);
        assert!(script.contains(mark), "{shell}: {script}");
        for command in [
            "logs",
            "trace",
            "traces",
            "metrics",
            "alerts",
            "pods",
            "completions",
            "man",
        ] {
            assert!(script.contains(command), "{shell} lacks {command}");
        }
    }
    let page = printed(&["man"]);
    assert!(page.contains(".TH triage 1"), "{page}");
    assert!(page.contains("Loki logs and Tempo traces"), "{page}");
    assert!(
        page.contains(".SH SUBCOMMANDS") && page.contains("completions"),
        "{page}"
    );
    let refused = triage(&["completions", "tcsh"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("possible values"));
}

/// Issue 16's promise: the data source provisioning of a Grafana stack
/// becomes a context (the diff shown first, the password written in clear
/// not copied, the user's file kept), and in a terminal that context opens
/// the demo's trace from a log line.
#[tokio::test(flavor = "multi_thread")]
async fn a_grafana_provisioning_file_becomes_a_context_that_opens_a_trace_from_a_log_line() {
    let demo = triage_demo::start(triage::app::now()).await.unwrap();
    let dir = std::env::temp_dir().join(format!("triage-grafana-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    let mine = "# my own\n[contexts.prod.loki]\nurl = \"http://loki.prod\"\n";
    std::fs::write(&config, mine).unwrap();
    let config = config.to_str().unwrap();
    let provisioning = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/triage-core/tests/grafana/provisioning.yaml"
    );
    let import = Command::new(env!("CARGO_BIN_EXE_triage"))
        .args(["--config", config, "config", "import-grafana", provisioning])
        .args(["--name", "shop", "--yes"])
        .env("TRIAGE_TEST_LOKI", &demo.loki_url)
        .env("TRIAGE_TEST_TEMPO", &demo.tempo_url)
        .env("TRIAGE_TEST_PROMETHEUS", &demo.prometheus_url)
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&import.stdout);
    assert!(
        import.status.success(),
        "{shown}{}",
        String::from_utf8_lossy(&import.stderr)
    );
    assert!(
        shown.contains(&format!("+url = \"{}\"", demo.loki_url)),
        "{shown}"
    );
    assert!(
        shown.contains("Not mapped:") && shown.contains("Wrote context \"shop\""),
        "{shown}"
    );
    let written = std::fs::read_to_string(config).unwrap();
    assert!(written.starts_with(mine), "{written}");
    assert!(!written.contains("hunter2") && !shown.contains("hunter2"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(config).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    // The secrets the context names, as the notes asked.
    let mut command = support::pty::triage(&[
        "--config",
        config,
        "--context",
        "shop",
        "logs",
        r#"{namespace="shop"} |= "query failed""#,
    ]);
    command.env("TRIAGE_SHOP_LOKI_PASSWORD", "loki-secret");
    command.env("PROMETHEUS_PASSWORD", "prometheus-secret");
    let token = dir.join("tempo-token");
    std::fs::write(&token, "tempo-secret").unwrap();
    let written = written.replace("/run/secrets/tempo-token", token.to_str().unwrap());
    std::fs::write(config, written).unwrap();
    let mut session = support::pty::spawn(command);
    session.wait_until("the lines", |s| {
        s.printed().contains("\"msg\": \"query failed\"")
    });
    let before = session.written();
    session.type_keys(b"\r");
    session.wait_until("the waterfall", |s| {
        let text = s.printed_since(before);
        ["frontend", "postgres"].iter().all(|w| text.contains(w))
    });
    session.type_keys(b"q");
    session.ends_restored("q");
}
