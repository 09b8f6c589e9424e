//! Resend: a proxied request sent again to the app, signed as Twilio would (the test app
//! checks the signature with its own implementation), with edits, linked to its original;
//! and `twimon resend` over a recording, diffing each answer, as a CI regression check.

mod common;

use std::time::Duration;

use common::app;
use common::bin::Home;
use common::temp::TempDir;
use twimon::domain::diff::{self, Op};
use twimon::domain::exchange::{Edit, ProxyFacts};
use twimon::domain::{Event, EventKind};
use twimon::source::listen;
use twimon::source::proxy::{self, Proxy};
use twimon::source::resend::{self, Mapping, Options, SignUrl};

const TOKEN: &str = "12345";
const TUNNEL: &str = "abc.ngrok.app";

async fn start(target: &str, record: Option<std::path::PathBuf>) -> Proxy {
    let config = proxy::Config {
        target: target.to_owned(),
        timeout: Duration::from_secs(5),
        listen: listen::Config {
            record,
            ..listen::Config::default()
        },
    };
    proxy::start("127.0.0.1:0", config).await.unwrap()
}

async fn next_event(p: &mut Proxy) -> Event {
    let d = tokio::time::timeout(Duration::from_secs(10), p.rx.recv())
        .await
        .unwrap()
        .unwrap();
    d.events.into_iter().next().unwrap()
}

fn call(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = [
        ("AccountSid", "AC0001"),
        ("CallSid", "CA0001"),
        ("From", "+14155550100"),
        ("CallStatus", "in-progress"),
    ]
    .iter()
    .chain(extra)
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    p.dedup();
    p
}

/// A call through the proxy as Twilio makes it: the Voice URL, then the <Gather> action.
async fn play_call(p: &mut Proxy) -> (Event, Event) {
    let mut events = Vec::new();
    for (path, pairs) in [("/voice", call(&[])), ("/menu", call(&[("Digits", "2")]))] {
        let public = format!("https://{TUNNEL}{path}");
        let r = reqwest::Client::new()
            .post(format!("http://{}{path}", p.addr))
            .header("host", TUNNEL)
            .header("x-forwarded-proto", "https")
            .header(
                "x-twilio-signature",
                app::twilio_signature(TOKEN, &public, &pairs),
            )
            .header("content-type", "application/x-www-form-urlencoded")
            .body(twimon::domain::call::sim::form_encode(&pairs))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        events.push(next_event(p).await);
    }
    let menu = events.pop().unwrap();
    (events.pop().unwrap(), menu)
}

fn options(to: Option<&str>) -> Options {
    Options {
        to: to.map(str::to_owned),
        auth_token: Some(TOKEN.to_owned()),
        timeout: Duration::from_secs(5),
        ..Options::default()
    }
}

#[tokio::test]
async fn a_resend_is_signed_edited_and_linked_and_its_diff_marks_the_change() {
    let app = app::start(Some(TOKEN), "Thanks").await;
    let mut p = start(&app.url, None).await;
    let (_, menu) = play_call(&mut p).await;
    assert_eq!(menu.kind, EventKind::GatherFinished);

    // To the proxied target, with Digits changed.
    let edits = Edit::parse_all("Digits=3").unwrap();
    let plan = resend::plan(&menu, &options(None), &edits).unwrap();
    assert_eq!(plan.target_url, format!("{}/menu", app.url));
    let client = proxy::client();
    let ex = resend::send(&client, &plan, &options(None), "RS1".into()).await;
    assert_eq!(ex.status, Some(200), "{:?}", ex.failure);
    let got = app.requests();
    let last = got.last().unwrap();
    assert_eq!(
        last.signature_ok,
        Some(true),
        "signed as Twilio would, for the public URL"
    );
    assert_eq!(
        last.param("Digits").as_deref(),
        Some("3"),
        "the edit arrived"
    );
    assert_eq!(last.param("CallSid").as_deref(), Some("CA0001"));

    let answer = resend::event_of(&ex, &plan);
    assert_eq!(answer.kind, EventKind::GatherFinished);
    let facts = ProxyFacts::of(&answer).unwrap();
    assert_eq!(facts.resend_of.as_deref(), Some(menu.id()));
    assert_eq!(answer.parameter("Digits").as_deref(), Some("3"));

    // Exactly the changed line is marked.
    let d = diff::answers(&menu, &answer);
    let changes: Vec<(Op, &str)> = d
        .iter()
        .filter(|l| l.op != Op::Same)
        .map(|l| (l.op, l.text.trim()))
        .collect();
    assert_eq!(
        changes,
        vec![
            (Op::Removed, "<Say>You pressed 2.</Say>"),
            (Op::Added, "<Say>You pressed 3.</Say>")
        ]
    );
}

