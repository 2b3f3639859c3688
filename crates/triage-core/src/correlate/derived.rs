//! "Derived fields": the rules that find trace ids in log lines, as
//! Grafana's Loki data source has them.

use crate::domain::{Labels, TraceId};
use regex::Regex;
use std::ops::Range;

/// One rule: where in a line the trace id is.
#[derive(Clone, Debug)]
pub struct DerivedField {
    pub name: String,
    matcher: Matcher,
}

#[derive(Clone, Debug)]
enum Matcher {
    /// A regex over the text whose one capture group is the trace id.
    Text(Regex),
    /// A label of the line (Loki's structured metadata, as Grafana's
    /// `matcherType: label`) that holds the id.
    Label(String),
}

/// A trace id found in a line, and where (byte offsets into the line;
/// empty when it came from a label, not the text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceMatch {
    pub range: Range<usize>,
    pub trace_id: TraceId,
}

/// Why a rule cannot be made.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RuleError {
    #[error("derived field {name:?}: {source}")]
    BadRegex { name: String, source: regex::Error },
    #[error("derived field {name:?}: the regex needs exactly one capture group, it has {groups}")]
    Groups { name: String, groups: usize },
    #[error("derived field {name:?}: give one of regex, field or label")]
    RegexOrField { name: String },
}

impl DerivedField {
    /// A rule from a regex with exactly one capture group.
    pub fn from_regex(name: &str, pattern: &str) -> Result<Self, RuleError> {
        let name = name.to_owned();
        let regex = match Regex::new(pattern) {
            Ok(regex) => regex,
            Err(source) => return Err(RuleError::BadRegex { name, source }),
        };
        if regex.captures_len() != 2 {
            let groups = regex.captures_len() - 1;
            return Err(RuleError::Groups { name, groups });
        }
        Ok(DerivedField {
            name,
            matcher: Matcher::Text(regex),
        })
    }

    /// A rule reading the id from a label of the line.
    pub fn from_label(name: &str, label: &str) -> Self {
        DerivedField {
            name: name.to_owned(),
            matcher: Matcher::Label(label.to_owned()),
        }
    }

    /// A rule for a field of that name in JSON (`"field": "<id>"`) or
    /// logfmt (`field=<id>`).
    pub fn from_field(name: &str, field: &str) -> Result<Self, RuleError> {
        let field = regex::escape(field);
        let pattern = format!(r#"(?:"{field}"\s*:\s*"|\b{field}=)([0-9a-fA-F]{{1,32}})\b"#);
        DerivedField::from_regex(name, &pattern)
    }
}

/// The ordered rules of one context. The first rule to match a place wins.
#[derive(Clone, Debug)]
pub struct DerivedFields(Vec<DerivedField>);

impl DerivedFields {
    /// The user's rules first, then the defaults.
    pub fn with_defaults(mut user_rules: Vec<DerivedField>) -> Self {
        user_rules.extend(default_rules());
        DerivedFields(user_rules)
    }

    /// Every trace id in the line's text, in order, without overlaps,
    /// then those its labels hold that the text does not.
    pub fn find_in(&self, line: &str, labels: &Labels) -> Vec<TraceMatch> {
        let mut found = self.find(line);
        for rule in &self.0 {
            let Matcher::Label(label) = &rule.matcher else {
                continue;
            };
            let id = labels
                .get(label)
                .and_then(|v| TraceId::from_hex(v.as_str()));
            if let Some(trace_id) = id.filter(|id| found.iter().all(|m| m.trace_id != *id)) {
                found.push(TraceMatch {
                    range: 0..0,
                    trace_id,
                });
            }
        }
        found
    }

