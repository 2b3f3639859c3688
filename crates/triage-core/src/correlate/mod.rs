//! Links between domain objects: trace ids in log lines, the span tree.

pub mod derived;
pub mod waterfall;

pub use derived::{DerivedField, DerivedFields, TraceMatch};
pub use waterfall::Waterfall;
