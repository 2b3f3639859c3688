//! The part of PromQL the demo evaluates: selectors, `rate`, `irate`,
//! `increase`, `histogram_quantile`, `sum avg min max count` and the
//! arithmetic and comparison operators. promql-parser parses; whatever else
//! the query asks for is refused with a message naming it.

use super::metrics::{DemoMetrics, DemoSeries, Labels};
use promql_parser::label::Matcher;
use promql_parser::parser::token::{
    T_ADD, T_AVG, T_COUNT, T_DIV, T_EQLC, T_GTE, T_GTR, T_LSS, T_LTE, T_MAX, T_MIN, T_MUL, T_NEQ,
    T_SUB, T_SUM, TokenId,
};
use promql_parser::parser::{
    self, AggregateExpr, BinaryExpr, Call, Expr, LabelModifier, VectorMatchCardinality,
    VectorSelector,
};
use promql_parser::util::{ExprVisitor, walk_expr};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;
use triage_core::domain::Nanos;
use triage_core::domain::time::NANOS_PER_SEC;

/// How far back an instant selector looks for a sample, as in Prometheus.
const LOOKBACK: Nanos = 5 * 60 * NANOS_PER_SEC;
const NAME: &str = "__name__";

#[derive(Debug)]
pub struct Sample {
    pub labels: Labels,
    pub value: f64,
}

#[derive(Debug)]
pub enum Value {
    Scalar(f64),
    Vector(Vec<Sample>),
}

/// A line of a range query: its labels and `(time, value)` points.
pub type Line = (Labels, Vec<(Nanos, f64)>);

pub struct Promql(Expr);

/// Why a query cannot be answered. Its words are Prometheus's (or name
/// what the demo leaves out): the demo sends them as `bad_data`.
#[derive(Debug, PartialEq)]
pub enum QueryError {
    /// promql-parser's own words.
    Parse(String),
    /// What the query asks for that the demo does not evaluate.
    Unsupported(String),
    DuplicateLabelset,
    ScalarForVector,
    /// Two right-hand series of the same match group (their labels).
    ManyToMany(Labels),
    ManyToOne,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::Parse(e) => write!(f, "invalid parameter \"query\": {e}"),
            QueryError::Unsupported(what) => {
                write!(f, "the demo's PromQL does not support {what}")
            }
            QueryError::DuplicateLabelset => {
                f.write_str("vector cannot contain metrics with the same labelset")
            }
            QueryError::ScalarForVector => f.write_str("expected an instant vector, got a scalar"),
            QueryError::ManyToMany(key) => write!(
                f,
                "found duplicate series for the match group {key:?} on the right hand-side of the operation; many-to-many matching not allowed: matching labels must be unique on one side"
            ),
            QueryError::ManyToOne => f.write_str(
                "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
            ),
        }
    }
}

impl std::error::Error for QueryError {}

fn unsupported(what: &str) -> QueryError {
    QueryError::Unsupported(what.to_owned())
}

impl Promql {
    pub fn parse(text: &str) -> Result<Promql, QueryError> {
        parser::parse(text).map(Promql).map_err(QueryError::Parse)
    }

    /// The query's value at `t`.
    pub fn at(&self, metrics: &DemoMetrics, t: Nanos) -> Result<Value, QueryError> {
        let value = Eval { metrics }.eval(&self.0, t)?;
        if let Value::Vector(samples) = &value {
            let distinct: BTreeSet<&Labels> = samples.iter().map(|s| &s.labels).collect();
            if distinct.len() < samples.len() {
                return Err(QueryError::DuplicateLabelset);
            }
        }
        Ok(value)
    }

