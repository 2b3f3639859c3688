//! The silence round trip against a real Alertmanager (Debian's
//! `prometheus-alertmanager`, which scripts/test.sh installs), started here
//! on a free loopback port under a route prefix (as Mimir serves its
//! Alertmanager under a path), with clustering off. An alert is posted to
//! it; the client silences it, sees it suppressed by that silence, expires
//! the silence and sees it active again. A missing binary fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use triage_core::backend::error::ServerWords;
use triage_core::backend::{AlertmanagerClient, Endpoint, ErrorKind, Expiry, Problem};
use triage_core::domain::silence::{DEFAULT_SILENCE_DURATION, SilenceRefusal};
use triage_core::domain::{
    AmAlert, AmState, Labels, MatchOp, Matcher, NewSilence, SilenceId, SilenceState,
};

const CONFIG: &str = r#"route:
  receiver: "null"
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
receivers:
  - name: "null"
"#;

struct RealAlertmanager {
    /// With the route prefix: the URL a client is given.
    url: String,
    child: Child,
    dir: PathBuf,
}

impl Drop for RealAlertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl RealAlertmanager {
    /// Starts Alertmanager and waits until it is ready. Fails, never
    /// skips, when it is not installed.
    async fn start() -> RealAlertmanager {
        let dir = std::env::temp_dir().join(format!(
            "triage-alertmanager-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("alertmanager.yml"), CONFIG).expect("config");
        let port = free_port();
        let child = Command::new("prometheus-alertmanager")
            .arg(format!(
                "--config.file={}",
                dir.join("alertmanager.yml").display()
            ))
            .arg(format!("--storage.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--web.route-prefix=/alertmanager")
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("alertmanager.log")).expect("log file"))
            .spawn()
            .expect(
                "prometheus-alertmanager is installed (scripts/test.sh installs Debian's package)",
            );
        let am = RealAlertmanager {
            url: format!("http://127.0.0.1:{port}/alertmanager"),
            child,
            dir,
        };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            let ready = reqwest::get(format!("{}/-/ready", am.url)).await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return am;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "Alertmanager was not ready within 30s; its log:\n{}",
            am.log()
        );
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("alertmanager.log")).unwrap_or_default()
    }

    /// Posts alerts as Prometheus does, firing for an hour.
    async fn fire(&self, alerts: serde_json::Value) {
        let answer = reqwest::Client::new()
            .post(format!("{}/api/v2/alerts", self.url))
            .json(&alerts)
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success(), "{:?}", answer.text().await);
    }

    /// Posts a silence without the client (and its checks).
    async fn post_silence(&self, silence: serde_json::Value) -> String {
        let answer: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/api/v2/silences", self.url))
            .json(&silence)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["silenceID"].as_str().unwrap().to_owned()
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap()
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied())
}

