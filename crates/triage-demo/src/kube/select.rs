//! `labelSelector` and `fieldSelector`, the subset kubectl and kube send:
//! `k=v`, `k==v`, `k!=v` for both, and `k`, `!k`, `k in (a,b)`,
//! `k notin (a,b)` for labels.

use super::object::Object;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// Why a selector is refused. Its words are the API server's: the demo
/// sends them as the message of its 400 `Status`.
#[derive(Debug, PartialEq)]
pub enum SelectorError {
    /// A label selector (all of it) with a term that is none.
    Requirement(String),
    /// A field selector, and its term that is no equality.
    Term { selector: String, term: String },
    /// A field the kind does not select on.
    UnknownField(String),
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectorError::Requirement(text) => write!(f, "unable to parse requirement: {text}"),
            SelectorError::Term { selector, term } => {
                write!(
                    f,
                    "invalid selector: '{selector}'; can't understand '{term}'"
                )
            }
            SelectorError::UnknownField(key) => write!(f, "field label not supported: {key}"),
        }
    }
}

impl std::error::Error for SelectorError {}

/// What a list or watch asked for: a namespace, labels, fields.
pub struct Filter {
    namespace: Option<String>,
    labels: Selector,
    fields: Selector,
}

impl Filter {
    /// From the query's `labelSelector` and `fieldSelector`; the error is
    /// the API server's message.
    pub fn new<T: Object>(
        namespace: Option<String>,
        params: &HashMap<String, String>,
    ) -> Result<Filter, SelectorError> {
        let param = |name: &str| params.get(name).map_or("", String::as_str);
        Ok(Filter {
            namespace,
            labels: Selector::labels(param("labelSelector"))?,
            fields: Selector::fields(param("fieldSelector"), T::FIELDS)?,
        })
    }

    pub fn selects<T: Object>(&self, object: &T) -> bool {
        let meta = object.meta();
        self.namespace
            .as_ref()
            .is_none_or(|ns| meta.namespace.as_ref() == Some(ns))
            && self.labels.matches_labels(meta.labels.as_ref())
            && self.fields.matches(|key| Some(object.field(key)))
    }
}

#[derive(Debug, PartialEq)]
enum Requirement {
    Equals(String, String),
    Differs(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    Absent(String),
}

/// A parsed selector; empty selects everything.
#[derive(Debug, Default, PartialEq)]
pub struct Selector(Vec<Requirement>);

/// Splits at commas that are not inside parentheses.
fn terms(text: &str) -> Vec<&str> {
    let mut terms = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                terms.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&text[start..]);
    terms
        .into_iter()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect()
}

fn set(key: &str, values: &str) -> Option<(String, Vec<String>)> {
    let values = values.trim().strip_prefix('(')?.strip_suffix(')')?;
    let values = values.split(',').map(|v| v.trim().to_owned()).collect();
    Some((key.trim().to_owned(), values))
}

fn equality(term: &str) -> Option<Requirement> {
    let pair = |(k, v): (&str, &str)| (k.trim().to_owned(), v.trim().to_owned());
    if let Some(split) = term.split_once("!=") {
        let (k, v) = pair(split);
        return Some(Requirement::Differs(k, v));
    }
    let split = term.split_once("==").or_else(|| term.split_once('='))?;
    let (k, v) = pair(split);
    Some(Requirement::Equals(k, v))
}

impl Selector {
    /// A label selector.
    pub fn labels(text: &str) -> Result<Selector, SelectorError> {
        let requirement = |term: &str| {
            if let Some(key) = term.strip_prefix('!') {
                return Some(Requirement::Absent(key.trim().to_owned()));
            }
            if let Some((key, values)) = term.split_once(" notin ") {
                let (k, v) = set(key, values)?;
                return Some(Requirement::NotIn(k, v));
            }
            if let Some((key, values)) = term.split_once(" in ") {
                let (k, v) = set(key, values)?;
                return Some(Requirement::In(k, v));
            }
            if term.contains('=') {
                return equality(term);
            }
            Some(Requirement::Exists(term.to_owned()))
        };
        let parsed: Option<Vec<Requirement>> = terms(text).into_iter().map(requirement).collect();
        parsed
            .map(Selector)
            .ok_or_else(|| SelectorError::Requirement(text.to_owned()))
    }

    /// A field selector over the fields in `known`, as the API server
    /// refuses any other.
    pub fn fields(text: &str, known: &[&str]) -> Result<Selector, SelectorError> {
        let mut parsed = Vec::new();
        for term in terms(text) {
            let requirement = equality(term).ok_or_else(|| SelectorError::Term {
                selector: text.to_owned(),
                term: term.to_owned(),
            })?;
            let (Requirement::Equals(key, _) | Requirement::Differs(key, _)) = &requirement else {
                continue;
            };
            if !known.contains(&key.as_str()) {
                return Err(SelectorError::UnknownField(key.clone()));
            }
            parsed.push(requirement);
        }
        Ok(Selector(parsed))
    }

    /// Whether an object whose labels (or fields) are `value`'s answers is
    /// selected.
    pub fn matches(&self, value: impl Fn(&str) -> Option<String>) -> bool {
        self.0.iter().all(|r| match r {
            Requirement::Equals(k, v) => value(k).as_ref() == Some(v),
            Requirement::Differs(k, v) => value(k).as_ref() != Some(v),
            Requirement::In(k, vs) => value(k).is_some_and(|x| vs.contains(&x)),
            Requirement::NotIn(k, vs) => value(k).is_none_or(|x| !vs.contains(&x)),
            Requirement::Exists(k) => value(k).is_some(),
            Requirement::Absent(k) => value(k).is_none(),
        })
    }

    pub fn matches_labels(&self, labels: Option<&BTreeMap<String, String>>) -> bool {
        self.matches(|k| labels.and_then(|l| l.get(k)).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_selectors_select_as_the_api_server_does() {
        let labels = BTreeMap::from([("app".to_owned(), "auth".to_owned())]);
        let pick = |s: &str| Selector::labels(s).map(|s| s.matches_labels(Some(&labels)));
        assert_eq!(pick("app=auth"), Ok(true));
        assert_eq!(pick("app==auth,tier"), Ok(false));
        assert_eq!(pick("app in (api, auth),!tier"), Ok(true));
        assert_eq!(pick("app notin (auth)"), Ok(false));
        assert_eq!(pick("app!=api"), Ok(true));
        assert_eq!(pick(""), Ok(true));
        let refused = pick("app in (api").unwrap_err();
        assert_eq!(
            refused.to_string(),
            "unable to parse requirement: app in (api"
        );
    }

    #[test]
    fn field_selectors_refuse_unknown_fields() {
        let known = ["involvedObject.name", "involvedObject.namespace"];
        let s = Selector::fields(
            "involvedObject.name=postgres-0,involvedObject.namespace=shop",
            &known,
        );
        let value = |k: &str| {
            Some(
                if k == "involvedObject.name" {
                    "postgres-0"
                } else {
                    "shop"
                }
                .to_owned(),
            )
        };
        assert!(s.is_ok_and(|s| s.matches(value)));
        let refused = Selector::fields("spec.color=red", &known).unwrap_err();
        assert_eq!(refused.to_string(), "field label not supported: spec.color");
        let refused = Selector::fields("spec", &known).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "invalid selector: 'spec'; can't understand 'spec'"
        );
    }
}
