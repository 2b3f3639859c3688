//! A big trace, made up: `n` spans over a shop's services, up to 20 deep,
//! as Tempo's v2 answer in protobuf (`tempopb.TraceByIDResponse`). The
//! same seed makes the same bytes. For the benches and the memory
//! measurements of opening a trace; nothing in the demo serves it yet.

use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, SpanKind};
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;
use prost::encoding::{WireType, encode_key, encode_varint};
use triage_core::domain::TraceId;

/// The deepest a span is (the root is at 1).
pub const MAX_DEPTH: usize = 20;
/// Spans a service sends in one batch, as an SDK's batch exporter does.
const BATCH: usize = 1000;
/// When the trace starts: 2026-12-03 12:00:00 UTC.
const START: u64 = 1_796_300_400_000_000_000;
/// How long the root lasts.
const ROOT_NANOS: u64 = 60_000_000_000;

/// A generated trace and its v2 answer.
pub struct BigTrace {
    pub id: TraceId,
    /// How many spans, and how many of them failed.
    pub spans: usize,
    pub errors: usize,
    /// `tempopb.TraceByIDResponse`, as `/api/v2/traces/<id>` answers it.
    pub body: Vec<u8>,
}

/// A service: its name, the span names it uses, and what its spans carry.
struct Service {
    name: &'static str,
    operations: &'static [&'static str],
    role: Role,
}

#[derive(Clone, Copy, PartialEq)]
enum Role {
    Http,
    Code,
    Database,
}

const SERVICES: [Service; 8] = [
    Service {
        name: "frontend",
        operations: &["GET /articles", "GET /articles/{id}", "POST /cart"],
        role: Role::Http,
    },
    Service {
        name: "api",
        operations: &[
            "GET /api/articles",
            "GET /api/articles/{id}",
            "POST /api/cart/items",
        ],
        role: Role::Http,
    },
    Service {
        name: "auth",
        operations: &["VerifyToken", "LoadSession", "CheckScope"],
        role: Role::Code,
    },
    Service {
        name: "catalog",
        operations: &[
            "ArticlesRepository.List",
            "ArticlesRepository.Get",
            "PriceList.Apply",
        ],
        role: Role::Code,
    },
    Service {
        name: "cart",
        operations: &["CartService.Add", "CartService.Total", "Inventory.Reserve"],
        role: Role::Code,
    },
    Service {
        name: "search",
        operations: &["GET /search", "Index.Query", "Ranker.Score"],
        role: Role::Http,
    },
    Service {
        name: "payments",
        operations: &["POST /payments", "Card.Authorize", "Ledger.Write"],
        role: Role::Http,
    },
    Service {
        name: "postgres",
        operations: &[
            "SELECT articles",
            "SELECT prices",
            "INSERT cart_items",
            "UPDATE stock",
        ],
        role: Role::Database,
    },
];

/// One span of the path from the root to the newest span.
#[derive(Clone, Copy)]
struct Open {
    id: [u8; 8],
    service: usize,
    start: u64,
    end: u64,
}

/// Serves `body` as Tempo's v2 protobuf answer for any path, on a free
/// loopback port: the base URL, and the server's task.
pub async fn serve_as_tempo(
    body: Vec<u8>,
) -> std::io::Result<(String, tokio::task::JoinHandle<()>)> {
    let body = axum::body::Bytes::from(body);
    let app = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move { ([("content-type", "application/protobuf")], body) }
    });
    crate::serve(app).await
}

/// Makes a trace of `spans` spans (at least one), the same for the same
/// `seed`.
pub fn big_trace(spans: usize, seed: u64) -> BigTrace {
    let mut maker = Maker {
        rng: fastrand::Rng::with_seed(seed),
        pending: std::array::from_fn(|_| Vec::new()),
        resources: Vec::new(),
        trace: Vec::new(),
        errors: 0,
    };
    maker.resources = (0..SERVICES.len()).map(|s| maker.resource(s)).collect();
    let id = TraceId(std::array::from_fn(|_| maker.rng.u8(1..)));
    // Room for the envelope's field header, written once the size is known.
    maker.trace = Vec::with_capacity(HEADER + spans.max(1) * 120);
    maker.trace.resize(HEADER, 0);
    let mut path: Vec<Open> = Vec::with_capacity(MAX_DEPTH);
    for n in 0..spans.max(1) {
        let open = maker.next_span(n, &mut path, &id);
        path.push(open);
    }
    for service in 0..SERVICES.len() {
        maker.flush(service);
    }
    BigTrace {
        id,
        spans: spans.max(1),
        errors: maker.errors,
        body: maker.finish(),
    }
}

