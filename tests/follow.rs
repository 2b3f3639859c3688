//! Following a Loki query live, the app end to end against a loopback Loki
//! that answers `query_range` over HTTP and `tail` over a websocket, frames
//! sent when the test says: the history and the tail meet without a line
//! twice, Loki's dropped lines are counted, following pauses while the
//! cursor is away from the top and the waiting lines are counted, and the
//! buffer stays within `log_buffer`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use futures::SinkExt;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{screen, state};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use triage::app::views::logs::FollowState;
use triage::app::{self, Action, Effect, Msg, Runner, State};

const SELECTOR: &str = r#"{app="api"}"#;

/// A frame or a page: one stream object per line, as Loki sends them.
fn streams(lines: &[(i64, &str)]) -> Vec<serde_json::Value> {
    lines
        .iter()
        .map(|(t, line)| json!({"stream": {"app": "api"}, "values": [[t.to_string(), line]]}))
        .collect()
}

fn frame(lines: &[(i64, &str)], dropped: usize) -> String {
    let dropped: Vec<_> = (0..dropped)
        .map(|i| json!({"labels": {"app": "api"}, "timestamp": i.to_string()}))
        .collect();
    json!({"streams": streams(lines), "dropped_entries": dropped}).to_string()
}

struct Loki {
    url: String,
    /// Frames to send down the open tail.
    frames: mpsc::UnboundedSender<String>,
    /// The tail requests' paths and queries.
    tails: Arc<Mutex<Vec<String>>>,
}

/// `query_range` answers the history, newest first; `tail` upgrades and
/// sends what the test pushes.
async fn loki(history: &'static [(i64, &'static str)]) -> Loki {
    serve(history, None).await
}

/// The same, the tail refused before the upgrade with `refusal`'s 400 text.
async fn serve(history: &'static [(i64, &'static str)], refusal: Option<&'static str>) -> Loki {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (frames, mut pushed) = mpsc::unbounded_channel::<String>();
    let tails = Arc::new(Mutex::new(Vec::new()));
    let asked = Arc::clone(&tails);
    let (socket_tx, mut socket_rx) = mpsc::unbounded_channel::<TcpStream>();
    tokio::spawn(async move {
        // One tail at a time: frames go to the newest socket.
        while let Some(socket) = socket_rx.recv().await {
            let mut ws = tokio_tungstenite::accept_async(socket).await.unwrap();
            while let Some(text) = pushed.recv().await {
                if ws.send(Message::text(text)).await.is_err() {
                    break;
                }
            }
        }
    });
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut head = vec![0u8; 8192];
            let n = socket.peek(&mut head).await.unwrap_or(0);
            let first = String::from_utf8_lossy(&head[..n])
                .lines()
                .next()
                .unwrap_or("")
                .to_owned();
            if first.contains("/loki/api/v1/tail") {
                asked.lock().unwrap().push(first);
                if let Some(words) = refusal {
                    let _ = socket.read(&mut head).await;
                    let answer = format!(
                        "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{words}",
                        words.len()
                    );
                    let _ = socket.write_all(answer.as_bytes()).await;
                    continue;
                }
                let _ = socket_tx.send(socket);
                continue;
            }
            let _ = socket.read(&mut head).await;
            let body = if first.contains("count_over_time") {
                json!({"status": "success", "data": {"resultType": "matrix", "result": []}})
            } else {
                json!({"status": "success", "data": {"resultType": "streams", "result": streams(history)}})
            }
            .to_string();
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    Loki { url, frames, tails }
}

/// Runs the effects on the interactive runner and feeds its messages to
/// the state until `done` holds (or the wait runs out).
async fn run_until(
    s: &mut State,
    runner: &mut Runner,
    results: &mut mpsc::Receiver<Msg>,
    effects: Vec<Effect>,
    done: impl Fn(&State) -> bool,
) {
    effects.into_iter().for_each(|e| runner.run(e));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done(s) {
        let msg = tokio::time::timeout_at(deadline, results.recv())
            .await
            .unwrap_or_else(|_| panic!("waited in vain; the screen:\n{}", screen(s)))
            .unwrap();
        app::update(s, msg, app::now())
            .into_iter()
            .for_each(|e| runner.run(e));
    }
}

/// The query's logs view on `s`, its history loaded from `loki`, and the
/// runner that carries out its requests.
async fn opened(loki: &Loki, mut s: State) -> (State, Runner, mpsc::Receiver<Msg>) {
    let clients = support::clients(Some(&loki.url), None);
    let (mut runner, mut results) = Runner::new(clients, Duration::from_secs(5));
    let open = support::open(&mut s, triage::app::Target::Logs(SELECTOR.into()));
    run_until(&mut s, &mut runner, &mut results, open, |s| {
        support::logs_view(s).loaded
    })
    .await;
    (s, runner, results)
}

fn texts(s: &State) -> Vec<String> {
    let logs = support::logs_view(s);
    logs.rows.iter().map(|r| r.line.line.to_string()).collect()
}

