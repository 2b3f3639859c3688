//! The command line: subcommands pick the first view; `--print` draws it
//! once as text instead of running the interactive loop.

use crate::app::prompt::Language;
use crate::app::{self, Action, Clients, Effect, Msg, Runner, Settings, State, Target};
use clap::{CommandFactory, Parser, Subcommand};
use std::path::PathBuf;
use triage_core::config::{Config, Overrides};
use triage_core::domain::TraceId;
use triage_core::domain::time::parse_duration;
use triage_core::secret::redact_url;

#[derive(Parser, Debug)]
#[command(
    name = "triage",
    version,
    about = "Follow an incident across Prometheus alerts and graphs, Loki logs and Tempo traces, in one terminal"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Config file [default: $XDG_CONFIG_HOME/triage/config.toml]
    #[arg(long, global = true, env = "TRIAGE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Context (a named set of backends) from the config file
    #[arg(long, global = true, env = "TRIAGE_CONTEXT")]
    pub context: Option<String>,
    /// Loki URL, overriding the context's
    #[arg(long, global = true, env = "TRIAGE_LOKI_URL")]
    pub loki: Option<String>,
    /// Tempo URL, overriding the context's
    #[arg(long, global = true, env = "TRIAGE_TEMPO_URL")]
    pub tempo: Option<String>,
    /// Prometheus URL, overriding the context's
    #[arg(long, global = true, env = "TRIAGE_PROMETHEUS_URL")]
    pub prometheus: Option<String>,
    /// Alertmanager URL, overriding the context's
    #[arg(long, global = true, env = "TRIAGE_ALERTMANAGER_URL")]
    pub alertmanager: Option<String>,
    /// No writes: silences are shown, never created or expired
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Show times in UTC instead of the local zone
    #[arg(long, global = true)]
    pub utc: bool,
    /// Colours: default, light, ansi16 (the terminal's own 16), or a theme
    /// file [default: the config's]; NO_COLOR set: none at all
    #[arg(long, global = true)]
    pub theme: Option<String>,
    /// Kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]
    #[arg(long, global = true)]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context [default: the config's, else the kubeconfig's current one]
    #[arg(long, global = true)]
    pub kube_context: Option<String>,
    /// Namespace of the pods listed [default: the context's]
    #[arg(short = 'n', long, global = true)]
    pub namespace: Option<String>,
    /// List pods of all namespaces
    #[arg(short = 'A', long, global = true, conflicts_with = "namespace")]
    pub all_namespaces: bool,
    /// Draw the view once as plain text to stdout and exit
    #[arg(long, global = true)]
    pub print: bool,
    /// Width of the printed view
    #[arg(long, global = true, default_value_t = 120, requires = "print")]
    pub width: u16,
    /// Height of the printed view [default: all of it]
    #[arg(long, global = true, requires = "print")]
    pub height: Option<u16>,
    /// Run the command against the built-in demo servers
    #[cfg(feature = "demo")]
    #[arg(long, global = true)]
    pub demo: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run against built-in demo servers with a generated, correlated shop
    #[cfg(feature = "demo")]
    Demo,
    /// Open the logs of a LogQL query
    Logs {
        /// e.g. '{namespace="shop"} |= "error"'
        logql: String,
        /// How far back to look
        #[arg(long, default_value = "1h")]
        since: String,
    },
    /// Graph a PromQL expression with its exemplars
    Metrics {
        /// e.g. 'sum by (code) (rate(http_server_requests_total[1m]))'
        promql: String,
        /// How long a window to graph
        #[arg(long, default_value = "1h")]
        since: String,
    },
    /// List firing and pending alerts; Enter graphs one
    Alerts,
    /// List pods, kept live; Enter shows one, l its log
    Pods,
    /// Rate, errors and latency per service from span metrics; Enter: its operations
    Services {
        /// One service's operations instead
        service: Option<String>,
        /// How long a window the lines cover
        #[arg(long, default_value = "1h")]
        since: String,
    },
    /// Open a trace by id
    Trace {
        /// 1 to 32 hex digits (Tempo drops leading zeros; they are put back)
        id: String,
    },
    /// Search traces with TraceQL; Enter opens one
    Traces {
        /// e.g. '{ resource.service.name = "api" && status = error }'
        #[arg(default_value = "{ }")]
        traceql: String,
        /// How far back the first window looks (scrolling asks for older ones)
        #[arg(long, default_value = "1h")]
        since: String,
    },
    /// Change the config file
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Print the shell's completion script, e.g. `triage completions bash > /etc/bash_completion.d/triage`
    Completions { shell: clap_complete::Shell },
    /// Print the manual page, e.g. `triage man | man -l -`
    Man,
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Write a context from Grafana's data sources: provisioning YAML,
    /// kube-prometheus-stack values, or /api/datasources JSON. Shows the
    /// change and asks first.
    ImportGrafana {
        /// The files, e.g. /etc/grafana/provisioning/datasources/*.yaml
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The context written (one of that name is replaced)
        #[arg(long, default_value = "grafana")]
        name: String,
        /// Write without asking
        #[arg(long, short = 'y')]
        yes: bool,
        /// Show the change only
        #[arg(long, conflicts_with = "yes")]
        dry_run: bool,
    },
}

