//! `twimon proxy` with a real app behind it (tests/common/app.rs, on 127.0.0.1:0): what the
//! app receives and what Twilio gets back are byte-compared, and each exchange is checked as
//! the event the monitor shows.

mod common;

use std::time::{Duration, Instant};

use common::app;
use twimon::domain::exchange::ProxyFacts;
use twimon::domain::{Event, EventKind};
use twimon::source::listen;
use twimon::source::proxy::{self, Proxy};

const TOKEN: &str = "12345";
const TUNNEL: &str = "abc.ngrok.app";

async fn start(target: &str, timeout: Duration) -> Proxy {
    let config = proxy::Config {
        target: target.to_owned(),
        timeout,
        listen: listen::Config::default(),
    };
    proxy::start("127.0.0.1:0", config).await.unwrap()
}

async fn next_event(p: &mut Proxy) -> Event {
    let d = tokio::time::timeout(Duration::from_secs(10), p.rx.recv())
        .await
        .expect("an event within 10 s")
        .expect("the feed is open");
    assert_eq!(d.events.len(), 1);
    d.events.into_iter().next().unwrap()
}

fn params(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn form(p: &[(String, String)]) -> String {
    twimon::domain::call::sim::form_encode(p)
}

/// A Twilio-style POST through the tunnel: its Host, https, signed for the public URL.
fn twilio_post(p: &Proxy, path: &str, pairs: &[(String, String)]) -> reqwest::RequestBuilder {
    twilio_post_to(&format!("http://{}", p.addr), path, pairs)
}

fn twilio_post_to(base: &str, path: &str, pairs: &[(String, String)]) -> reqwest::RequestBuilder {
    let public = format!("https://{TUNNEL}{path}");
    let sig = app::twilio_signature(TOKEN, &public, pairs);
    reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("host", TUNNEL)
        .header("x-forwarded-proto", "https")
        .header("x-twilio-signature", sig)
        .header("i-twilio-idempotency-token", "idem-1")
        .header("user-agent", "TwilioProxy/1.1")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(pairs))
}

fn call(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut p = params(&[
        ("AccountSid", "AC0001"),
        ("CallSid", "CA0001"),
        ("From", "+14155550100"),
        ("To", "+18005550199"),
        ("CallStatus", "in-progress"),
    ]);
    p.extend(params(extra));
    p
}

#[tokio::test]
async fn requests_and_answers_pass_verbatim_and_the_signature_still_checks() {
    let app = app::start(Some(TOKEN), "Thanks").await;
    let mut p = start(&app.url, Duration::from_secs(5)).await;
    let pairs = call(&[("Digits", "2"), ("SpeechResult", "a b&c=d ü")]);
    let sent_body = form(&pairs);
    let through = twilio_post(&p, "/menu?step=1", &pairs)
        .send()
        .await
        .unwrap();
    assert_eq!(through.status(), 200);
    let through_headers = through.headers().clone();
    let through_body = through.bytes().await.unwrap();

    let got = app.requests();
    assert_eq!(got.len(), 1);
    let got = &got[0];
    assert_eq!(got.signature_ok, Some(true), "the app's own check passes");
    assert_eq!(
        (got.method.as_str(), got.uri.as_str()),
        ("POST", "/menu?step=1")
    );
    assert_eq!(
        got.body.as_ref(),
        sent_body.as_bytes(),
        "body byte for byte"
    );
    for (name, value) in [
        ("host", TUNNEL),
        ("x-forwarded-proto", "https"),
        ("i-twilio-idempotency-token", "idem-1"),
        ("user-agent", "TwilioProxy/1.1"),
        ("content-type", "application/x-www-form-urlencoded"),
        ("x-forwarded-host", TUNNEL),
        ("x-forwarded-for", "127.0.0.1"),
    ] {
        assert_eq!(got.header(name), Some(value), "{name}");
    }
    assert!(got.header("x-twilio-signature").is_some());

    // The same request straight to the app: the proxy's answer is the app's, byte for byte.
    let direct = twilio_post_to(&app.url, "/menu?step=1", &pairs)
        .send()
        .await
        .unwrap();
    assert_eq!(
        direct.headers()["content-type"],
        through_headers["content-type"]
    );
    assert_eq!(
        direct.headers()["content-length"],
        through_headers["content-length"]
    );
    assert_eq!(direct.status(), 200);
    assert_eq!(direct.bytes().await.unwrap(), through_body);

    let ev = next_event(&mut p).await;
    let facts = ProxyFacts::of(&ev).expect("a proxied event");
    assert_eq!(ev.url(), "https://abc.ngrok.app/menu?step=1");
    assert_eq!(facts.target, format!("{}/menu?step=1", app.url));
    assert!(
        facts
            .request_headers
            .contains(&("host".to_owned(), TUNNEL.to_owned()))
    );
    assert!(
        facts
            .response_headers
            .iter()
            .any(|(k, v)| k == "content-type" && v == "text/xml")
    );
    assert!(facts.latency > Duration::ZERO);
    assert_eq!(ev.parameter("SpeechResult").as_deref(), Some("a b&c=d ü"));
}

