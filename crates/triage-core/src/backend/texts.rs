//! Text from a trace made safe once per distinct string: a big trace
//! repeats its attribute keys, service names, span names and most values
//! thousands of times, and each span then shares one allocation.

use crate::domain::SafeText;
use crate::secret::Redactor;
use std::collections::HashSet;

/// foldhash, seeded per process: a trace's strings are short, and std's
/// SipHash was a tenth of decoding one; a seed still keeps a server from
/// choosing strings that collide.
pub(crate) type Hasher = foldhash::fast::RandomState;

/// The most distinct strings remembered; past it, new ones are made safe
/// each time (the common ones have been seen by then).
pub(crate) const MOST_KEPT: usize = 1 << 16;
/// Longer strings (statements, stack traces) are rarely repeated.
pub(crate) const LONGEST_KEPT: usize = 128;

/// The strings of one answer, cut of secrets and made safe.
pub(crate) struct Texts<'a> {
    secrets: &'a Redactor,
    seen: HashSet<SafeText, Hasher>,
}

impl<'a> Texts<'a> {
    pub(crate) fn new(secrets: &'a Redactor) -> Self {
        Texts {
            secrets,
            seen: HashSet::default(),
        }
    }

    /// `raw` cut and made safe, shared with its earlier copies.
    pub(crate) fn safe(&mut self, raw: &str) -> SafeText {
        if raw.len() > LONGEST_KEPT {
            return self.secrets.safe(raw);
        }
        if let Some(seen) = self.seen.get(raw) {
            return seen.clone();
        }
        let text = self.secrets.safe(raw);
        // Only text that came through unchanged is found again by `raw`.
        if self.seen.len() < MOST_KEPT && text.as_str() == raw {
            self.seen.insert(text.clone());
        }
        text
    }

    pub(crate) fn secrets(&self) -> &'a Redactor {
        self.secrets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_strings_share_one_allocation_and_secrets_are_still_cut() {
        let secrets = Redactor::new(["hunter22"]);
        let mut texts = Texts::new(&secrets);
        let (a, b) = (texts.safe("http.route"), texts.safe("http.route"));
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
        assert_eq!(texts.safe("pw=hunter22").as_str(), "pw=***");
        assert_eq!(texts.safe("pw=hunter22").as_str(), "pw=***");
        assert_eq!(texts.safe("a\u{1b}[2Jb").as_str(), "a␛b");
    }
}