/// `completions` and `man`: printed to stdout, and nothing else run.
fn print_documentation(command: &Command) -> Option<std::io::Result<()>> {
    let mut out = std::io::stdout();
    match command {
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "triage", &mut out);
            Some(Ok(()))
        }
        Command::Man => Some(clap_mangen::Man::new(Cli::command()).render(&mut out)),
        _ => None,
    }
}

/// What went wrong before the UI could start, or in a printed view.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] triage_core::config::ConfigError),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Failed(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A config pointing at the demo's servers.
#[cfg(feature = "demo")]
fn demo_config(demo: &triage_demo::Listening) -> Config {
    let mut config = Config::with_urls(
        Some(&demo.loki_url),
        Some(&demo.tempo_url),
        Some(&demo.prometheus_url),
    );
    config.kubernetes.cluster.url = Some(demo.kube_url.clone());
    config.kubernetes.namespaces = triage_core::backend::cluster::Namespaces::All;
    config
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    if let Some(printed) = cli.command.as_ref().and_then(print_documentation) {
        return Ok(printed?);
    }
    if let Some(Command::Config {
        command:
            ConfigCommand::ImportGrafana {
                files,
                name,
                yes,
                dry_run,
            },
    }) = &cli.command
    {
        return crate::config_command::import_grafana(crate::config_command::ImportGrafana {
            files,
            name,
            config: cli.config.clone(),
            yes: *yes,
            dry_run: *dry_run,
        })
        .map_err(|e| CliError::Failed(e.to_string()));
    }
    // The demo's servers run for as long as `demo` lives. They listen at
    // once and answer once the shop's data is made, on a blocking thread
    // meanwhile, so the first frame need not wait for it.
    #[cfg(feature = "demo")]
    let demo = match cli.command {
        Some(Command::Demo) => Some(triage_demo::listen(app::now()).await?),
        _ if cli.demo => Some(triage_demo::listen(app::now()).await?),
        _ => None,
    };
    #[cfg(not(feature = "demo"))]
    let demo: Option<()> = None;
    let config = match &demo {
        #[cfg(feature = "demo")]
        Some(demo) => demo_config(demo),
        _ => Config::load(&Overrides {
            config_file: cli.config.clone(),
            context: cli.context.clone(),
            loki: cli.loki.clone(),
            tempo: cli.tempo.clone(),
            prometheus: cli.prometheus.clone(),
            alertmanager: cli.alertmanager.clone(),
            read_only: cli.read_only,
            utc: cli.utc,
            kubeconfig: cli.kubeconfig.clone(),
            kube_context: cli.kube_context.clone(),
            namespace: cli.namespace.clone(),
            all_namespaces: cli.all_namespaces,
        })?,
    };
    triage_core::secret::install_for_sinks(config.redactor.clone());
    let config = Config {
        utc: config.utc || cli.utc,
        history_dir: crate::history::default_dir(),
        ..config
    };
    let mut settings = settings(&config);
    if let Some(spec) = &cli.theme {
        settings.theme = triage_core::config::Theme::load(spec)
            .map_err(|e| CliError::Usage(format!("--theme {spec}: {e}")))?;
    }
    // https://no-color.org: set and not empty.
    settings.theme.monochrome |= std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let (width, height) = if cli.print {
        (cli.width, cli.height.unwrap_or(50))
    } else {
        crossterm::terminal::size()?
    };
    let now = app::now();
    if let Some(
        Command::Logs { since, .. }
        | Command::Metrics { since, .. }
        | Command::Traces { since, .. }
        | Command::Services { since, .. },
    ) = &cli.command
    {
        settings.since = parse_duration(since).ok_or_else(|| {
            CliError::Usage(format!(
                "--since {since}: not a duration like 15m, 1h or 2d"
            ))
        })?;
    }
    let first_view = match &cli.command {
        #[cfg(feature = "demo")]
        Some(Command::Demo) => Some(Target::Logs("{namespace=\"shop\"}".into())),
        Some(Command::Logs { logql, .. }) => Some(Target::Logs(logql.clone())),
        Some(Command::Metrics { promql, .. }) => Some(Target::Metrics {
            promql: promql.clone(),
            span: settings.since,
            end: now,
        }),
        Some(Command::Alerts) => Some(Target::Alerts),
        Some(Command::Pods) => Some(Target::Pods(None)),
        Some(Command::Services { service, .. }) => Some(Target::Services(service.clone())),
        Some(Command::Traces { traceql, .. }) => Some(Target::Traces {
            traceql: traceql.clone(),
            since: settings.since,
        }),
        Some(Command::Trace { id }) => Some(Target::Trace(TraceId::parse(id.trim()).ok_or_else(
            || CliError::Usage(format!("not a trace id: {id} (1 to 32 hex digits)")),
        )?)),
        Some(Command::Completions { .. } | Command::Man | Command::Config { .. }) | None => None,
    };
    let mut state = State::new(settings, width, height, now);
    state.kube.namespaces = config.kubernetes.namespaces.clone();
    state.warnings = config.warnings.iter().map(|w| safe(w)).collect();
    if let Some(dir) = &config.history_dir {
        state.history.promql = crate::history::load(&crate::history::file(dir, Language::PromQl));
        state.history.traceql = crate::history::load(&crate::history::file(dir, Language::TraceQl));
        state.history.logql = crate::history::load(&crate::history::file(dir, Language::LogQl));
    }
    // Home shows what is firing; a printed view other than home need not ask.
    state.settings.alerts_on_home =
        config.prometheus.is_some() && (!cli.print || cli.command.is_none());
    let mut effects = app::update(&mut state, Msg::Action(Action::Reload), now);
    if let Some(target) = first_view {
        effects.extend(app::update(&mut state, Msg::Open(target), now));
    }
    let clients = Clients::from_config(&config);
    if cli.print {
        return print(state, &clients, &config, effects, cli.width, cli.height).await;
    }
    let (runner, results) = Runner::new(clients, config.timeout);
    let mut terminal = crate::terminal::take()?;
    crash_test();
    let outcome = crate::event_loop::run(&mut terminal, state, runner, results, effects).await;
    crate::terminal::give_back()?;
    Ok(outcome?)
}

