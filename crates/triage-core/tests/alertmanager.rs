//! Every recorded answer of a real Alertmanager 0.25 (the shared
//! fixtures) read as the client reads it, and the client against those
//! answers served back on loopback under a path (as Mimir serves its
//! Alertmanager), with their status and content type.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use axum::response::Response;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use triage_core::backend::alertmanager::{
    decode_alerts, decode_created, decode_groups, decode_silence, decode_silences, decode_status,
    encode_silence, error_words,
};
use triage_core::backend::answer::Answer;
use triage_core::backend::error::ServerWords;
use triage_core::backend::{AlertmanagerClient, Endpoint, ErrorKind, Expiry, Problem};
use triage_core::domain::alertmanager::find_alert;
use triage_core::domain::{
    AmState, Labels, MatchOp, Matcher, NewSilence, SafeText, SilenceId, SilenceState,
};
use triage_core::secret::Redactor;

const SILENCED: &str = "19511d58-3d68-4fe9-8a1a-30bf5fd08b4b";
const EXPIRED: &str = "3fbbcd10-448e-47b4-b5ad-d701b10f0be2";

fn fixture(name: &str) -> Vec<u8> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/alertmanager");
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn nanos(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .timestamp_nanos_opt()
        .unwrap()
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied())
}

#[test]
fn status_names_the_version_and_a_cluster_turned_off() {
    let status = decode_status(&fixture("status.json"), &Redactor::default()).unwrap();
    assert_eq!(status.version.as_str(), "0.25.0");
    assert_eq!(status.cluster.as_str(), "disabled");
    assert_eq!(status.peers, 0);
    assert_eq!(status.uptime, Some(nanos("2026-12-03T08:40:39.513Z")));
    assert!(status.config.iter().any(|l| l.as_str() == "  - alertname"));
    assert!(
        status
            .config
            .iter()
            .any(|l| l.as_str() == "  receiver: \"null\"")
    );
}

#[test]
fn alerts_carry_their_state_and_the_silence_that_silences_one() {
    let alerts = decode_alerts(&fixture("alerts.json"), &Redactor::default()).unwrap();
    assert_eq!(alerts.len(), 2);
    let errors = find_alert(
        &alerts,
        &labels(&[("alertname", "ApiErrors"), ("severity", "critical")]),
    )
    .expect("ApiErrors");
    assert_eq!(errors.status.state, AmState::Suppressed);
    assert_eq!(errors.status.silenced_by, [SilenceId::new(SILENCED)]);
    assert!(errors.status.is_silenced() && !errors.status.is_inhibited());
    assert_eq!(errors.fingerprint.as_str(), "7623539066d9cbb1");
    assert_eq!(errors.receivers, [SafeText::new("null")]);
    assert_eq!(errors.starts_at, Some(nanos("2026-12-03T08:31:16.668Z")));
    assert_eq!(errors.ends_at, Some(nanos("2026-12-03T08:45:01.668Z")));
    assert_eq!(
        errors.annotations.get("summary").map(|s| s.as_str()),
        Some("api is returning 500s")
    );
    assert!(
        errors
            .generator_url
            .as_ref()
            .is_some_and(|u| u.starts_with("http://vm:19090/graph?g0.expr="))
    );
    // Prometheus's alert has fewer labels (no external ones): still found.
    let latency =
        find_alert(&alerts, &labels(&[("alertname", "ApiHighLatency")])).expect("latency");
    assert_eq!(latency.status.state, AmState::Active);
    assert!(latency.status.silenced_by.is_empty());
    assert_eq!(find_alert(&alerts, &labels(&[("alertname", "Nope")])), None);
}

#[test]
fn groups_are_the_routes_with_their_receiver() {
    let groups = decode_groups(&fixture("alert_groups.json"), &Redactor::default()).unwrap();
    let summary: Vec<(String, &str, usize)> = groups
        .iter()
        .map(|g| (g.labels.to_string(), g.receiver.as_str(), g.alerts.len()))
        .collect();
    assert_eq!(
        summary,
        [
            ("{alertname=\"ApiErrors\"}".to_owned(), "null", 1),
            ("{alertname=\"ApiHighLatency\"}".to_owned(), "null", 1)
        ]
    );
    assert_eq!(groups[0].alerts[0].status.state, AmState::Suppressed);
}

