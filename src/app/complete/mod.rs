//! Completion in the expression editor: what the word at the cursor can
//! be, read per language, and the known names that fit it.

pub mod logql;
pub mod promql;
pub mod traceql;

/// A list of names a backend can be asked for.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Names {
    Metrics,
    Labels,
    Values(String),
    /// Tempo's tag names, every scope, as TraceQL writes them.
    TempoTags,
    /// The values of one tag, written as TraceQL writes it.
    TempoValues(String),
    /// Loki's stream label names, scoped by a selector.
    LokiLabels(Option<String>),
    /// The values of one Loki label, scoped by a selector.
    LokiValues {
        label: String,
        selector: Option<String>,
    },
}

/// What the word before the cursor is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Slot {
    /// A metric or function name, outside any braces.
    Metric,
    /// A label name inside `{...}`; accepting one starts its matcher.
    SelectorLabel,
    /// A label name inside `by (...)`, `without (...)`, `on (...)`...
    GroupingLabel,
    /// A label's value after `=`, `!=`, `=~` or `!~`, with the quote it
    /// was opened with (`"`, `'` or a backtick), if one is typed yet.
    Value { label: String, quote: Option<char> },
    /// TraceQL: an attribute or intrinsic at the start of a condition.
    Tag,
    /// TraceQL: a comparison after a tag and a space.
    Operator,
    /// TraceQL: a tag's value after its operator; `bare` values (status,
    /// kind) are keywords, not strings.
    TagValue {
        tag: String,
        quote: Option<char>,
        bare: bool,
    },
    /// LogQL: a stream label inside `{...}`, or in `by (...)`; `selector`
    /// is the matchers typed before it.
    StreamLabel { selector: Option<String> },
    /// LogQL: a stream label's value.
    StreamValue {
        label: String,
        quote: Option<char>,
        selector: Option<String>,
    },
    /// LogQL: after a selector or stage: a line filter or a stage.
    Pipe,
    /// LogQL: a stage after `|`.
    Stage,
    /// LogQL: a function a metric query starts with.
    LogFunction,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    pub slot: Slot,
    /// What is typed of the word so far; accepting replaces it.
    pub prefix: String,
}

impl Context {
    /// The names to ask a backend for; none when the fixed ones are all.
    pub fn names(&self) -> Option<Names> {
        Some(match &self.slot {
            Slot::Metric => Names::Metrics,
            Slot::SelectorLabel | Slot::GroupingLabel => Names::Labels,
            Slot::Value { label, .. } => Names::Values(label.clone()),
            Slot::Tag => Names::TempoTags,
            Slot::TagValue { tag, .. } => Names::TempoValues(tag.clone()),
            Slot::StreamLabel { selector } => Names::LokiLabels(selector.clone()),
            Slot::StreamValue {
                label, selector, ..
            } => Names::LokiValues {
                label: label.clone(),
                selector: selector.clone(),
            },
            Slot::Operator | Slot::Pipe | Slot::Stage | Slot::LogFunction => return None,
        })
    }

    /// Names offered beside the backend's: functions, intrinsics, operators.
    pub fn fixed(&self) -> &'static [&'static str] {
        match &self.slot {
            Slot::Metric => promql::FUNCTIONS,
            Slot::Tag => traceql::INTRINSICS,
            Slot::Operator => traceql::OPERATORS,
            Slot::TagValue { tag, .. } => traceql::keywords(tag),
            Slot::Pipe => logql::PIPE,
            Slot::Stage => logql::STAGES,
            Slot::LogFunction => logql::FUNCTIONS,
            _ => &[],
        }
    }

    /// The text that replaces the prefix when `name` is chosen.
    pub fn insertion(&self, name: &str) -> String {
        match &self.slot {
            Slot::Metric if promql::FUNCTIONS.contains(&name) => format!("{name}("),
            Slot::LogFunction => format!("{name}("),
            Slot::Pipe => logql::pipe_insertion(name),
            Slot::Stage => format!("{name} "),
            Slot::StreamLabel { .. } => format!("{name}=\""),
            Slot::StreamValue {
                quote: Some('`'), ..
            } => format!("{name}`"),
            Slot::StreamValue { quote, .. } => quoted(name, *quote),
            Slot::Tag if name.ends_with('.') => name.to_owned(), // a scope: the name follows
            Slot::Tag | Slot::Operator => format!("{name} "),
            Slot::TagValue { bare: true, .. } => format!("{name} "),
            Slot::TagValue { quote, .. } => quoted(name, *quote),
            Slot::Metric | Slot::GroupingLabel => name.to_owned(),
            Slot::SelectorLabel => format!("{name}=\""),
            Slot::Value {
                quote: Some('`'), ..
            } => format!("{name}`"), // raw: no escapes
            Slot::Value { quote, .. } => quoted(name, *quote),
        }
    }
}

/// A string value closed with the quote it was opened with (opened with
/// `"` when it was not), escaped.
fn quoted(name: &str, quote: Option<char>) -> String {
    let close = quote.unwrap_or('"');
    let escaped = name
        .replace('\\', "\\\\")
        .replace(close, &format!("\\{close}"));
    let open = if quote.is_some() {
        String::new()
    } else {
        close.to_string()
    };
    format!("{open}{escaped}{close}")
}

/// The query language an expression is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Language {
    PromQl,
    TraceQl,
    LogQl,
}

/// What completes the text before the cursor, if anything does.
pub fn context(language: Language, before: &str) -> Option<Context> {
    match language {
        Language::PromQl => promql::context(before),
        Language::TraceQl => traceql::context(before),
        Language::LogQl => logql::context(before),
    }
}

/// The word at the end of `text`, of the characters `keep` takes.
fn last_word_of(text: &str, keep: fn(char) -> bool) -> &str {
    let start = text
        .char_indices()
        .rev()
        .take_while(|(_, c)| keep(*c))
        .last()
        .map_or(text.len(), |(i, _)| i);
    &text[start..]
}

/// Up to `limit` names: those starting with the prefix, then those
/// containing it; not the prefix itself.
pub fn candidates<'a>(
    names: impl Iterator<Item = &'a str> + Clone,
    prefix: &str,
    limit: usize,
) -> Vec<String> {
    let starting = names.clone().filter(|n| n.starts_with(prefix));
    let containing = names.filter(|n| !n.starts_with(prefix) && n.contains(prefix));
    starting
        .chain(containing)
        .filter(|n| *n != prefix)
        .take(limit)
        .map(str::to_owned)
        .collect()
}