#[tokio::test]
async fn ivr_mappings_and_the_local_url_sign_too() {
    let app = app::start(Some(TOKEN), "Thanks").await;
    let mut p = start(&app.url, None).await;
    let (voice, _) = play_call(&mut p).await;
    let client = proxy::client();

    let mut opts = options(None);
    opts.ivr = vec![Mapping::parse(&format!("https://{TUNNEL}={}", app.url)).unwrap()];
    let plan = resend::plan(&voice, &opts, &[]).unwrap();
    let ex = resend::send(&client, &plan, &opts, "RS1".into()).await;
    assert_eq!(ex.status, Some(200));

    // Signed for the local URL, the app (which rebuilds it from Host) agrees as well.
    opts.sign_url = SignUrl::Target;
    let ex = resend::send(&client, &plan, &opts, "RS2".into()).await;
    assert_eq!(ex.status, Some(200));
    // A wrong token is refused by the app: the check is real.
    opts.auth_token = Some("wrong".into());
    let ex = resend::send(&client, &plan, &opts, "RS3".into()).await;
    assert_eq!(ex.status, Some(403));
    assert!(
        app.requests()
            .iter()
            .filter(|g| g.signature_ok == Some(true))
            .count()
            >= 4
    );
}

/// Records a call through the proxy into `dir`/call.ndjson.
async fn recording(dir: &TempDir) -> std::path::PathBuf {
    let app = app::start(Some(TOKEN), "Thanks").await;
    let path = dir.join("call.ndjson");
    let mut p = start(&app.url, Some(path.clone())).await;
    play_call(&mut p).await;
    path
}

async fn resend_cli(home: &Home, args: Vec<String>) -> (bool, Vec<String>, Vec<String>) {
    let mut cmd = home.command();
    cmd.arg("resend").args(args);
    let (status, out, err) = tokio::task::spawn_blocking(move || common::bin::run(&mut cmd))
        .await
        .unwrap();
    (status.success(), out, err)
}