    /// The query at `start` and every `step` up to `end`, a line per label
    /// set, sorted by labels as Prometheus sorts a matrix.
    pub fn range(
        &self,
        metrics: &DemoMetrics,
        start: Nanos,
        end: Nanos,
        step: Nanos,
    ) -> Result<Vec<Line>, QueryError> {
        let mut lines: BTreeMap<Labels, Vec<(Nanos, f64)>> = BTreeMap::new();
        let times = std::iter::successors(Some(start), |t| t.checked_add(step));
        for t in times.take_while(|t| *t <= end) {
            match self.at(metrics, t)? {
                Value::Scalar(v) => lines.entry(Labels::new()).or_default().push((t, v)),
                Value::Vector(samples) => {
                    for s in samples {
                        lines.entry(s.labels).or_default().push((t, s.value));
                    }
                }
            }
        }
        Ok(lines.into_iter().collect())
    }

    /// The series any selector in the query picks, as exemplars are found.
    pub fn selected<'m>(&self, metrics: &'m DemoMetrics) -> Vec<&'m DemoSeries> {
        let mut selectors = Selectors(Vec::new());
        let Ok(_) = walk_expr(&mut selectors, &self.0);
        metrics
            .series
            .iter()
            .filter(|s| selectors.0.iter().any(|vs| selects(vs, &s.labels)))
            .collect()
    }
}

struct Selectors(Vec<VectorSelector>);

impl ExprVisitor for Selectors {
    type Error = std::convert::Infallible;

    fn pre_visit(&mut self, expr: &Expr) -> Result<bool, Self::Error> {
        match expr {
            Expr::VectorSelector(vs) => self.0.push(vs.clone()),
            Expr::MatrixSelector(ms) => self.0.push(ms.vs.clone()),
            _ => {}
        }
        Ok(true)
    }
}

fn selects(vs: &VectorSelector, labels: &Labels) -> bool {
    let all = |matchers: &[Matcher]| {
        matchers
            .iter()
            .all(|m| m.is_match(labels.get(&m.name).map_or("", String::as_str)))
    };
    let or = &vs.matchers.or_matchers;
    vs.name.as_ref().is_none_or(|n| labels.get(NAME) == Some(n))
        && all(&vs.matchers.matchers)
        && (or.is_empty() || or.iter().any(|group| all(group)))
}

struct Eval<'m> {
    metrics: &'m DemoMetrics,
}

impl<'m> Eval<'m> {
    fn eval(&self, expr: &Expr, t: Nanos) -> Result<Value, QueryError> {
        match expr {
            Expr::NumberLiteral(n) => Ok(Value::Scalar(n.val)),
            Expr::Paren(p) => self.eval(&p.expr, t),
            Expr::Unary(u) => Ok(match self.eval(&u.expr, t)? {
                Value::Scalar(v) => Value::Scalar(-v),
                Value::Vector(samples) => Value::Vector(
                    samples
                        .into_iter()
                        .map(|s| Sample {
                            labels: without(&s.labels, &[]),
                            value: -s.value,
                        })
                        .collect(),
                ),
            }),
            Expr::VectorSelector(vs) => self.instant(vs, t),
            Expr::Call(call) => self.call(call, t),
            Expr::Aggregate(agg) => self.aggregate(agg, t),
            Expr::Binary(binary) => self.binary(binary, t),
            Expr::MatrixSelector(_) => Err(unsupported(
                "range selectors outside rate(), irate() and increase()",
            )),
            Expr::Subquery(_) => Err(unsupported("subqueries")),
            Expr::StringLiteral(_) | Expr::Extension(_) => Err(unsupported("string values")),
        }
    }

