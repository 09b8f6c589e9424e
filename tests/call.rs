//! `twimon call`: Twilio's side of a call played against a small IVR (`common::ivr`) on
//! 127.0.0.1. The requests the app receives carry Twilio's documented parameters, signed so an
//! independent validator accepts them; the events build the IVR path of the real sample call;
//! failures carry the code Twilio would log; scripts pass or fail naming the step.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use common::bin::Home;
use common::ivr::{self, Seen};
use twimon::domain::EventKind;
use twimon::domain::call::script::{Player, Script};
use twimon::domain::call::sim::{Ending, Method, Setup};
use twimon::source::call::{self, Entry, Options, Outcome};

const TOKEN: &str = "12345";

/// Twilio's validation, written from its documentation (not twimon's code): base64 of
/// HMAC-SHA1 over the full URL followed by every POST parameter, sorted by name, as name+value.
fn valid_signature(url: &str, seen: &Seen) -> bool {
    let mut message = url.to_owned();
    if seen.method == "POST" {
        let mut pairs = seen.params.clone();
        pairs.sort();
        for (k, v) in pairs {
            message.push_str(&k);
            message.push_str(&v);
        }
    }
    let mut mac = Hmac::<Sha1>::new_from_slice(TOKEN.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    let want = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    seen.signature.as_deref() == Some(want.as_str())
}

fn options(base: &str, path: &str) -> Options {
    let mut setup = Setup::new(format!("{base}{path}"), 42);
    "+14155550100".clone_into(&mut setup.from);
    "+18005550199".clone_into(&mut setup.to);
    let mut opts = Options::new(setup);
    opts.auth_token = Some(TOKEN.to_owned());
    opts.fast = true;
    opts.timeout = Duration::from_secs(10);
    opts
}

async fn play(opts: Options, script: &str) -> (Outcome, Vec<Entry>) {
    let script = Script::from_toml(script).unwrap();
    let mut entries = Vec::new();
    let outcome = call::run(opts, Player::new(script), |e| entries.push(e))
        .await
        .unwrap();
    (outcome, entries)
}

fn names(seen: &Seen) -> BTreeSet<&str> {
    seen.params.iter().map(|(k, _)| k.as_str()).collect()
}

const BASE: [&str; 9] = [
    "CallSid",
    "AccountSid",
    "From",
    "To",
    "Caller",
    "Called",
    "CallStatus",
    "Direction",
    "ApiVersion",
];

fn with(extra: &[&'static str]) -> BTreeSet<&'static str> {
    BASE.iter().chain(extra).copied().collect()
}

const SALES: &str = r#"
[[step]]
name = "menu"
expect_heard = "for sales press 1"
expect_verb = "Gather"
press = "1"

[[step]]
name = "sales"
expect_url = "/sales"
dial = "busy"
dial_duration = 0

[[step]]
name = "voicemail"
expect_heard = "leave a message"
record = 14

[end]
expect_heard = "Goodbye"
expect_end = "hangup"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sales_call_sends_twilio_parameters_signed_and_builds_the_real_path() {
    let (base, log) = ivr::serve().await;
    let mut opts = options(&base, "/voice");
    opts.status_callback = Some((format!("{base}/status"), Method::Post));
    let (outcome, entries) = play(opts, SALES).await;
    assert_eq!(outcome.problem, None, "{entries:#?}");
    assert_eq!(outcome.ending, Ending::Hangup);

    let seen = log.lock().unwrap().clone();
    let paths: Vec<&str> = seen.iter().map(Seen::path).collect();
    assert_eq!(
        paths,
        [
            "/voice",
            "/menu",
            "/sales",
            "/after-dial",
            "/voicemail",
            "/status"
        ]
    );
    for s in &seen {
        assert_eq!(s.method, "POST");
        assert_eq!(
            s.content_type.as_deref(),
            Some("application/x-www-form-urlencoded")
        );
        let url = format!("{base}{}", s.uri);
        assert!(valid_signature(&url, s), "{} is not signed right", s.uri);
        assert_eq!(s.get("CallSid"), Some(outcome.call_sid.as_str()));
        assert_eq!(s.get("From"), Some("+14155550100"));
        assert_eq!(s.get("Caller"), Some("+14155550100"));
        assert_eq!(s.get("To"), Some("+18005550199"));
        assert_eq!(s.get("Called"), Some("+18005550199"));
        assert_eq!(s.get("Direction"), Some("inbound"));
        assert_eq!(s.get("ApiVersion"), Some("2010-04-01"));
        assert!(
            s.get("AccountSid")
                .is_some_and(|a| a.starts_with("AC") && a.len() == 34)
        );
    }
    let [voice, menu, sales, after, voicemail, status] = &seen[..] else {
        panic!("{paths:?}")
    };
    assert_eq!(names(voice), with(&[]));
    assert_eq!(voice.get("CallStatus"), Some("ringing"));
    assert_eq!(names(menu), with(&["Digits", "FinishedOnKey"]));
    assert_eq!(
        (
            menu.get("CallStatus"),
            menu.get("Digits"),
            menu.get("FinishedOnKey")
        ),
        (Some("in-progress"), Some("1"), Some(""))
    );
    assert_eq!(names(sales), with(&[]));
    assert_eq!(
        names(after),
        with(&[
            "DialCallStatus",
            "DialCallSid",
            "DialCallDuration",
            "DialBridged"
        ])
    );
    assert_eq!(after.get("DialCallStatus"), Some("busy"));
    assert_eq!(after.get("DialCallDuration"), Some("0"));
    assert_eq!(after.get("DialBridged"), Some("false"));
    let dial_sid = after.get("DialCallSid").unwrap();
    assert!(dial_sid.starts_with("CA") && dial_sid != outcome.call_sid);
    assert_eq!(
        names(voicemail),
        with(&[
            "RecordingUrl",
            "RecordingSid",
            "RecordingDuration",
            "Digits"
        ])
    );
    assert_eq!(voicemail.get("RecordingDuration"), Some("14"));
    assert_eq!(voicemail.get("Digits"), Some("#"));
    let rec = voicemail.get("RecordingSid").unwrap();
    assert!(
        voicemail
            .get("RecordingUrl")
            .unwrap()
            .ends_with(&format!("/Recordings/{rec}"))
    );
    assert_eq!(
        names(status),
        with(&[
            "CallDuration",
            "CallbackSource",
            "SequenceNumber",
            "Timestamp"
        ])
    );
    assert_eq!(status.get("CallStatus"), Some("completed"));
    assert_eq!(status.get("CallDuration"), Some("14"));
    assert_eq!(status.get("SequenceNumber"), Some("0"));

    // The events are the ones Event Streams reports, and they tell the sample call's story.
    let kinds: Vec<EventKind> = outcome.events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::CallRequested,
            EventKind::GatherFinished,
            EventKind::CallRedirected,
            EventKind::DialFinished,
            EventKind::RecordFinished,
            EventKind::StatusCallback,
        ]
    );
    assert!(
        outcome.events[..5]
            .iter()
            .all(|e| e.source() == call::SOURCE)
    );
    let sample = include_str!("../assets/samples/flows/ivr-sales-call.json");
    let real = twimon::domain::delivery::parse_delivery(sample.as_bytes(), jiff::Timestamp::now())
        .unwrap();
    let real_path = call::path_line(&real);
    assert!(
        real_path.starts_with("/voice → Gather → 1 → /menu"),
        "{real_path}"
    );
    assert_eq!(outcome.path, real_path);
    assert!(entries.contains(&Entry::Path {
        line: real_path.clone()
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn speech_into_the_queue_posts_speech_and_queue_parameters() {
    let (base, log) = ivr::serve().await;
    let script = r#"
[[step]]
say = "Support, please"
[[step]]
expect_heard = "hold for support"
queue = "bridged"
queue_time = 12
[end]
expect_end = "hangup"
"#;
    let (outcome, entries) = play(options(&base, "/voice"), script).await;
    assert_eq!(outcome.problem, None, "{entries:#?}");
    let seen = log.lock().unwrap().clone();
    let paths: Vec<&str> = seen.iter().map(Seen::path).collect();
    assert_eq!(paths, ["/voice", "/menu", "/queued"]);
    assert_eq!(names(&seen[1]), with(&["SpeechResult", "Confidence"]));
    assert_eq!(seen[1].get("SpeechResult"), Some("Support, please"));
    assert_eq!(
        names(&seen[2]),
        with(&["QueueResult", "QueueSid", "QueueTime"])
    );
    assert_eq!(
        (seen[2].get("QueueResult"), seen[2].get("QueueTime")),
        (Some("bridged"), Some("12"))
    );
    assert!(seen[2].get("QueueSid").unwrap().starts_with("QU"));
    assert!(
        seen.iter()
            .all(|s| valid_signature(&format!("{base}{}", s.uri), s))
    );
    assert!(
        entries
            .iter()
            .any(|e| matches!(e, Entry::Note { text } if text.contains("waitUrl"))),
        "the hold music is said to be not simulated"
    );
    assert!(outcome.path.contains("Enqueue"), "{}", outcome.path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_puts_the_parameters_in_the_signed_url() {
    let (base, log) = ivr::serve().await;
    let mut opts = options(&base, "/voice");
    opts.setup.method = Method::Get;
    let (outcome, _) = play(opts, "[[step]]\nhangup = true\n").await;
    assert_eq!(outcome.ending, Ending::CallerHungUp);
    let seen = log.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(names(&seen[0]), with(&[]));
    assert!(valid_signature(&format!("{base}{}", seen[0].uri), &seen[0]));
}

async fn failed(path: &str, timeout: Duration) -> (Outcome, Vec<Entry>) {
    let (base, _log) = ivr::serve().await;
    let mut opts = options(&base, path);
    opts.timeout = timeout;
    play(opts, "").await
}

fn code(outcome: &Outcome) -> Option<u16> {
    match &outcome.ending {
        Ending::Failed(f) => f.code,
        other => panic!("the call did not fail: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_end_the_call_with_the_code_twilio_would_log() {
    let long = Duration::from_secs(10);
    let cases = [
        ("/slow", Duration::from_millis(300), 11205),
        ("/boom", long, 11200),
        ("/html", long, 12100),
        ("/broken", long, 12100),
        ("/json", long, 12300),
    ];
    for (path, timeout, want) in cases {
        let (outcome, entries) = failed(path, timeout).await;
        assert_eq!(code(&outcome), Some(want), "{path}: {entries:#?}");
        let problem = outcome
            .problem
            .as_ref()
            .expect("a failed request fails the run");
        assert!(problem.message.contains(&want.to_string()), "{problem}");
        let last = outcome
            .events
            .iter()
            .rev()
            .find(|e| !matches!(e.kind, EventKind::Other | EventKind::ErrorLog));
        let kind = last.map(|e| e.kind);
        if want == 11200 || want == 11205 {
            assert_eq!(kind, Some(EventKind::RequestFailed), "{path}");
        } else {
            assert!(
                last.is_some_and(twimon::domain::Event::twiml_failed) || want == 12300,
                "{path}"
            );
        }
        let logged = outcome
            .events
            .iter()
            .filter(|e| e.type_name() == "com.twilio.error-logs.error.logged")
            .filter_map(|e| e.data()?.get("error_code")?.as_u64())
            .collect::<Vec<_>>();
        assert_eq!(logged, [u64::from(want)], "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_loop_is_stopped_after_the_bound() {
    let (base, log) = ivr::serve().await;
    let mut opts = options(&base, "/loop");
    opts.setup.max_redirects = 5;
    let (outcome, _) = play(opts, "").await;
    let Ending::Failed(f) = &outcome.ending else {
        panic!("{:?}", outcome.ending)
    };
    assert!(f.message.contains("redirect loop"), "{f:?}");
    assert_eq!(
        f.code, None,
        "Twilio has no code for it: twimon's own bound"
    );
    assert!(outcome.problem.is_some(), "a stopped loop fails the run");
    assert_eq!(log.lock().unwrap().len(), 5);
}

// ---------------------------------------------------------------------------------------------
// The binary, headless, with scripts.

fn run_script(
    home: &Home,
    url: &str,
    script: &str,
    extra: &[&str],
) -> (bool, Vec<String>, Vec<String>) {
    let path = home.dir().join("call.toml");
    std::fs::write(&path, script).unwrap();
    let mut args = vec![
        "call".to_owned(),
        url.to_owned(),
        "--headless".to_owned(),
        "--fast".to_owned(),
        "--script".to_owned(),
        path.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (status, out, err) = home.run(&args);
    (status.success(), out, err)
}

async fn binary(
    script: &'static str,
    path: &'static str,
    extra: &'static [&'static str],
) -> (bool, Vec<String>, Vec<String>) {
    let (base, _log) = ivr::serve().await;
    tokio::task::spawn_blocking(move || {
        let home = Home::new("call");
        run_script(&home, &format!("{base}{path}"), script, extra)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passing_script_exits_0_with_a_transcript() {
    let (ok, out, err) = binary(SALES, "/voice", &[]).await;
    assert!(ok, "{out:#?} {err:#?}");
    let text = out.join("\n");
    assert!(text.contains("says \"Thanks for calling Acme.\""), "{text}");
    assert!(
        text.contains("step 1 (menu): the caller presses 1"),
        "{text}"
    );
    assert!(text.contains("(gather.finished)  Digits=1"), "{text}");
    assert!(text.contains("■ call ended: hung up (<Hangup>)"), "{text}");
    assert!(text.contains("path: /voice → Gather → 1 → /menu"), "{text}");
    assert!(!text.contains("FAILED"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_script_passes_against_the_sample_ivr() {
    let (ok, out, err) = binary(include_str!("../examples/ivr-call.toml"), "/voice", &[]).await;
    assert!(ok, "{out:#?} {err:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_transcript_is_one_object_a_line() {
    let (ok, out, err) = binary(SALES, "/voice", &["--format", "json"]).await;
    assert!(ok, "{out:#?} {err:#?}");
    let entries: Vec<serde_json::Value> = out
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = entries.iter().filter_map(|e| e["entry"].as_str()).collect();
    assert_eq!(kinds.first(), Some(&"request"));
    assert!(kinds.contains(&"say") && kinds.contains(&"reply") && kinds.contains(&"end"));
    assert_eq!(entries[0]["params"]["CallStatus"], "ringing");
}

/// Each kind of unmet expectation fails the run and names its step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_unmet_expectation_exits_non_zero_naming_the_step() {
    let cases: [(&'static str, &'static str, &'static str); 7] = [
        (
            "[[step]]\nname = \"greeting\"\nexpect_heard = \"Welcome to Globex\"\npress = \"1\"\n",
            "step 1 (greeting): expected to hear \"Welcome to Globex\"",
            "heard substring",
        ),
        (
            "[[step]]\npress = \"1\"\n[[step]]\nexpect_heard_regex = \"^Connecting you to support\"\ndial = \"busy\"\n",
            "step 2: expected to hear /^Connecting you to support/",
            "heard regex",
        ),
        (
            "[[step]]\nname = \"menu\"\nexpect_verb = \"Record\"\npress = \"1\"\n",
            "step 1 (menu): expected <Record>",
            "verb reached",
        ),
        (
            "[[step]]\npress = \"1\"\n[[step]]\nname = \"billing\"\nexpect_url = \"/billing\"\ndial = \"busy\"\n",
            "step 2 (billing): expected a request to /billing",
            "URL reached",
        ),
        (
            "[[step]]\npress = \"1\"\n[end]\nexpect_end = \"rejected\"\n",
            "end: expected the call to end \"rejected\"",
            "ending",
        ),
        (
            "[[step]]\nname = \"wrong prompt\"\ndial = \"busy\"\n",
            "step 1 (wrong prompt): the call waits on <Gather>, the step gives a dial outcome",
            "input kind",
        ),
        (
            "[[step]]\nhangup = true\n[[step]]\nname = \"never\"\npress = \"2\"\n",
            "step 2 (never): the call ended",
            "step never reached",
        ),
    ];
    for (script, want, what) in cases {
        let (ok, out, err) = binary(script, "/voice", &[]).await;
        assert!(!ok, "{what}: passed: {out:#?}");
        let last = err.last().cloned().unwrap_or_default();
        assert!(
            last.starts_with(&format!("twimon: {want}")),
            "{what}: {last:?} {err:#?}"
        );
        assert!(
            out.iter().any(|l| l.starts_with("FAILED ")),
            "{what}: the transcript says so too: {out:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_finding_or_a_failed_request_fails_the_run_naming_the_step() {
    let (ok, _, err) = binary("[[step]]\nname = \"first\"\n", "/bad-twiml", &[]).await;
    assert!(!ok);
    let last = err.last().cloned().unwrap_or_default();
    assert!(
        last.starts_with("twimon: step 1 (first): the answer of"),
        "{last}"
    );
    let (ok, _, err) = binary("", "/boom", &[]).await;
    assert!(!ok);
    let last = err.last().cloned().unwrap_or_default();
    assert!(
        last.contains("end: request failed, Twilio would log 11200"),
        "{last}"
    );
    // A script that expects the failure passes.
    let (ok, out, err) = binary("[end]\nexpect_end = \"failed\"\n", "/boom", &[]).await;
    assert!(ok, "{out:#?} {err:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn press_and_say_flags_make_a_script() {
    let (base, log) = ivr::serve().await;
    let url = format!("{base}/voice");
    let (ok, out, err) = tokio::task::spawn_blocking(move || {
        let home = Home::new("call-press");
        let (s, o, e) = home.run(&[
            "call",
            &url,
            "--headless",
            "--fast",
            "--press",
            "9",
            "--say",
            "sales",
        ]);
        (s.success(), o, e)
    })
    .await
    .unwrap();
    assert!(ok, "{out:#?} {err:#?}");
    let seen = log.lock().unwrap().clone();
    let paths: Vec<&str> = seen.iter().map(Seen::path).collect();
    // 9 is no choice: the menu again; then "sales"; the dial and the recording get their
    // defaults (completed, 5 s), and the voicemail says goodbye.
    assert_eq!(
        paths,
        [
            "/voice",
            "/menu",
            "/voice",
            "/menu",
            "/sales",
            "/after-dial",
            "/voicemail"
        ]
    );
    assert_eq!(seen[3].get("SpeechResult"), Some("sales"));
}

// ---------------------------------------------------------------------------------------------
// The monitor's caller panel, and status callbacks

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use twimon::app::App;
use twimon::domain::call::sim::Progress;
use twimon::tui::caller::{self as panel, Link};

type Host = twimon::tui::Host<Vec<u8>>;

/// A call as the monitor runs it: interactive, its transcript and controls linked to a host.
fn monitored(opts: Options) -> (call::Call, Host) {
    let mut opts = opts;
    opts.interactive = true;
    let mut call = call::start(opts, Player::new(Script::default())).unwrap();
    let (_, unused) = tokio::sync::mpsc::unbounded_channel();
    let link = Link {
        entries: std::mem::replace(&mut call.transcript, unused),
        control: call.control.clone(),
    };
    let host = Host {
        caller: Some(link),
        ..Host::bare(std::env::temp_dir(), Vec::new())
    };
    (call, host)
}

/// Hands the call's transcript to the app until `done` holds (or the transcript ends).
async fn pump(app: &mut App, host: &mut Host, done: impl Fn(&App) -> bool) {
    while !done(app) {
        let next = tokio::time::timeout(Duration::from_secs(10), panel::next(&mut host.caller));
        match next.await.expect("the call went quiet") {
            Some(entry) => panel::take(app, entry, &mut host.caller),
            None => return,
        }
    }
}

/// A key pressed in the monitor, its effects carried out as the event loop does.
fn press(app: &mut App, host: &mut Host, c: char) {
    let code = if c == '\t' {
        KeyCode::Tab
    } else {
        KeyCode::Char(c)
    };
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
    for effect in app.take_effects() {
        twimon::tui::apply(app, effect, host);
    }
}

fn status_callbacks(log: &ivr::Log) -> Vec<Seen> {
    log.lock()
        .unwrap()
        .iter()
        .filter(|s| s.path() == "/status")
        .cloned()
        .collect()
}

#[tokio::test]
async fn keys_pressed_in_the_caller_panel_reach_the_app_as_digits() {
    let (base, log) = ivr::serve().await;
    let mut opts = options(&base, "/voice");
    opts.status_callback = Some((format!("{base}/status"), Method::Post));
    opts.status_callback_events = Progress::ALL.to_vec();
    let (call, mut host) = monitored(opts);
    let mut app = App::new(100);
    pump(&mut app, &mut host, |a| {
        a.caller.as_ref().is_some_and(|c| c.gather().is_some())
    })
    .await;
    assert!(app.caller_focused(), "the waiting <Gather> has the keys");
    press(&mut app, &mut host, '1');
    pump(&mut app, &mut host, |a| {
        a.caller.as_ref().is_some_and(|c| c.dial().is_some())
    })
    .await;
    press(&mut app, &mut host, 'b');
    pump(&mut app, &mut host, |_| false).await;
    let outcome = call.outcome.await.unwrap();
    assert_eq!(outcome.ending, Ending::Hangup);

    let seen = log.lock().unwrap().clone();
    let menu = seen
        .iter()
        .find(|s| s.path() == "/menu")
        .expect("the menu was posted");
    assert_eq!(menu.get("Digits"), Some("1"));
    assert_eq!(menu.get("FinishedOnKey"), Some(""));
    assert!(valid_signature(&format!("{base}/menu"), menu));
    let dial = seen
        .iter()
        .find(|s| s.path() == "/after-dial")
        .expect("the dial's action");
    assert_eq!(dial.get("DialCallStatus"), Some("busy"));
    assert_eq!(dial.get("DialCallDuration"), Some("0"));

    // Every call-progress event asked for, in order, numbered, with its own status.
    let callbacks = status_callbacks(&log);
    let got: Vec<(&str, &str)> = callbacks
        .iter()
        .map(|s| {
            (
                s.get("CallStatus").unwrap(),
                s.get("SequenceNumber").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("initiated", "0"),
            ("ringing", "1"),
            ("in-progress", "2"),
            ("completed", "3")
        ]
    );
    for s in &callbacks {
        assert_eq!(s.get("CallbackSource"), Some("call-progress-events"));
        assert_eq!(s.get("CallSid"), Some(outcome.call_sid.as_str()));
        assert!(
            s.get("Timestamp").is_some_and(|t| t.ends_with("+0000")),
            "{s:?}"
        );
        assert!(valid_signature(&format!("{base}/status"), s));
    }
    let last = callbacks.last().unwrap();
    assert!(last.get("CallDuration").is_some());
    assert!(
        callbacks[..3]
            .iter()
            .all(|s| s.get("CallDuration").is_none())
    );
    let panel = app.caller.as_ref().unwrap();
    assert!(panel.ended());
    assert!(
        panel
            .heard
            .iter()
            .any(|h| h.text.contains("For sales press 1"))
    );
}

#[tokio::test]
async fn hanging_up_while_it_rings_cancels_the_call() {
    let (base, log) = ivr::serve().await;
    let mut opts = options(&base, "/slow");
    opts.status_callback = Some((format!("{base}/status"), Method::Post));
    opts.status_callback_events = vec![Progress::Ringing, Progress::Answered, Progress::Completed];
    let started = std::time::Instant::now();
    let (call, mut host) = monitored(opts);
    let mut app = App::new(100);
    // The voice URL is out (and will not answer for 30 s).
    pump(&mut app, &mut host, |a| {
        a.caller.as_ref().is_some_and(|c| c.call_sid.is_some())
    })
    .await;
    assert_eq!(
        app.caller.as_ref().unwrap().phase,
        twimon::app::caller::Phase::Ringing
    );
    press(&mut app, &mut host, '\t');
    press(&mut app, &mut host, 'h');
    pump(&mut app, &mut host, |_| false).await;
    let outcome = call.outcome.await.unwrap();
    assert_eq!(outcome.ending, Ending::Canceled);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the hang-up did not wait for the app"
    );
    let got: Vec<(String, String)> = status_callbacks(&log)
        .iter()
        .map(|s| {
            (
                s.get("CallStatus").unwrap().to_owned(),
                s.get("SequenceNumber").unwrap().to_owned(),
            )
        })
        .collect();
    // Never answered: no `answered` callback, and the end is `canceled`.
    assert_eq!(
        got,
        [
            ("ringing".to_owned(), "0".to_owned()),
            ("canceled".to_owned(), "1".to_owned())
        ]
    );
    // The request the caller left is an event, unanswered.
    let requested: Vec<_> = outcome
        .events
        .iter()
        .filter(|e| e.kind == EventKind::CallRequested)
        .collect();
    assert_eq!(requested.len(), 1);
    assert!(requested[0].response_body().is_none());
}

#[tokio::test]
async fn the_scripts_inputs_come_first_and_the_panel_answers_the_rest() {
    let (base, log) = ivr::serve().await;
    let mut opts = options(&base, "/voice");
    opts.interactive = true;
    let script = Script::from_toml("[[step]]\npress = \"1\"\n").unwrap();
    let mut call = call::start(opts, Player::new(script)).unwrap();
    let mut seen_dial = false;
    while let Some(entry) = call.transcript.recv().await {
        // The script pressed 1; the <Dial> it has no step for waits on the panel.
        if let Entry::Waiting(w) = &entry {
            assert_eq!(w.verb, "Dial", "the script answers the <Gather>");
            seen_dial = true;
            call.control
                .send(call::Control::Dial {
                    status: "no-answer".into(),
                    duration: 0,
                })
                .unwrap();
        }
    }
    assert!(seen_dial);
    let seen = log.lock().unwrap().clone();
    let dial = seen.iter().find(|s| s.path() == "/after-dial").unwrap();
    assert_eq!(dial.get("DialCallStatus"), Some("no-answer"));
}
