//! Every view at every size from 1x1 to 250x80 (20,000 sizes), with no
//! data, one item, a lot, a failing backend, data that shrank under the
//! cursor, and help or the command prompt over it: no panic. The views are
//! built by `harness::screens` through the app's own code paths; a new
//! kind of view does not compile until it is built there.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

#[path = "support/harness/mod.rs"]
mod harness;
mod support;

use harness::bodies::Text;
use harness::screens::{Amount, Case, KINDS, Worlds, every_view, items};
use harness::terminal::Sheet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::time::Instant;
use triage::app::{Msg, State, update};

const WIDTHS: u16 = 250;
const HEIGHTS: u16 = 80;

/// Every size, largest first: each width from 80 rows down to one, so
/// every size is reached by shrinking, and each new width by a jump from
/// one row to eighty. Before them, the jump from the largest to 1x1.
fn sizes() -> impl Iterator<Item = (u16, u16)> {
    let every = (1..=WIDTHS)
        .rev()
        .flat_map(|w| (1..=HEIGHTS).rev().map(move |h| (w, h)));
    [(WIDTHS, HEIGHTS), (1, 1)].into_iter().chain(every)
}

/// Resizes as the terminal would (the app's own `Resize`), then draws one
/// frame into a blank buffer of that size, as the real loop does.
fn draw_at(sheet: &mut Sheet, state: &mut State, width: u16, height: u16) {
    let _ = update(state, Msg::Resize { width, height }, state.now);
    sheet.draw(state);
}

/// Draws a case at every size; the first size that panics, if one does.
fn sweep(sheet: &mut Sheet, case: &mut Case) -> Result<usize, String> {
    let mut drawn = 0;
    for (width, height) in sizes() {
        let state = &mut case.state;
        catch_unwind(AssertUnwindSafe(|| draw_at(sheet, state, width, height)))
            .map_err(|_| format!("{} panicked at {width}x{height}", case.name))?;
        drawn += 1;
    }
    Ok(drawn)
}

/// Sweeps the cases on every core, each case on one thread.
fn sweep_all(cases: Vec<Case>) -> (usize, Vec<String>) {
    let queue = Mutex::new(cases);
    let results = Mutex::new((0, Vec::new()));
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut sheet = Sheet::new();
                loop {
                    let next = queue.lock().unwrap().pop(); // the queue is free while it draws
                    let Some(mut case) = next else { break };
                    let outcome = sweep(&mut sheet, &mut case);
                    let mut results = results.lock().unwrap();
                    match outcome {
                        Ok(drawn) => results.0 += drawn,
                        Err(failure) => results.1.push(failure),
                    }
                }
            });
        }
    });
    results.into_inner().unwrap()
}

/// The cases: every view with no data, a lot, and a failing backend, as
/// recorded; with one item of hostile text (long, and wide characters at
/// every width), also under help and the command prompt. The large ones
/// last, so they are drawn first and the threads finish together.
fn cases() -> Vec<Case> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut cases = runtime.block_on(async {
        let amounts = [Amount::Empty, Amount::Large, Amount::Failing];
        let mut cases = every_view(&Worlds::start(Text::Recorded, &amounts).await).await;
        let hostile = Worlds::start(Text::Hostile, &[Amount::One]).await;
        cases.extend(every_view(&hostile).await);
        cases
    });
    cases.sort_by_key(|c| c.amount == Amount::Large);
    cases
}

/// The large cases hold many items, at least as many as the pod's 30
/// containers; the shrunk ones one.
fn assert_large_and_shrunk(cases: &[Case]) {
    for case in cases.iter().filter(|c| c.amount == Amount::Large) {
        let held = items(case.state.current());
        if case.name.contains("shrunk") {
            assert_eq!(held, 1, "{}", case.name);
        } else {
            assert!(held >= 30, "{}: {held} items", case.name);
        }
    }
}

#[test]
fn every_view_at_every_size_draws_without_panic() {
    let started = Instant::now();
    let cases = cases();
    let built = started.elapsed();
    for kind in KINDS {
        assert!(
            cases.iter().any(|c| c.state.current().kind() == kind),
            "no case shows {kind:?}"
        );
    }
    assert_large_and_shrunk(&cases);
    let count = cases.len();
    let (drawn, failures) = sweep_all(cases);
    println!(
        "{count} cases x {} sizes: {drawn} frames drawn in {:.1?} (cases built in {built:.1?})",
        sizes().count(),
        started.elapsed() - built,
    );
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(drawn, count * sizes().count());
}
