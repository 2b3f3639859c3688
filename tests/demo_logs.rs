//! The logs view against the demo's Loki, through the real client: the
//! volume shows the error burst and a bar moves the list to its time; a
//! JSON line's fields, a query narrowed to a field's value, a field as a
//! column; the LogQL editor completing a label value, a metric query
//! graphed from Loki and the lines behind a point; following live.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use crossterm::event::KeyCode;
use std::time::Duration;
use support::{clear_prompt as clear, key, press, screen, type_text as typed};
use triage::app::views::logs::{LEVELS, LogSource, LogsView};
use triage::app::views::metrics::MetricSource;
use triage::app::{self, Action, Clients, Loadable, Settings, State, Target, View};
use triage_core::config::Config;
use triage_core::domain::Level;
use triage_demo::Demo;

const SHOP: &str = r#"{namespace="shop"}"#;

async fn demo() -> (Demo, Clients, State) {
    demo_at(app::now()).await
}

/// The demo as of `now`: its generated lines, and so its volume, are the
/// same on every run for the same `now`.
async fn demo_at(now: i64) -> (Demo, Clients, State) {
    let demo = triage_demo::start(now).await.unwrap();
    let clients = Clients::from_config(&Config::with_urls(
        Some(&demo.loki_url),
        Some(&demo.tempo_url),
        None,
    ));
    let state = State::new(Settings::default(), 160, 45, now);
    (demo, clients, state)
}

async fn open_logs(s: &mut State, c: &Clients, logql: &str) {
    let effects = support::open(s, Target::Logs(logql.into()));
    support::settle(s, c, effects).await;
}

fn logs(s: &State) -> &LogsView {
    support::logs_view(s)
}

/// The bars' lines of one level.
fn of_level(counts: &[u64; LEVELS], level: Level) -> u64 {
    counts[level as usize]
}

#[tokio::test]
async fn the_volume_shows_the_error_burst_and_a_bar_moves_the_list_to_its_time() {
    // A fixed time: the quiet hour's few errors depend on where it falls.
    let (_demo, c, mut s) = demo_at(support::RECORDED_AT).await;
    open_logs(&mut s, &c, SHOP).await;
    let volume = logs(&s).volume.as_ref().unwrap();
    let Loadable::Ready(bars) = &volume.load else { panic!("{:?}", volume.load) };
    let errors: Vec<u64> = bars
        .counts
        .iter()
        .map(|c| of_level(c, Level::Error))
        .collect();
    let peak = (0..errors.len()).max_by_key(|&i| errors[i]).unwrap();
    // The burst: some twenty failed requests 16.5 to 19.5 minutes ago.
    let ago = s.now - bars.end_of(peak);
    assert!(
        (15 * 60..21 * 60).contains(&(ago / 1_000_000_000)),
        "the error peak is {}s ago",
        ago / 1_000_000_000
    );
    let quiet = errors.iter().filter(|&&e| e > 0).count();
    assert!(
        errors[peak] >= 3 * errors.iter().sum::<u64>() / quiet as u64,
        "{errors:?}"
    );

    // v takes the bars from the cursor's time (the newest), h walks back to
    // the peak, Enter moves the list there.
    press(&mut s, &c, &[Action::Volume]).await;
    let start = logs(&s).volume.as_ref().unwrap().bar.unwrap();
    let walk = vec![Action::Earlier; start - peak];
    press(&mut s, &c, &walk).await;
    assert_eq!(logs(&s).volume.as_ref().unwrap().bar, Some(peak));
    press(&mut s, &c, &[Action::Open]).await;
    let view = logs(&s);
    assert!(!view.picking_bar());
    let end = bars_end(view, peak);
    let selected = view.selected_row().unwrap().line.timestamp;
    assert!(
        selected < end && end - selected < 5 * 60 * 1_000_000_000,
        "{selected} vs {end}"
    );
    assert!(screen(&s).contains("canceling statement"), "{}", screen(&s));
}