    fn matching(
        &self,
        vs: &VectorSelector,
    ) -> Result<impl Iterator<Item = &'m DemoSeries>, QueryError> {
        if vs.offset.is_some() || vs.at.is_some() {
            return Err(unsupported("offset and @ modifiers"));
        }
        Ok(self
            .metrics
            .series
            .iter()
            .filter(move |s| selects(vs, &s.labels)))
    }

    /// The latest sample of each selected series within the lookback.
    fn instant(&self, vs: &VectorSelector, t: Nanos) -> Result<Value, QueryError> {
        let samples = self.matching(vs)?.filter_map(|s| {
            let (_, value) = self
                .metrics
                .window(s, t.saturating_sub(LOOKBACK), t)
                .next_back()?;
            Some(Sample {
                labels: s.labels.clone(),
                value,
            })
        });
        Ok(Value::Vector(samples.collect()))
    }

    fn call(&self, call: &Call, t: Nanos) -> Result<Value, QueryError> {
        match (call.func.name, call.args.args.as_slice()) {
            (name @ ("rate" | "irate" | "increase"), [arg]) => {
                let Expr::MatrixSelector(ms) = arg.as_ref() else {
                    return Err(unsupported(&format!("{name}() of a subquery")));
                };
                let range = nanos(ms.range);
                let from = t.saturating_sub(range);
                let samples = self.matching(&ms.vs)?.filter_map(|s| {
                    let points: Vec<(Nanos, f64)> = self.metrics.window(s, from, t).collect();
                    let value = match name {
                        "irate" => irate(&points),
                        _ => increase(&points, from, t, name == "rate"),
                    }?;
                    Some(Sample {
                        labels: without(&s.labels, &[]),
                        value,
                    })
                });
                Ok(Value::Vector(samples.collect()))
            }
            ("histogram_quantile", [phi, buckets]) => {
                let Value::Scalar(phi) = self.eval(phi, t)? else {
                    return Err(unsupported("a quantile that is not a scalar"));
                };
                let buckets = self.vector(buckets, t)?;
                Ok(Value::Vector(histogram_quantile(phi, buckets)))
            }
            (name, _) => Err(unsupported(&format!("the function {name}()"))),
        }
    }

    fn vector(&self, expr: &Expr, t: Nanos) -> Result<Vec<Sample>, QueryError> {
        match self.eval(expr, t)? {
            Value::Vector(samples) => Ok(samples),
            Value::Scalar(_) => Err(QueryError::ScalarForVector),
        }
    }

    fn aggregate(&self, agg: &AggregateExpr, t: Nanos) -> Result<Value, QueryError> {
        let op = agg.op.id();
        if ![T_SUM, T_AVG, T_MIN, T_MAX, T_COUNT].contains(&op) {
            return Err(unsupported(&format!("the aggregation {}", agg.op)));
        }
        let mut groups: BTreeMap<Labels, Vec<f64>> = BTreeMap::new();
        for s in self.vector(&agg.expr, t)? {
            let key = match &agg.modifier {
                Some(LabelModifier::Include(by)) => only(&s.labels, &by.labels),
                Some(LabelModifier::Exclude(dropped)) => without(&s.labels, &dropped.labels),
                None => Labels::new(),
            };
            groups.entry(key).or_default().push(s.value);
        }
        let samples = groups.into_iter().map(|(labels, values)| Sample {
            labels,
            value: fold(op, &values),
        });
        Ok(Value::Vector(samples.collect()))
    }

    fn binary(&self, binary: &BinaryExpr, t: Nanos) -> Result<Value, QueryError> {
        let (operator, matching) = Operator::of(binary)?;
        Ok(
            match (self.eval(&binary.lhs, t)?, self.eval(&binary.rhs, t)?) {
                (Value::Scalar(l), Value::Scalar(r)) => {
                    Value::Scalar(operator.apply(l, r, l).unwrap_or(f64::NAN))
                }
                (Value::Vector(l), Value::Scalar(r)) => operator.with_scalar(l, |v| (v, r)),
                (Value::Scalar(l), Value::Vector(r)) => operator.with_scalar(r, |v| (l, v)),
                (Value::Vector(l), Value::Vector(r)) => {
                    Value::Vector(operator.one_to_one(l, r, matching)?)
                }
            },
        )
    }
}

/// A binary operator the demo supports: arithmetic or a comparison.
struct Operator {
    op: TokenId,
    comparison: bool,
    as_bool: bool,
}

