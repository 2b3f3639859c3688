//! The views as text snapshots, from real servers' recorded answers
//! (every size is swept in `sizes.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;
use support::open_pod_logs;
use support::{FAILING_TRACE, clients, press, screen, settle, state};
use support::{open_logs, open_trace};
use triage::app::{Action, Clients, State};
use triage_core::backend::cluster::PodLogRequest;
use triage_core::domain::{PodKey, TraceId};

async fn recorded() -> Clients {
    let url = support::replay::start(Default::default()).await;
    clients(Some(&url), Some(&url))
}

async fn logs(width: u16, height: u16, logql: &str) -> (State, Clients) {
    let c = recorded().await;
    let mut s = state(width, height);
    let mut effects = Vec::new();
    open_logs(&mut s, logql.into(), &mut effects);
    settle(&mut s, &c, effects).await;
    (s, c)
}

async fn trace(width: u16, height: u16) -> (State, Clients) {
    let c = recorded().await;
    let mut s = state(width, height);
    let mut effects = Vec::new();
    open_trace(&mut s, TraceId::parse(FAILING_TRACE).unwrap(), &mut effects);
    settle(&mut s, &c, effects).await;
    (s, c)
}

#[tokio::test]
async fn logs_view() {
    let (s, _) = logs(120, 14, r#"{namespace="shop"}"#).await;
    insta::assert_snapshot!(screen(&s));
}

#[tokio::test]
async fn logs_view_wrapped_at_the_end_of_the_range() {
    let logql = format!(r#"{{namespace="shop"}} |= "{FAILING_TRACE}""#);
    let (mut s, c) = logs(80, 16, &logql).await;
    press(&mut s, &c, &[Action::ToggleWrap, Action::Bottom]).await;
    insta::assert_snapshot!(screen(&s));
}

#[tokio::test]
async fn logs_search_moves_to_matches_and_filters() {
    let (mut s, c) = logs(120, 10, r#"{namespace="shop"}"#).await;
    press(&mut s, &c, &[Action::OpenSearch]).await;
    for ch in "query failed".chars() {
        let key = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char(ch));
        press(&mut s, &c, &[Action::Input(key)]).await;
    }
    press(&mut s, &c, &[Action::Submit]).await;
    let first = support::logs_view(&s).cursor.selected;
    assert!(
        support::logs_view(&s).rows[first]
            .line
            .line
            .contains("query failed")
    );
    press(&mut s, &c, &[Action::NextMatch]).await;
    let second = support::logs_view(&s).cursor.selected;
    assert!(second > first);
    assert!(
        support::logs_view(&s).rows[second]
            .line
            .line
            .contains("query failed")
    );
    let line = support::logs_view(&s).rows[second].line.clone();
    press(&mut s, &c, &[Action::ToggleFilter]).await;
    // The cursor stays on the same line, now among the matching ones only.
    let view = support::logs_view(&s);
    assert_eq!(view.selected_row().map(|r| &r.line), Some(&line));
    assert_eq!(view.cursor.selected, 1);
    insta::assert_snapshot!(screen(&s));
    press(&mut s, &c, &[Action::ToggleFilter]).await;
    let view = support::logs_view(&s);
    assert_eq!(
        (view.cursor.selected, view.selected_row().map(|r| &r.line)),
        (second, Some(&line))
    );
}

#[tokio::test]
async fn trace_waterfall() {
    let (s, _) = trace(120, 12).await;
    insta::assert_snapshot!(screen(&s));
}

#[tokio::test]
async fn trace_with_detail_of_the_failing_span() {
    let (mut s, c) = trace(120, 40).await;
    // The repository span carries the exception event.
    press(
        &mut s,
        &c,
        &[
            Action::Down,
            Action::Down,
            Action::Down,
            Action::Down,
            Action::ToggleDetail,
        ],
    )
    .await;
    insta::assert_snapshot!(screen(&s));
}

#[tokio::test]
async fn trace_collapse_and_expand() {
    let (mut s, c) = trace(100, 12).await;
    press(&mut s, &c, &[Action::Down, Action::Collapse]).await;
    let collapsed = screen(&s);
    assert!(collapsed.contains("▸ api"));
    assert_eq!(
        collapsed.lines().filter(|l| l.contains('█')).count(),
        2,
        "{collapsed}"
    );
    press(&mut s, &c, &[Action::Collapse]).await; // already collapsed: to the parent
    press(&mut s, &c, &[Action::ToggleCollapse]).await;
    assert!(screen(&s).contains("▸ frontend"));
    press(&mut s, &c, &[Action::Expand, Action::Down, Action::Expand]).await;
    insta::assert_snapshot!(screen(&s));
}

#[tokio::test]
async fn help_lists_the_keymap() {
    let (mut s, c) = trace(100, 30).await;
    press(&mut s, &c, &[Action::ToggleHelp]).await;
    insta::assert_snapshot!(screen(&s));
}

#[test]
fn home_screen() {
    let s = state(90, 14);
    insta::assert_snapshot!(screen(&s));
}

#[tokio::test]
async fn trace_ids_are_underlined_and_errors_coloured() {
    let (s, _) = logs(160, 60, r#"{namespace="shop"}"#).await;
    let mut terminal = Terminal::new(TestBackend::new(160, 60)).unwrap();
    terminal.draw(|f| triage::ui::draw(f, &s)).unwrap();
    let buffer = terminal.backend().buffer();
    let text = screen(&s);
    let row = text.lines().position(|l| l.contains("[trace_id=")).unwrap();
    let column = text.lines().nth(row).unwrap().find("[trace_id=").unwrap() + "[trace_id=".len();
    assert!(
        buffer[(column as u16, row as u16)]
            .modifier
            .contains(Modifier::UNDERLINED)
    );
    assert!(
        !buffer[(column as u16 - 2, row as u16)]
            .modifier
            .contains(Modifier::UNDERLINED)
    );
    // An error line is drawn in the error colour, an info line is not.
    use triage::ui::theme::Styles;
    let theme = triage_core::config::Theme::default();
    let colour_of = |needle: &str| {
        let row = text.lines().position(|l| l.contains(needle)).unwrap();
        let column = text.lines().nth(row).unwrap().find(needle).unwrap();
        buffer[(column as u16, row as u16)].fg
    };
    assert_eq!(
        colour_of("{\"level\": \"error\""),
        theme.error().fg.unwrap()
    );
    assert_ne!(colour_of("level=info"), theme.error().fg.unwrap());
}

#[test]
fn warnings_stay_in_the_title_row() {
    let mut s = state(100, 6);
    s.warnings = vec!["TLS verification is OFF for Loki (https://loki)".into()];
    let first_row = screen(&s).lines().next().unwrap_or_default().to_owned();
    assert!(
        first_row.ends_with("⚠ TLS verification is OFF for Loki (https://loki)"),
        "{first_row}"
    );
}

#[test]
fn hostile_log_text_reaches_the_screen_inert() {
    use std::sync::Arc;
    use triage::app::View;
    use triage::app::views::logs::LogsView;
    use triage_core::domain::{Labels, LogLine, TimeRange};
    let hostile = "ok \u{1b}]52;c;cm0gLXJmIH4=\u{7}\u{1b}[2J\u{9b}31m evil\u{202e}txt\u{200b} \u{1b}]8;;http://x\u{1b}\\link";
    let line = LogLine {
        timestamp: support::RECORDED_AT,
        labels: Arc::new(Labels(vec![("pod".into(), "\u{1b}[31mpod".into())])),
        line: hostile.into(),
    };
    let mut view = LogsView::new("{a=\"b\"}".into(), TimeRange { start: 0, end: 1 });
    view.append(vec![line], &Default::default());
    let mut s = state(100, 6);
    s.views.push(View::Logs(view));
    let text = screen(&s);
    assert!(text.contains("ok ␛␛␛ evil�txt� ␛link"), "{text}");
    assert!(text.contains("␛pod"), "{text}");
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{text:?}"
    );
}

#[tokio::test]
async fn metrics_view_of_the_recorded_prometheus() {
    let url = support::replay::start(Default::default()).await;
    let config = triage_core::config::Config::with_urls(None, Some(&url), Some(&url));
    let c = Clients::from_config(&config);
    let mut s = state(120, 30);
    support::graph(
        &mut s,
        &c,
        "sum by (code) (rate(http_server_requests_total[1m]))",
        std::time::Duration::from_secs(600),
    )
    .await;
    insta::assert_snapshot!(screen(&s));
}

#[tokio::test]
async fn alerts_view_and_home_of_the_recorded_prometheus() {
    use support::{ask_home_alerts, open_alerts};
    use triage::app::View;
    let url = support::replay::start(Default::default()).await;
    let config = triage_core::config::Config::with_urls(None, Some(&url), Some(&url));
    let c = Clients::from_config(&config);

    let mut home = state(120, 20);
    let mut effects = Vec::new();
    ask_home_alerts(&mut home, &mut effects);
    settle(&mut home, &c, effects).await;
    insta::assert_snapshot!("home_with_alerts", screen(&home));

    let mut s = state(120, 24);
    let mut effects = Vec::new();
    open_alerts(&mut s, &mut effects);
    settle(&mut s, &c, effects).await;
    insta::assert_snapshot!("alerts_view", screen(&s));

    // The critical one is first; Enter graphs its rule's expression.
    press(&mut s, &c, &[Action::Open]).await;
    let View::Metrics(graph) = s.current() else { panic!("Enter did not graph the alert") };
    assert_eq!(
        graph.expression,
        r#"sum(rate(http_server_requests_total{code="500"}[1m])) > 0"#
    );
}

/// The pods of a small shop (running, crash-looping, OOM-killed, pending,
/// bad image) on the loopback API server, listed in all namespaces; and
/// the OOM-killed one's detail.
async fn kube_views() -> Vec<State> {
    use support::kube as fake;
    use support::{open_pod, open_pods};
    let now = support::RECORDED_AT;
    let mut cluster = fake::small_shop(now);
    cluster.put(fake::crashing_pod(
        "shop",
        "postgres-0",
        now,
        "OOMKilled",
        137,
    ));
    cluster.events = vec![
        fake::event(
            "shop",
            "postgres-0",
            "BackOff",
            "Back-off restarting failed container postgres",
            60,
            now,
        ),
        fake::event(
            "shop",
            "postgres-0",
            "Started",
            "Started container postgres",
            600,
            now,
        ),
    ];
    let (url, _) = fake::start(cluster).await;
    let mut config = triage_core::config::Config::with_urls(None, None, None);
    config.kubernetes.cluster.url = Some(url);
    let c = Clients::from_config(&config);
    let mut list = state(120, 12);
    list.kube.namespaces = triage_core::backend::cluster::Namespaces::All;
    let mut effects = Vec::new();
    open_pods(&mut list, &mut effects);
    settle(&mut list, &c, effects).await;
    let mut detail = state(120, 30);
    let mut effects = Vec::new();
    let key = triage_core::domain::PodKey {
        namespace: "shop".into(),
        name: "postgres-0".into(),
    };
    open_pod(&mut detail, key, Vec::new(), &mut effects);
    settle(&mut detail, &c, effects).await;
    vec![list, detail]
}

#[tokio::test]
async fn pods_list_and_detail() {
    let mut views = kube_views().await;
    insta::assert_snapshot!("pod_detail", screen(&views[1]));
    insta::assert_snapshot!("pods_list", screen(&views[0]));
    let c = support::clients(None, None);
    press(
        &mut views[0],
        &c,
        &[Action::SortBy(triage::app::action::PodColumn::Restarts)],
    )
    .await;
    let sorted = screen(&views[0]);
    let first_row = sorted.lines().nth(2).unwrap();
    assert!(
        first_row.contains("auth-6f7c8d9b5-h8vcz") || first_row.contains("postgres-0"),
        "{sorted}"
    );
}

/// A long path of views must not cut the current one's title: the oldest
/// views give way first, so a followed log's buffer count stays in sight.
#[test]
fn the_current_view_keeps_its_title_when_the_path_is_long() {
    let mut s = state(80, 10);
    for pod in ["api-5c6b9d7f4-mz8wn", "auth-6f7c8d9b5-q4lrt", "postgres-0"] {
        let request = PodLogRequest {
            pod: PodKey::parse("shop", pod).unwrap(),
            container: "main".into(),
            previous: false,
            follow: true,
            since: None,
        };
        open_pod_logs(&mut s, None, request, &mut Vec::new());
    }
    let text = screen(&s);
    let title = text.lines().next().unwrap();
    assert!(
        title.contains("… › logs shop/postgres-0 [main] (0/100000 lines)"),
        "{title}"
    );
}

/// The screen's styles: each text row, then under it a letter per cell
/// naming its style, then what each letter means. Blank cells in the
/// default style are left blank.
fn styles(buffer: &ratatui::buffer::Buffer) -> String {
    use std::fmt::Write;
    let mut legend: Vec<ratatui::style::Style> = vec![ratatui::style::Style::reset()];
    let letters = "·abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let (mut text, mut marks) = (String::new(), String::new());
        for x in 0..buffer.area.width {
            let cell = &buffer[(x, y)];
            let style = ratatui::style::Style::reset()
                .fg(cell.fg)
                .bg(cell.bg)
                .add_modifier(cell.modifier);
            let index = match legend.iter().position(|s| *s == style) {
                Some(index) => index,
                None => {
                    legend.push(style);
                    legend.len() - 1
                }
            };
            text.push_str(cell.symbol());
            marks.push(letters.chars().nth(index).unwrap_or('?'));
        }
        let _ = writeln!(out, "{}\n{}", text.trim_end(), marks.trim_end_matches('·'));
    }
    for (index, style) in legend.iter().enumerate().skip(1) {
        let letter = letters.chars().nth(index).unwrap_or('?');
        let _ = writeln!(
            out,
            "{letter}: fg {:?} bg {:?} {:?}",
            style.fg, style.bg, style.add_modifier
        );
    }
    out
}

/// Every view in each theme, as a snapshot of its styles: nothing drawn
/// in its own background's colour, no colour at all under NO_COLOR, and
/// there an error still told from a success (bold and reversed, against
/// bold).
#[tokio::test]
async fn every_view_in_every_theme() {
    use triage::app::notice::Notice;
    use triage_core::backend::{BackendError, Source};
    use triage_core::config::Theme;
    let url = support::replay::start(Default::default()).await;
    let config = triage_core::config::Config::with_urls(Some(&url), Some(&url), Some(&url));
    let c = Clients::from_config(&config);
    let mut views: Vec<(&str, State)> = Vec::new();
    views.push(("logs", logs(100, 12, r#"{namespace="shop"}"#).await.0));
    views.push(("trace", trace(100, 16).await.0));
    let mut metrics = state(100, 18);
    let promql = "sum by (code) (rate(http_server_requests_total[1m]))";
    support::graph(
        &mut metrics,
        &c,
        promql,
        std::time::Duration::from_secs(600),
    )
    .await;
    views.push(("metrics", metrics));
    let mut alerts = state(100, 8);
    let mut effects = Vec::new();
    support::open_alerts(&mut alerts, &mut effects);
    settle(&mut alerts, &c, effects).await;
    views.push(("alerts", alerts));
    views.push(("pods", kube_views().await.remove(0)));
    let mut failed = state(80, 4);
    let timeout = BackendError::timeout(Source::Loki, std::time::Duration::from_secs(20));
    failed.notice = Some(Notice::Failed(timeout));
    views.push(("error", failed));
    let mut copied = state(80, 4);
    copied.notice = Some(Notice::Copied {
        what: "trace id",
        bytes: Some(32),
    });
    views.push(("success", copied));

    for theme in ["default", "light", "ansi16", "monochrome"] {
        let mut notices = Vec::new();
        for (view, s) in &mut views {
            s.settings.theme = match theme {
                "monochrome" => Theme {
                    monochrome: true,
                    ..Theme::default()
                },
                name => Theme::load(name).unwrap(),
            };
            let mut terminal = Terminal::new(TestBackend::new(s.width, s.height)).unwrap();
            terminal.draw(|f| triage::ui::draw(f, s)).unwrap();
            let buffer = terminal.backend().buffer().clone();
            for cell in buffer.content() {
                let coloured = |c: ratatui::style::Color| c != ratatui::style::Color::Reset;
                assert!(
                    !(coloured(cell.fg) && cell.fg == cell.bg) || cell.symbol().trim().is_empty(),
                    "{theme} {view}: {:?} drawn in its background's colour",
                    cell.symbol()
                );
                if theme == "monochrome" {
                    assert!(
                        !coloured(cell.fg) && !coloured(cell.bg),
                        "{theme} {view}: {cell:?}"
                    );
                }
            }
            if matches!(*view, "error" | "success") {
                let last = buffer.area.height - 1;
                let cell = &buffer[(1, last)];
                notices.push((cell.fg, cell.bg, cell.modifier));
            }
            insta::assert_snapshot!(format!("theme_{theme}_{view}"), styles(&buffer));
        }
        assert_ne!(
            notices[0], notices[1],
            "{theme}: an error looks like a success"
        );
    }
}

/// The services table, its operations and the calls between services, of
/// the demo's span metrics, at three sizes (the graph where it fits).
#[tokio::test]
async fn services_table_and_graph_of_the_demo() {
    use triage::app::View;
    use triage::app::views::services::ServicesView;
    let demo = triage_demo::start(support::RECORDED_AT).await.unwrap();
    let config = triage_core::config::Config::with_urls(None, None, Some(&demo.prometheus_url));
    let c = Clients::from_config(&config);
    for (width, height) in [(80, 24), (160, 45), (250, 80)] {
        let mut s = state(width, height);
        let now = s.now;
        let open = triage::app::Msg::Open(triage::app::Target::Services(None));
        let effects = triage::app::update(&mut s, open, now);
        settle(&mut s, &c, effects).await;
        let View::Services(view) = s.current() else { panic!("not the services view") };
        let rows = match &view.red {
            triage::app::Loadable::Ready(rows) => rows.clone(),
            other => panic!("{:?}", other.failed()),
        };
        let top = &rows[0];
        assert!(top.error_ratio > 0.0 && rows.iter().all(|r| r.error_ratio <= top.error_ratio));
        assert!(
            rows.iter().any(|r| r.service == "postgres"),
            "a database, seen through its clients"
        );
        insta::assert_snapshot!(format!("services_{width}x{height}"), screen(&s));
        press(&mut s, &c, &[Action::ToggleEdges]).await;
        insta::assert_snapshot!(format!("service_calls_{width}x{height}"), screen(&s));
        let View::Services(ServicesView {
            edges: Some(triage::app::Loadable::Ready(edges)),
            ..
        }) = s.current()
        else {
            panic!("no calls")
        };
        let p99 = |server: &str| {
            edges
                .edges
                .iter()
                .find(|e| e.client == "api" && e.server == server)
                .unwrap()
                .p99
        };
        assert!(
            p99("postgres") > 10.0 * p99("auth"),
            "the slow database shows"
        );
    }
}

/// A Prometheus that has the calls series but no rate over the window
/// (too few samples): said so, not taken for a Prometheus without them.
#[tokio::test]
async fn services_say_when_the_window_is_too_short_for_a_rate() {
    use axum::routing::get;
    let empty = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
    let one = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1795288921,"12"]}]}}"#;
    let app = axum::Router::new()
        .route("/api/v1/query_range", get(move || async move { empty }))
        .route("/api/v1/query", get(move || async move { one }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let c = Clients::from_config(&triage_core::config::Config::with_urls(
        None,
        None,
        Some(&url),
    ));
    let mut s = state(100, 8);
    let now = s.now;
    let open = triage::app::Msg::Open(triage::app::Target::Services(None));
    let effects = triage::app::update(&mut s, open, now);
    settle(&mut s, &c, effects).await;
    let text = screen(&s);
    assert!(text.contains("too few samples for a rate"), "{text}");
}
