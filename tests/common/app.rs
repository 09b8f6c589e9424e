//! A Voice app for the proxy and resend tests: it keeps every request exactly as it arrived
//! (method, path and query, headers in order, body bytes) and checks `X-Twilio-Signature`
//! with its own implementation of Twilio's algorithm — written here from Twilio's
//! description, not taken from twimon — against the URL it rebuilds from
//! `X-Forwarded-Proto` and `Host`, as an app behind a tunnel does.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use hmac::{Hmac, Mac};

/// One request as the app received it.
#[derive(Debug, Clone)]
pub struct Got {
    pub method: String,
    pub uri: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// Whether the signature checked out (None: the app has no token).
    pub signature_ok: Option<bool>,
}

impl Got {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn param(&self, name: &str) -> Option<String> {
        pairs(&String::from_utf8_lossy(&self.body))
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

#[derive(Clone)]
struct AppState {
    got: Arc<Mutex<Vec<Got>>>,
    token: Option<String>,
    /// What `/menu` says after the digits (a "fix" changes it).
    menu_word: &'static str,
}

/// A running app.
pub struct App {
    pub url: String,
    pub got: Arc<Mutex<Vec<Got>>>,
}

impl App {
    pub fn requests(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }
}

/// `+` as a space, then `%XX`.
fn decode(s: &str) -> String {
    let s = s.replace('+', " ");
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn pairs(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Twilio's signature: base64(HMAC-SHA1(token, url + each sorted key+value)).
pub fn twilio_signature(token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn twiml(body: &str) -> Response {
    (
        [(header::CONTENT_TYPE, "text/xml")],
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response>\n{body}\n</Response>\n"),
    )
        .into_response()
}

async fn handle(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signature_ok = state.token.as_deref().map(|token| {
        let proto = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("http");
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let url = format!("{proto}://{host}{uri}");
        let params = pairs(&String::from_utf8_lossy(&body));
        let expected = twilio_signature(token, &url, &params);
        headers
            .get("x-twilio-signature")
            .and_then(|v| v.to_str().ok())
            == Some(expected.as_str())
    });
    let got = Got {
        method: method.to_string(),
        uri: uri.to_string(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect(),
        body: body.clone(),
        signature_ok,
    };
    let digits = got.param("Digits").unwrap_or_default();
    state.got.lock().unwrap().push(got);
    if signature_ok == Some(false) {
        return (StatusCode::FORBIDDEN, "bad signature").into_response();
    }
    match uri.path() {
        "/voice" => twiml(
            "  <Gather action=\"/menu\" numDigits=\"1\">\n    <Say>Press 1 for sales, 2 for support.</Say>\n  </Gather>",
        ),
        "/menu" => twiml(&format!(
            "  <Say>You pressed {digits}.</Say>\n  <Say>{}</Say>\n  <Hangup/>",
            state.menu_word
        )),
        "/status" => StatusCode::NO_CONTENT.into_response(),
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            twiml("<Say>late</Say>")
        }
        "/big" => {
            // 1 MiB in 64 KiB chunks, streamed: nothing on the way may need it whole.
            let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
            let stream =
                futures::stream::iter((0..16).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
            (
                [(header::CONTENT_TYPE, "application/octet-stream")],
                Body::from_stream(stream),
            )
                .into_response()
        }
        _ => (StatusCode::NOT_FOUND, "no such page").into_response(),
    }
}

/// Starts the app on 127.0.0.1:0; `token` makes it check signatures (403 when wrong).
pub async fn start(token: Option<&str>, menu_word: &'static str) -> App {
    let got = Arc::new(Mutex::new(Vec::new()));
    let state = AppState {
        got: got.clone(),
        token: token.map(str::to_owned),
        menu_word,
    };
    let router = Router::new().fallback(handle).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    App { url, got }
}
