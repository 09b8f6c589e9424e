//! criterion benches of the hot paths: parsing a delivery, decoding TwiML, inserting into the
//! store, switching filters at 1M events, and drawing a frame at 1k / 100k / 1M events.
//!
//! `cargo bench --bench core` (add `-- frame` to run one group). The figures to compare are
//! ratios inside one run: frame@1M ÷ frame@1k, not absolute times.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use twimon::app::{Action, App, Pane};
use twimon::domain::delivery::parse_delivery;
use twimon::domain::{CallSid, Event, EventKind, twiml};
use twimon::store::{Filter, Store, kind_bit};

const FLOW: &str = include_str!("../assets/samples/flows/ivr-sales-call.json");
const FAILED: &str = include_str!("../assets/samples/flows/failed-call.json");

fn arrival() -> jiff::Timestamp {
    "2026-11-28T14:00:00Z".parse().unwrap()
}

/// The sample events, compacted (as Twilio sends them).
fn templates() -> Vec<Event> {
    let mut out = Vec::new();
    for text in [FLOW, FAILED] {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        let compact = serde_json::to_vec(&v).unwrap();
        out.extend(parse_delivery(&compact, arrival()).unwrap());
    }
    out
}

/// A 10-event delivery with distinct ids, as the load generator sends.
fn delivery_10() -> Vec<u8> {
    let t = templates();
    let events: Vec<serde_json::Value> = (0..10)
        .map(|i| {
            let mut v: serde_json::Value = serde_json::from_str(&t[i % t.len()].raw).unwrap();
            v["id"] = serde_json::Value::String(format!("ev-{i}"));
            v
        })
        .collect();
    serde_json::to_vec(&events).unwrap()
}

/// `n` events over ~n/5 calls, cycling through the sample kinds.
fn events(n: usize) -> impl Iterator<Item = Event> {
    let t = templates();
    (0..n).map(move |i| {
        let mut e = t[i % t.len()].clone();
        e.call_sid = Some(CallSid(format!("CA{:032x}", i / 5).into()));
        e
    })
}

fn app_with(n: usize) -> App {
    let mut app = App::new(n.max(1));
    for e in events(n) {
        app.push(e, None);
    }
    app.health.url = "http://127.0.0.1:7077/".into();
    app.health.listening = true;
    app
}

fn bench_parse(c: &mut Criterion) {
    let body = delivery_10();
    c.bench_function("parse/delivery_10_events", |b| {
        b.iter(|| parse_delivery(black_box(&body), arrival()).unwrap());
    });
    c.bench_function("parse/serde_json_value_baseline", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&body)).unwrap());
    });
}

fn bench_twiml(c: &mut Criterion) {
    let bodies: Vec<String> = templates()
        .iter()
        .filter_map(Event::response_body)
        .collect();
    c.bench_function("twiml/decode_pretty_5_bodies", |b| {
        b.iter(|| {
            for body in &bodies {
                black_box(twiml::decode(black_box(body)));
            }
        });
    });
}

fn bench_store(c: &mut Criterion) {
    let batch: Vec<Event> = events(10_000).collect();
    c.bench_function("store/insert_10k_with_eviction", |b| {
        b.iter_batched(
            || (Store::new(5_000), batch.clone()),
            |(mut s, evs)| {
                for e in evs {
                    s.push(e);
                }
                s
            },
            criterion::BatchSize::LargeInput,
        );
    });
}

