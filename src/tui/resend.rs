//! Carries out the monitor's resend effect: the request goes out on its own task, and its
//! answer comes back through the feed's channel as a new event, linked to the original.

use tokio::sync::mpsc;

use crate::app::App;
use crate::domain::exchange::Edit;
use crate::source::Delivery;
use crate::source::proxy::HttpClient;
use crate::source::resend::{self, Options};

/// What a resend needs from the world: where and how to send, and the way back in.
#[derive(Clone)]
pub struct Resender {
    pub opts: Options,
    pub client: HttpClient,
    /// The feed's own channel: the answer is ingested like every other event.
    pub tx: mpsc::Sender<Delivery>,
    /// Resends so far, for the answers' ids.
    pub sent: u64,
    pub run: String,
}

impl std::fmt::Debug for Resender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resender")
            .field("opts", &self.opts)
            .field("sent", &self.sent)
            .finish_non_exhaustive()
    }
}

impl Resender {
    pub fn new(opts: Options, tx: mpsc::Sender<Delivery>) -> Resender {
        Resender {
            opts,
            client: crate::source::proxy::client(),
            tx,
            sent: 0,
            run: format!("{:x}", jiff::Timestamp::now().as_millisecond()),
        }
    }
}

/// Plans the resend of event `seq` and starts it; what went wrong is the status line.
pub fn apply(app: &mut App, seq: u64, edits: &[Edit], resender: Option<&mut Resender>) {
    let Some(r) = resender else {
        app.status =
            Some("resend needs `twimon proxy --to URL`: it knows where your app runs".into());
        return;
    };
    let Some(ev) = app.store.get(seq) else {
        app.status = Some("that event has left the monitor (--max-events)".into());
        return;
    };
    let plan = match resend::plan(ev, &r.opts, edits) {
        Ok(p) => p,
        Err(why) => {
            app.status = Some(format!("cannot resend: {why}"));
            return;
        }
    };
    r.sent += 1;
    let id = format!("RS{}-{}", r.run, r.sent);
    app.status = Some(format!(
        "resending {} to {} …",
        plan.original_id, plan.target_url
    ));
    let (client, opts, tx) = (r.client.clone(), r.opts.clone(), r.tx.clone());
    tokio::spawn(async move {
        let ex = resend::send(&client, &plan, &opts, id).await;
        let ev = resend::event_of(&ex, &plan);
        let key = ev.dedup_key();
        let delivery = Delivery {
            events: vec![ev],
            keys: vec![key],
            duplicates: Vec::new(),
        };
        if tx
            .send_timeout(delivery, std::time::Duration::from_secs(2))
            .await
            .is_err()
        {
            tracing::warn!("the monitor is busy or gone: a resend's answer was not shown");
        }
    });
}
