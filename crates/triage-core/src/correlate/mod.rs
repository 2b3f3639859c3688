//! Links between domain objects: trace ids in log lines, the span tree and
//! what is read from it (the critical path, the statistics), the queries
//! for a span's logs (LogQL) and metrics (PromQL), and a log query narrowed
//! to a field's value.

pub mod critical_path;
pub mod derived;
pub mod narrow;
pub mod red;
pub mod statistics;
#[cfg(test)]
mod test_traces;
pub mod traces_to_logs;
pub mod traces_to_metrics;
pub mod waterfall;

pub use critical_path::critical_path;
pub use derived::{DerivedField, DerivedFields, TraceMatch};
pub use narrow::{label_name, narrow};
pub use red::{Edge, RedAnswers, RedQueries, RedRow, Scope, SpanMetricNames};
pub use statistics::{StatRow, self_times, statistics};
pub use traces_to_logs::{NoLabels, SpanLogsQuery, TracesToLogs, logql_string, logs_query};
pub use traces_to_metrics::{SpanMetricsQuery, TracesToMetrics, metrics_query};
pub use waterfall::{Oddities, Waterfall};
