//! The monitor's event loop without a terminal: the real `tui::event_loop` on `TestBackend`,
//! fed deliveries through a feed's channel and keys through a scripted input stream, with
//! the frames it drew read back.

mod common;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use futures::channel::mpsc as keys;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::{mpsc, watch};

use common::fixtures::{ARRIVAL, EVENTS, FAILED, IVR, IVR_SID};
use common::screen::{new_app, screen_text};
use twimon::app::{App, Mode};
use twimon::domain::delivery::parse_delivery;
use twimon::source::dedup::{Dedup, split_duplicates};
use twimon::source::{Delivery, Feed, Stats};
use twimon::tui::{Host, event_loop};

/// A feed whose deliveries the test sends, as any source would.
fn feed() -> (mpsc::Sender<Delivery>, Feed) {
    let (tx, rx) = mpsc::channel(64);
    let (stop, _) = watch::channel(false);
    let feed = Feed {
        label: "http://127.0.0.1:7077/".into(),
        live: true,
        stats: Arc::new(Stats::default()),
        rx,
        stop,
        task: tokio::spawn(async { Ok(()) }),
    };
    (tx, feed)
}

/// Deliveries of the sample bodies, deduplicated as a source does.
fn deliveries(bodies: &[&str]) -> Vec<Delivery> {
    let mut seen = Dedup::new(1_000);
    bodies
        .iter()
        .map(|b| {
            let events = parse_delivery(b.as_bytes(), ARRIVAL.parse().unwrap()).unwrap();
            split_duplicates(&mut seen, events, twimon::domain::Signature::Unchecked)
        })
        .collect()
}

fn press(code: KeyCode) -> TermEvent {
    TermEvent::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// One scripted session: the deliveries go in first (the loop drains them), then the keys;
/// the input ends, and the loop draws what changed and returns.
async fn session(
    terminal: &mut Terminal<TestBackend>,
    app: &mut App,
    bodies: &[&str],
    script: Vec<KeyCode>,
) -> Vec<u8> {
    let (tx, mut feed) = feed();
    let (key_tx, key_rx) = keys::unbounded();
    let mut host = Host {
        export_dir: std::env::temp_dir(),
        clipboard: Vec::new(),
        resend: None,
    };
    let driver = async move {
        for d in deliveries(bodies) {
            tx.send(d).await.unwrap();
        }
        // Keys only once every delivery is taken: the loop is biased to the keyboard.
        while tx.capacity() < tx.max_capacity() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        for code in script {
            key_tx.unbounded_send(Ok(press(code))).unwrap();
        }
        drop(key_tx);
        tx
    };
    let run = event_loop(
        terminal,
        app,
        &mut feed,
        key_rx,
        std::future::pending(),
        &mut host,
    );
    let (result, _tx) =
        tokio::time::timeout(Duration::from_secs(20), async { tokio::join!(run, driver) })
            .await
            .expect("the loop ended within the guard");
    result.unwrap();
    host.clipboard
}

fn terminal(w: u16, h: u16) -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(w, h)).unwrap()
}

#[tokio::test]
async fn deliveries_and_keys_through_the_loop_open_a_calls_timeline() {
    let mut app = new_app(100);
    let mut term = terminal(80, 24);
    let mut bodies: Vec<&str> = EVENTS.to_vec();
    bodies.extend([IVR, FAILED]);
    session(&mut term, &mut app, &bodies, Vec::new()).await;
    let screen = screen_text(term.backend().buffer());
    assert!(screen.contains("16 events"), "{screen}");
    assert!(screen.contains("FOLLOW"), "{screen}");

    // Up four rows from the newest lands on the IVR call's last step; Enter opens the call.
    let keys = vec![
        KeyCode::Up,
        KeyCode::Up,
        KeyCode::Up,
        KeyCode::Up,
        KeyCode::Enter,
    ];
    session(&mut term, &mut app, &[], keys).await;
    assert_eq!(app.call().map(|c| c.sid.as_str()), Some(IVR_SID));
    insta::assert_snapshot!("loop_call_view_80x24", term.backend());

    // Esc goes back; `?` opens the help, which the loop draws over the table.
    session(
        &mut term,
        &mut app,
        &[],
        vec![KeyCode::Esc, KeyCode::Char('?')],
    )
    .await;
    assert!(app.call().is_none());
    assert!(matches!(app.mode, Mode::Help { .. }));
    let screen = screen_text(term.backend().buffer());
    assert!(screen.contains(" Keys "), "{screen}");
}

#[tokio::test]
async fn a_redelivered_event_is_counted_once_and_marked() {
    let mut app = new_app(100);
    let mut term = terminal(120, 20);
    session(&mut term, &mut app, &[IVR, IVR], Vec::new()).await;
    assert_eq!(app.store.len(), 5);
    assert_eq!(app.store.counters().duplicates, 5);
    let screen = screen_text(term.backend().buffer());
    assert!(screen.contains("×2"), "{screen}");
}

#[tokio::test]
async fn copy_goes_to_the_clipboard_writer_and_quit_ends_the_loop() {
    let mut app = new_app(100);
    let mut term = terminal(80, 24);
    // `p` shows the parameters, so `y` copies the selected event's call SID.
    let clipboard = session(
        &mut term,
        &mut app,
        &[IVR],
        vec![KeyCode::Char('p'), KeyCode::Char('y'), KeyCode::Char('q')],
    )
    .await;
    let written = String::from_utf8(clipboard).unwrap();
    assert_eq!(written, twimon::tui::clipboard::osc52(IVR_SID));
    assert!(app.quit);
}
