//! Terminal lifecycle and the event loop. One task owns the app (and its store); keys,
//! deliveries and ticks come in through `select!`, biased to the keyboard.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event as TermEvent, EventStream};
use crossterm::execute;
use futures::StreamExt;
use tokio::time::{MissedTickBehavior, interval, sleep_until};

use crate::app::{App, INGEST_BUDGET};
use crate::cli::OutputArgs;
use crate::ingest::Stats;
use crate::run::Feed;

/// At most ~30 frames a second.
const FRAME: Duration = Duration::from_millis(33);
/// Deliveries found waiting at once that mean a flood…
const FLOOD_BATCH: usize = 8;
/// …during which the channel is drained at most this often (it holds
/// `ingest::CHANNEL_CAPACITY` deliveries, far more than arrive meanwhile).
const FLOOD_PAUSE: Duration = Duration::from_millis(5);

/// Set by the panic hook: a task panicked, the terminal is restored, the loop must end.
static PANICKED: AtomicBool = AtomicBool::new(false);

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

/// Runs the monitor until `q`, Ctrl-C or SIGTERM.
pub async fn run(
    mut feed: Feed,
    args: &OutputArgs,
    signal: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let log = crate::logging::init_file(args.log_file.as_deref());
    tracing::info!(log = ?log, "monitor starting");
    let mut app = App::new(args.max_events);
    app.mask = args.mask;
    app.health.url.clone_from(&feed.label);
    app.health.listening = feed.live;

    let mut terminal = ratatui::init();
    install_panic_hook();
    let _ = execute!(std::io::stdout(), EnableMouseCapture);
    let result = event_loop(&mut terminal, &mut app, &mut feed, signal).await;
    restore();
    let ended = feed.stop().await;
    if PANICKED.load(Ordering::SeqCst) {
        anyhow::bail!(
            "an internal error stopped the monitor; details in {}",
            log.map_or_else(|| "the log".into(), |p| p.display().to_string())
        );
    }
    result.and(ended)
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    feed: &mut Feed,
    signal: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut keys = EventStream::new();
    let mut tick = interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    tokio::pin!(signal);
    let mut dirty = true;
    let mut last_draw = Instant::now()
        .checked_sub(FRAME)
        .unwrap_or_else(Instant::now);
    let mut channel_open = true;
    let mut ingest_after = Instant::now();
    loop {
        if dirty && last_draw.elapsed() >= FRAME {
            sync_health(app, &feed.stats);
            terminal.draw(|f| crate::ui::draw(f, app))?;
            last_draw = Instant::now();
            dirty = false;
        }
        if let Some(text) = app.pending_clipboard.take() {
            // OSC 52 through the backend's writer: the terminal (local, or at the far end of
            // SSH) puts the text on the clipboard.
            let backend = terminal.backend_mut();
            let written =
                std::io::Write::write_all(backend, crate::clipboard::osc52(&text).as_bytes())
                    .and_then(|()| std::io::Write::flush(backend));
            if let Err(e) = written {
                app.status = Some(format!("copy failed: {e}"));
                dirty = true;
            }
        }
        if app.quit || PANICKED.load(Ordering::SeqCst) {
            return Ok(());
        }
        let next_frame = tokio::time::Instant::from_std(last_draw + FRAME);
        let searching = app.store.searching();
        tokio::select! {
            biased;
            ev = keys.next() => match ev {
                Some(Ok(TermEvent::Key(k))) => dirty |= app.on_key(k),
                Some(Ok(TermEvent::Mouse(m))) => dirty |= app.on_mouse(m),
                Some(Ok(TermEvent::Resize(..))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(()),
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
                    if deliveries >= FLOOD_BATCH {
                        ingest_after = Instant::now() + FLOOD_PAUSE;
                    }
                    app.refresh_call();
                    dirty = true;
                }
                None => channel_open = false,
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
}