/// The most bytes of a field's tag and length.
const HEADER: usize = 11;

struct Maker {
    rng: fastrand::Rng,
    /// Each service's spans not yet sent.
    pending: [Vec<Span>; SERVICES.len()],
    resources: Vec<Resource>,
    /// `tempopb.Trace`'s bytes, after `HEADER` bytes of room.
    trace: Vec<u8>,
    errors: usize,
}

impl Maker {
    /// The span after the `n - 1` before it: a child of the newest span,
    /// or of one of its ancestors; its window inside its parent's.
    fn next_span(&mut self, n: usize, path: &mut Vec<Open>, trace_id: &TraceId) -> Open {
        let depth = if path.is_empty() {
            0
        } else if path.len() < MAX_DEPTH && self.rng.f32() < 0.6 {
            path.len()
        } else {
            self.rng.usize(1..=path.len())
        };
        path.truncate(depth);
        let parent = path.last().copied();
        let (start, end) = match parent {
            None => (START, START + ROOT_NANOS),
            Some(p) => self.window(p.start, p.end),
        };
        let service = match parent {
            None => 0,
            Some(p) if self.rng.f32() < 0.3 => {
                (p.service + self.rng.usize(1..SERVICES.len())) % SERVICES.len()
            }
            Some(p) => p.service,
        };
        let open = Open {
            id: self.span_id(n),
            service,
            start,
            end,
        };
        let span = self.span(n, &open, parent, trace_id);
        self.pending[service].push(span);
        if self.pending[service].len() == BATCH {
            self.flush(service);
        }
        open
    }

    /// A child's times: starting early in its parent, ending before it.
    fn window(&mut self, start: u64, end: u64) -> (u64, u64) {
        let length = end - start;
        let child_start = start + (length as f64 * self.rng.f64() * 0.05) as u64;
        let child_length = ((end - child_start) as f64 * (0.5 + 0.45 * self.rng.f64())) as u64;
        (child_start, child_start + child_length.max(1))
    }

    /// A unique id: the count in the low bytes, random high ones.
    fn span_id(&mut self, n: usize) -> [u8; 8] {
        let high = u64::from(self.rng.u16(1..)) << 48;
        (high | (n as u64 + 1)).to_be_bytes()
    }

    fn span(&mut self, n: usize, open: &Open, parent: Option<Open>, trace_id: &TraceId) -> Span {
        let service = &SERVICES[open.service];
        let entered = parent.is_none_or(|p| p.service != open.service);
        let kind = match (entered, service.role) {
            (true, _) => SpanKind::Server,
            (false, Role::Database) => SpanKind::Client,
            (false, _) => SpanKind::Internal,
        };
        let failed = self.rng.u32(0..200) == 0;
        self.errors += usize::from(failed);
        let operation = service.operations[self.rng.usize(..service.operations.len())];
        Span {
            trace_id: trace_id.0.to_vec(),
            span_id: open.id.to_vec(),
            parent_span_id: parent.map(|p| p.id.to_vec()).unwrap_or_default(),
            name: operation.into(),
            kind: kind as i32,
            start_time_unix_nano: open.start,
            end_time_unix_nano: open.end,
            attributes: self.attributes(n, service, failed),
            events: if failed {
                vec![exception(open, service.name)]
            } else {
                Vec::new()
            },
            status: Some(if failed {
                Status {
                    code: StatusCode::Error as i32,
                    message: format!("{} failed: upstream timed out", service.name),
                }
            } else {
                Status::default()
            }),
            ..Span::default()
        }
    }

    /// What such a span carries: a few common keys, some values shared
    /// by many spans (methods, routes, codes) and some not (ids, paths).
    fn attributes(&mut self, n: usize, service: &Service, failed: bool) -> Vec<KeyValue> {
        let status = if failed { 500 } else { 200 };
        match service.role {
            Role::Http => vec![
                text("http.request.method", ["GET", "POST"][self.rng.usize(..2)]),
                text("http.route", "/api/articles/{id}"),
                int("http.response.status_code", status),
                text("url.path", &format!("/api/articles/{}", n % 5000)),
                text(
                    "network.peer.address",
                    &format!("10.0.{}.{}", n % 7, n % 251),
                ),
            ],
            Role::Code => vec![
                text("code.function", "Handle"),
                text("code.namespace", service.name),
                int("thread.id", (n % 64) as i64),
                int("item.id", n as i64),
            ],
            Role::Database => vec![
                text("db.system", "postgresql"),
                text("db.name", "shop"),
                text(
                    "db.statement",
                    "SELECT id, title, price FROM articles WHERE id = $1",
                ),
                int("db.rows", (n % 50) as i64),
                text("server.address", "postgres.shop.svc"),
            ],
        }
    }