fn bench_filters(c: &mut Criterion) {
    let mut app = app_with(1_000_000);
    let mut g = c.benchmark_group("filter_switch_1M");
    g.sample_size(20);
    let gather = Filter {
        kinds: kind_bit(EventKind::GatherFinished).unwrap(),
        ..Filter::default()
    };
    g.bench_function("type", |b| {
        b.iter(|| {
            app.set_filter(gather.clone());
            app.set_filter(Filter::default());
        });
    });
    g.bench_function("problems", |b| {
        b.iter(|| {
            app.set_filter(Filter {
                problems: true,
                ..Filter::default()
            });
            app.set_filter(Filter::default());
        });
    });
    let call = app.store.get(500_000).and_then(|e| e.call_sid.clone());
    g.bench_function("one_call", |b| {
        b.iter(|| {
            app.set_filter(Filter {
                call: call.clone(),
                ..Filter::default()
            });
            app.set_filter(Filter::default());
        });
    });
    // The filter language: what Enter on `/EXPR` costs (the first turn of its scan; the rest
    // runs in turns between keys). Beside the type switch above, in the same run.
    let sid_tail = call
        .as_ref()
        .map(|c| c.as_str()[c.as_str().len() - 6..].to_owned())
        .unwrap_or_default();
    for (name, expr) in [
        ("expr_type_gather", "type:gather".to_owned()),
        ("expr_code_ge_500", "code>=500".to_owned()),
        ("expr_ms_and_url", "ms>1000 url:/orders".to_owned()),
        ("expr_digits_2", "Digits=2".to_owned()),
        (
            "expr_call_short_sid",
            format!("call:CA…{sid_tail} !type:record"),
        ),
        ("expr_free_text", "\"no such text\"".to_owned()),
    ] {
        let query = twimon::domain::filter::Query::parse(&expr).unwrap();
        g.bench_function(name, |b| {
            b.iter(|| {
                app.set_filter(Filter {
                    search: Some(query.clone()),
                    ..Filter::default()
                });
                app.set_filter(Filter::default());
            });
        });
    }
    // Expressions that read parameters and free text, scanned to their end over all 1M
    // events turn by turn (the switch above is the first turn: what the first screenful
    // waits for).
    for (name, expr) in [
        ("expr_digits_2_whole_scan", "Digits=2"),
        ("expr_free_text_whole_scan", "\"no such text\""),
    ] {
        let query = twimon::domain::filter::Query::parse(expr).unwrap();
        g.bench_function(name, |b| {
            b.iter(|| {
                app.set_filter(Filter {
                    search: Some(query.clone()),
                    ..Filter::default()
                });
                while app.advance_search() {}
                app.set_filter(Filter::default());
            });
        });
    }
    // A cheap expression scanned to its end over all 1M events, turn by turn.
    let code = twimon::domain::filter::Query::parse("code>=500").unwrap();
    g.bench_function("expr_code_ge_500_whole_scan", |b| {
        b.iter(|| {
            app.set_filter(Filter {
                search: Some(code.clone()),
                ..Filter::default()
            });
            while app.advance_search() {}
            app.set_filter(Filter::default());
        });
    });
    // One turn of a search over the newest events: what a key may wait for.
    g.bench_function("search_one_chunk", |b| {
        b.iter(|| {
            app.set_filter(Filter {
                search: twimon::domain::filter::Query::parse("no such text").ok(),
                ..Filter::default()
            });
            app.set_filter(Filter::default());
        });
    });
    // `@14:00` / `:goto 14:00`: one pass over the shown events' times, on a key press.
    // The time of an event half-way, so the pass finds one (the samples' clock times vary).
    let at = app
        .store
        .get(500_000)
        .map(|e| e.time.strftime("%Y-%m-%dT%H:%M:%S").to_string())
        .unwrap();
    g.bench_function("goto_time", |b| {
        b.iter(|| app.run_command(&format!("goto {at}")).unwrap());
    });
    g.finish();
}

fn bench_frames(c: &mut Criterion) {
    let mut g = c.benchmark_group("frame_200x50");
    for n in [1_000usize, 100_000, 1_000_000] {
        let mut app = app_with(n);
        let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
        g.bench_with_input(BenchmarkId::new("follow", n), &n, |b, _| {
            b.iter(|| {
                twimon::tui::draw(&mut term, &mut app).unwrap();
            });
        });
        // Paused in the middle.
        app.update(Action::Top);
        app.selected = app.store.view_seq(app.store.view_len() / 2);
        g.bench_with_input(BenchmarkId::new("paused_middle", n), &n, |b, _| {
            b.iter(|| {
                twimon::tui::draw(&mut term, &mut app).unwrap();
            });
        });
        app.update(Action::Follow);
        app.update(Action::ToggleKind(3));
        g.bench_with_input(BenchmarkId::new("type_filter", n), &n, |b, _| {
            b.iter(|| {
                twimon::tui::draw(&mut term, &mut app).unwrap();
            });
        });
        // Two parameter columns: each visible row reads its values from the raw parameters.
        app.set_filter(Filter::default());
        app.columns =
            twimon::app::look::Column::list("time,type,call,Digits,DialCallStatus,code").unwrap();
        g.bench_with_input(BenchmarkId::new("param_columns", n), &n, |b, _| {
            b.iter(|| {
                twimon::tui::draw(&mut term, &mut app).unwrap();
            });
        });
    }
    g.finish();
}