/// Asks for the alerts until `ready` finds what it waits for.
async fn until(
    client: &AlertmanagerClient,
    what: &str,
    ready: impl Fn(&AmAlert) -> bool,
) -> AmAlert {
    let started = Instant::now();
    loop {
        let alerts = client.alerts().await.unwrap();
        if let Some(alert) = alerts.iter().find(|a| a.name() == "ApiErrors" && ready(a)) {
            return alert.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no ApiErrors alert {what} within 30s: {alerts:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn api_errors() -> Labels {
    labels(&[
        ("alertname", "ApiErrors"),
        ("namespace", "shop"),
        ("severity", "critical"),
    ])
}

async fn started() -> (RealAlertmanager, AlertmanagerClient) {
    let am = RealAlertmanager::start().await;
    let ends = chrono::Utc::now() + chrono::Duration::hours(1);
    am.fire(serde_json::json!([
        {
            "labels": {"alertname": "ApiErrors", "namespace": "shop", "severity": "critical"},
            "annotations": {"summary": "api is returning 500s"},
            "endsAt": ends.to_rfc3339(),
            "generatorURL": "http://prometheus:9090/graph?g0.expr=up"
        },
        {
            "labels": {"alertname": "ApiHighLatency", "namespace": "shop", "severity": "warning"},
            "endsAt": ends.to_rfc3339()
        }
    ]))
    .await;
    let client = AlertmanagerClient::new(&Endpoint::new(am.url.clone())).unwrap();
    (am, client)
}

#[tokio::test]
async fn silence_an_alert_see_it_suppressed_expire_it_see_it_active_again() {
    let (am, client) = started().await;
    let status = client.status().await.unwrap();
    assert!(status.version.starts_with("0."), "{status:?}");
    assert_eq!(status.cluster.as_str(), "disabled");

    let firing = until(&client, "active", |a| a.status.state == AmState::Active).await;
    assert_eq!(firing.labels, api_errors());
    assert_eq!(firing.receivers.len(), 1);

    // Silence exactly that alert, for the default two hours.
    let silence = NewSilence {
        comment: "on it: postgres statement timeouts".into(),
        ..NewSilence::for_alert(
            &firing.labels,
            now(),
            DEFAULT_SILENCE_DURATION,
            "triage-test",
        )
    };
    let id = client.create_silence(&silence).await.unwrap();
    let silenced = until(&client, "silenced", |a| {
        a.status.state == AmState::Suppressed
    })
    .await;
    assert_eq!(silenced.status.silenced_by, std::slice::from_ref(&id));

    let listed = client.silences().await.unwrap();
    let mine = listed.iter().find(|s| s.id == id).expect("listed");
    assert_eq!(mine.state, SilenceState::Active);
    assert_eq!(mine.matchers, Matcher::from_labels(&api_errors()));
    assert_eq!(mine.created_by.as_str(), "triage-test");
    let left = mine.time_left(now()).unwrap();
    assert!(
        left > Duration::from_secs(7100) && left <= DEFAULT_SILENCE_DURATION,
        "{left:?}"
    );
    let alerts = client.alerts().await.unwrap();
    assert_eq!(
        mine.silenced_count(&alerts),
        1,
        "the other alert is not silenced"
    );
    assert_eq!(client.silence(&id).await.unwrap(), *mine);
    let groups = client.groups().await.unwrap();
    let group = groups
        .iter()
        .find(|g| g.labels == labels(&[("alertname", "ApiErrors")]))
        .expect("grouped by alertname");
    assert_eq!(group.receiver.as_str(), "null");
    assert_eq!(
        group.alerts[0].status.silenced_by,
        std::slice::from_ref(&id)
    );

    assert_eq!(client.expire_silence(&id).await.unwrap(), Expiry::Expired);
    let active = until(&client, "active again", |a| {
        a.status.state == AmState::Active
    })
    .await;
    assert!(active.status.silenced_by.is_empty());
    let expired = client.silence(&id).await.unwrap();
    assert_eq!(expired.state, SilenceState::Expired);
    assert!(expired.ends_at <= now());

    // Expired again (someone was quicker): said so, nothing changed.
    let again = client.expire_silence(&id).await.unwrap();
    assert_eq!(
        again,
        Expiry::AlreadyExpired {
            ended_at: expired.ends_at
        }
    );
    drop(am);
}

#[tokio::test]
async fn editing_replaces_the_silence() {
    let (_am, client) = started().await;
    let firing = until(&client, "active", |a| a.status.state == AmState::Active).await;
    let silence = NewSilence {
        comment: "first".into(),
        ..NewSilence::for_alert(
            &firing.labels,
            now(),
            DEFAULT_SILENCE_DURATION,
            "triage-test",
        )
    };
    let first = client.create_silence(&silence).await.unwrap();
    let original = client.silence(&first).await.unwrap();
    // Extended by an hour, with a regex matcher instead of the labels.
    let edit = NewSilence {
        matchers: vec![Matcher::new(
            "alertname",
            MatchOp::Regex,
            "Api(Errors|Down)",
        )],
        comment: "extended".into(),
        ..original.extended(Duration::from_secs(3600), now())
    };
    let second = client.create_silence(&edit).await.unwrap();
    let silences = client.silences().await.unwrap();
    let active: Vec<_> = silences
        .iter()
        .filter(|s| s.state == SilenceState::Active)
        .collect();
    assert_eq!(active.len(), 1, "the edit replaced it: {silences:?}");
    assert_eq!(active[0].id, second);
    assert_eq!(active[0].comment.as_str(), "extended");
    assert_eq!(active[0].ends_at, original.ends_at + 3_600_000_000_000);
    if second != first {
        let old = client.silence(&first).await.unwrap();
        assert_eq!(old.state, SilenceState::Expired, "the one it replaced");
    }
    let silenced = until(&client, "silenced by the edit", |a| {
        a.status.silenced_by == [second.clone()]
    })
    .await;
    assert_eq!(silenced.status.state, AmState::Suppressed);
}

#[tokio::test]
async fn refusals_in_alertmanagers_words_and_ours() {
    let (am, client) = started().await;
    let silence = |matchers| NewSilence {
        matchers,
        comment: "on it".into(),
        ..NewSilence::for_alert(
            &api_errors(),
            now(),
            DEFAULT_SILENCE_DURATION,
            "triage-test",
        )
    };
    // A named group compiles in Rust's regex, not in the Go 1.19 that
    // built Alertmanager 0.25: Alertmanager refuses it, in its words.
    let named = silence(vec![Matcher::new(
        "alertname",
        MatchOp::Regex,
        "(?<n>ApiErrors)",
    )]);
    let err = client.create_silence(&named).await.unwrap_err();
    assert_eq!(
        (err.kind, err.status),
        (ErrorKind::Http, Some(400)),
        "{err:?}"
    );
    let Problem::Answered {
        words: ServerWords::Said(words),
        ..
    } = err.problem()
    else {
        panic!("{err:?}");
    };
    assert!(
        words.starts_with("silence invalid: invalid label matcher 0: invalid regular expression"),
        "{words}"
    );
    // Ours, before anything is sent: a silence of everything, a bad regex.
    let everything = silence(vec![Matcher::new("alertname", MatchOp::Regex, ".*")]);
    let err = client.create_silence(&everything).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Refused);
    assert_eq!(
        err.problem(),
        &Problem::SilenceRefused(Box::new(SilenceRefusal::SilencesEverything))
    );
    let bad = silence(vec![Matcher::new(
        "alertname",
        MatchOp::Regex,
        "Api(Errors",
    )]);
    let err = client.create_silence(&bad).await.unwrap_err();
    assert!(
        matches!(err.problem(), Problem::SilenceRefused(why) if matches!(**why, SilenceRefusal::BadMatcher { index: 0, .. })),
        "{err:?}"
    );
    let past = NewSilence {
        starts_at: now() - 7_200_000_000_000,
        ends_at: now() - 3_600_000_000_000,
        ..silence(Matcher::from_labels(&api_errors()))
    };
    let err = client.create_silence(&past).await.unwrap_err();
    assert_eq!(
        err.problem(),
        &Problem::SilenceRefused(Box::new(SilenceRefusal::EndsInThePast))
    );
    assert!(client.silences().await.unwrap().is_empty(), "none was made");

    // An id Alertmanager does not know.
    let unknown = SilenceId::new("00000000-0000-0000-0000-000000000000");
    let err = client.silence(&unknown).await.unwrap_err();
    assert_eq!((err.kind, err.status), (ErrorKind::NotFound, Some(404)));
    let err = client.expire_silence(&unknown).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    drop(am);
}

#[tokio::test]
async fn hostile_text_round_trips_inert() {
    let (am, client) = started().await;
    let hostile = "on it \u{1b}]52;c;aGVsbG8=\u{7} \u{202e}evil\u{202c} \u{1b}[2J\nsecond line";
    let silence = NewSilence {
        comment: hostile.into(),
        created_by: "mallory \u{1b}[31mred".into(),
        ..NewSilence::for_alert(&api_errors(), now(), DEFAULT_SILENCE_DURATION, "x")
    };
    let id = client.create_silence(&silence).await.unwrap();
    let back = client.silence(&id).await.unwrap();
    for text in [back.comment.as_str(), back.created_by.as_str()] {
        assert!(
            !text.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{text:?}"
        );
    }
    assert!(back.comment.starts_with("on it ␛"), "{:?}", back.comment);
    assert!(back.comment.contains("evil") && back.comment.contains("↵second line"));
    assert!(back.verbatim, "plain matchers");

    // A matcher value only another client could send: shown inert, and
    // marked as not to be posted back as it is.
    let ends = chrono::Utc::now() + chrono::Duration::hours(1);
    let raw = am
        .post_silence(serde_json::json!({
            "matchers": [{"name": "alertname", "value": "Api\u{1b}[2JErrors", "isRegex": false, "isEqual": true}],
            "startsAt": chrono::Utc::now().to_rfc3339(),
            "endsAt": ends.to_rfc3339(),
            "createdBy": "someone",
            "comment": "from elsewhere"
        }))
        .await;
    let listed = client.silences().await.unwrap();
    let theirs = listed
        .iter()
        .find(|s| s.id.as_str() == raw)
        .expect("listed");
    assert_eq!(theirs.matchers[0].value.as_str(), "Api␛Errors");
    assert!(!theirs.verbatim);
}

#[tokio::test]
async fn unreachable_and_read_only() {
    let closed = format!("http://127.0.0.1:{}/alertmanager", free_port());
    let client = AlertmanagerClient::new(&Endpoint::new(closed)).unwrap();
    let err = client.alerts().await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unreachable);
    let (am, writable) = started().await;
    let read_only = AlertmanagerClient::new(&Endpoint::new(am.url.clone()))
        .unwrap()
        .read_only(true);
    assert_eq!(
        read_only.alerts().await.unwrap().len(),
        2,
        "reads still work"
    );
    let silence = NewSilence {
        comment: "on it".into(),
        ..NewSilence::for_alert(&api_errors(), now(), DEFAULT_SILENCE_DURATION, "x")
    };
    let err = read_only.create_silence(&silence).await.unwrap_err();
    assert_eq!(err.problem(), &Problem::ReadOnly);
    assert!(writable.silences().await.unwrap().is_empty());
}
