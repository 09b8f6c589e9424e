//! Terminal lifecycle and the event loop. One task owns the app (and its store); keys,
//! deliveries and ticks come in through `select!`, biased to the keyboard. The loop is generic
//! over the backend and the input stream, so tests drive it on `TestBackend` with scripted
//! keys and deliveries; [`run`] is the real terminal around it.

mod background;
pub mod caller;
pub mod clipboard;
pub mod editor;
pub mod resend;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event as TermEvent};
use crossterm::execute;
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::time::{MissedTickBehavior, interval, sleep_until};

use crate::app::{App, Effect, INGEST_BUDGET};
use crate::source::{Feed, Stats};

/// At most ~30 frames a second.
const FRAME: Duration = Duration::from_millis(33);
/// Under a flood, ~10 frames a second unless a key asks for more: the table scrolls faster
/// than anyone reads, and each frame of a full-screen table costs the terminal (and tmux, or
/// the SSH link) a screenful of cells to parse.
const FLOOD_FRAME: Duration = Duration::from_millis(100);
/// Deliveries found waiting at once that mean a flood…
const FLOOD_BATCH: usize = 8;
/// …during which the channel is drained at most this often (it holds
/// `source::CHANNEL_CAPACITY` deliveries, far more than arrive meanwhile).
const FLOOD_PAUSE: Duration = Duration::from_millis(5);

/// Set by the panic hook: a task panicked, the terminal is restored, the loop must end.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// How the monitor starts.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Events retained; the oldest leave beyond it.
    pub max_events: usize,
    /// Start with masking on.
    pub mask: bool,
    /// Where the log goes, for the help overlay and the exit message.
    pub log: Option<PathBuf>,
    /// The keys in force (the keymap's table with the config's rebindings).
    pub keys: crate::app::keys::Keymap,
    /// The palette, or `Auto`: `NO_COLOR`, then the terminal's background.
    pub theme: crate::ui::theme::ThemeChoice,
    /// The table's columns (`--columns`, the config's `columns`); empty: the default ones.
    pub columns: Vec<crate::app::look::Column>,
    /// Every event is also kept in a file (`--record`, or a replay of one): quitting does
    /// not ask.
    pub recorded: bool,
    /// The filter expression to start with (`--filter`).
    pub filter: Option<crate::domain::filter::Query>,
    /// Where `R` resends requests to (`twimon proxy`).
    pub resend: Option<resend::Resender>,
}

/// What the loop's effects need from the world: where exports go, and the terminal's writer
/// for the clipboard (OSC 52) and the mouse capture.
pub struct Host<W> {
    pub export_dir: PathBuf,
    pub clipboard: W,
    /// Where `R` sends requests again (`twimon proxy`); None elsewhere.
    pub resend: Option<resend::Resender>,
    /// The simulated call the caller panel plays (`twimon call`); None elsewhere.
    pub caller: Option<caller::Link>,
    /// The editor for a resend's parameters (`VISUAL`, then `EDITOR`).
    pub editor: Option<String>,
    /// The real terminal, lent to the editor; None on a test backend.
    pub handover: Option<editor::Handover>,
    /// The terminal was lent out: the next frame repaints every cell.
    pub repaint: bool,
}

impl<W> Host<W> {
    /// A host with nothing but where exports go and the clipboard's writer: no resend, no
    /// call, no editor, no real terminal (the tests' host, on a test backend).
    pub fn bare(export_dir: PathBuf, clipboard: W) -> Host<W> {
        Host {
            export_dir,
            clipboard,
            resend: None,
            caller: None,
            editor: None,
            handover: None,
            repaint: false,
        }
    }
}

fn restore() {
    let _ = execute!(std::io::stdout(), DisableMouseCapture);
    ratatui::restore();
}

/// Restores the terminal before any panic message is printed, from any thread or task, and
/// tells the loop to stop.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        PANICKED.store(true, Ordering::SeqCst);
        tracing::error!("panic: {info}");
        previous(info);
    }));
}