/// A frame at each size of the snapshot matrix, in each theme, at 1M events, beside the
/// same frame at 1k events: themes and the narrow layouts must cost what the dark 200×50
/// frame does, and nothing may grow with the number of events.
fn bench_frame_themes(c: &mut Criterion) {
    use twimon::app::look::Theme;
    let mut g = c.benchmark_group("frame_themes");
    for n in [1_000usize, 1_000_000] {
        let mut app = app_with(n);
        for (w, h) in [(60, 15), (80, 24), (200, 50)] {
            let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
            for theme in Theme::ALL {
                app.set_theme(theme);
                let id = BenchmarkId::new(format!("{w}x{h}_{theme}"), n);
                g.bench_with_input(id, &n, |b, _| {
                    b.iter(|| twimon::tui::draw(&mut term, &mut app).unwrap());
                });
            }
        }
    }
    g.finish();
}

/// `n` events whose every response is `twiml` (base64'd into the first sample's shape).
fn app_answering(n: usize, twiml: &str) -> App {
    use base64::Engine as _;
    let mut v: serde_json::Value = serde_json::from_str(FLOW).unwrap();
    let mut ev = v.as_array_mut().unwrap().remove(0);
    ev["data"]["response"]["responseBody"] = base64::engine::general_purpose::STANDARD
        .encode(twiml)
        .into();
    let mut app = App::new(n);
    for i in 0..n {
        ev["id"] = format!("ev-{i}").into();
        let body = serde_json::to_vec(&ev).unwrap();
        for e in parse_delivery(&body, arrival()).unwrap() {
            let key = e.dedup_key();
            app.push(e, key);
        }
    }
    app
}

/// An IVR menu with `says` prompts: the pane's TwiML, one line a prompt.
fn menu(says: usize) -> String {
    let mut t = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/menu" numDigits="1">"#,
    );
    for i in 0..says {
        let _ = write!(t, "<Say>For option {i}, press {}.</Say>", i % 10);
    }
    t.push_str("</Gather><Redirect>/voice</Redirect></Response>");
    t
}

/// A frame of the table with the TwiML pane, and with the raw pane, for an answer that just
/// fills the pane (48 prompts) and one ten times larger: equal costs mean the frame decodes
/// nothing and draws only the lines in view.
fn bench_pane(c: &mut Criterion) {
    let mut g = c.benchmark_group("pane_200x50");
    for (name, says) in [("normal", 48usize), ("10x", 480)] {
        let mut app = app_answering(1_000, &menu(says));
        let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
        for pane in [Pane::Twiml, Pane::Raw] {
            app.update(Action::Pane(pane));
            // Warm: the selection's decode is prepared once, as the first frame on it does.
            twimon::tui::draw(&mut term, &mut app).unwrap();
            let id = format!(
                "{}_{name}",
                if pane == Pane::Twiml { "twiml" } else { "raw" }
            );
            g.bench_function(id, |b| {
                b.iter(|| twimon::tui::draw(&mut term, &mut app).unwrap());
            });
        }
        // For scale: what a frame would cost if it decoded the selection itself.
        let body = app.current().and_then(Event::response_body).unwrap();
        g.bench_function(format!("decode_once_{name}"), |b| {
            b.iter(|| black_box(twiml::decode(black_box(&body))));
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_parse,
    bench_twiml,
    bench_store,
    bench_filters,
    bench_frames,
    bench_frame_themes,
    bench_pane
);
criterion_main!(benches);
