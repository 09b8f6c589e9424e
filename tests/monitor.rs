//! The monitor's event loop without a terminal: the real `tui::event_loop` on `TestBackend`,
//! fed deliveries through a feed's channel and keys through a scripted input stream, with
//! the frames it drew read back.

mod common;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
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
    let script = script.into_iter().map(press).collect();
    session_events(terminal, app, bodies, script).await
}

/// [`session`] with any terminal events: keys with modifiers, the mouse.
async fn session_events(
    terminal: &mut Terminal<TestBackend>,
    app: &mut App,
    bodies: &[&str],
    script: Vec<TermEvent>,
) -> Vec<u8> {
    let (tx, mut feed) = feed();
    let (key_tx, key_rx) = keys::unbounded();
    let mut host = Host::bare(std::env::temp_dir(), Vec::new());
    let driver = async move {
        for d in deliveries(bodies) {
            tx.send(d).await.unwrap();
        }
        // Keys only once every delivery is taken: the loop is biased to the keyboard.
        while tx.capacity() < tx.max_capacity() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        for event in script {
            key_tx.unbounded_send(Ok(event)).unwrap();
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
    // `p` shows the parameters, so `y` copies the selected event's call SID; q asks (the
    // events are not recorded) and q again quits.
    let clipboard = session(
        &mut term,
        &mut app,
        &[IVR],
        vec![
            KeyCode::Char('p'),
            KeyCode::Char('y'),
            KeyCode::Char('q'),
            KeyCode::Char('q'),
        ],
    )
    .await;
    let written = String::from_utf8(clipboard).unwrap();
    assert_eq!(written, twimon::tui::clipboard::osc52(IVR_SID));
    assert!(app.quit);
}

#[tokio::test]
async fn refused_deliveries_are_listed_in_the_stats_overlay_with_why() {
    use common::http::{listen, post_to};
    let listener = listen(twimon::source::listen::Config::default()).await;
    let url = listener.url();
    assert_eq!(
        post_to(&url, Some("application/json"), "not json")
            .await
            .status,
        400
    );
    assert_eq!(
        post_to(&url, Some("text/html"), "<p>hi</p>").await.status,
        415
    );
    let mut feed = listener.into_feed();
    let mut app = new_app(100);
    let mut term = terminal(140, 30);
    let (key_tx, key_rx) = keys::unbounded();
    key_tx
        .unbounded_send(Ok(press(KeyCode::Char('s'))))
        .unwrap();
    drop(key_tx);
    let mut host = Host::bare(std::env::temp_dir(), Vec::new());
    let run = event_loop(
        &mut term,
        &mut app,
        &mut feed,
        key_rx,
        std::future::pending(),
        &mut host,
    );
    tokio::time::timeout(Duration::from_secs(20), run)
        .await
        .expect("the loop ended within the guard")
        .unwrap();
    feed.stop().await.unwrap();
    let screen = screen_text(term.backend().buffer());
    assert!(
        screen.contains("Refused deliveries · the last 2, newest first"),
        "{screen}"
    );
    let row = |needle: &str| {
        screen
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no row with {needle:?}:\n{screen}"))
            .to_owned()
    };
    // Newest first: the 415 above the 400, each with who sent it, where, and why.
    let (ct, json) = (row("content type \"text/html\""), row("body is not JSON"));
    assert!(
        ct.contains(" 415 ") && ct.contains("127.0.0.1:") && ct.contains("POST /"),
        "{ct}"
    );
    assert!(json.contains(" 400 "), "{json}");
    let at = |needle| screen.find(needle).unwrap();
    assert!(at(" 415 ") < at(" 400 "), "{screen}");
}

fn chars(text: &str) -> Vec<KeyCode> {
    text.chars().map(KeyCode::Char).collect()
}

fn click(column: u16, row: u16) -> TermEvent {
    TermEvent::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

fn wheel(down: bool, column: u16, row: u16) -> TermEvent {
    TermEvent::Mouse(MouseEvent {
        kind: if down {
            MouseEventKind::ScrollDown
        } else {
            MouseEventKind::ScrollUp
        },
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

fn all_samples() -> Vec<&'static str> {
    let mut bodies: Vec<&str> = EVENTS.to_vec();
    bodies.extend([IVR, FAILED]);
    bodies
}

#[tokio::test]
async fn quitting_with_unrecorded_events_asks_once_and_another_key_stays() {
    let mut app = new_app(100);
    let mut term = terminal(80, 24);
    session(
        &mut term,
        &mut app,
        &all_samples(),
        vec![KeyCode::Char('q')],
    )
    .await;
    assert!(!app.quit);
    insta::assert_snapshot!("loop_quit_question_80x24", term.backend());
    let screen = screen_text(term.backend().buffer());
    assert!(
        screen.contains("Quit and lose 16 unrecorded events?  q / y  quit · any other key stays"),
        "{screen}"
    );
    // Any other key: still running, and the screen says so.
    session(&mut term, &mut app, &[], vec![KeyCode::Char('n')]).await;
    assert!(!app.quit);
    let screen = screen_text(term.backend().buffer());
    assert!(screen.contains("not quitting"), "{screen}");
    // y quits.
    session(
        &mut term,
        &mut app,
        &[],
        vec![KeyCode::Char('q'), KeyCode::Char('y')],
    )
    .await;
    assert!(app.quit);
}

#[tokio::test]
async fn ctrl_c_quits_at_once_even_in_the_call_view() {
    let mut app = new_app(100);
    let mut term = terminal(80, 24);
    let ctrl_c = TermEvent::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    session_events(
        &mut term,
        &mut app,
        &all_samples(),
        vec![press(KeyCode::Enter), ctrl_c],
    )
    .await;
    assert!(app.quit);
}

#[tokio::test]
async fn the_prompt_completes_on_screen_and_shows_an_unknown_command_inline() {
    let mut app = new_app(100);
    let mut term = terminal(80, 24);
    let mut keys = chars(":go");
    keys.push(KeyCode::Tab);
    keys.extend(chars("15:2"));
    session(&mut term, &mut app, &all_samples(), keys).await;
    insta::assert_snapshot!("loop_prompt_goto_80x24", term.backend());
    let screen = screen_text(term.backend().buffer());
    assert!(screen.contains(" :  goto 15:2"), "{screen}");
    // 15:20, Enter: the first event at or after it is the failed call's first step.
    session(
        &mut term,
        &mut app,
        &[],
        vec![KeyCode::Char('0'), KeyCode::Enter],
    )
    .await;
    let screen = screen_text(term.backend().buffer());
    assert!(
        screen.contains("15:26:45.049: the first event at or after 2026-11-28 15:20:00 UTC"),
        "{screen}"
    );
    assert!(screen.contains("PAUSED"), "{screen}");

    let mut keys = chars(":nope");
    keys.push(KeyCode::Enter);
    session(&mut term, &mut app, &[], keys).await;
    insta::assert_snapshot!("loop_prompt_unknown_80x24", term.backend());
    let screen = screen_text(term.backend().buffer());
    assert!(
        screen.contains("unknown command :nope (Tab lists the commands, :help the keys)"),
        "{screen}"
    );
}

#[tokio::test]
async fn paging_keys_and_the_mouse_move_the_list_through_the_loop() {
    let mut app = new_app(100);
    let mut term = terminal(80, 24);
    session(&mut term, &mut app, &all_samples(), vec![KeyCode::Home]).await;
    let row_of = |app: &App| {
        app.selected
            .and_then(|s| app.store.view_position(s).ok())
            .unwrap()
    };
    assert_eq!(row_of(&app), 0);
    let page = usize::from(app.geometry.list.height);
    session(&mut term, &mut app, &[], vec![KeyCode::PageDown]).await;
    assert_eq!(row_of(&app), page);
    let ctrl_u = TermEvent::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    session_events(&mut term, &mut app, &[], vec![ctrl_u]).await;
    assert_eq!(row_of(&app), page - page.div_ceil(2));

    // A click on the first row shown selects it; the wheel over the table moves by three.
    let list = app.geometry.list;
    let first_shown = app.geometry.table_offset;
    session_events(&mut term, &mut app, &[], vec![click(20, list.y)]).await;
    assert_eq!(row_of(&app), first_shown);
    session_events(&mut term, &mut app, &[], vec![wheel(true, 20, list.y)]).await;
    assert_eq!(row_of(&app), first_shown + 3);
    // The wheel over the pane scrolls it, not the list.
    let pane = app.geometry.pane;
    let before = app.selected;
    session(&mut term, &mut app, &[], vec![KeyCode::Char('r')]).await;
    assert!(
        app.geometry.pane_max_scroll >= 3,
        "the raw JSON is longer than the pane"
    );
    session_events(&mut term, &mut app, &[], vec![wheel(true, 20, pane.y + 2)]).await;
    assert_eq!(app.selected, before);
    assert_eq!(app.pane_scroll, 3);
    // M releases the mouse: the loop writes the terminal's "mouse off" sequence.
    let written = session(&mut term, &mut app, &[], vec![KeyCode::Char('M')]).await;
    assert_eq!(
        String::from_utf8_lossy(&written),
        "\u{1b}[?1006l\u{1b}[?1015l\u{1b}[?1003l\u{1b}[?1002l\u{1b}[?1000l"
    );
    assert!(!app.mouse);
}

#[tokio::test]
async fn theme_and_columns_reach_the_loop() {
    let mut app = new_app(100);
    let mut term = terminal(120, 24);
    session(&mut term, &mut app, &[IVR], vec![]).await;
    let dark = term.backend().buffer().clone();
    let mut keys = chars(":theme light");
    keys.push(KeyCode::Enter);
    session(&mut term, &mut app, &[], keys).await;
    assert_eq!(app.theme, twimon::app::look::Theme::Light);
    let screen = screen_text(term.backend().buffer());
    assert!(screen.contains("theme light"), "{screen}");
    let light = term.backend().buffer();
    assert!(
        dark.content()
            .iter()
            .zip(light.content())
            .any(|(d, l)| d.symbol() == l.symbol() && d.fg != l.fg),
        "the next frame is drawn in the new palette"
    );
    let mut keys = chars(":columns time,digits");
    keys.push(KeyCode::Enter);
    session(&mut term, &mut app, &[], keys).await;
    let screen = screen_text(term.backend().buffer());
    assert!(screen.contains("columns time,Digits"), "{screen}");
    let header = screen
        .lines()
        .find(|l| l.contains("Time (UTC)"))
        .unwrap_or_default();
    assert!(
        header.contains("Digits") && !header.contains("Type"),
        "the next frame has the new columns: {screen}"
    );
}