impl Operator {
    fn of(binary: &BinaryExpr) -> Result<(Operator, Option<&LabelModifier>), QueryError> {
        let op = binary.op.id();
        let comparison = binary.op.is_comparison_operator();
        if !comparison && ![T_ADD, T_SUB, T_MUL, T_DIV].contains(&op) {
            return Err(unsupported(&format!("the operator {}", binary.op)));
        }
        let (matching, as_bool) = match &binary.modifier {
            None => (None, false),
            Some(m)
                if m.card == VectorMatchCardinality::OneToOne
                    && m.fill_values.lhs.is_none()
                    && m.fill_values.rhs.is_none() =>
            {
                (m.matching.as_ref(), m.return_bool)
            }
            Some(_) => return Err(unsupported("group_left, group_right and fill")),
        };
        let operator = Operator {
            op,
            comparison,
            as_bool,
        };
        Ok((operator, matching))
    }

    /// `l op r`. A comparison filters, keeping `kept` (the vector's value)
    /// where it holds; with `bool` it answers 1 or 0 instead.
    fn apply(&self, l: f64, r: f64, kept: f64) -> Option<f64> {
        if !self.comparison {
            Some(arithmetic(self.op, l, r))
        } else if self.as_bool {
            Some(f64::from(u8::from(compare(self.op, l, r))))
        } else {
            compare(self.op, l, r).then_some(kept)
        }
    }

    /// Prometheus drops the metric name unless the value is still the metric's.
    fn labels(&self, labels: Labels) -> Labels {
        if self.comparison && !self.as_bool {
            labels
        } else {
            without(&labels, &[])
        }
    }

    /// Each sample against a scalar; `sides` puts the sample's value on
    /// its side of the operator.
    fn with_scalar(&self, samples: Vec<Sample>, sides: impl Fn(f64) -> (f64, f64)) -> Value {
        let samples = samples.into_iter().filter_map(|s| {
            let (l, r) = sides(s.value);
            Some(Sample {
                value: self.apply(l, r, s.value)?,
                labels: self.labels(s.labels),
            })
        });
        Value::Vector(samples.collect())
    }

    /// Each left sample against the right one of the same labels (all but
    /// the name, or those of `on`/`ignoring`). Several on one side is an
    /// error, as in Prometheus without `group_left`/`group_right`.
    fn one_to_one(
        &self,
        lhs: Vec<Sample>,
        rhs: Vec<Sample>,
        matching: Option<&LabelModifier>,
    ) -> Result<Vec<Sample>, QueryError> {
        let signature = |labels: &Labels| match matching {
            Some(LabelModifier::Include(on)) => only(labels, &on.labels),
            Some(LabelModifier::Exclude(ignored)) => without(labels, &ignored.labels),
            None => without(labels, &[]),
        };
        let mut right = BTreeMap::new();
        for s in rhs {
            let key = signature(&s.labels);
            if right.contains_key(&key) {
                return Err(QueryError::ManyToMany(key));
            }
            right.insert(key, s.value);
        }
        let mut matched = BTreeSet::new();
        let mut samples = Vec::new();
        for s in lhs {
            let key = signature(&s.labels);
            let Some(&r) = right.get(&key) else { continue };
            let Some(value) = self.apply(s.value, r, s.value) else { continue };
            let labels = match matching {
                Some(LabelModifier::Include(_)) => key.clone(),
                Some(LabelModifier::Exclude(ignored)) => {
                    let mut labels = self.labels(s.labels);
                    labels.retain(|k, _| !ignored.labels.contains(k));
                    labels
                }
                None => self.labels(s.labels),
            };
            if !matched.insert(key) {
                return Err(QueryError::ManyToOne);
            }
            samples.push(Sample { labels, value });
        }
        Ok(samples)
    }
}

fn arithmetic(op: TokenId, l: f64, r: f64) -> f64 {
    match op {
        T_ADD => l + r,
        T_SUB => l - r,
        T_MUL => l * r,
        _ => l / r,
    }
}

fn compare(op: TokenId, l: f64, r: f64) -> bool {
    match op {
        T_EQLC => l == r,
        T_NEQ => l != r,
        T_GTR => l > r,
        T_LSS => l < r,
        T_GTE => l >= r,
        T_LTE => l <= r,
        _ => false,
    }
}

