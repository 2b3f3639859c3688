//! What triage knows about, free of wire formats and of the UI.

pub mod log;
pub mod text;
pub mod time;
pub mod trace;

pub use log::{Labels, Level, LogLine};
pub use text::SafeText;
pub use time::{Nanos, TimeRange};
pub use trace::{Attribute, Span, SpanEvent, SpanId, SpanKind, SpanStatus, Trace, TraceId};
