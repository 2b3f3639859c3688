//! Label sets, as Loki streams and Prometheus series carry them.

use super::SafeText;
use std::fmt;

/// Name/value pairs, sorted by name, each made safe.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels(pub Vec<(SafeText, SafeText)>);

impl Labels {
    /// From the wire's pairs, made safe and sorted by name. Text from a
    /// server is cut of secrets first: see `secret::Redactor::labels`.
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Labels {
        let mut labels: Vec<_> = pairs
            .into_iter()
            .map(|(k, v)| (SafeText::new(k.as_ref()), SafeText::new(v.as_ref())))
            .collect();
        labels.sort();
        Labels(labels)
    }

    pub fn get(&self, name: &str) -> Option<&SafeText> {
        self.0
            .iter()
            .find(|(k, _)| k.as_str() == name)
            .map(|(_, v)| v)
    }
}

/// `{code="500", job="api"}`, as PromQL writes a selector.
impl fmt::Display for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (name, value)) in self.0.iter().enumerate() {
            let comma = if i == 0 { "" } else { ", " };
            write!(f, "{comma}{name}={value:?}")?;
        }
        f.write_str("}")
    }
}

/// A Prometheus or Loki label name: letters, digits and `_`, not starting
/// with a digit.
pub fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