#[tokio::test]
async fn headless_expect_same_passes_on_the_same_answers_and_fails_on_a_change() {
    let home = Home::new("resend");
    let dir = TempDir::new("resend-rec");
    let rec = recording(&dir).await;
    let rec = rec.display().to_string();

    let same = app::start(Some(TOKEN), "Thanks").await;
    let args = |url: &str, extra: &[&str]| {
        let mut a: Vec<String> = [
            rec.as_str(),
            "--to",
            url,
            "--auth-token",
            TOKEN,
            "--expect-same",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    };
    let (ok, out, err) = resend_cli(&home, args(&same.url, &[])).await;
    assert!(ok, "{out:?} {err:?}");
    assert!(
        out.iter()
            .any(|l| l == "2 steps: 2 same, 0 changed, 0 failed"),
        "{out:?}"
    );
    assert!(same.requests().iter().all(|g| g.signature_ok == Some(true)));

    let fixed = app::start(Some(TOKEN), "Goodbye").await;
    let (ok, out, err) = resend_cli(&home, args(&fixed.url, &[])).await;
    assert!(!ok, "a changed answer fails --expect-same: {out:?}");
    assert!(
        err.iter().any(|l| l.contains("1 of 2 answers differ")),
        "{err:?}"
    );
    let marked: Vec<&str> = out
        .iter()
        .filter(|l| l.starts_with("  -") || l.starts_with("  +"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        marked,
        vec!["  -   <Say>Thanks</Say>", "  +   <Say>Goodbye</Say>"]
    );

    // An edit changes the request; the app sees it.
    let (ok, out, _) = resend_cli(
        &home,
        args(&same.url, &["--set", "Digits=3", "--call", "CA0001"]),
    )
    .await;
    assert!(!ok);
    assert!(
        out.iter()
            .any(|l| l.contains("+   <Say>You pressed 3.</Say>")),
        "{out:?}"
    );
    assert_eq!(
        same.requests().last().unwrap().param("Digits").as_deref(),
        Some("3")
    );

    // A dead app is a failed request: non-zero even without --expect-same.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let (ok, out, _) = resend_cli(&home, vec![rec.clone(), "--to".into(), url]).await;
    assert!(!ok);
    assert!(
        out.iter()
            .any(|l| l == "2 steps: 0 same, 2 changed, 2 failed"),
        "{out:?}"
    );

    // Nothing for an unknown call, said clearly.
    let (ok, _, err) = resend_cli(&home, args(&same.url, &["--call", "CAnope"])).await;
    assert!(!ok);
    assert!(
        err.iter()
            .any(|l| l.contains("no TwiML request of call CAnope")),
        "{err:?}"
    );
}

/// `E`, then Ctrl-E in the monitor: the parameters go to `$EDITOR` as a file of `Name=value`
/// lines, and what the editor leaves there is resent, signed; a bad line sends nothing and
/// says which line; so does an editor that fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_edited_in_the_editor_are_resent_and_a_bad_file_sends_nothing() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    let app = app::start(Some(TOKEN), "Thanks").await;
    let mut p = start(&app.url, None).await;
    let (_, menu) = play_call(&mut p).await;
    let mut monitor = twimon::app::App::new(100);
    let key = menu.dedup_key();
    monitor.ingest(twimon::source::Delivery {
        events: vec![menu.clone()],
        keys: vec![key],
        duplicates: Vec::new(),
    });
    let mut host = twimon::tui::Host {
        resend: Some(twimon::tui::resend::Resender::new(
            options(None),
            p.sender(),
        )),
        ..twimon::tui::Host::bare(std::env::temp_dir(), Vec::new())
    };
    let mut edit_with = |monitor: &mut twimon::app::App, editor: &str| {
        host.editor = Some(editor.to_owned());
        monitor.on_key(KeyEvent::new(KeyCode::Char('E'), KeyModifiers::SHIFT));
        for c in "Digits=5".chars() {
            monitor.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        monitor.on_key(KeyEvent::new(KeyCode::Char('e'), KeyModifiers::CONTROL));
        let effects = monitor.take_effects();
        assert_eq!(effects.len(), 1, "{effects:?}");
        for effect in effects {
            twimon::tui::apply(monitor, effect, &mut host);
        }
        monitor.status.clone().unwrap_or_default()
    };
    let sent = app.requests().len();

    // The file holds what was typed inline; the editor turns Digits=5 into 7.
    let status = edit_with(&mut monitor, "sed -i 's/^Digits=5$/Digits=7/'");
    assert!(status.starts_with("resending"), "{status}");
    let answer = next_event(&mut p).await;
    let got = app.requests();
    assert_eq!(got.len(), sent + 1);
    let last = got.last().unwrap();
    assert_eq!(
        last.param("Digits").as_deref(),
        Some("7"),
        "the edit arrived"
    );
    assert_eq!(last.param("CallSid").as_deref(), Some("CA0001"));
    assert_eq!(last.signature_ok, Some(true), "signed for what was sent");
    assert_eq!(
        ProxyFacts::of(&answer).unwrap().resend_of.as_deref(),
        Some(menu.id())
    );

    // A line that is not Name=value: its number, and nothing sent.
    let status = edit_with(&mut monitor, "sed -i '$a nonsense'");
    assert!(
        status.contains("not sent: line ") && status.contains("\"nonsense\" is not Name=value"),
        "{status}"
    );
    // An editor that fails (vim's :cq), or none at all.
    let status = edit_with(&mut monitor, "false");
    assert!(status.contains("exited with 1: nothing sent"), "{status}");
    host.editor = None;
    monitor.on_key(KeyEvent::new(KeyCode::Char('E'), KeyModifiers::SHIFT));
    monitor.on_key(KeyEvent::new(KeyCode::Char('e'), KeyModifiers::CONTROL));
    for effect in monitor.take_effects() {
        twimon::tui::apply(&mut monitor, effect, &mut host);
    }
    assert!(
        monitor
            .status
            .as_deref()
            .unwrap_or_default()
            .contains("set VISUAL or EDITOR"),
        "{:?}",
        monitor.status
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(app.requests().len(), sent + 1, "nothing more was sent");
}
