//! Metric queries: a range function over the lines a log query keeps,
//! evaluated at every step, optionally aggregated; answered as Loki's
//! `matrix`.

use super::{Selected, select};
use crate::data::DemoData;
use crate::logql::{Aggregate, Labels, MetricQuery, RangeFunction};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use triage_core::domain::Nanos;
use triage_core::domain::time::NANOS_PER_SEC;

/// Loki's cap on points per series.
const MAX_POINTS: i64 = 11_000;

/// One series: its labels and its value at each step that had lines.
type Series = BTreeMap<Labels, BTreeMap<Nanos, f64>>;

pub fn answer(
    data: &DemoData,
    query: &MetricQuery,
    start: Nanos,
    end: Nanos,
    step: Nanos,
) -> Result<Value, String> {
    let steps = steps(start, end, step)?;
    let (Some(&first), Some(&last)) = (steps.first(), steps.last()) else {
        return Ok(matrix(Series::new()));
    };
    // Each step T counts the lines of (T - window, T].
    let lines = select(data, &query.log, first - query.window + 1, last + 1);
    if let Some(bad) = lines.iter().find(|s| s.parsed.contains_key("__error__")) {
        return Err(pipeline_error(bad));
    }
    let mut by_series: BTreeMap<Labels, Vec<&Selected>> = BTreeMap::new();
    for s in &lines {
        by_series.entry(s.all_labels()).or_default().push(s);
    }
    let series: Series = by_series
        .into_iter()
        .map(|(labels, lines)| (labels, evaluate(query, &lines, &steps)))
        .collect();
    Ok(matrix(match &query.aggregation {
        Some((aggregate, grouping)) => {
            aggregated(series, *aggregate, |l: &Labels| grouping.group(l))
        }
        None => series,
    }))
}

/// The evaluation times: Loki aligns the start down and the end up to a
/// multiple of the step.
fn steps(start: Nanos, end: Nanos, step: Nanos) -> Result<Vec<Nanos>, String> {
    let first = start - start.rem_euclid(step);
    let last = end + (step - end.rem_euclid(step)) % step;
    if (last - first) / step + 1 > MAX_POINTS {
        return Err("exceeded maximum resolution of 11,000 points per timeseries. Try increasing the value of the step parameter".into());
    }
    Ok((0..)
        .map(|i| first + i * step)
        .take_while(|t| *t <= last)
        .collect())
}

/// The function's value at each step whose window holds lines.
fn evaluate(query: &MetricQuery, lines: &[&Selected], steps: &[Nanos]) -> BTreeMap<Nanos, f64> {
    // Bytes before each line, so a window's bytes are one subtraction.
    let mut bytes_before = vec![0usize];
    for s in lines {
        bytes_before.push(bytes_before[bytes_before.len() - 1] + s.line.len());
    }
    let seconds = query.window as f64 / NANOS_PER_SEC as f64;
    steps
        .iter()
        .filter_map(|&t| {
            let low = lines.partition_point(|s| s.at <= t - query.window);
            let high = lines.partition_point(|s| s.at <= t);
            let count = (high - low) as f64;
            let bytes = (bytes_before[high] - bytes_before[low]) as f64;
            let value = match query.function {
                RangeFunction::CountOverTime => count,
                RangeFunction::Rate => count / seconds,
                RangeFunction::BytesOverTime => bytes,
                RangeFunction::BytesRate => bytes / seconds,
            };
            (high > low).then_some((t, value))
        })
        .collect()
}

/// Series grouped by the labels `key` keeps, their values at each step
/// combined by `aggregate`.
fn aggregated(series: Series, aggregate: Aggregate, key: impl Fn(&Labels) -> Labels) -> Series {
    let mut groups: BTreeMap<Labels, BTreeMap<Nanos, Vec<f64>>> = BTreeMap::new();
    for (labels, points) in series {
        let group = groups.entry(key(&labels)).or_default();
        for (t, v) in points {
            group.entry(t).or_default().push(v);
        }
    }
    let combine = |values: Vec<f64>| {
        let n = values.len() as f64;
        let fold = |f: fn(f64, f64) -> f64| values.iter().copied().reduce(f).unwrap_or(0.0);
        match aggregate {
            Aggregate::Sum => values.iter().sum(),
            Aggregate::Min => fold(f64::min),
            Aggregate::Max => fold(f64::max),
            Aggregate::Avg => values.iter().sum::<f64>() / n,
            Aggregate::Count => n,
        }
    };
    groups
        .into_iter()
        .map(|(labels, points)| {
            let points = points.into_iter().map(|(t, v)| (t, combine(v))).collect();
            (labels, points)
        })
        .collect()
}

fn matrix(series: Series) -> Value {
    let result: Vec<Value> = series
        .into_iter()
        .map(|(labels, points)| {
            let values: Vec<Value> = points
                .into_iter()
                .map(|(t, v)| json!([seconds(t), v.to_string()]))
                .collect();
            json!({ "metric": labels, "values": values })
        })
        .collect();
    json!({ "status": "success", "data": { "resultType": "matrix", "result": result, "stats": {} } })
}

/// A time as Loki writes it in a matrix: seconds, a fraction only if any.
fn seconds(t: Nanos) -> Value {
    if t % NANOS_PER_SEC == 0 {
        json!(t / NANOS_PER_SEC)
    } else {
        json!(t as f64 / NANOS_PER_SEC as f64)
    }
}