fn fold(op: TokenId, values: &[f64]) -> f64 {
    let sum = || values.iter().sum::<f64>();
    match op {
        T_SUM => sum(),
        T_AVG => sum() / values.len() as f64,
        // f64::min and max skip NaN, as Prometheus does unless all are NaN.
        T_MIN => values.iter().copied().fold(f64::NAN, f64::min),
        T_MAX => values.iter().copied().fold(f64::NAN, f64::max),
        _ => values.len() as f64,
    }
}

/// The labels without the metric name and those `dropped`.
fn without(labels: &Labels, dropped: &[String]) -> Labels {
    let mut kept = labels.clone();
    kept.retain(|k, _| k != NAME && !dropped.contains(k));
    kept
}

fn only(labels: &Labels, names: &[String]) -> Labels {
    let mut kept = labels.clone();
    kept.retain(|k, _| names.contains(k));
    kept
}

fn nanos(duration: Duration) -> Nanos {
    Nanos::try_from(duration.as_nanos()).unwrap_or(Nanos::MAX)
}

fn seconds(nanos: Nanos) -> f64 {
    nanos as f64 / NANOS_PER_SEC as f64
}

/// Prometheus's extrapolated rate: the rise over the window (counter resets
/// added back), extrapolated to the window's edges, but not to before the
/// counter would have been zero.
fn increase(points: &[(Nanos, f64)], from: Nanos, to: Nanos, per_second: bool) -> Option<f64> {
    let [(t0, v0), .., (t1, v1)] = points else { return None };
    let resets: f64 = points
        .windows(2)
        .filter(|w| w[1].1 < w[0].1)
        .map(|w| w[0].1)
        .sum();
    let rise = v1 - v0 + resets;
    let sampled = seconds(t1 - t0);
    let average = sampled / (points.len() - 1) as f64;
    let edge = |gap: f64| {
        if gap < average * 1.1 {
            gap
        } else {
            average / 2.0
        }
    };
    let mut before = edge(seconds(t0 - from));
    if rise > 0.0 && *v0 >= 0.0 {
        before = before.min(sampled * v0 / rise);
    }
    let increase = rise * (sampled + before + edge(seconds(to - t1))) / sampled;
    Some(if per_second {
        increase / seconds(to - from)
    } else {
        increase
    })
}

/// The per-second rise between the last two points.
fn irate(points: &[(Nanos, f64)]) -> Option<f64> {
    let [.., (t0, v0), (t1, v1)] = points else { return None };
    let rise = if v1 < v0 { *v1 } else { v1 - v0 };
    Some(rise / seconds(t1 - t0))
}

/// The `phi` quantile of each histogram: buckets grouped by their labels
/// but `le` and the name.
fn histogram_quantile(phi: f64, samples: Vec<Sample>) -> Vec<Sample> {
    let mut histograms: BTreeMap<Labels, Vec<(f64, f64)>> = BTreeMap::new();
    for s in samples {
        let Some(le) = s.labels.get("le").and_then(|le| le.parse().ok()) else {
            continue;
        };
        let labels = without(&s.labels, &["le".to_owned()]);
        histograms.entry(labels).or_default().push((le, s.value));
    }
    histograms
        .into_iter()
        .map(|(labels, buckets)| Sample {
            labels,
            value: bucket_quantile(phi, buckets),
        })
        .collect()
}

