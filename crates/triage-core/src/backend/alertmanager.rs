//! Alertmanager's API v2: alerts with their state there, alert groups,
//! silences, and the two writes (create or replace a silence, expire one).
//! Also Mimir's Alertmanager, under its path (`https://mimir/alertmanager`).
//! API: <https://github.com/prometheus/alertmanager/blob/main/api/v2/openapi.yaml>
//!
//! What the server really does (Alertmanager 0.25, the shared fixtures):
//! creating answers `{"silenceID": "<uuid>"}`; DELETE answers 200 with an
//! empty body, also for a silence already expired, which stays listed as
//! `expired`; a POST with the id of a silence replaces it (Alertmanager
//! expires the old one and answers a new id when more than its end or
//! comment changed, or when it had expired). Errors come in three shapes:
//! a bare JSON string (`"silence invalid: ..."`, 400; `"silence not
//! found"`, 500 on an unknown id to DELETE, 404 to GET or POST), go-swagger's
//! `{"code": 612, "message": "..."}` (422, or 400 for a body that is not
//! JSON), and an empty 404.

use super::answer::{Answer, body_words, server_words};
use super::error::{BackendError, ErrorKind, Part, Problem, ServerWords, Source, Unreadable};
use super::http::{Endpoint, HttpClient};
use crate::domain::alertmanager::ServerStatus;
use crate::domain::silence::{MatchOp, Matcher, NewSilence, Silence, SilenceId, SilenceState};
use crate::domain::{AlertGroup, AmAlert, AmState, AmStatus, Nanos, SafeText};
use crate::secret::Redactor;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub struct AlertmanagerClient {
    http: HttpClient,
    read_only: bool,
}