fn bars_end(view: &LogsView, bar: usize) -> i64 {
    match &view.volume.as_ref().unwrap().load {
        Loadable::Ready(bars) => bars.end_of(bar),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_json_lines_fields_narrow_the_query_and_become_columns() {
    let (_demo, c, mut s) = demo().await;
    open_logs(&mut s, &c, r#"{app="api"}"#).await;
    let at = (logs(&s).rows.iter())
        .position(|r| r.line.line.contains("\"request served\""))
        .expect("an access line");
    support::logs_view_mut(&mut s).cursor.selected = at;
    press(&mut s, &c, &[Action::Fields]).await;
    let text = screen(&s);
    assert!(
        text.contains("JSON · ") && text.contains("http.status"),
        "{text}"
    );
    let fields = logs(&s).selected_fields().unwrap();
    let status_at = fields
        .fields
        .iter()
        .position(|f| f.key.as_str() == "http.status")
        .unwrap();
    let status = fields.fields[status_at].value.to_string();
    press(&mut s, &c, &vec![Action::Down; status_at]).await;

    // c: the status as a column, over the lines, in place of them.
    press(&mut s, &c, &[Action::ToggleColumn]).await;
    assert_eq!(logs(&s).columns, ["http.status"]);
    assert!(screen(&s).contains("http.status"), "{}", screen(&s));

    // i: Loki asked again for the lines with that status only.
    press(&mut s, &c, &[Action::Narrow]).await;
    let narrowed = logs(&s);
    let LogSource::Loki { logql, .. } = &narrowed.source else { panic!() };
    assert_eq!(
        logql,
        &format!(r#"{{app="api"}} | json | http_status="{status}""#)
    );
    assert!(!narrowed.rows.is_empty());
    assert!(
        (narrowed.rows.iter()).all(|r| r.line.line.contains(&format!("\"status\":{status}"))),
        "only lines of that status"
    );
    // x on the other view leaves them out instead.
    press(&mut s, &c, &[Action::Back]).await;
    press(&mut s, &c, &[Action::Exclude]).await;
    let LogSource::Loki { logql, .. } = &logs(&s).source else { panic!() };
    assert!(
        logql.ends_with(&format!(r#"| json | http_status!="{status}""#)),
        "{logql}"
    );
    assert!((logs(&s).rows.iter()).all(|r| !r.line.line.contains(&format!("\"status\":{status}"))));
}

#[tokio::test]
async fn the_logql_editor_completes_a_label_value_and_graphs_a_metric_query() {
    let (_demo, c, mut s) = demo().await;
    open_logs(&mut s, &c, SHOP).await;
    press(&mut s, &c, &[Action::EditQuery]).await;
    assert!(
        screen(&s).contains(&format!(" LogQL {SHOP}")),
        "{}",
        screen(&s)
    );
    clear(&mut s, &c).await;
    typed(&mut s, &c, r#"{namespace="shop", app="po"#).await;
    // The values of `app`, scoped by the matcher before it, from the demo.
    assert!(screen(&s).contains(" postgres "), "{}", screen(&s));
    key(&mut s, &c, KeyCode::Tab).await;
    let line = s.prompt.as_ref().unwrap().textarea.lines()[0].clone();
    assert_eq!(line, r#"{namespace="shop", app="postgres""#);
    typed(&mut s, &c, "}").await;
    press(&mut s, &c, &[Action::Submit]).await;
    let LogSource::Loki { logql, .. } = &logs(&s).source else { panic!() };
    assert_eq!(logql, r#"{namespace="shop", app="postgres"}"#);
    assert!(
        logs(&s)
            .rows
            .iter()
            .all(|r| r.line.source() == "postgres-0")
    );

    // A metric query opens a graph asked of Loki.
    press(&mut s, &c, &[Action::EditQuery]).await;
    clear(&mut s, &c).await;
    typed(
        &mut s,
        &c,
        r#"sum by (detected_level) (count_over_time({namespace="shop"}[1m]))"#,
    )
    .await;
    press(&mut s, &c, &[Action::Submit]).await;
    let View::Metrics(graph) = s.current() else { panic!("{}", screen(&s)) };
    assert_eq!(graph.source, MetricSource::Loki);
    let Loadable::Ready(model) = &graph.load else { panic!("{:?}", graph.load) };
    assert!((model.series.iter()).any(|s| {
        s.labels
            .get("detected_level")
            .is_some_and(|l| l.as_str() == "error")
    }));
    // Its points are the cursor's stops; Enter opens the lines behind one.
    let error_point = (model.exemplars.iter())
        .rposition(|p| {
            p.series
                .get("detected_level")
                .is_some_and(|l| l.as_str() == "error")
        })
        .unwrap();
    let point = model.exemplars[error_point].time;
    if let Some(View::Metrics(graph)) = s.views.last_mut()
        && let Loadable::Ready(model) = &mut graph.load
    {
        model.cursor.selected = error_point;
    }
    press(&mut s, &c, &[Action::Open]).await;
    let view = logs(&s);
    let LogSource::Loki {
        logql,
        pinned: true,
    } = &view.source
    else {
        panic!("{:?}", view.source)
    };
    assert_eq!(logql, r#"{namespace="shop"} | detected_level="error""#);
    assert_eq!(view.range.end, point);
    assert!(!view.rows.is_empty());
    assert!(
        view.rows
            .iter()
            .all(|r| r.level == Level::Error || r.level == Level::Fatal)
    );
    assert_eq!(s.history.logql.len(), 2);
}

#[tokio::test]
async fn a_followed_query_brings_the_demos_new_lines() {
    let (demo, c, mut s) = demo().await;
    open_logs(&mut s, &c, SHOP).await;
    let newest = logs(&s).rows.front().unwrap().line.timestamp;
    let config = Config::with_urls(Some(&demo.loki_url), None, None);
    let (mut runner, mut results) =
        app::Runner::new(Clients::from_config(&config), Duration::from_secs(5));
    app::update(&mut s, app::Msg::Action(Action::Follow), app::now())
        .into_iter()
        .for_each(|e| runner.run(e));
    // The demo's shop serves a request every few seconds.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while logs(&s).rows.front().unwrap().line.timestamp <= newest {
        let msg = tokio::time::timeout_at(deadline, results.recv())
            .await
            .unwrap_or_else(|_| panic!("no new line:\n{}", screen(&s)))
            .unwrap();
        app::update(&mut s, msg, app::now())
            .into_iter()
            .for_each(|e| runner.run(e));
    }
    let rows = &logs(&s).rows;
    let lines: Vec<_> = rows
        .iter()
        .map(|r| (r.line.timestamp, r.line.line.to_string()))
        .collect();
    let mut unique = lines.clone();
    unique.dedup();
    assert_eq!(
        lines.len(),
        unique.len(),
        "no line twice where tail and history meet"
    );
    assert!(screen(&s).contains("following"), "{}", screen(&s));
}

#[tokio::test]
async fn patterns_group_the_lines_and_enter_shows_one_patterns_lines() {
    let (_demo, c, mut s) = demo().await;
    open_logs(&mut s, &c, r#"{app="auth"}"#).await;
    press(&mut s, &c, &[Action::Patterns]).await;
    let View::Patterns(view) = s.current() else { panic!("{}", screen(&s)) };
    let Loadable::Ready(patterns) = &view.load else { panic!("{:?}", view.load) };
    assert!(!patterns.is_empty());
    assert!(
        patterns.windows(2).all(|w| w[0].total >= w[1].total),
        "most lines first"
    );
    let verified = (patterns.iter())
        .position(|p| p.pattern.contains("token verified"))
        .expect("the auth service's token line");
    let pattern = patterns[verified].pattern.to_string();
    assert!(pattern.contains("<_>"), "{pattern}");
    assert!(screen(&s).contains("token verified"), "{}", screen(&s));
    press(&mut s, &c, &vec![Action::Down; verified]).await;
    press(&mut s, &c, &[Action::Open]).await;
    let view = logs(&s);
    let LogSource::Loki { logql, .. } = &view.source else { panic!() };
    assert!(logql.starts_with(r#"{app="auth"} |> "#), "{logql}");
    assert!(!view.rows.is_empty());
    assert!(
        view.rows
            .iter()
            .all(|r| r.line.line.contains("token verified"))
    );
}

#[tokio::test]
async fn a_loki_without_its_pattern_ingester_says_so_in_one_line() {
    let url = support::faults::start(support::faults::Fault::Status(
        404,
        "text/plain",
        String::new(),
    ))
    .await;
    let c = Clients::from_config(&Config::with_urls(Some(&url), None, None));
    let mut s = State::new(Settings::default(), 120, 30, app::now());
    let range = triage_core::domain::TimeRange::last(Duration::from_secs(3600), s.now);
    let effects = support::open(
        &mut s,
        Target::Patterns {
            logql: SHOP.into(),
            range,
        },
    );
    support::settle(&mut s, &c, effects).await;
    let text = screen(&s);
    let said: Vec<&str> = text.lines().filter(|l| l.contains("pattern")).collect();
    assert!(
        said.iter().any(|l| l.contains("pattern ingester")),
        "{text}"
    );
}

#[tokio::test]
async fn a_query_loki_refuses_reopens_the_editor_with_its_words_under_it() {
    let (_demo, c, mut s) = demo().await;
    open_logs(&mut s, &c, SHOP).await;
    press(&mut s, &c, &[Action::EditQuery]).await;
    clear(&mut s, &c).await;
    typed(&mut s, &c, r#"{namespace="shop""#).await;
    press(&mut s, &c, &[Action::Submit]).await;
    let text = screen(&s);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[1].starts_with(r#" LogQL {namespace="shop""#),
        "{text}"
    );
    assert!(
        lines[2].contains("parse error"),
        "Loki's words right under the query:\n{text}"
    );
    assert!(s.prompt.is_some(), "the editor is open again");
}