/// Prometheus's bucketQuantile: linear interpolation within the bucket the
/// rank falls in; the highest finite bound if it falls in `+Inf`.
fn bucket_quantile(phi: f64, mut buckets: Vec<(f64, f64)>) -> f64 {
    if phi.is_nan() {
        return f64::NAN;
    } else if phi < 0.0 {
        return f64::NEG_INFINITY;
    } else if phi > 1.0 {
        return f64::INFINITY;
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Buckets scraped mid-update may dip; counts must not fall.
    let mut highest = 0.0;
    for (_, count) in &mut buckets {
        highest = count.max(highest);
        *count = highest;
    }
    let n = buckets.len();
    let total = match buckets.last() {
        Some(&(le, total)) if n >= 2 && le == f64::INFINITY && total > 0.0 => total,
        _ => return f64::NAN,
    };
    let rank = phi * total;
    let b = buckets
        .iter()
        .position(|(_, c)| *c >= rank)
        .unwrap_or(n - 1);
    if b == n - 1 {
        return buckets[n - 2].0;
    }
    let (end, count) = buckets[b];
    if b == 0 && end <= 0.0 {
        return end;
    }
    let (start, below) = if b == 0 { (0.0, 0.0) } else { buckets[b - 1] };
    start + (end - start) * (rank - below) / (count - below)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::STEP;

    const MINUTE: Nanos = 60 * NANOS_PER_SEC;

    /// Ten minutes every 15 s from 0: counters rising by a known amount per
    /// sample, and a histogram whose buckets rise 10, 20 and 25.
    fn metrics() -> DemoMetrics {
        let series = |labels: &[(&str, &str)], per_sample: f64| DemoSeries {
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            values: (0..41).map(|i| f64::from(i) * per_sample).collect(),
            exemplars: Vec::new(),
        };
        DemoMetrics {
            first: 0,
            series: vec![
                series(&[(NAME, "req"), ("code", "200"), ("pod", "a")], 3.0),
                series(&[(NAME, "req"), ("code", "500"), ("pod", "a")], 1.0),
                series(&[(NAME, "req"), ("code", "200"), ("pod", "b")], 6.0),
                series(&[(NAME, "lat_bucket"), ("le", "0.1")], 10.0),
                series(&[(NAME, "lat_bucket"), ("le", "1")], 20.0),
                series(&[(NAME, "lat_bucket"), ("le", "+Inf")], 25.0),
            ],
        }
    }

    fn at(query: &str, t: Nanos) -> Result<Vec<(Labels, f64)>, QueryError> {
        match Promql::parse(query)?.at(&metrics(), t)? {
            Value::Vector(samples) => {
                Ok(samples.into_iter().map(|s| (s.labels, s.value)).collect())
            }
            Value::Scalar(v) => Ok(vec![(Labels::new(), v)]),
        }
    }

    fn values(query: &str) -> Vec<f64> {
        at(query, 5 * MINUTE)
            .unwrap()
            .into_iter()
            .map(|(_, v)| (v * 1e9).round() / 1e9)
            .collect()
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn rate_increase_and_irate_of_a_known_counter() {
        assert_eq!(values(r#"rate(req{code="200",pod="a"}[1m])"#), [0.2]);
        assert_eq!(values(r#"increase(req{code="200",pod="a"}[1m])"#), [12.0]);
        assert_eq!(values(r#"irate(req{pod=~"b|c"}[5m])"#), [0.4]);
        let rates = at("rate(req[1m])", 5 * MINUTE).unwrap();
        assert_eq!(rates[0].0, labels(&[("code", "200"), ("pod", "a")]));
        // One sample is not enough for a rate.
        assert_eq!(values("rate(req[10s])"), Vec::<f64>::new());
    }

    #[test]
    fn selectors_look_back_five_minutes() {
        let latest = at(r#"{__name__="req",code!="500"}"#, 10 * MINUTE + STEP).unwrap();
        assert_eq!(latest.len(), 2);
        assert_eq!(latest[0].1, 120.0);
        assert!(latest[0].0.contains_key(NAME));
        assert_eq!(at("req", 16 * MINUTE).unwrap(), []);
    }

    #[test]
    fn aggregations_group_by_and_without() {
        let by_code = at("sum by (code) (rate(req[1m]))", 5 * MINUTE).unwrap();
        assert_eq!(by_code.len(), 2);
        assert_eq!(by_code[0].0, labels(&[("code", "200")]));
        assert!((by_code[0].1 - 0.6).abs() < 1e-9);
        assert_eq!(
            at("sum without (pod) (rate(req[1m]))", 5 * MINUTE).unwrap(),
            at("sum(rate(req[1m])) by (code)", 5 * MINUTE).unwrap()
        );
        assert_eq!(values("count(req)"), [3.0]);
        assert_eq!(values("max(req)"), [120.0]);
        assert_eq!(values("min(req)"), [20.0]);
        assert_eq!(values(r#"avg(req{code="200"})"#), [90.0]);
    }

    #[test]
    fn histogram_quantile_interpolates_within_the_bucket() {
        // Rates per bucket: 0.1 -> 2/3, 1 -> 4/3, +Inf -> 5/3 per second.
        assert_eq!(
            values("histogram_quantile(0.2, rate(lat_bucket[1m]))"),
            [0.05]
        );
        assert_eq!(
            values("histogram_quantile(0.5, sum by (le) (rate(lat_bucket[1m])))"),
            [0.325]
        );
        // In the +Inf bucket: the highest finite bound.
        assert_eq!(
            values("histogram_quantile(0.99, rate(lat_bucket[1m]))"),
            [1.0]
        );
        assert!(values("histogram_quantile(0.5, rate(req[1m]))").is_empty());
    }

    #[test]
    fn comparisons_filter_and_arithmetic_matches_one_to_one() {
        let fast = at("rate(req[1m]) > 0.1", 5 * MINUTE).unwrap();
        let pods: Vec<&str> = fast.iter().map(|(l, _)| l["pod"].as_str()).collect();
        assert_eq!(pods, ["a", "b"]);
        assert_eq!(values("0.1 < rate(req[1m])"), [0.2, 0.4]);
        assert!(at("req >= 60", 5 * MINUTE).unwrap()[0].0.contains_key(NAME));
        assert_eq!(values("rate(req[1m]) > bool 0.1"), [1.0, 0.0, 1.0]);
        let ratio = at(
            r#"rate(req{code="500"}[1m]) / on(pod) rate(req{code="200"}[1m])"#,
            5 * MINUTE,
        )
        .unwrap();
        assert_eq!(ratio.len(), 1);
        assert_eq!(ratio[0].0, labels(&[("pod", "a")]));
        assert!((ratio[0].1 - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(
            values(r#"sum(rate(req{code=~"5.."}[5m])) / sum(rate(req[5m])) > 0.05"#),
            [0.1]
        );
        assert_eq!(values(r#"-(2 * req{pod="b"}) + 1"#), [-239.0]);
        assert_eq!(values("(1 + 2) * 3"), [9.0]);
        // Both sides hold code="200": one-to-one needs `on` or `ignoring`.
        assert!(
            at(r#"req{pod="a"} - req{pod="b"}"#, 5 * MINUTE)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            values(r#"req{pod="b"} - ignoring(pod) req{pod="a"}"#),
            [60.0]
        );
        assert!(
            at(r#"req - on(code) req"#, 5 * MINUTE)
                .unwrap_err()
                .to_string()
                .contains("duplicate series")
        );
    }

    #[test]
    fn range_queries_give_a_line_per_label_set() {
        let lines = Promql::parse("sum by (code) (rate(req[1m]))")
            .unwrap()
            .range(&metrics(), 2 * MINUTE, 4 * MINUTE, 30 * NANOS_PER_SEC)
            .unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].0, labels(&[("code", "500")]));
        let times: Vec<Nanos> = lines[1].1.iter().map(|(t, _)| t / NANOS_PER_SEC).collect();
        assert_eq!(times, [120, 150, 180, 210, 240]);
    }

    #[test]
    fn what_the_demo_cannot_do_is_refused_by_name() {
        for (query, named) in [
            ("abs(req)", "the function abs()"),
            ("topk(1, req)", "the aggregation topk"),
            ("req and req", "the operator and"),
            ("req offset 1m", "offset"),
            ("rate(req[5m:1m])", "subquery"),
            ("req[5m]", "range selectors"),
            ("req * on(pod) group_left req", "group_left"),
        ] {
            let error = at(query, 5 * MINUTE).unwrap_err().to_string();
            assert!(
                error.contains("does not support") && error.contains(named),
                "{query}: {error}"
            );
        }
        let error = at("sum(rate(", 0).unwrap_err().to_string();
        assert!(
            error.starts_with("invalid parameter \"query\": "),
            "{error}"
        );
    }
}
