//! What triage knows about, free of wire formats and of the UI.

pub mod alertmanager;
pub mod labels;
pub mod log;
pub mod log_summary;
pub mod logql;
pub mod metrics;
pub mod pod;
pub mod promql;
pub mod silence;
pub mod structured;
pub mod text;
pub mod time;
pub mod trace;
pub mod trace_search;

pub use alertmanager::{AlertGroup, AmAlert, AmState, AmStatus};
pub use labels::Labels;
pub use log::{Level, LogLine};
pub use log_summary::{LogPattern, Volume};
pub use metrics::{Alert, AlertRule, AlertState, Exemplar, Point, Series, Unit};
pub use pod::{Pod, PodChange, PodEvent, PodKey};
pub use silence::{
    MatchOp, Matcher, NewSilence, Selector, Silence, SilenceId, SilenceRefusal, SilenceState,
};
pub use structured::{Field, Fields, Format};
pub use text::SafeText;
pub use time::{Nanos, TimeRange};
pub use trace::{Attribute, Span, SpanEvent, SpanId, SpanKind, SpanStatus, Trace, TraceId};
pub use trace_search::{
    Completeness, MatchedSpan, SearchResult, ServiceStats, SpanSet, Tag, TagScope, TraceQuery,
    TraceSummary,
};
