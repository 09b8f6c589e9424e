//! A small IVR, the app `twimon call` plays against: the documents of the bundled sample call
//! (`assets/samples/flows/ivr-sales-call.json`) plus a speech branch into a queue, and routes
//! that fail the way apps fail. It records every request it receives. `examples/ivr.rs` serves
//! the same router for the README's walk-through.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

/// One request as the app received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query.
    pub uri: String,
    pub signature: Option<String>,
    pub content_type: Option<String>,
    /// The form pairs of the body (POST) or of the query (GET), decoded, in order.
    pub params: Vec<(String, String)>,
}

impl Seen {
    pub fn path(&self) -> &str {
        self.uri.split('?').next().unwrap_or_default()
    }

    pub fn map(&self) -> BTreeMap<String, String> {
        self.params.iter().cloned().collect()
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub type Log = Arc<Mutex<Vec<Seen>>>;

const XML: &str = "text/xml; charset=utf-8";

fn twiml(body: &str) -> Response {
    (
        [(header::CONTENT_TYPE, XML)],
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>{body}</Response>"),
    )
        .into_response()
}

/// Percent-decoding with `+` as a space, as forms are encoded.
pub fn form_pairs(s: &str) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz");
                    match u8::from_str_radix(hex, 16) {
                        Ok(b) => {
                            out.push(b);
                            i += 2;
                        }
                        Err(_) => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

async fn handle(
    State(log): State<Log>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text = String::from_utf8_lossy(&body).into_owned();
    let params = if method == Method::GET {
        form_pairs(uri.query().unwrap_or_default())
    } else {
        form_pairs(&text)
    };
    let header_of = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let seen = Seen {
        method: method.to_string(),
        uri: uri.to_string(),
        signature: header_of("x-twilio-signature"),
        content_type: header_of("content-type"),
        params,
    };
    let digits = seen.get("Digits").unwrap_or_default().to_owned();
    let speech = seen.get("SpeechResult").unwrap_or_default().to_lowercase();
    let path = seen.path().to_owned();
    log.lock().unwrap().push(seen);
    match path.as_str() {
        "/voice" => twiml(
            "<Say>Thanks for calling Acme.</Say>\
             <Gather action=\"/menu\" numDigits=\"1\" timeout=\"5\" input=\"dtmf speech\">\
             <Say>For sales press 1, for support press 2.</Say></Gather>\
             <Redirect>/voice</Redirect>",
        ),
        "/menu" if digits == "1" || speech.contains("sales") => {
            // A relative URL: resolved against /menu, it is /sales.
            twiml("<Say>Connecting you to sales.</Say><Redirect>sales</Redirect>")
        }
        "/menu" if digits == "2" || speech.contains("support") => twiml(
            "<Say>Please hold for support.</Say>\
             <Enqueue action=\"/queued\" waitUrl=\"/hold\">support</Enqueue>",
        ),
        "/menu" => twiml("<Say>Sorry, I did not get that.</Say><Redirect>/voice</Redirect>"),
        "/sales" => twiml(
            "<Dial action=\"/after-dial\" timeout=\"20\"><Number>+14155550123</Number></Dial>",
        ),
        "/after-dial" => twiml(
            "<Say>Sorry, everyone is busy. Please leave a message after the tone.</Say>\
             <Record action=\"/voicemail\" maxLength=\"60\"/>",
        ),
        "/voicemail" | "/queued" => twiml("<Say>Goodbye.</Say><Hangup/>"),
        "/status" => "".into_response(),
        // Failures, one a route.
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            twiml("<Say>Too late.</Say>")
        }
        "/boom" => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "oops").into_response(),
        "/html" => (
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body><h1>Error</h1><p>Something broke<br></body></html>",
        )
            .into_response(),
        "/json" => ([(header::CONTENT_TYPE, "application/json")], "{}").into_response(),
        "/broken" => (
            [(header::CONTENT_TYPE, XML)],
            "<Response><Say>Unclosed</Response>",
        )
            .into_response(),
        "/loop" => twiml("<Redirect>/loop</Redirect>"),
        "/bad-twiml" => twiml("<Dial action=\"/x\"></Dial>"),
        _ => (axum::http::StatusCode::NOT_FOUND, "no such page").into_response(),
    }
}

pub fn router(log: Log) -> Router {
    Router::new().fallback(any(handle)).with_state(log)
}

/// The IVR on a free port of 127.0.0.1: its base URL (`http://127.0.0.1:PORT`) and its log.
pub async fn serve() -> (String, Log) {
    let log = Log::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(log.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), log)
}