    /// Every trace id in the text, in order, without overlaps.
    pub fn find(&self, line: &str) -> Vec<TraceMatch> {
        let mut found: Vec<TraceMatch> = Vec::new();
        for rule in &self.0 {
            let Matcher::Text(regex) = &rule.matcher else {
                continue;
            };
            for captures in regex.captures_iter(line) {
                let Some(group) = captures.get(1) else {
                    continue;
                };
                let Some(trace_id) = TraceId::from_hex(group.as_str()) else {
                    continue;
                };
                let range = group.range();
                if found
                    .iter()
                    .all(|m| m.range.end <= range.start || range.end <= m.range.start)
                {
                    found.push(TraceMatch { range, trace_id });
                }
            }
        }
        found.sort_by_key(|m| m.range.start);
        found
    }
}

impl Default for DerivedFields {
    fn default() -> Self {
        DerivedFields::with_defaults(Vec::new())
    }
}

fn default_rules() -> Vec<DerivedField> {
    let rules = [
        DerivedField::from_regex("trace_id=", r"(?i)\btrace_?id=([0-9a-f]{1,32})\b"),
        DerivedField::from_regex(
            "JSON traceId",
            r#""(?:traceId|traceID|trace_id)"\s*:\s*"([0-9a-fA-F]{1,32})""#,
        ),
        DerivedField::from_regex("|trace id|", r"\|([0-9a-fA-F]{32})\|"),
    ];
    // The defaults are constants that the tests below compile.
    rules.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "651ca6325e6d780449e8af504f034ee5";

    fn ids(rules: &DerivedFields, line: &str) -> Vec<String> {
        rules
            .find(line)
            .iter()
            .map(|m| m.trace_id.to_string())
            .collect()
    }

    #[test]
    fn defaults_find_the_four_recorded_formats() {
        let rules = DerivedFields::default();
        assert_eq!(default_rules().len(), 3);
        for line in [
            format!("[19:22:57 INF] |{ID}| HTTP GET /api/articles responded 500"),
            format!("[INFO] [trace_id={ID} span_id=a0e3cf9f8fa3fe94] request finished"),
            format!("level=info msg=\"token verified\" trace_id={ID} user=user-5"),
            format!("{{\"level\": \"error\", \"traceId\": \"{ID}\", \"spanId\": \"x\"}}"),
        ] {
            assert_eq!(ids(&rules, &line), vec![ID.to_owned()], "{line}");
        }
    }

    #[test]
    fn ids_without_their_leading_zeros_are_padded() {
        // As Tempo's generator and search write them: 30 digits for 00b2f6df...
        let short = "b2f6df1f9ff27b17f4340319f1a9c6";
        let rules = DerivedFields::default();
        for line in [
            format!("trace_id={short} done"),
            format!("{{\"traceId\": \"{short}\"}}"),
        ] {
            assert_eq!(
                ids(&rules, &line),
                ["00b2f6df1f9ff27b17f4340319f1a9c6"],
                "{line}"
            );
        }
        assert!(
            ids(&rules, &format!("trace_id={ID}0")).is_empty(),
            "33 digits"
        );
    }

    #[test]
    fn the_match_range_covers_the_id() {
        let line = format!("x trace_id={ID} y");
        let found = DerivedFields::default().find(&line);
        assert_eq!(&line[found[0].range.clone()], ID);
    }

    #[test]
    fn no_id_no_match() {
        let rules = DerivedFields::default();
        assert!(ids(&rules, "trace_id=nothex and |short|").is_empty());
        assert!(ids(&rules, "span_id=a0e3cf9f8fa3fe94a0e3cf9f8fa3fe94").is_empty());
    }

    #[test]
    fn user_rules_come_first_and_need_one_group() {
        let custom = DerivedField::from_regex("req", r"req=([0-9a-f]{32})").ok();
        let rules = DerivedFields::with_defaults(custom.into_iter().collect());
        assert_eq!(ids(&rules, &format!("req={ID}")), vec![ID.to_owned()]);
        assert!(DerivedField::from_regex("bad", r"[0-9a-f]{32}").is_err());
        assert!(DerivedField::from_regex("bad", r"(").is_err());
        let field = DerivedField::from_field("tid", "tid").ok();
        let rules = DerivedFields::with_defaults(field.into_iter().collect());
        assert_eq!(
            ids(&rules, &format!("{{\"tid\":\"{ID}\"}}")),
            vec![ID.to_owned()]
        );
        assert_eq!(ids(&rules, &format!("tid={ID}")), vec![ID.to_owned()]);
    }

    #[test]
    fn a_label_rule_reads_the_lines_labels_after_its_text() {
        let rules = DerivedFields::with_defaults(vec![DerivedField::from_label("meta", "tid")]);
        let other = "b2f6df1f9ff27b17f4340319f1a9c6b2";
        let labels = Labels::from_pairs([("tid", ID), ("pod", "api-1")]);
        let found = rules.find_in(&format!("trace_id={other}"), &labels);
        let found: Vec<_> = found
            .iter()
            .map(|m| (m.trace_id.to_string(), m.range.clone()))
            .collect();
        assert_eq!(found, [(other.to_owned(), 9..41), (ID.to_owned(), 0..0)]);
        // The same id in both places is one match, the text's.
        assert_eq!(rules.find_in(&format!("trace_id={ID}"), &labels).len(), 1);
        assert!(rules.find_in("nothing", &Labels::default()).is_empty());
    }
}