/// What expiring a silence did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// It was active or pending, and now has ended.
    Expired,
    /// It had ended already (expired by someone else meanwhile, or by its
    /// time), at this time; nothing was changed.
    AlreadyExpired { ended_at: Nanos },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAlert {
    #[serde(default)]
    fingerprint: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    starts_at: Option<String>,
    ends_at: Option<String>,
    updated_at: Option<String>,
    #[serde(rename = "generatorURL")]
    generator_url: Option<String>,
    #[serde(default)]
    receivers: Vec<WireReceiver>,
    #[serde(default)]
    status: WireAlertStatus,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct WireAlertStatus {
    #[serde(default)]
    state: String,
    #[serde(default)]
    silenced_by: Vec<String>,
    #[serde(default)]
    inhibited_by: Vec<String>,
}

#[derive(Deserialize)]
struct WireReceiver {
    name: String,
}

#[derive(Deserialize)]
struct WireGroup {
    #[serde(default)]
    labels: BTreeMap<String, String>,
    receiver: WireReceiver,
    #[serde(default)]
    alerts: Vec<WireAlert>,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct WireMatcher {
    name: String,
    value: String,
    is_regex: bool,
    /// Older Alertmanagers (before 0.22) have no `isEqual`: always equal.
    #[serde(default = "yes")]
    is_equal: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSilence {
    id: String,
    #[serde(default)]
    matchers: Vec<WireMatcher>,
    starts_at: String,
    ends_at: String,
    updated_at: Option<String>,
    #[serde(default)]
    created_by: String,
    #[serde(default)]
    comment: String,
    status: WireSilenceStatus,
}

#[derive(Deserialize)]
struct WireSilenceStatus {
    state: String,
}

/// A silence as posted.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PostSilence<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    matchers: Vec<WireMatcher>,
    starts_at: String,
    ends_at: String,
    created_by: &'a str,
    comment: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    #[serde(rename = "silenceID")]
    silence_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireStatus {
    #[serde(default)]
    cluster: WireCluster,
    #[serde(default)]
    config: WireConfig,
    uptime: Option<String>,
    #[serde(default)]
    version_info: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
struct WireCluster {
    #[serde(default)]
    status: String,
    #[serde(default)]
    peers: Vec<serde_json::Value>,
}

#[derive(Deserialize, Default)]
struct WireConfig {
    #[serde(default)]
    original: String,
}

fn json<T: serde::de::DeserializeOwned>(body: &[u8], secrets: &Redactor) -> Result<T, Unreadable> {
    serde_json::from_slice(body).map_err(|e| Unreadable::Json(secrets.safe(&e.to_string())))
}

/// An RFC 3339 time, as nanoseconds; none if it does not read (Go's zero
/// time, `0001-01-01T00:00:00Z`, reads and saturates).
fn time(text: &str) -> Option<Nanos> {
    let t = chrono::DateTime::parse_from_rfc3339(text).ok()?;
    Some(t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 {
        Nanos::MIN
    } else {
        Nanos::MAX
    }))
}

fn required_time(text: &str, secrets: &Redactor) -> Result<Nanos, Unreadable> {
    time(text).ok_or_else(|| Unreadable::BadTimestamp(secrets.safe(text)))
}

/// Nanoseconds as Alertmanager writes times: UTC, milliseconds.
fn rfc3339(nanos: Nanos) -> String {
    chrono::DateTime::from_timestamp_nanos(nanos)
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn labels(map: &BTreeMap<String, String>, secrets: &Redactor) -> crate::domain::Labels {
    secrets.labels(map.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

fn alert(wire: &WireAlert, secrets: &Redactor) -> AmAlert {
    let id = |id: &String| SilenceId::from_safe(secrets.safe(id));
    AmAlert {
        fingerprint: secrets.safe(&wire.fingerprint),
        labels: labels(&wire.labels, secrets),
        annotations: labels(&wire.annotations, secrets),
        starts_at: wire.starts_at.as_deref().and_then(time),
        ends_at: wire.ends_at.as_deref().and_then(time),
        updated_at: wire.updated_at.as_deref().and_then(time),
        generator_url: (wire.generator_url.as_deref())
            .filter(|u| !u.is_empty())
            .map(|u| secrets.safe(u)),
        receivers: wire
            .receivers
            .iter()
            .map(|r| secrets.safe(&r.name))
            .collect(),
        status: AmStatus {
            state: match wire.status.state.as_str() {
                "suppressed" => AmState::Suppressed,
                "unprocessed" => AmState::Unprocessed,
                _ => AmState::Active,
            },
            silenced_by: wire.status.silenced_by.iter().map(id).collect(),
            inhibited_by: (wire.status.inhibited_by.iter())
                .map(|f| secrets.safe(f))
                .collect(),
        },
    }
}

/// Text shown as it came: cutting secrets and making it safe changed nothing.
fn verbatim(raw: &str, secrets: &Redactor) -> bool {
    secrets.cut(raw) == raw && SafeText::new(raw).as_str() == raw
}

fn silence(wire: &WireSilence, secrets: &Redactor) -> Result<Silence, Unreadable> {
    let matchers = wire.matchers.iter().map(|m| Matcher {
        name: secrets.safe(&m.name),
        op: MatchOp::from_flags(m.is_regex, m.is_equal),
        value: secrets.safe(&m.value),
    });
    Ok(Silence {
        id: SilenceId::from_safe(secrets.safe(&wire.id)),
        matchers: matchers.collect(),
        starts_at: required_time(&wire.starts_at, secrets)?,
        ends_at: required_time(&wire.ends_at, secrets)?,
        created_by: secrets.safe(&wire.created_by),
        comment: secrets.safe(&wire.comment),
        state: match wire.status.state.as_str() {
            "active" => SilenceState::Active,
            "pending" => SilenceState::Pending,
            "expired" => SilenceState::Expired,
            other => return Err(Unreadable::Failed(secrets.safe(other))),
        },
        updated_at: wire.updated_at.as_deref().and_then(time),
        verbatim: (wire.matchers.iter())
            .all(|m| verbatim(&m.name, secrets) && verbatim(&m.value, secrets)),
    })
}

// The decoders are public so that tests and fuzz targets read answers
// exactly as the client does.

/// A `GET /api/v2/alerts` answer.
pub fn decode_alerts(body: &[u8], secrets: &Redactor) -> Result<Vec<AmAlert>, Unreadable> {
    let wire: Vec<WireAlert> = json(body, secrets)?;
    Ok(wire.iter().map(|a| alert(a, secrets)).collect())
}

/// A `GET /api/v2/alerts/groups` answer.
pub fn decode_groups(body: &[u8], secrets: &Redactor) -> Result<Vec<AlertGroup>, Unreadable> {
    let wire: Vec<WireGroup> = json(body, secrets)?;
    Ok(wire
        .iter()
        .map(|g| AlertGroup {
            labels: labels(&g.labels, secrets),
            receiver: secrets.safe(&g.receiver.name),
            alerts: g.alerts.iter().map(|a| alert(a, secrets)).collect(),
        })
        .collect())
}

/// A `GET /api/v2/silences` answer: active ones first, then pending, then
/// expired, each in the server's order (it sorts them by when they end or
/// start).
pub fn decode_silences(body: &[u8], secrets: &Redactor) -> Result<Vec<Silence>, Unreadable> {
    let wire: Vec<WireSilence> = json(body, secrets)?;
    let mut silences = (wire.iter())
        .map(|s| silence(s, secrets))
        .collect::<Result<Vec<_>, _>>()?;
    silences.sort_by_key(|s| s.state);
    Ok(silences)
}

/// A `GET /api/v2/silence/{id}` answer.
pub fn decode_silence(body: &[u8], secrets: &Redactor) -> Result<Silence, Unreadable> {
    silence(&json(body, secrets)?, secrets)
}

/// A `POST /api/v2/silences` answer: the silence's id.
pub fn decode_created(body: &[u8], secrets: &Redactor) -> Result<SilenceId, Unreadable> {
    let created: Created = json(body, secrets)?;
    Ok(SilenceId::from_safe(secrets.safe(&created.silence_id)))
}

/// A `GET /api/v2/status` answer.
pub fn decode_status(body: &[u8], secrets: &Redactor) -> Result<ServerStatus, Unreadable> {
    let wire: WireStatus = json(body, secrets)?;
    let version = wire.version_info.get("version").map_or("", String::as_str);
    Ok(ServerStatus {
        version: secrets.safe(version),
        cluster: secrets.safe(&wire.cluster.status),
        peers: wire.cluster.peers.len(),
        uptime: wire.uptime.as_deref().and_then(time),
        config: (wire.config.original.lines())
            .map(|l| secrets.safe(l))
            .collect(),
    })
}

/// Alertmanager's words in an error body: a bare JSON string, go-swagger's
/// `{"code", "message"}`, else what any server's error body says.
pub fn error_words(answer: &Answer, secrets: &Redactor) -> ServerWords {
    match serde_json::from_slice::<String>(&answer.body) {
        Ok(text) if !text.trim().is_empty() => body_words(text.trim(), false, secrets),
        _ => server_words(answer, secrets),
    }
}

/// The body of a silence as posted.
pub fn encode_silence(silence: &NewSilence) -> Vec<u8> {
    let post = PostSilence {
        id: silence.replaces.as_ref().map(SilenceId::as_str),
        matchers: (silence.matchers.iter())
            .map(|m| WireMatcher {
                name: m.name.to_string(),
                value: m.value.to_string(),
                is_regex: m.op.is_regex(),
                is_equal: m.op.is_equal(),
            })
            .collect(),
        starts_at: rfc3339(silence.starts_at),
        ends_at: rfc3339(silence.ends_at),
        created_by: &silence.created_by,
        comment: &silence.comment,
    };
    // Strings and booleans only: serialising cannot fail.
    serde_json::to_vec(&post).unwrap_or_default()
}

fn now() -> Nanos {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Nanos::try_from(since.as_nanos()).unwrap_or(Nanos::MAX)
}

/// An id as a path segment: a UUID passes unchanged; anything else is
/// escaped, so it cannot walk to another path.
fn id_path(id: &SilenceId) -> String {
    const ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-');
    let id = percent_encoding::utf8_percent_encode(id.as_str(), ESCAPED);
    format!("api/v2/silence/{id}")
}

impl AlertmanagerClient {
    pub fn new(endpoint: &Endpoint) -> Result<Self, BackendError> {
        Ok(AlertmanagerClient {
            http: HttpClient::new(Source::Alertmanager, endpoint)?,
            read_only: false,
        })
    }

    /// The same client, refusing every write (`--read-only`, `read_only =
    /// true`): nothing is sent, the write is an error of kind `Refused`.
    pub fn read_only(self, read_only: bool) -> Self {
        AlertmanagerClient { read_only, ..self }
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    async fn get<T>(
        &self,
        path: &str,
        query: &[(&str, String)],
        decode: fn(&[u8], &Redactor) -> Result<T, Unreadable>,
    ) -> Result<T, BackendError> {
        let answer = self.http.get(path, query).await?;
        self.decoded(&answer, decode)
    }

    /// The answer decoded, or Alertmanager's words when it refused.
    fn decoded<T>(
        &self,
        answer: &Answer,
        decode: fn(&[u8], &Redactor) -> Result<T, Unreadable>,
    ) -> Result<T, BackendError> {
        if !answer.is_success() {
            return Err(self.refused(answer));
        }
        decode(&answer.body, self.http.redactor())
            .map_err(|why| self.http.decode_error(Part::AlertmanagerAnswer, why))
    }

    /// An error status, in Alertmanager's words; an unknown silence is
    /// `NotFound` (404, or 500 "silence not found" from 0.25's DELETE).
    fn refused(&self, answer: &Answer) -> BackendError {
        if (300..400).contains(&answer.status) {
            return self.http.status_error(answer);
        }
        let words = error_words(answer, self.http.redactor());
        let not_found = answer.status == 404
            || matches!(&words, ServerWords::Said(w) if w.as_str() == "silence not found");
        let kind = if not_found {
            ErrorKind::NotFound
        } else {
            ErrorKind::Http
        };
        self.http.answer_error(answer, kind, words)
    }

    fn writable(&self) -> Result<(), BackendError> {
        if self.read_only {
            return Err(self.http.fail(ErrorKind::Refused, Problem::ReadOnly));
        }
        Ok(())
    }

    /// Its version, cluster and configuration.
    pub async fn status(&self) -> Result<ServerStatus, BackendError> {
        self.get("api/v2/status", &[], decode_status).await
    }

    /// Every alert it holds (active, silenced and inhibited), with its state.
    pub async fn alerts(&self) -> Result<Vec<AmAlert>, BackendError> {
        self.get("api/v2/alerts", &[], decode_alerts).await
    }

    /// The alerts as its route groups them, each group with its receiver.
    pub async fn groups(&self) -> Result<Vec<AlertGroup>, BackendError> {
        self.get("api/v2/alerts/groups", &[], decode_groups).await
    }

    /// Every silence it holds, expired ones too (Alertmanager keeps them
    /// for its `--data.retention`, 5 days by default).
    pub async fn silences(&self) -> Result<Vec<Silence>, BackendError> {
        self.get("api/v2/silences", &[], decode_silences).await
    }

    pub async fn silence(&self, id: &SilenceId) -> Result<Silence, BackendError> {
        self.get(&id_path(id), &[], decode_silence).await
    }

    /// Creates a silence, or replaces `silence.replaces` with it; its id
    /// (a replaced silence may come back under a new one). Refused before
    /// sending when read-only or when [`NewSilence::check`] refuses it.
    /// Each write is logged with its matchers, times and author.
    pub async fn create_silence(&self, silence: &NewSilence) -> Result<SilenceId, BackendError> {
        self.writable()?;
        silence.check(now()).map_err(|why| {
            self.http
                .fail(ErrorKind::Refused, Problem::SilenceRefused(Box::new(why)))
        })?;
        let matchers: Vec<String> = silence.matchers.iter().map(|m| m.to_string()).collect();
        let answer = self
            .http
            .post_json("api/v2/silences", &encode_silence(silence))
            .await?;
        let created = self.decoded(&answer, decode_created);
        tracing::info!(
            write = "create silence",
            replaces = ?silence.replaces.as_ref().map(SilenceId::as_str),
            matchers = %matchers.join(", "),
            starts_at = %rfc3339(silence.starts_at),
            ends_at = %rfc3339(silence.ends_at),
            author = %silence.created_by,
            comment = %silence.comment,
            result = ?created.as_ref().map(SilenceId::as_str),
        );
        created
    }

    /// Expires a silence now. One already ended (by someone else meanwhile,
    /// or by its time) is said so, and left as it is; an unknown id is
    /// `NotFound`. Logged like every write.
    pub async fn expire_silence(&self, id: &SilenceId) -> Result<Expiry, BackendError> {
        self.writable()?;
        let current = self.silence(id).await?;
        if current.state == SilenceState::Expired || current.ends_at <= now() {
            tracing::info!(write = "expire silence", id = %id, result = "already expired");
            return Ok(Expiry::AlreadyExpired {
                ended_at: current.ends_at,
            });
        }
        let answer = self.http.delete(&id_path(id)).await?;
        let matchers: Vec<String> = current.matchers.iter().map(|m| m.to_string()).collect();
        let result = if answer.is_success() {
            Ok(Expiry::Expired)
        } else {
            let error = self.refused(&answer);
            match error.problem() {
                // Expired between the two requests, told so by a newer server.
                Problem::Answered {
                    words: ServerWords::Said(words),
                    ..
                } if words.contains("already expired") => {
                    Ok(Expiry::AlreadyExpired { ended_at: now() })
                }
                _ => Err(error),
            }
        };
        tracing::info!(
            write = "expire silence",
            id = %id,
            matchers = %matchers.join(", "),
            ends_at = %rfc3339(current.ends_at),
            author = %current.created_by,
            result = ?result,
        );
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            content_type: "application/json".into(),
            location: None,
            retry_after: None,
            attempts: 1,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn each_error_shape_keeps_alertmanagers_words() {
        let r = Redactor::default();
        let said = |text: &str| ServerWords::Said(SafeText::new(text));
        assert_eq!(
            error_words(&answer(500, "\"silence not found\"\n"), &r),
            said("silence not found")
        );
        assert_eq!(
            error_words(
                &answer(
                    422,
                    r#"{"code":612,"message":"matchers in body should have at least 1 items"}"#
                ),
                &r
            ),
            said("matchers in body should have at least 1 items")
        );
        assert_eq!(
            error_words(&answer(404, ""), &r),
            ServerWords::Nothing { status: 404 }
        );
        let echoed = Redactor::new(["hunter22"]);
        assert_eq!(
            error_words(&answer(400, r#""bad token hunter22\u001b[2J""#), &echoed),
            said("bad token ***␛")
        );
    }

    #[test]
    fn a_silence_is_posted_as_alertmanagers_ui_posts_it() {
        let silence = NewSilence {
            replaces: Some(SilenceId::new("19511d58-3d68-4fe9-8a1a-30bf5fd08b4b")),
            matchers: vec![
                Matcher::new("alertname", MatchOp::Equal, "ApiErrors"),
                Matcher::new("job", MatchOp::NotRegex, "web|db"),
            ],
            starts_at: 1_796_287_282_000_000_000,
            ends_at: 1_796_294_482_000_000_000,
            created_by: "ann".into(),
            comment: "on it".into(),
        };
        let body: serde_json::Value =
            serde_json::from_slice(&encode_silence(&silence)).unwrap_or_default();
        let expected = serde_json::json!({
            "id": "19511d58-3d68-4fe9-8a1a-30bf5fd08b4b",
            "matchers": [
                {"name": "alertname", "value": "ApiErrors", "isRegex": false, "isEqual": true},
                {"name": "job", "value": "web|db", "isRegex": true, "isEqual": false},
            ],
            "startsAt": "2026-12-03T08:41:22.000Z",
            "endsAt": "2026-12-03T10:41:22.000Z",
            "createdBy": "ann",
            "comment": "on it",
        });
        assert_eq!(body, expected);
    }

    #[test]
    fn an_id_cannot_leave_its_path() {
        assert_eq!(
            id_path(&SilenceId::new("19511d58-3d68-4fe9-8a1a-30bf5fd08b4b")),
            "api/v2/silence/19511d58-3d68-4fe9-8a1a-30bf5fd08b4b"
        );
        assert_eq!(
            id_path(&SilenceId::new("../../status?x")),
            "api/v2/silence/%2E%2E%2F%2E%2E%2Fstatus%3Fx"
        );
    }
}