/// `TRIAGE_CRASH_TEST=main|task` panics on purpose once the terminal is
/// taken, in the main task or a spawned one: how the tests under a
/// pseudo-terminal prove it is given back on a panic.
fn crash_test() {
    match std::env::var("TRIAGE_CRASH_TEST").as_deref() {
        Ok("main") => panic!("crash test in the main task"),
        Ok("task") => {
            tokio::spawn(async { panic!("crash test in a spawned task") });
        }
        _ => {}
    }
}

/// What the views show of the configuration. Names and URLs were typed by
/// someone, so they are made safe like any other text from outside.
pub fn settings(config: &Config) -> Settings {
    let url = |e: &Option<triage_core::backend::Endpoint>| {
        e.as_ref()
            .map_or("not configured".into(), |e| safe(&redact_url(&e.url)))
    };
    Settings {
        context: safe(&config.context),
        backends: vec![
            ("Loki".into(), url(&config.loki)),
            ("Tempo".into(), url(&config.tempo)),
            ("Prometheus".into(), url(&config.prometheus)),
            ("Kubernetes".into(), safe(&cluster_text(&config.kubernetes))),
        ],
        derived_fields: config.derived_fields.clone(),
        utc: config.utc,
        theme: config.theme.clone(),
        exemplar_trace_label: config.exemplar_trace_label.clone(),
        pod_labels: config.kubernetes.loki_labels.clone(),
        log_buffer: config.log_buffer,
        clipboard: config.clipboard,
        traces_to_logs: config.traces_to_logs.clone(),
        traces_to_metrics: config.traces_to_metrics.clone(),
        span_metrics: config.span_metrics.clone(),
        ..Settings::default()
    }
}

/// Where pods come from, as home shows it.
fn cluster_text(kube: &triage_core::config::Kubernetes) -> String {
    let cluster = &kube.cluster;
    let from = match (&cluster.url, &cluster.context) {
        (Some(url), _) => redact_url(url),
        (None, Some(context)) => format!("kubeconfig context {context}"),
        (None, None) => "the kubeconfig's current context".into(),
    };
    format!("{from}, {} (:pods)", kube.namespaces)
}

fn safe(text: &str) -> String {
    triage_core::domain::SafeText::new(text).to_string()
}

async fn print(
    mut state: State,
    clients: &Clients,
    config: &Config,
    effects: Vec<Effect>,
    width: u16,
    height: Option<u16>,
) -> Result<(), CliError> {
    app::settle(&mut state, clients, config.timeout, effects).await;
    let height = height.unwrap_or_else(|| crate::ui::natural_height(&state));
    state.height = height;
    print!("{}", crate::ui::print::render_text(&state, width, height));
    // A script should know the view shows an error, not data.
    let failure = state.current().screen().failure();
    failure.map_or(Ok(()), |e| {
        Err(CliError::Failed(crate::ui::notice::backend_error(e)))
    })
}
