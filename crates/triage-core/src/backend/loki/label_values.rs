//! The values a label takes, for LogQL completion:
//! `GET /loki/api/v1/label/<name>/values`.

use super::{LokiClient, scoped};
use crate::backend::error::BackendError;
use crate::domain::{SafeText, TimeRange};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Escaped in a label name: all but letters, digits and the unreserved
/// `_`, `-`, `~` (a URL may be rewritten with those decoded, so escaping
/// them could reach Loki as another name). `.` is escaped: `..` must not
/// climb.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'_').remove(b'-').remove(b'~');

impl LokiClient {
    /// The values label `name` takes in `range`; with `query` (a stream
    /// selector), only in the streams it selects. The name is escaped in
    /// the path: whatever it holds, it stays one segment. A name of dots
    /// alone (which no label has, and a URL reads as a step up, escaped or
    /// not) has no values, and is not asked.
    pub async fn label_values(
        &self,
        name: &str,
        query: Option<&str>,
        range: TimeRange,
    ) -> Result<Vec<SafeText>, BackendError> {
        if name.trim_matches('.').is_empty() {
            return Ok(Vec::new());
        }
        let path = format!("loki/api/v1/label/{}/values", segment(name));
        let answer = self.http.get(&path, &scoped(query, range)).await?;
        self.names(&answer)
    }
}

/// A label name as one path segment: a valid name is letters, digits and
/// `_`, which stay; anything else (`/`, `..`, `?`) is escaped.
fn segment(name: &str) -> String {
    utf8_percent_encode(name, SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_one_segment() {
        assert_eq!(segment("pod"), "pod");
        assert_eq!(segment("service_name"), "service_name");
        assert_eq!(segment("../x?y"), "%2E%2E%2Fx%3Fy");
    }
}
