//! `/loki/api/v1/patterns`: the selected lines grouped by their shape,
//! what varies (numbers, ids, times) written `<_>` as Loki writes it, with
//! a count per step.

use super::{Args, Shared, parse_step, plain_error, select, time_range};
use crate::logql::LogQuery;
use axum::response::{IntoResponse, Response};
use regex::Regex;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;
use triage_core::domain::Nanos;
use triage_core::domain::time::NANOS_PER_SEC;

/// A word holding a digit: a number, a time, an id, `user-5`.
static VARYING: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"[\w.-]*\d[\w.:-]*").ok());

/// A line's pattern: every word holding a digit is `<_>`.
pub fn pattern(line: &str) -> String {
    match VARYING.as_ref() {
        Some(varying) => varying.replace_all(line, "<_>").into_owned(),
        None => line.to_owned(),
    }
}

/// Each pattern's count per step (keyed by the step's start), the most
/// frequent pattern first.
pub fn group(
    lines: impl Iterator<Item = (Nanos, String)>,
    step: Nanos,
) -> Vec<(String, BTreeMap<Nanos, u64>)> {
    let mut counts: HashMap<String, BTreeMap<Nanos, u64>> = HashMap::new();
    for (at, line) in lines {
        let bucket = at - at.rem_euclid(step);
        *counts
            .entry(pattern(&line))
            .or_default()
            .entry(bucket)
            .or_default() += 1;
    }
    let mut patterns: Vec<_> = counts.into_iter().collect();
    let total = |samples: &BTreeMap<Nanos, u64>| samples.values().sum::<u64>();
    patterns.sort_by(|a, b| total(&b.1).cmp(&total(&a.1)).then_with(|| a.0.cmp(&b.0)));
    patterns
}

pub async fn patterns(
    axum::extract::State(data): Shared,
    axum::extract::Query(params): Args,
) -> Response {
    let query = match LogQuery::parse(params.get("query").map_or("", String::as_str)) {
        Ok(q) => q,
        Err(e) => return plain_error(e.to_string()),
    };
    let (start, end) = match time_range(&data, &params) {
        Ok(range) => range,
        Err(e) => return plain_error(e),
    };
    let step = params
        .get("step")
        .and_then(|s| parse_step(s))
        .unwrap_or(((end - start) / 250).max(NANOS_PER_SEC));
    let lines = select(&data, &query, start, end)
        .into_iter()
        .map(|s| (s.at, s.line.to_owned()));
    let data: Vec<_> = group(lines, step)
        .into_iter()
        .map(|(pattern, samples)| {
            let samples: Vec<_> = samples
                .into_iter()
                .map(|(t, n)| json!([t / NANOS_PER_SEC, n]))
                .collect();
            json!({ "pattern": pattern, "samples": samples })
        })
        .collect();
    axum::Json(json!({ "status": "success", "data": data })).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_varies_is_a_placeholder() {
        assert_eq!(
            pattern(
                r#"level=info msg="token verified" trace_id=4ca2f529 span_id=2d2f89 user=user-12"#
            ),
            r#"level=info msg="token verified" trace_id=<_> span_id=<_> user=<_>"#
        );
        assert_eq!(
            pattern(
                "[19:20:07 INF] |4ca2f529eefb8f19| HTTP GET /api/articles responded 200 in 957.0000 ms"
            ),
            "[<_> INF] |<_>| HTTP GET /api/articles responded <_> in <_> ms"
        );
        assert_eq!(
            pattern(r#"{"status":200,"duration_ms":47.1,"traceId":"4ca2f5"}"#),
            r#"{"status":<_>,"duration_ms":<_>,"traceId":"<_>"}"#
        );
    }

    #[test]
    fn lines_of_one_shape_are_counted_per_step() {
        let s = NANOS_PER_SEC;
        let lines = [
            (60 * s, "took 5 ms"),
            (61 * s, "took 7 ms"),
            (130 * s, "took 9 ms"),
            (131 * s, "ready"),
        ];
        let grouped = group(lines.iter().map(|(t, l)| (*t, (*l).to_owned())), 60 * s);
        assert_eq!(grouped.len(), 2);
        assert_eq!(grouped[0].0, "took <_> ms");
        let samples: Vec<(i64, u64)> = grouped[0].1.iter().map(|(t, n)| (t / s, *n)).collect();
        assert_eq!(samples, [(60, 2), (120, 1)]);
        assert_eq!(grouped[1].0, "ready");
    }
}