/// Runs the monitor until `q`, Ctrl-C or SIGTERM; with the caller panel of `call`, when one
/// is given.
pub async fn run(
    mut feed: Feed,
    opts: &Options,
    signal: impl Future<Output = ()>,
    call: Option<caller::Link>,
) -> anyhow::Result<()> {
    let mut app = App::new(opts.max_events);
    app.mask = opts.mask;
    app.keys = opts.keys.clone();
    app.log = opts.log.as_ref().map(|p| p.display().to_string());
    app.recorded = opts.recorded;
    if !opts.columns.is_empty() {
        app.columns.clone_from(&opts.columns);
    }
    if opts.filter.is_some() {
        app.apply_query(opts.filter.clone());
    }
    app.health.url.clone_from(&feed.label);
    app.health.listening = feed.live;

    let mut terminal = ratatui::init();
    install_panic_hook();
    let keys = editor::Keys::default();
    app.set_theme(pick_theme(opts.theme));
    let _ = execute!(std::io::stdout(), EnableMouseCapture);
    let mut host = Host {
        export_dir: PathBuf::from("."),
        clipboard: std::io::stdout(),
        resend: opts.resend.clone(),
        caller: call,
        editor: editor::from_env(),
        handover: Some(editor::Handover { keys: keys.clone() }),
        repaint: false,
    };
    let result = event_loop(&mut terminal, &mut app, &mut feed, keys, signal, &mut host).await;
    restore();
    let ended = feed.stop().await;
    if PANICKED.load(Ordering::SeqCst) {
        anyhow::bail!(
            "an internal error stopped the monitor; details in {}",
            opts.log
                .as_ref()
                .map_or_else(|| "the log".into(), |p| p.display().to_string())
        );
    }
    result.and(ended)
}

/// The theme `choice` means on this terminal. The theme alone decides colour from here on:
/// crossterm's own `NO_COLOR` handling would turn each suppressed colour into a bare `ESC[m`,
/// which resets reverse video and bold with it (the selection vanished).
fn pick_theme(choice: crate::ui::theme::ThemeChoice) -> crate::app::look::Theme {
    use crate::ui::theme;
    crossterm::style::Colored::set_ansi_color_disabled(false);
    let no_color = std::env::var_os("NO_COLOR").map(|v| v.to_string_lossy().into_owned());
    let answer = theme::needs_background(choice, no_color.as_deref())
        .then(background::query)
        .flatten();
    let picked = theme::resolve(choice, no_color.as_deref(), answer.as_deref());
    tracing::info!(?choice, ?picked, answered = answer.is_some(), "theme");
    picked
}

/// Draws one frame: the app prepares what the frame shows, the frame reads it, and the
/// geometry it laid out goes back to the app for the next key.
pub fn draw<B: Backend>(terminal: &mut Terminal<B>, app: &mut App) -> Result<(), B::Error> {
    app.prepare();
    let mut geometry = app.geometry;
    terminal.draw(|f| geometry = crate::ui::draw(f, app))?;
    app.geometry = geometry;
    Ok(())
}

/// Carries out what the app asked for, and tells it how that went.
pub fn apply<W: std::io::Write>(app: &mut App, effect: Effect, host: &mut Host<W>) {
    match effect {
        Effect::Copy(text) => {
            // OSC 52: the terminal (local, or at the far end of SSH) puts the text on the
            // clipboard.
            let written = host
                .clipboard
                .write_all(clipboard::osc52(&text).as_bytes())
                .and_then(|()| host.clipboard.flush());
            if let Err(e) = written {
                app.status = Some(format!("copy failed: {e}"));
            }
        }
        Effect::MouseCapture(on) => {
            let done = if on {
                execute!(host.clipboard, EnableMouseCapture)
            } else {
                execute!(host.clipboard, DisableMouseCapture)
            };
            if let Err(e) = done {
                app.status = Some(format!("the terminal refused the mouse change: {e}"));
            }
        }
        Effect::Resend { seq, edits } => resend::apply(app, seq, &edits, host.resend.as_mut()),
        Effect::Caller(control) => caller::send(app, control, host.caller.as_ref()),
        Effect::EditParams { seq, text } => {
            editor::apply(
                app,
                seq,
                &text,
                host.editor.as_deref(),
                host.handover.as_ref(),
                host.resend.as_mut(),
            );
            host.repaint |= host.handover.is_some();
        }
        Effect::Export { sid, mask } => {
            let steps = app.call_steps(&sid);
            let events: Vec<&crate::domain::Event> =
                steps.iter().filter_map(|s| app.store.get(*s)).collect();
            let legs = crate::store::legs::legs(&app.store, &sid);
            let record =
                crate::export::build(&sid, &events, &legs, crate::export::Options { mask });
            let text = crate::export::markdown(&record);
            let name = crate::export::file_name(&sid, jiff::Timestamp::now());
            let n = events.len();
            app.status = Some(
                match crate::export::write_new(&host.export_dir, &name, text.as_bytes()) {
                    Ok(path) => format!(
                        "exported {} ({n} events{}) to {}",
                        sid.short(),
                        if mask { ", masked" } else { "" },
                        path.display()
                    ),
                    Err(e) => format!("export failed: {e}"),
                },
            );
        }
    }
}

