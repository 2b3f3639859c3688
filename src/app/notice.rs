//! What the message line says, as data: the words are chosen in
//! `ui::notice`, in one place.

use super::prompt::BadPattern;
use std::time::Duration;
use triage_core::backend::BackendError;
use triage_core::domain::{Completeness, PodKey, SafeText};

#[derive(Clone, Debug)]
pub enum Notice {
    /// A request failed.
    Failed(BackendError),
    NothingToGoBack,
    NotATraceId(SafeText),
    NotANamespace(SafeText),
    NotAContext(SafeText),
    NotAPod {
        namespace: SafeText,
        name: SafeText,
    },
    UnknownCommand(SafeText),
    /// A command that needs an argument was given none.
    Usage(Usage),
    /// The pods' scope, after `:ns` or `:ctx` away from the pods list.
    Scope(SafeText),
    /// `:ns` or `:ctx` alone: the scope, and how to change it.
    ScopeUsage(SafeText),
    BadSearch(BadPattern),
    BadFilter(BadPattern),
    NoMatchLoaded(SafeText),
    SearchFirst,
    NoSearch,
    NoMoreMatches,
    NoTraceOnLine,
    /// More lines than a page share the oldest instant; the rest are skipped.
    SharedInstant(u32),
    PartialTrace(SafeText),
    /// Tempo stopped a search early; what it found is shown.
    PartialSearch(Completeness),
    NoTraceSelected,
    NoExpression,
    NoExemplars,
    ExemplarWithoutLabel(String),
    NoAlert,
    /// The alert's rule is not known (no rule of that name, or the rules
    /// could not be read).
    UnknownExpression {
        alert: String,
        rules: Option<BackendError>,
    },
    NoPodSelected,
    NoContainers(PodKey),
    /// More containers matched than are followed at once.
    TooManyStreams {
        shown: usize,
        matched: usize,
    },
    /// No running pod matched the selector.
    NoPodsMatch(SafeText),
    /// One of several merged logs broke; the others go on.
    StreamBroke {
        from: SafeText,
        error: BackendError,
    },
    /// `Space` marks pods; `l` with none marked and none selected.
    NoPodsMarked,
    /// `y` or `Y` put text on the terminal's clipboard: what, and how
    /// many bytes when known.
    Copied {
        what: &'static str,
        bytes: Option<usize>,
    },
    NothingToCopy,
    TooLongToCopy(&'static str),
    /// `clipboard = false` in the config.
    ClipboardOff,
    /// `v` where no volume histogram is drawn (not Loki, or too short).
    NoVolumeShown,
    /// `J` on a line that is neither JSON nor logfmt.
    NotStructured,
    /// A field Loki's parser does not give as it is shown (an array, a
    /// value made safe): a filter on it would match nothing.
    NotFilterable(SafeText),
    /// `x` on a streamed container log: only Loki can leave lines out.
    ExcludeNeedsLoki,
    /// Following a Loki query live began (true) or stopped.
    Following(bool),
    /// `e` on a container's log: it has no query.
    NotALokiView,
    /// Enter on a Loki graph whose query has no selector to read lines by.
    NoLogQueryInside,
    NotRestarted(SafeText),
    /// A container log now starts this far back (None: all of it).
    ShowingSince(Option<Duration>),
    SpanWithoutPod,
    /// Tab on a service's operations: the service graph has services only.
    EdgesOfServicesOnly,
    /// `M` on a span opened one of several traces-to-metrics graphs.
    SpanGraph {
        name: String,
        number: usize,
        of: usize,
    },
    /// `L` on a span none of whose attributes maps to a Loki label (the
    /// labels it had that Loki does not).
    SpanWithoutLogLabels(Vec<String>),
    /// `f` on a span without children, or the one already focused.
    NothingToFocus,
    NotADuration(SafeText),
    /// `H`, `n` or `N` in a trace with no span filter set.
    FilterFirst,
    NoMoreSpans,
    LineWithoutPod {
        namespace: String,
        pod: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    Logs,
    LogsPods,
    Metrics,
    Trace,
}

impl Notice {
    /// Whether it reports something that went wrong (drawn as an error).
    pub fn is_error(&self) -> bool {
        matches!(
            self,
            Notice::Failed(_)
                | Notice::NotATraceId(_)
                | Notice::NotANamespace(_)
                | Notice::NotAContext(_)
                | Notice::NotAPod { .. }
                | Notice::UnknownCommand(_)
                | Notice::Usage(_)
                | Notice::BadSearch(_)
                | Notice::BadFilter(_)
                | Notice::PartialTrace(_)
                | Notice::NoExpression
                | Notice::NotADuration(_)
                | Notice::UnknownExpression { .. }
        )
    }
}
