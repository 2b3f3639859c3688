//! What an expression reads, as far as the graph needs to know: the
//! metrics it selects and the family each belongs to.

use promql_parser::parser::{self, Expr};
use promql_parser::util::{ExprVisitor, walk_expr};

/// The metric names an expression selects, in order; none when it does
/// not parse (Prometheus will say why).
pub fn metric_names(promql: &str) -> Vec<String> {
    struct Names(Vec<String>);
    impl ExprVisitor for Names {
        type Error = ();
        fn pre_visit(&mut self, expr: &Expr) -> Result<bool, ()> {
            let selector = match expr {
                Expr::VectorSelector(vs) => vs,
                Expr::MatrixSelector(ms) => &ms.vs,
                _ => return Ok(true),
            };
            if let Some(name) = &selector.name
                && !self.0.contains(name)
            {
                self.0.push(name.clone());
            }
            Ok(true)
        }
    }
    let mut names = Names(Vec::new());
    if let Ok(expr) = parser::parse(promql) {
        let _ = walk_expr(&mut names, &expr);
    }
    names.0
}

/// The family a series name belongs to, as metadata is keyed: the name
/// itself, or without the suffix a histogram, summary or counter adds.
pub fn families(name: &str) -> impl Iterator<Item = &str> {
    const SUFFIXES: [&str; 4] = ["_bucket", "_sum", "_total", "_created"];
    std::iter::once(name).chain(SUFFIXES.iter().filter_map(move |s| name.strip_suffix(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selected_metrics_in_order_without_repeats() {
        let promql = r#"sum(rate(a_total{code=~"5.."}[5m])) / sum(rate(a_total[5m])) > on() b"#;
        assert_eq!(metric_names(promql), ["a_total", "b"]);
        assert_eq!(
            metric_names("histogram_quantile(0.99, sum by (le) (rate(x_seconds_bucket[1m])))"),
            ["x_seconds_bucket"]
        );
        assert!(metric_names("sum(rate(").is_empty());
        assert!(metric_names("1 + 1").is_empty());
    }

    #[test]
    fn families_strip_one_suffix() {
        let found: Vec<&str> = families("x_seconds_bucket").collect();
        assert_eq!(found, ["x_seconds_bucket", "x_seconds"]);
        let found: Vec<&str> = families("up").collect();
        assert_eq!(found, ["up"]);
    }
}
