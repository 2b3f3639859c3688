//! Expressions run from the editor, per language, oldest first; kept
//! across runs by `crate::history`.

use super::prompt::Language;

/// Expressions run, oldest first, per language.
#[derive(Debug, Default)]
pub struct Histories {
    pub promql: Vec<String>,
    pub traceql: Vec<String>,
    pub logql: Vec<String>,
}

impl Histories {
    pub fn of(&self, language: Language) -> &Vec<String> {
        match language {
            Language::PromQl => &self.promql,
            Language::TraceQl => &self.traceql,
            Language::LogQl => &self.logql,
        }
    }

    pub fn of_mut(&mut self, language: Language) -> &mut Vec<String> {
        match language {
            Language::PromQl => &mut self.promql,
            Language::TraceQl => &mut self.traceql,
            Language::LogQl => &mut self.logql,
        }
    }
}