/// Loki refuses a metric over lines its parser could not read, unless
/// the query filters them out.
fn pipeline_error(bad: &Selected) -> String {
    let error = bad.parsed.get("__error__").map_or("", String::as_str);
    let labels: Vec<String> = bad
        .all_labels()
        .iter()
        .map(|(k, v)| format!("{k}={v:?}"))
        .collect();
    format!(
        "pipeline error: '{error}' for series: '{{{}}}'.\nUse a label filter to intentionally skip this error. (e.g | __error__!=\"{error}\").\nTo skip all potential errors you can match empty errors.(e.g __error__=\"\")\nThe label filter can also be specified after unwrap. (e.g | unwrap latency | __error__=\"\" )",
        labels.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{BURST_AGO, BURST_FOR};
    use crate::incidents::MINUTE;
    use crate::logql::Query;

    const NOW: Nanos = 1_800_000_000 * NANOS_PER_SEC;

    fn run(data: &DemoData, text: &str, step: Nanos) -> Value {
        let Ok(Query::Metric(query)) = Query::parse(text) else {
            panic!("not a metric query: {text}")
        };
        answer(data, &query, NOW - 60 * MINUTE, NOW, step).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The series whose labels hold `name=value`, as (seconds, value).
    fn series(answer: &Value, name: &str, value: &str) -> Vec<(i64, f64)> {
        let result = answer["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let found = result.iter().find(|s| s["metric"][name] == value);
        let values = found.map(|s| s["values"].as_array().cloned().unwrap_or_default());
        values
            .unwrap_or_default()
            .iter()
            .map(|p| {
                let v = p[1]
                    .as_str()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(f64::NAN);
                (p[0].as_i64().unwrap_or_default(), v)
            })
            .collect()
    }

    #[test]
    fn steps_are_aligned_as_lokis() {
        let steps = steps(
            1_000 * NANOS_PER_SEC + 7,
            1_100 * NANOS_PER_SEC + 1,
            60 * NANOS_PER_SEC,
        );
        let seconds: Vec<i64> = steps
            .unwrap_or_default()
            .iter()
            .map(|t| t / NANOS_PER_SEC)
            .collect();
        assert_eq!(seconds, [960, 1020, 1080, 1140]);
        assert!(super::steps(0, 100 * NANOS_PER_SEC, 1_000).is_err());
    }

    #[test]
    fn errors_by_detected_level_show_the_burst() {
        let data = DemoData::generate(NOW);
        let volume = run(
            &data,
            r#"sum by (detected_level) (count_over_time({namespace="shop"}[1m]))"#,
            60 * NANOS_PER_SEC,
        );
        let errors = series(&volume, "detected_level", "error");
        // The steps whose minute lies in the burst, and those that touch it not.
        let from = (NOW - BURST_AGO) / NANOS_PER_SEC;
        let to = from + BURST_FOR / NANOS_PER_SEC;
        let inside: Vec<f64> = errors
            .iter()
            .filter(|(t, _)| *t - 60 >= from && *t <= to)
            .map(|p| p.1)
            .collect();
        let outside = errors.iter().filter(|(t, _)| *t < from || *t - 60 > to);
        let most_outside = outside.map(|p| p.1).fold(0.0, f64::max);
        assert!(inside.len() >= 2, "{errors:?}");
        assert!(
            inside.iter().all(|v| *v > 3.0 * most_outside.max(2.0)),
            "{errors:?}"
        );
        assert!(!series(&volume, "detected_level", "info").is_empty());
        assert_eq!(
            volume["data"]["result"][0]["metric"]
                .as_object()
                .map(|m| m.len()),
            Some(1)
        );
    }

    #[test]
    fn rate_and_bytes_agree_with_counts() {
        let data = DemoData::generate(NOW);
        let step = 300 * NANOS_PER_SEC;
        let count = run(
            &data,
            r#"sum(count_over_time({app="auth"} |= "token" [5m]))"#,
            step,
        );
        let rate = run(&data, r#"sum(rate({app="auth"} |= "token" [5m]))"#, step);
        let bytes = run(
            &data,
            r#"sum(bytes_over_time({app="auth"} |= "token" [5m]))"#,
            step,
        );
        let values = |v: &Value| -> Vec<f64> {
            v["data"]["result"][0]["values"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .filter_map(|p| p[1].as_str().and_then(|s| s.parse().ok()))
                .collect()
        };
        let (c, r, b) = (values(&count), values(&rate), values(&bytes));
        assert!(c.len() >= 10, "{c:?}");
        assert_eq!(c.len(), r.len());
        for ((c, r), b) in c.iter().zip(&r).zip(&b) {
            assert!((c / 300.0 - r).abs() < 1e-9);
            assert!(*b > 50.0 * c);
        }
    }

    #[test]
    fn parsed_labels_split_series_and_filter_them() {
        let data = DemoData::generate(NOW);
        let by_status = run(
            &data,
            r#"sum by (http_status) (count_over_time({app="api"} |= "request served" | json [10m]))"#,
            600 * NANOS_PER_SEC,
        );
        let ok = series(&by_status, "http_status", "200");
        let failed = series(&by_status, "http_status", "500");
        assert!(!ok.is_empty() && !failed.is_empty());
        let total: f64 = ok.iter().chain(&failed).map(|(_, v)| v).sum();
        let only_failed = run(
            &data,
            r#"count_over_time({app="api"} | json | http_status="500" [10m])"#,
            600 * NANOS_PER_SEC,
        );
        let result = only_failed["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(result.iter().all(|s| s["metric"]["http_status"] == "500"));
        assert!(total > 60.0);
        // Lines that are not JSON make the plain `| json` metric an error.
        let Ok(Query::Metric(q)) = Query::parse(r#"count_over_time({app="api"} | json [1m])"#)
        else {
            panic!()
        };
        let error = answer(&data, &q, NOW - MINUTE * 60, NOW, 60 * NANOS_PER_SEC).err();
        assert!(error.is_some_and(|e| e.starts_with("pipeline error: 'JSONParserErr'")));
    }
}
