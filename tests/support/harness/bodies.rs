//! Backend answers made from the recordings in `../shared/fixtures`: the
//! same shapes the real servers sent, scaled to any number of items, and
//! with every text from outside either as recorded or made hostile.

use crate::support::RECORDED_AT;
use crate::support::replay::fixtures_dir;
use serde_json::{Value, json};

/// Text a hostile or broken server could send in any field: escape
/// sequences (CSI, OSC 0 title, OSC 52 clipboard, OSC 8 link, DCS, APC),
/// 8-bit C1 (CSI U+009B, DCS U+0090, ST U+009C), BEL, DEL, bidi overrides
/// and isolates, zero-width characters, a BOM, wide CJK and emoji (a ZWJ
/// sequence, a flag, a variation selector, a combining accent).
pub const HOSTILE: &str = "ok \u{1b}]52;c;cm0gLXJmIH4=\u{7}\u{1b}[2J\u{9b}31m evil\u{202e}txt\u{200b} \
     \u{1b}]8;;http://x\u{1b}\\link\u{1b}P+q544e\u{1b}\\ \u{1b}_apc\u{1b}\\ \u{90}dcs\u{9c} bell\u{7} \
     del\u{7f} \u{1b}]0;title\u{7} \u{feff}bom \u{2067}iso\u{2069} 障害対応の記録 \
     👩\u{200d}💻 🇯🇵 ❤\u{fe0f} e\u{301}";

/// How the text in an answer reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Text {
    /// As the real servers wrote it.
    Recorded,
    /// Hostile text, then the recorded words.
    Hostile,
}

impl Text {
    /// What the server says where it said `recorded`.
    pub fn say(self, recorded: &str) -> String {
        match self {
            Text::Recorded => recorded.to_owned(),
            Text::Hostile => format!("{HOSTILE} {recorded}"),
        }
    }

    /// The same, the recorded words first: for names that must still
    /// start as recorded (the ones completion offers for a prefix).
    pub fn say_after(self, recorded: &str) -> String {
        match self {
            Text::Recorded => recorded.to_owned(),
            Text::Hostile => format!("{recorded} {HOSTILE}"),
        }
    }

    /// Label values (and, when hostile, one more label whose name is
    /// hostile too) of a JSON object of labels.
    fn labels(self, labels: &Value) -> Value {
        let mut out = serde_json::Map::new();
        for (name, value) in labels.as_object().into_iter().flatten() {
            out.insert(name.clone(), json!(self.say(value.as_str().unwrap_or(""))));
        }
        if self == Text::Hostile {
            out.insert(HOSTILE.to_owned(), json!(HOSTILE));
        }
        Value::Object(out)
    }
}

fn recorded(path: &str) -> Value {
    let bytes = std::fs::read(fixtures_dir().join(path)).expect("a recorded answer");
    serde_json::from_slice(&bytes).expect("recorded JSON")
}

fn recorded_text(path: &str) -> String {
    std::fs::read_to_string(fixtures_dir().join(path)).expect("a recorded answer")
}

fn bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("JSON")
}

const MS: i64 = 1_000_000;
const SECOND: i64 = 1_000_000_000;

/// Loki's `query_range`: `count` lines, newest first from `RECORDED_AT`
/// 10 ms apart, cycling through the recorded lines in their streams.
pub fn loki_lines(count: usize, text: Text) -> Vec<u8> {
    let answer = recorded("loki/query_range_streams.json");
    let streams = answer["data"]["result"].as_array().expect("streams");
    let templates: Vec<(usize, &str)> = (streams.iter().enumerate())
        .flat_map(|(s, stream)| {
            let values = stream["values"].as_array().expect("values");
            values.iter().map(move |v| (s, v[1].as_str().unwrap_or("")))
        })
        .collect();
    let mut values: Vec<Vec<Value>> = vec![Vec::new(); streams.len()];
    for i in 0..count {
        let (stream, line) = templates[i % templates.len()];
        let at = RECORDED_AT - (i as i64 + 1) * 10 * MS;
        values[stream].push(json!([at.to_string(), text.say(line)]));
    }
    let result: Vec<Value> = (streams.iter().zip(values))
        .filter(|(_, values)| !values.is_empty())
        .map(|(stream, values)| json!({"stream": text.labels(&stream["stream"]), "values": values}))
        .collect();
    bytes(&json!({"status": "success", "data": {"resultType": "streams", "result": result}}))
}

