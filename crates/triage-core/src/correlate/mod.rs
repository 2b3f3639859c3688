//! Links between domain objects: trace ids in log lines, the span tree and
//! what is read from it (the critical path).

pub mod critical_path;
pub mod derived;
#[cfg(test)]
mod test_traces;
pub mod waterfall;

pub use critical_path::critical_path;
pub use derived::{DerivedField, DerivedFields, TraceMatch};
pub use waterfall::Waterfall;