    /// A service's resource: its name and the pod it runs in.
    fn resource(&mut self, service: usize) -> Resource {
        let name = SERVICES[service].name;
        let replica_set = format!("{:x}", self.rng.u32(0x1000_0000..));
        let pod = format!(
            "{name}-{replica_set}-{}",
            self.rng.alphanumeric().to_ascii_lowercase()
        );
        Resource {
            attributes: vec![
                text("service.name", name),
                text("service.namespace", "shop"),
                text("service.version", "1.14.2"),
                text("k8s.namespace.name", "shop"),
                text("k8s.deployment.name", name),
                text("k8s.pod.name", &pod),
                text("k8s.node.name", &format!("node-{}", service % 3)),
                text("host.name", &pod),
                text("telemetry.sdk.language", "go"),
                text("telemetry.sdk.name", "opentelemetry"),
            ],
            ..Resource::default()
        }
    }

    /// Sends a service's pending spans as one `ResourceSpans`.
    fn flush(&mut self, service: usize) {
        if self.pending[service].is_empty() {
            return;
        }
        let batch = ResourceSpans {
            resource: Some(self.resources[service].clone()),
            scope_spans: vec![ScopeSpans {
                spans: std::mem::take(&mut self.pending[service]),
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        };
        encode_key(1, WireType::LengthDelimited, &mut self.trace); // tempopb.Trace.batches
        // A Vec always has room: encoding into it cannot fail.
        let _ = batch.encode_length_delimited(&mut self.trace);
    }

    /// The v2 envelope around the trace, in place: its field header in
    /// the room left for it.
    fn finish(mut self) -> Vec<u8> {
        let size = self.trace.len() - HEADER;
        let mut header = Vec::with_capacity(HEADER);
        encode_key(1, WireType::LengthDelimited, &mut header); // TraceByIDResponse.trace
        encode_varint(size as u64, &mut header);
        let at = HEADER - header.len();
        self.trace[at..HEADER].copy_from_slice(&header);
        self.trace.drain(..at);
        self.trace
    }
}

fn exception(open: &Open, service: &str) -> Event {
    Event {
        time_unix_nano: open.end.saturating_sub(1000),
        name: "exception".into(),
        attributes: vec![
            text("exception.type", "TimeoutError"),
            text(
                "exception.message",
                &format!("{service}: upstream timed out after 5s"),
            ),
        ],
        ..Event::default()
    }
}

fn text(key: &str, value: &str) -> KeyValue {
    attribute(key, Value::StringValue(value.into()))
}

fn int(key: &str, value: i64) -> KeyValue {
    attribute(key, Value::IntValue(value))
}

fn attribute(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use triage_core::backend::otlp_json::Decoded;
    use triage_core::backend::otlp_proto::{Shape, decode_trace};
    use triage_core::correlate::Waterfall;
    use triage_core::secret::Redactor;

    #[test]
    fn n_spans_in_are_n_spans_out_the_same_for_the_same_seed() {
        let made = big_trace(5_000, 7);
        assert_eq!(made.body, big_trace(5_000, 7).body);
        assert_ne!(made.body, big_trace(5_000, 8).body);
        let decoded = decode_trace(made.id, &made.body, Shape::Response, &Redactor::default());
        let Ok(Decoded::Found(trace)) = decoded else {
            panic!("the generated trace does not decode");
        };
        assert_eq!(trace.spans.len(), 5_000);
        assert_eq!(
            trace.spans.iter().filter(|s| s.is_error()).count(),
            made.errors
        );
        assert!(made.errors > 0);
        let waterfall = Waterfall::new(&trace);
        let deepest = waterfall.rows.iter().map(|r| r.depth).max();
        assert_eq!(deepest, Some(MAX_DEPTH as u32 - 1));
        assert_eq!(waterfall.services.len(), SERVICES.len());
        assert!(
            waterfall.rows.iter().all(|r| !r.orphan),
            "every parent is there"
        );
        let root = &trace.spans[0];
        assert!(
            root.attribute("k8s.pod.name")
                .is_some_and(|p| p.starts_with("frontend-"))
        );
        assert!(trace.spans.iter().all(|s| s.start <= s.end));
    }

    #[test]
    fn even_one_span_is_a_trace() {
        let made = big_trace(0, 1);
        let decoded = decode_trace(made.id, &made.body, Shape::Response, &Redactor::default());
        assert!(matches!(decoded, Ok(Decoded::Found(t)) if t.spans.len() == 1));
    }
}
