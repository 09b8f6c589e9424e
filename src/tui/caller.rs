//! The caller panel's link to a running simulated call (`twimon call URL`): its transcript
//! comes in for the panel, the panel's keys go out to the call.

use tokio::sync::mpsc;

use crate::app::App;
use crate::source::call::{Control, Entry};

/// Transcript entries taken per turn of the loop, so keys are never starved.
pub const ENTRY_BUDGET: usize = 256;

/// Both directions of the link.
#[derive(Debug)]
pub struct Link {
    pub entries: mpsc::UnboundedReceiver<Entry>,
    pub control: mpsc::UnboundedSender<Control>,
}

/// The next transcript entry; `None` once the call has said everything. Never resolves
/// without a link.
pub async fn next(link: &mut Option<Link>) -> Option<Entry> {
    match link {
        Some(l) => l.entries.recv().await,
        None => std::future::pending().await,
    }
}

/// Hands `first` and what else waits (a bounded batch) to the panel.
pub fn take(app: &mut App, first: Entry, link: &mut Option<Link>) {
    app.on_caller(first);
    let Some(l) = link else { return };
    for _ in 1..ENTRY_BUDGET {
        let Ok(more) = l.entries.try_recv() else {
            break;
        };
        app.on_caller(more);
    }
}

/// Sends the panel's input to the call; says so when the call is over.
pub fn send(app: &mut App, control: Control, link: Option<&Link>) {
    let sent = link.is_some_and(|l| l.control.send(control).is_ok());
    if !sent {
        app.status = Some("the call has ended: nothing to send it to".into());
    }
}