#[test]
fn silences_active_then_expired_with_their_matchers() {
    let silences = decode_silences(&fixture("silences.json"), &Redactor::default()).unwrap();
    let ids: Vec<(&str, SilenceState)> =
        silences.iter().map(|s| (s.id.as_str(), s.state)).collect();
    assert_eq!(
        ids,
        [
            (SILENCED, SilenceState::Active),
            (EXPIRED, SilenceState::Expired)
        ]
    );
    let active = &silences[0];
    let matchers: Vec<String> = active.matchers.iter().map(ToString::to_string).collect();
    assert_eq!(
        matchers,
        ["alertname=\"ApiErrors\"", "severity=\"critical\""]
    );
    assert_eq!(active.starts_at, nanos("2026-12-03T08:41:23.510Z"));
    assert_eq!(active.ends_at, nanos("2026-12-03T10:41:22.000Z"));
    assert_eq!(active.created_by.as_str(), "realstack");
    assert_eq!(
        active.comment.as_str(),
        "on it: postgres statement timeouts (triage fixture)"
    );
    assert!(active.verbatim);
    // Its time, counted from a moment of the recording.
    let recorded = nanos("2026-12-03T08:41:23.510Z");
    assert_eq!(active.time_left(recorded).map(|d| d.as_secs()), Some(7198));
    assert_eq!(
        active.state_at(nanos("2026-12-03T10:41:22.000Z")),
        SilenceState::Expired
    );
    let alerts = decode_alerts(&fixture("alerts.json"), &Redactor::default()).unwrap();
    assert_eq!(active.silenced_count(&alerts), 1);
    assert_eq!(silences[1].silenced_count(&alerts), 0);
    // Expired on creation: it ends when it starts.
    assert_eq!(silences[1].starts_at, silences[1].ends_at);

    let one = decode_silence(&fixture("silence_get.json"), &Redactor::default()).unwrap();
    assert_eq!(&one, active);
}

#[test]
fn a_created_silence_is_its_id_and_is_posted_as_recorded() {
    let id = decode_created(&fixture("silence_create.json"), &Redactor::default()).unwrap();
    assert_eq!(id, SilenceId::new(SILENCED));
    // What the client posts for the same silence is the request recorded.
    let silence = NewSilence {
        replaces: None,
        matchers: vec![
            Matcher::new("alertname", MatchOp::Equal, "ApiErrors"),
            Matcher::new("severity", MatchOp::Equal, "critical"),
        ],
        starts_at: nanos("2026-12-03T08:41:22.000Z"),
        ends_at: nanos("2026-12-03T10:41:22.000Z"),
        created_by: "realstack".into(),
        comment: "on it: postgres statement timeouts (triage fixture)".into(),
    };
    let sent: serde_json::Value = serde_json::from_slice(&encode_silence(&silence)).unwrap();
    let recorded: serde_json::Value =
        serde_json::from_slice(&fixture("silence_create.request.json")).unwrap();
    assert_eq!(sent, recorded);
}

fn answer(status: u16, body: Vec<u8>) -> Answer {
    Answer {
        status,
        content_type: "application/json".into(),
        location: None,
        retry_after: None,
        attempts: 1,
        body,
    }
}

#[test]
fn each_error_shape_is_alertmanagers_own_words() {
    let words = |status, name| error_words(&answer(status, fixture(name)), &Redactor::default());
    let said = |text: &str| ServerWords::Said(SafeText::new(text));
    assert_eq!(
        words(400, "error_silence_bad_matcher.json"),
        said(
            "silence invalid: invalid label matcher 0: invalid regular expression \"Api(Errors\": error parsing regexp: missing closing ): `Api(Errors`"
        )
    );
    assert_eq!(
        words(422, "error_silence_no_matchers.json"),
        said("matchers in body should have at least 1 items")
    );
    assert_eq!(
        words(500, "error_silence_delete_unknown.json"),
        said("silence not found")
    );
    assert_eq!(
        error_words(
            &answer(200, fixture("silence_delete.txt")),
            &Redactor::default()
        ),
        ServerWords::Nothing { status: 200 }
    );
}