/// Loki's patterns: the recorded ones, cycled to `count`, each said by
/// `text`.
pub fn loki_patterns(count: usize, text: Text) -> Vec<u8> {
    let mut answer = recorded("loki/patterns.json");
    let recorded: Vec<Value> = answer["data"].as_array().cloned().unwrap_or_default();
    let patterns: Vec<Value> = (recorded.iter().cycle().take(count).enumerate())
        .map(|(i, p)| {
            let mut p = p.clone();
            let words = format!("{} {i}", p["pattern"].as_str().unwrap_or(""));
            p["pattern"] = json!(text.say(&words));
            p
        })
        .collect();
    answer["data"] = json!(patterns);
    bytes(&answer)
}

/// Loki refusing a query: its plain-text 400.
pub fn loki_error(text: Text) -> Vec<u8> {
    text.say(recorded_text("loki/error_bad_logql.txt").trim_end())
        .into_bytes()
}

/// The recorded failing trace's id.
pub const TRACE: &str = crate::support::FAILING_TRACE;

/// Tempo's v2 trace by id: the recorded failing trace grown (or cut) to
/// `spans` spans, each a copy of a recorded one, four children a parent.
/// Hostile text also marks it partial, with a hostile reason.
pub fn tempo_trace(spans: usize, text: Text) -> Vec<u8> {
    let answer = recorded(&format!("tempo/trace_v2_error_{TRACE}.json"));
    let resources = answer["trace"]["resourceSpans"].as_array().expect("spans");
    // Every recorded span with the resource it belongs to; the root first.
    let templates: Vec<(usize, &Value)> = (resources.iter().enumerate())
        .flat_map(|(r, resource)| {
            let scopes = resource["scopeSpans"].as_array().expect("scopes");
            scopes
                .iter()
                .flat_map(|s| s["spans"].as_array().expect("spans"))
                .map(move |span| (r, span))
        })
        .collect();
    let root_start: i64 = templates[0].1["startTimeUnixNano"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("a start time");
    let mut by_resource: Vec<Vec<Value>> = vec![Vec::new(); resources.len()];
    for i in 0..spans {
        let (resource, template) = if i == 0 {
            templates[0]
        } else {
            templates[1 + (i - 1) % (templates.len() - 1)]
        };
        let mut span = spans_copy(template, text);
        span["spanId"] = json!(span_id(i));
        if i == 0 {
            span.as_object_mut().map(|s| s.remove("parentSpanId"));
        } else {
            span["parentSpanId"] = json!(span_id((i - 1) / 4));
        }
        // Spread along the root's 115 ms, each lasting 3 ms.
        let start = root_start + (i as i64 * 112 * MS) / spans.max(1) as i64;
        let end = if i == 0 {
            root_start + 115 * MS
        } else {
            start + 3 * MS
        };
        span["startTimeUnixNano"] = json!(start.to_string());
        span["endTimeUnixNano"] = json!(end.to_string());
        by_resource[resource].push(span);
    }
    let resource_spans: Vec<Value> = (resources.iter().zip(by_resource))
        .filter(|(_, spans)| !spans.is_empty())
        .map(|(resource, spans)| {
            let mut attributes = resource["resource"]["attributes"].clone();
            say_values(&mut attributes, text);
            json!({"resource": {"attributes": attributes}, "scopeSpans": [{"spans": spans}]})
        })
        .collect();
    let mut answer = json!({"trace": {"resourceSpans": resource_spans}});
    if text == Text::Hostile {
        answer["status"] = json!("PARTIAL");
        answer["message"] = json!(HOSTILE);
    }
    bytes(&answer)
}

/// Tempo's search answer: the recorded spss=3 search's first trace,
/// copied `traces` times with their own ids and times, newest first;
/// hostile text in names and attribute values.
pub fn tempo_search(traces: usize, text: Text) -> Vec<u8> {
    let answer = recorded("tempo/search_spss3.json");
    let template = &answer["traces"][0];
    let start: i64 = template["startTimeUnixNano"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("a start time");
    let copies: Vec<Value> = (0..traces)
        .map(|i| {
            let mut trace = template.clone();
            trace["traceID"] = json!(format!("{:x}", 0x3d76_c5a7_57bb_b6dd_u64 + i as u64));
            trace["rootTraceName"] =
                json!(text.say(template["rootTraceName"].as_str().unwrap_or("")));
            trace["startTimeUnixNano"] = json!((start - i as i64 * 1_000 * MS).to_string());
            trace["durationMs"] = json!(660 + (i % 7) * 100);
            let sets = trace["spanSets"].as_array_mut().into_iter().flatten();
            for span in sets.flat_map(|set| set["spans"].as_array_mut().into_iter().flatten()) {
                say_values(&mut span["attributes"], text);
            }
            trace
        })
        .collect();
    bytes(&json!({"traces": copies, "metrics": answer["metrics"]}))
}

/// Tempo's refusal of a TraceQL expression, said by `text`.
pub fn tempo_bad_traceql(text: Text) -> Vec<u8> {
    text.say(recorded_text("tempo/error_bad_traceql.txt").trim())
        .into_bytes()
}

/// Span ids as 16 hex digits, which Tempo's JSON readers also accept.
fn span_id(index: usize) -> String {
    format!("{:016x}", index as u64 + 1)
}

/// A recorded span with its name, attribute values, status message and
/// events said by `text` (and a hostile attribute name when hostile).
fn spans_copy(template: &Value, text: Text) -> Value {
    let mut span = template.clone();
    span["name"] = json!(text.say(template["name"].as_str().unwrap_or("")));
    say_values(&mut span["attributes"], text);
    if let Some(message) = template["status"]["message"].as_str() {
        span["status"]["message"] = json!(text.say(message));
    }
    let events = span.get_mut("events").and_then(Value::as_array_mut);
    for event in events.into_iter().flatten() {
        event["name"] = json!(text.say(event["name"].as_str().unwrap_or("")));
        say_values(&mut event["attributes"], text);
    }
    if text == Text::Hostile
        && let Some(attributes) = span["attributes"].as_array_mut()
    {
        attributes.push(json!({"key": HOSTILE, "value": {"stringValue": HOSTILE}}));
    }
    span
}

/// OTLP attributes' string values, said by `text`.
fn say_values(attributes: &mut Value, text: Text) {
    for attribute in attributes.as_array_mut().into_iter().flatten() {
        if let Some(value) = attribute["value"]["stringValue"].as_str() {
            attribute["value"]["stringValue"] = json!(text.say(value));
        }
    }
}

/// Where graphs end: the recording's end, in Prometheus's seconds.
const END_SECONDS: i64 = RECORDED_AT / SECOND;
/// The window the graphs are asked over.
pub const WINDOW: std::time::Duration = std::time::Duration::from_secs(600);

/// Prometheus's `query_range`: `series` series of `points` points over
/// the window, labelled and valued like the recorded ones (one NaN and one
/// +Inf in each series of more than two points, as Prometheus sends them).
pub fn prometheus_range(series: usize, points: usize, text: Text) -> Vec<u8> {
    let answer = recorded("prometheus/query_range.json");
    let recorded = answer["data"]["result"].as_array().expect("series");
    let step = WINDOW.as_secs_f64() / points.max(1) as f64;
    let result: Vec<Value> = (0..series)
        .map(|s| {
            let template = &recorded[s % recorded.len()];
            let samples = template["values"].as_array().expect("values");
            let values: Vec<Value> = (0..points)
                .map(|p| {
                    let time =
                        (END_SECONDS - WINDOW.as_secs() as i64) as f64 + step * (p + 1) as f64;
                    let value = match p {
                        1 if points > 2 => "NaN".to_owned(),
                        2 if points > 2 => "+Inf".to_owned(),
                        _ => samples[p % samples.len()][1]
                            .as_str()
                            .unwrap_or("0")
                            .to_owned(),
                    };
                    json!([time, value])
                })
                .collect();
            let mut metric = text.labels(&template["metric"]);
            metric["instance"] = json!(text.say(&format!("10.0.1.{s}:9100")));
            // What a services table groups span metrics by, and the
            // service graph its calls.
            metric["service"] = json!(text.say(&format!("service-{s}")));
            metric["client"] = json!(text.say(&format!("client-{s}")));
            metric["server"] = json!(text.say(&format!("server-{s}")));
            json!({"metric": metric, "values": values})
        })
        .collect();
    bytes(&json!({"status": "success", "data": {"resultType": "matrix", "result": result}}))
}

/// Prometheus's `query_exemplars`: `count` exemplars spread over the
/// window, pointing at the recorded traces.
pub fn prometheus_exemplars(count: usize, text: Text) -> Vec<u8> {
    let answer = recorded("prometheus/query_exemplars_counter.json");
    let groups = answer["data"].as_array().expect("exemplar groups");
    let recorded: Vec<&Value> = groups
        .iter()
        .flat_map(|g| g["exemplars"].as_array().expect("exemplars"))
        .collect();
    let step = WINDOW.as_secs_f64() / count.max(1) as f64;
    let exemplars: Vec<Value> = (0..count)
        .map(|i| {
            let template = recorded[i % recorded.len()];
            let mut labels = template["labels"].clone();
            if text == Text::Hostile {
                labels[HOSTILE] = json!(HOSTILE);
            }
            let time = (END_SECONDS - WINDOW.as_secs() as i64) as f64 + step * i as f64;
            json!({"labels": labels, "value": template["value"], "timestamp": time})
        })
        .collect();
    let series = text.labels(&groups[0]["seriesLabels"]);
    bytes(&json!({"status": "success", "data": [{"seriesLabels": series, "exemplars": exemplars}]}))
}

/// Prometheus's `metadata`, the recorded units said by `text`.
pub fn prometheus_metadata(text: Text) -> Vec<u8> {
    let mut answer = recorded("prometheus/metadata.json");
    for list in answer["data"].as_object_mut().into_iter().flatten() {
        for family in list.1.as_array_mut().into_iter().flatten() {
            let unit = family["unit"].as_str().unwrap_or("").to_owned();
            family["unit"] = json!(text.say(&unit));
        }
    }
    bytes(&answer)
}

/// A recorded list of names (metric or label names), said by `text`.
pub fn prometheus_names(path: &str, text: Text) -> Vec<u8> {
    let mut answer = recorded(path);
    for name in answer["data"].as_array_mut().into_iter().flatten() {
        *name = json!(text.say_after(name.as_str().unwrap_or("")));
    }
    bytes(&answer)
}

/// Prometheus refusing an expression: its `bad_data` 400.
pub fn prometheus_bad_data(text: Text) -> Vec<u8> {
    let mut answer = recorded("prometheus/error_bad_promql.json");
    answer["error"] = json!(text.say(answer["error"].as_str().unwrap_or("")));
    bytes(&answer)
}

/// Prometheus's `alerts` and `rules`: `count` alerts, each a copy of a
/// recorded one with a rule of its own.
pub fn prometheus_alerts(count: usize, text: Text) -> (Vec<u8>, Vec<u8>) {
    let alerts_answer = recorded("prometheus/alerts.json");
    let recorded_alerts = alerts_answer["data"]["alerts"].as_array().expect("alerts");
    let rules_answer = recorded("prometheus/rules.json");
    let recorded_rules = rules_answer["data"]["groups"][0]["rules"]
        .as_array()
        .expect("rules");
    let mut alerts = Vec::new();
    let mut rules = Vec::new();
    for i in 0..count {
        let mut alert = recorded_alerts[i % recorded_alerts.len()].clone();
        let name = alert["labels"]["alertname"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        let name = if i < recorded_alerts.len() {
            name
        } else {
            format!("{name}{i}")
        };
        alert["labels"] = text.labels(&alert["labels"]);
        alert["labels"]["alertname"] = json!(text.say(&name));
        alert["annotations"] = text.labels(&alert["annotations"]);
        alert["annotations"]["description"] = json!(text.say("see the runbook"));
        if text == Text::Hostile {
            alert["value"] = json!(HOSTILE);
        }
        let mut rule = recorded_rules[i % recorded_rules.len()].clone();
        rule["name"] = alert["labels"]["alertname"].clone();
        rule["query"] = json!(text.say(rule["query"].as_str().unwrap_or("")));
        rule["alerts"] = json!([alert.clone()]);
        alerts.push(alert);
        rules.push(rule);
    }
    let alerts = json!({"status": "success", "data": {"alerts": alerts}});
    let rules = json!({"status": "success", "data": {"groups": [{"name": text.say("demo"), "file": "/etc/prometheus/rules/shop.yml", "rules": rules}]}});
    (bytes(&alerts), bytes(&rules))
}