/// The loop: keys (biased first), deliveries in bounded batches, a tick a second, a frame
/// when something changed (at most every [`FRAME`]). Ends on quit, the signal, or the end of
/// the input stream (after drawing what changed).
pub async fn event_loop<B, I, W>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    feed: &mut Feed,
    mut input: I,
    signal: impl Future<Output = ()>,
    host: &mut Host<W>,
) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    I: Stream<Item = std::io::Result<TermEvent>> + Unpin,
    W: std::io::Write,
{
    let mut tick = interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    tokio::pin!(signal);
    let mut dirty = true;
    let mut last_draw = Instant::now()
        .checked_sub(FRAME)
        .unwrap_or_else(Instant::now);
    let mut channel_open = true;
    let mut transcript_open = host.caller.is_some();
    let mut ingest_after = Instant::now();
    let mut flooding = false;
    // Whether what is waiting to be drawn was asked for by a key (drawn at the full rate).
    let mut keyed = false;
    loop {
        for effect in app.take_effects() {
            apply(app, effect, host);
            dirty = true;
        }
        if std::mem::take(&mut host.repaint) {
            // The screen came back blank, but ratatui remembers the last frame on it: a blank
            // frame first, so the next one writes every cell. (`Terminal::clear` would ask
            // the terminal where its cursor is, and wait for the answer.)
            terminal.draw(|f| f.render_widget(ratatui::widgets::Clear, f.area()))?;
            dirty = true;
        }
        let frame = if flooding && !keyed {
            FLOOD_FRAME
        } else {
            FRAME
        };
        if dirty && last_draw.elapsed() >= frame {
            sync_health(app, &feed.stats);
            draw(terminal, app)?;
            last_draw = Instant::now();
            dirty = false;
            keyed = false;
        }
        if app.quit || PANICKED.load(Ordering::SeqCst) {
            return Ok(());
        }
        let next_frame = tokio::time::Instant::from_std(last_draw + frame);
        let searching = app.store.searching();
        tokio::select! {
            biased;
            ev = input.next() => match ev {
                Some(Ok(TermEvent::Key(k))) => {
                    let changed = app.on_key(k);
                    dirty |= changed;
                    keyed |= changed;
                }
                Some(Ok(TermEvent::Mouse(m))) => {
                    let changed = app.on_mouse(m);
                    dirty |= changed;
                    keyed |= changed;
                }
                Some(Ok(TermEvent::Resize(..))) => {
                    dirty = true;
                    keyed = true;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
                None => {
                    if dirty {
                        sync_health(app, &feed.stats);
                        draw(terminal, app)?;
                    }
                    return Ok(());
                }
            },
            () = &mut signal => return Ok(()),
            d = feed.rx.recv(), if channel_open && Instant::now() >= ingest_after => match d {
                Some(d) => {
                    let mut taken = d.events.len();
                    let mut deliveries = 1;
                    app.ingest(d);
                    // Drain a bounded batch: a flood must not starve the keyboard.
                    while taken < INGEST_BUDGET {
                        let Ok(more) = feed.rx.try_recv() else { break };
                        taken += more.events.len().max(1);
                        deliveries += 1;
                        app.ingest(more);
                    }
                    // Under a flood, take the channel in batches rather than waking for every
                    // delivery; a lone delivery is still taken at once.
                    flooding = deliveries >= FLOOD_BATCH;
                    if flooding {
                        ingest_after = Instant::now() + FLOOD_PAUSE;
                    }
                    app.refresh_call();
                    dirty = true;
                }
                None => channel_open = false,
            },
            entry = caller::next(&mut host.caller), if transcript_open => match entry {
                Some(entry) => {
                    caller::take(app, entry, &mut host.caller);
                    dirty = true;
                }
                None => transcript_open = false,
            },
            () = sleep_until(tokio::time::Instant::from_std(ingest_after)), if Instant::now() < ingest_after => {},
            () = sleep_until(next_frame), if dirty => {},
            () = std::future::ready(()), if searching => dirty |= app.advance_search(),
            _ = tick.tick() => {
                app.tick(Instant::now());
                if feed.live {
                    // The stats' events/s window moves on through quiet seconds too.
                    app.metrics.advance(jiff::Timestamp::now());
                }
                dirty = true;
            },
        }
    }
}

fn sync_health(app: &mut App, stats: &Stats) {
    app.health.busy = Stats::get(&stats.busy);
    app.health.rejected = Stats::get(&stats.rejected);
    app.health.forbidden = Stats::get(&stats.forbidden);
    if let Ok(e) = stats.last_record_error.lock() {
        app.health.record_error.clone_from(&e);
    }
    app.note_record_error();
    app.health.info = stats.info();
    // At most `REJECTIONS_KEPT` short records, and only when a frame is drawn.
    app.health.rejections = stats.rejections();
}
