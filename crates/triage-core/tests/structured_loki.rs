//! The fields `domain::structured::parse` reads against the labels Loki 3.4's
//! own `| json` and `| logfmt` extracted from the same lines, as recorded
//! in the shared fixtures: without `categorize-labels` they are stream
//! labels (beside the index labels and `detected_level`); with it, each
//! value's third element has them under `parsed`. For every line, the
//! filterable fields, named as Loki names labels, are exactly Loki's.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use triage_core::correlate::label_name;
use triage_core::domain::Format;
use triage_core::domain::structured::parse;

type Labels = BTreeMap<String, String>;

fn fixture(name: &str) -> Value {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/loki");
    let text = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_slice(&text).unwrap()
}

fn labels(value: &Value) -> Labels {
    value
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

/// Each line with the labels Loki's parser gave it.
type Parsed = Vec<(String, Labels)>;

/// From an answer without the header: stream labels less the index labels.
fn from_streams(answer: &Value, index: &BTreeSet<String>) -> Parsed {
    let mut lines = Vec::new();
    for stream in answer["data"]["result"].as_array().unwrap() {
        let mut parsed = labels(&stream["stream"]);
        parsed.retain(|name, _| !index.contains(name) && name != "detected_level");
        for value in stream["values"].as_array().unwrap() {
            lines.push((value[1].as_str().unwrap().to_owned(), parsed.clone()));
        }
    }
    lines
}

/// From a categorized answer: each value's `parsed`; and its index labels.
fn from_categorized(answer: &Value) -> (Parsed, BTreeSet<String>) {
    let mut lines = Vec::new();
    let mut index = BTreeSet::new();
    for stream in answer["data"]["result"].as_array().unwrap() {
        index.extend(labels(&stream["stream"]).into_keys());
        for value in stream["values"].as_array().unwrap() {
            let parsed = labels(&value[2]["parsed"]);
            lines.push((value[1].as_str().unwrap().to_owned(), parsed));
        }
    }
    (lines, index)
}

/// What we read of `line` for Loki's parser of `format`, named as Loki
/// names labels; nothing if the line is not of that format.
fn ours(line: &str, format: Format, index: &BTreeSet<String>) -> Labels {
    let Some(fields) = parse(line).filter(|f| f.format == format) else {
        return Labels::new();
    };
    assert!(!fields.cut, "{line}");
    let mut named = Labels::new();
    for field in fields.fields.iter().filter(|f| f.filterable) {
        let mut name = label_name(&field.key);
        if index.contains(&name) {
            name.push_str("_extracted");
        }
        named.insert(name, field.value.to_string()); // the last wins, as in Loki
    }
    named
}

fn agree(lines: &Parsed, format: Format, index: &BTreeSet<String>) -> usize {
    let mut with_fields = 0;
    for (line, loki) in lines {
        if loki.contains_key("__error__") {
            assert!(
                parse(line).is_none_or(|f| f.format != format),
                "Loki could not read {line}"
            );
            continue;
        }
        assert_eq!(&ours(line, format, index), loki, "{line}");
        with_fields += usize::from(!loki.is_empty());
    }
    with_fields
}

fn check(name: &str, format: Format) -> (usize, usize) {
    let (categorized, index) = from_categorized(&fixture(&format!("{name}_categorized.json")));
    let streams = from_streams(&fixture(&format!("{name}.json")), &index);
    assert_eq!(categorized.len(), streams.len());
    let a = agree(&categorized, format, &index);
    let b = agree(&streams, format, &index);
    assert_eq!(a, b, "both answers tell the same");
    (streams.len(), a)
}

#[test]
fn json_lines_read_as_lokis_json_parser_reads_them() {
    let (lines, with_fields) = check("query_range_json", Format::Json);
    assert_eq!((lines, with_fields), (100, 3));
}

#[test]
fn logfmt_lines_read_as_lokis_logfmt_parser_reads_them() {
    let (lines, with_fields) = check("query_range_auth_logfmt", Format::Logfmt);
    assert_eq!((lines, with_fields), (100, 100));
    // The api's lines: bracketed text and JSON; Loki's logfmt reads nothing.
    let (lines, with_fields) = check("query_range_logfmt", Format::Logfmt);
    assert_eq!((lines, with_fields), (100, 0));
}