/// A request's path, its parameters, and the kind its event must have.
type Step = (&'static str, Vec<(String, String)>, EventKind);

#[tokio::test]
async fn a_gather_round_trip_and_status_callbacks_get_their_kinds() {
    let app = app::start(None, "Thanks").await;
    let mut p = start(&app.url, Duration::from_secs(5)).await;
    let steps: [Step; 4] = [
        ("/voice", call(&[]), EventKind::CallRequested),
        ("/menu", call(&[("Digits", "2")]), EventKind::GatherFinished),
        ("/voice", call(&[]), EventKind::CallRedirected),
        (
            "/status",
            call(&[
                ("CallStatus", "completed"),
                ("CallbackSource", "call-progress-events"),
                ("SequenceNumber", "3"),
            ]),
            EventKind::StatusCallback,
        ),
    ];
    for (path, pairs, kind) in steps {
        let r = twilio_post(&p, path, &pairs).send().await.unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        let ev = next_event(&mut p).await;
        assert_eq!(ev.kind, kind, "{path}");
        assert_eq!(ev.call_sid.as_ref().unwrap().as_str(), "CA0001");
        assert!(ProxyFacts::of(&ev).is_some());
        if kind == EventKind::CallRequested {
            let twiml = twimon::domain::twiml::decode(&ev.response_body().unwrap());
            assert!(twiml.text.contains("<Gather action=\"/menu\""));
            assert_eq!(ev.twiml, twimon::domain::TwimlMark::Clean);
        }
        if kind == EventKind::StatusCallback {
            assert_eq!(ev.sequence, Some(3));
            assert_eq!(ev.response_code, Some(204));
        }
    }
}

#[tokio::test]
async fn a_dead_app_is_a_502_and_a_problem_event_and_the_proxy_keeps_serving() {
    // A port nobody listens on.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let mut p = start(&url, Duration::from_secs(5)).await;
    for _ in 0..2 {
        let r = twilio_post(&p, "/voice", &call(&[])).send().await.unwrap();
        assert_eq!(r.status(), 502);
        let ev = next_event(&mut p).await;
        assert_eq!(ev.kind, EventKind::RequestFailed);
        let facts = ProxyFacts::of(&ev).unwrap();
        assert_eq!(facts.error_code, Some(11200));
        assert!(facts.error.unwrap().contains("did not answer"));
    }
}

#[tokio::test]
async fn a_slow_app_is_a_time_out_event_with_twilios_11205() {
    let app = app::start(None, "Thanks").await;
    let mut p = start(&app.url, Duration::from_millis(500)).await;
    let began = Instant::now();
    let r = twilio_post(&p, "/slow", &call(&[])).send().await.unwrap();
    assert_eq!(r.status(), 504);
    assert!(
        began.elapsed() < Duration::from_secs(3),
        "answered at the bound, not the app's 5 s"
    );
    let ev = next_event(&mut p).await;
    assert_eq!(ev.kind, EventKind::RequestFailed);
    let facts = ProxyFacts::of(&ev).unwrap();
    assert_eq!(facts.error_code, Some(11205));
    // …and the next request is served as usual.
    let r = twilio_post(&p, "/voice", &call(&[])).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_mebibyte_answer_streams_through_whole() {
    let app = app::start(None, "Thanks").await;
    let mut p = start(&app.url, Duration::from_secs(5)).await;
    let r = reqwest::get(format!("http://{}/big?CallSid=CA0001", p.addr))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = r.bytes().await.unwrap();
    assert_eq!(body.len(), 1024 * 1024);
    assert!(body.iter().all(|b| *b == b'x'));
    let ev = next_event(&mut p).await;
    let facts = ProxyFacts::of(&ev).unwrap();
    assert_eq!(facts.body_bytes, 1024 * 1024);
    assert!(facts.truncated, "the event keeps a bounded copy");
    // A GET webhook's parameters come from its query.
    assert_eq!(ev.parameter("CallSid").as_deref(), Some("CA0001"));
}

#[tokio::test]
async fn event_streams_deliveries_are_taken_on_the_reserved_path() {
    let app = app::start(None, "Thanks").await;
    let mut p = start(&app.url, Duration::from_secs(5)).await;
    let batch = common::http::batch(&["EV1"]);
    let r = reqwest::Client::new()
        .post(format!("http://{}{}", p.addr, proxy::EVENTS_PATH))
        .header("content-type", "application/json")
        .body(batch)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ev = next_event(&mut p).await;
    assert!(
        ProxyFacts::of(&ev).is_none(),
        "a delivery, not a proxied exchange"
    );
    assert!(app.requests().is_empty(), "deliveries never reach the app");
}