#[test]
fn the_recorded_bad_requests_are_refused_before_sending() {
    for name in [
        "error_silence_bad_matcher.request.json",
        "error_silence_no_matchers.request.json",
    ] {
        let wire: serde_json::Value = serde_json::from_slice(&fixture(name)).unwrap();
        let matchers: Vec<Matcher> = wire["matchers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let op = MatchOp::from_flags(
                    m["isRegex"].as_bool().unwrap(),
                    m["isEqual"].as_bool().unwrap(),
                );
                Matcher::new(
                    m["name"].as_str().unwrap(),
                    op,
                    m["value"].as_str().unwrap(),
                )
            })
            .collect();
        assert!(
            triage_core::domain::silence::check_matchers(&matchers).is_err(),
            "{name}"
        );
    }
}

/// What the loopback server answers a POST and a DELETE with.
#[derive(Clone)]
struct Writes {
    post: (StatusCode, &'static str),
    posted: Arc<Mutex<Vec<serde_json::Value>>>,
    deleted: Arc<Mutex<Vec<String>>>,
}

/// The fixtures under `/alertmanager`, as Mimir serves its Alertmanager.
async fn serve(post: (StatusCode, &'static str)) -> (String, Writes) {
    let writes = Writes {
        post,
        posted: Arc::default(),
        deleted: Arc::default(),
    };
    let state = writes.clone();
    let app = axum::Router::new().fallback(move |request: Request<Body>| {
        let writes = state.clone();
        async move {
            let (method, path) = (request.method().clone(), request.uri().path().to_owned());
            let body = axum::body::to_bytes(request.into_body(), 1 << 20)
                .await
                .unwrap();
            let json = |status: StatusCode, name: &str| {
                Response::builder()
                    .status(status)
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(fixture(name)))
                    .unwrap()
            };
            let Some(path) = path.strip_prefix("/alertmanager/api/v2/") else {
                return Response::builder().status(404).body(Body::empty()).unwrap();
            };
            match (method, path) {
                (Method::GET, "status") => json(StatusCode::OK, "status.json"),
                (Method::GET, "alerts") => json(StatusCode::OK, "alerts.json"),
                (Method::GET, "alerts/groups") => json(StatusCode::OK, "alert_groups.json"),
                (Method::GET, "silences") => json(StatusCode::OK, "silences.json"),
                (Method::GET, p) if p == format!("silence/{SILENCED}") => {
                    json(StatusCode::OK, "silence_get.json")
                }
                (Method::POST, "silences") => {
                    writes
                        .posted
                        .lock()
                        .unwrap()
                        .push(serde_json::from_slice(&body).unwrap());
                    json(writes.post.0, writes.post.1)
                }
                (Method::DELETE, p) => {
                    writes.deleted.lock().unwrap().push(p.to_owned());
                    Response::new(Body::empty())
                }
                _ => Response::builder().status(404).body(Body::empty()).unwrap(),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/alertmanager", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, writes)
}

fn new_silence() -> NewSilence {
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap();
    NewSilence {
        comment: "on it".into(),
        ..NewSilence::for_alert(
            &labels(&[("alertname", "ApiErrors"), ("severity", "critical")]),
            now,
            triage_core::domain::silence::DEFAULT_SILENCE_DURATION,
            "ann",
        )
    }
}

#[tokio::test]
async fn the_client_reads_the_recorded_answers_under_a_path() {
    let (url, writes) = serve((StatusCode::OK, "silence_create.json")).await;
    let client = AlertmanagerClient::new(&Endpoint::new(url)).unwrap();
    assert_eq!(client.status().await.unwrap().version.as_str(), "0.25.0");
    assert_eq!(client.alerts().await.unwrap().len(), 2);
    assert_eq!(client.groups().await.unwrap().len(), 2);
    assert_eq!(client.silences().await.unwrap().len(), 2);
    let one = client.silence(&SilenceId::new(SILENCED)).await.unwrap();
    assert_eq!(
        one.comment.as_str(),
        "on it: postgres statement timeouts (triage fixture)"
    );
    let id = client.create_silence(&new_silence()).await.unwrap();
    assert_eq!(id, SilenceId::new(SILENCED));
    let posted = writes.posted.lock().unwrap().clone();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0]["createdBy"], "ann");
    assert_eq!(posted[0]["matchers"].as_array().map(Vec::len), Some(2));
    assert!(posted[0].get("id").is_none(), "a new silence has no id");
    // The recorded silence ended on the recording day: nothing is deleted.
    let expiry = client
        .expire_silence(&SilenceId::new(SILENCED))
        .await
        .unwrap();
    assert_eq!(
        expiry,
        Expiry::AlreadyExpired {
            ended_at: nanos("2026-12-03T10:41:22.000Z")
        }
    );
    assert!(writes.deleted.lock().unwrap().is_empty());
    // An unknown id: the server's empty 404.
    let unknown = client
        .silence(&SilenceId::new("00000000-0000-0000-0000-000000000000"))
        .await;
    assert_eq!(
        unknown.err().map(|e| (e.kind, e.status)),
        Some((ErrorKind::NotFound, Some(404)))
    );
}

#[tokio::test]
async fn a_refused_silence_shows_alertmanagers_words() {
    for (status, name, words) in [
        (
            StatusCode::BAD_REQUEST,
            "error_silence_bad_matcher.json",
            "silence invalid: invalid label matcher 0",
        ),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "error_silence_no_matchers.json",
            "matchers in body should have at least 1 items",
        ),
    ] {
        let (url, writes) = serve((status, name)).await;
        let client = AlertmanagerClient::new(&Endpoint::new(url)).unwrap();
        let err = client.create_silence(&new_silence()).await.unwrap_err();
        assert_eq!(
            (err.kind, err.status),
            (ErrorKind::Http, Some(status.as_u16()))
        );
        let Problem::Answered {
            words: ServerWords::Said(said),
            ..
        } = err.problem()
        else {
            panic!("{err:?}");
        };
        assert!(said.starts_with(words), "{said}");
        assert_eq!(
            writes.posted.lock().unwrap().len(),
            1,
            "asked once: a 4xx is an answer"
        );
    }
}

#[tokio::test]
async fn refused_writes_send_nothing() {
    let (url, writes) = serve((StatusCode::OK, "silence_create.json")).await;
    let client = AlertmanagerClient::new(&Endpoint::new(url.clone())).unwrap();
    let everything = NewSilence {
        matchers: vec![Matcher::new("alertname", MatchOp::Regex, ".*")],
        ..new_silence()
    };
    let err = client.create_silence(&everything).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Refused);
    assert!(
        matches!(err.problem(), Problem::SilenceRefused(_)),
        "{err:?}"
    );
    let read_only = AlertmanagerClient::new(&Endpoint::new(url))
        .unwrap()
        .read_only(true);
    let err = read_only.create_silence(&new_silence()).await.unwrap_err();
    assert_eq!(
        (err.kind, err.problem()),
        (ErrorKind::Refused, &Problem::ReadOnly)
    );
    let err = read_only
        .expire_silence(&SilenceId::new(SILENCED))
        .await
        .unwrap_err();
    assert_eq!(err.problem(), &Problem::ReadOnly);
    assert!(writes.posted.lock().unwrap().is_empty());
    assert!(writes.deleted.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_silence_is_posted_again_only_when_it_cannot_have_been_made() {
    // 503 may come from a proxy after Alertmanager made the silence:
    // posting again could make two. Said at once.
    let (url, writes) = serve((StatusCode::SERVICE_UNAVAILABLE, "silence_create.json")).await;
    let client = AlertmanagerClient::new(&Endpoint::new(url)).unwrap();
    let err = client.create_silence(&new_silence()).await.unwrap_err();
    assert_eq!(err.status, Some(503));
    assert_eq!(writes.posted.lock().unwrap().len(), 1);
    // 429 is refused unread: asked again, as a read would be.
    let (url, writes) = serve((StatusCode::TOO_MANY_REQUESTS, "silence_create.json")).await;
    let client = AlertmanagerClient::new(&Endpoint::new(url)).unwrap();
    let err = client.create_silence(&new_silence()).await.unwrap_err();
    assert_eq!((err.status, err.message.attempts), (Some(429), 4));
    assert_eq!(writes.posted.lock().unwrap().len(), 4);
}
