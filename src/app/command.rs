//! The command line: `:logs LOGQL`, `:logs-pods SELECTOR`, `:trace ID`, `:traces TRACEQL`, `:metrics PROMQL`,
//! `:alerts`, `:pods`, `:ns NAME`, `:ctx NAME`, `:q`.

use super::notice::{Notice, Usage};
use super::target::{PodPick, Target};
use triage_core::backend::cluster::Namespaces;
use triage_core::domain::{SafeText, TraceId, pod::is_dns_name};

/// What a command line asks for.
pub enum Command {
    Go(Target),
    Quit,
    Help,
    /// `:ns` and `:ctx`: what pods are listed.
    Scope {
        namespaces: Option<Namespaces>,
        context: Option<String>,
    },
    /// `:ns` or `:ctx` alone: say what is listed.
    ShowScope,
    Nothing,
    Refused(Notice),
}

pub fn parse(line: &str, since: std::time::Duration, now: i64) -> Command {
    let line = line.trim();
    let (verb, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    let usage = |u| Command::Refused(Notice::Usage(u));
    match verb {
        "" => Command::Nothing,
        "q" | "q!" | "quit" => Command::Quit,
        "help" => Command::Help,
        "logs" | "l" if rest.is_empty() => usage(Usage::Logs),
        "logs" | "l" => Command::Go(Target::Logs(rest.to_owned())),
        "logs-pods" | "lp" if rest.is_empty() => usage(Usage::LogsPods),
        "logs-pods" | "lp" => Command::Go(Target::MergedLogs {
            context: None,
            pods: PodPick::Selector(rest.to_owned()),
        }),
        "trace" | "t" if rest.is_empty() => usage(Usage::Trace),
        "trace" | "t" => match TraceId::parse(rest) {
            Some(id) => Command::Go(Target::Trace(id)),
            None => Command::Refused(Notice::NotATraceId(SafeText::new(rest))),
        },
        "traces" | "ts" => Command::Go(Target::Traces {
            traceql: if rest.is_empty() { "{ }" } else { rest }.to_owned(),
            since,
        }),
        "metrics" | "m" if rest.is_empty() => usage(Usage::Metrics),
        "metrics" | "m" => Command::Go(Target::Metrics {
            promql: rest.to_owned(),
            span: since,
            end: now,
        }),
        "alerts" | "a" => Command::Go(Target::Alerts),
        "services" | "svc" if rest.is_empty() => Command::Go(Target::Services(None)),
        "services" | "svc" => Command::Go(Target::Services(Some(rest.to_owned()))),
        "pods" | "po" | "p" => Command::Go(Target::Pods(None)),
        "ns" | "namespace" | "ctx" | "context" if rest.is_empty() => Command::ShowScope,
        "ns" | "namespace" => match rest {
            "all" | "-A" | "*" => scope(Some(Namespaces::All), None),
            ns if is_dns_name(ns, 63) => scope(Some(Namespaces::One(ns.to_owned())), None),
            ns => Command::Refused(Notice::NotANamespace(SafeText::new(ns))),
        },
        // A name that sanitising would change is no kubeconfig context
        // worth keeping: the state holds only text that is safe to show.
        _ if matches!(verb, "ctx" | "context") => match SafeText::new(rest) {
            safe if safe.as_str() == rest => scope(None, Some(rest.to_owned())),
            safe => Command::Refused(Notice::NotAContext(safe)),
        },
        _ => Command::Refused(Notice::UnknownCommand(SafeText::new(verb))),
    }
}

fn scope(namespaces: Option<Namespaces>, context: Option<String>) -> Command {
    Command::Scope {
        namespaces,
        context,
    }
}