fn press(s: &mut State, runner: &mut Runner, action: Action) {
    app::update(s, Msg::Action(action), app::now())
        .into_iter()
        .for_each(|e| runner.run(e));
}

#[tokio::test]
async fn the_tail_meets_the_history_without_a_line_twice_and_pauses_away_from_the_top() {
    static HISTORY: [(i64, &str); 4] = [(3, "c2"), (3, "c"), (2, "b"), (1, "a")];
    let loki = loki(&HISTORY).await;
    let (mut s, mut runner, mut results) = opened(&loki, state(160, 40)).await;
    assert_eq!(texts(&s), ["c2", "c", "b", "a"]);

    press(&mut s, &mut runner, Action::Follow);
    // The backlog repeats the instant where the two meet, then goes on.
    loki.frames
        .send(frame(&[(3, "c"), (3, "c2"), (4, "d")], 0))
        .unwrap();
    loki.frames.send(frame(&[(5, "e")], 2)).unwrap();
    run_until(&mut s, &mut runner, &mut results, Vec::new(), |s| {
        support::logs_view(s).rows.len() == 6
            && support::logs_view(s)
                .follow
                .as_ref()
                .is_some_and(|f| f.dropped_by_loki == 2)
    })
    .await;
    assert_eq!(texts(&s), ["e", "d", "c2", "c", "b", "a"], "each line once");
    let asked = loki.tails.lock().unwrap().clone();
    assert!(
        asked[0].contains("start=3&"),
        "the tail starts where the history ends: {asked:?}"
    );
    let text = screen(&s);
    assert!(
        text.contains("following") && text.contains("2 dropped by Loki"),
        "{text}"
    );
    assert!(matches!(
        support::logs_view(&s).follow.as_ref().map(|f| &f.state),
        Some(FollowState::Live)
    ));

    // Away from the top, new lines wait and are counted.
    press(&mut s, &mut runner, Action::Down);
    loki.frames.send(frame(&[(6, "f"), (7, "g")], 0)).unwrap();
    run_until(&mut s, &mut runner, &mut results, Vec::new(), |s| {
        support::logs_view(s)
            .follow
            .as_ref()
            .is_some_and(|f| f.waiting.len() == 2)
    })
    .await;
    assert_eq!(texts(&s).len(), 6, "not shown while paused");
    let text = screen(&s);
    assert!(text.contains("2 new lines wait"), "{text}");
    // Back on top, they are shown.
    press(&mut s, &mut runner, Action::Top);
    assert_eq!(texts(&s)[..3], ["g", "f", "e"]);
    assert!(!screen(&s).contains("new lines wait"));

    // F again stops following; the lines stay.
    press(&mut s, &mut runner, Action::Follow);
    assert!(support::logs_view(&s).follow.is_none());
    assert_eq!(texts(&s).len(), 8);
}

#[tokio::test]
async fn a_followed_query_keeps_within_its_buffer() {
    static HISTORY: [(i64, &str); 1] = [(0, "first")];
    let loki = loki(&HISTORY).await;
    let mut s = state(160, 40);
    s.settings.log_buffer = 100;
    let (mut s, mut runner, mut results) = opened(&loki, s).await;
    press(&mut s, &mut runner, Action::Follow);
    let lines: Vec<String> = (1..=1000).map(|i| format!("line {i}")).collect();
    for chunk in lines.chunks(50).enumerate() {
        let (i, chunk) = chunk;
        let frame_lines: Vec<(i64, &str)> = chunk
            .iter()
            .enumerate()
            .map(|(j, l)| (1 + (i * 50 + j) as i64, l.as_str()))
            .collect();
        loki.frames.send(frame(&frame_lines, 0)).unwrap();
    }
    run_until(&mut s, &mut runner, &mut results, Vec::new(), |s| {
        texts(s).first().map(String::as_str) == Some("line 1000")
    })
    .await;
    let logs = support::logs_view(&s);
    assert_eq!(logs.rows.len(), 100);
    assert_eq!(logs.dropped, 901);
    assert!(screen(&s).contains("100/100 lines"), "{}", screen(&s));
}

#[tokio::test]
async fn a_refused_tail_stops_following_and_says_why_and_the_lines_stay() {
    static HISTORY: [(i64, &str); 2] = [(2, "b"), (1, "a")];
    let words = "max concurrent tail requests limit exceeded, count > limit (6 > 5)";
    let loki = serve(&HISTORY, Some(words)).await;
    let (mut s, mut runner, mut results) = opened(&loki, state(160, 40)).await;
    press(&mut s, &mut runner, Action::Follow);
    run_until(&mut s, &mut runner, &mut results, Vec::new(), |s| {
        support::logs_view(s).follow.is_none()
    })
    .await;
    assert_eq!(texts(&s), ["b", "a"]);
    let text = screen(&s);
    assert!(text.contains("max concurrent tail requests"), "{text}");
    assert!(!text.contains("following"), "{text}");
}
