//! Resend: the request Twilio made for an event, made again against the developer's app —
//! its method and form parameters (edited or not), encoded and signed as Twilio does — and
//! the answer measured as an [`Exchange`], whose event links back to the original.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderValue, Method, Uri};
use futures::StreamExt;
use jiff::Timestamp;

use super::proxy::COPY_LIMIT;
use super::signature::{self, Algorithm, SharedSecret};
use crate::domain::call::sim::form_encode;
use crate::domain::exchange::{
    self, Edit, Exchange, Failure, ProxyFacts, RESEND_SOURCE, infer_kind,
};
use crate::domain::{Event, EventKind};

/// An `--ivr PUBLIC=LOCAL` origin mapping: requests Twilio made to `PUBLIC…` go to `LOCAL…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub public: String,
    pub local: String,
}

impl Mapping {
    pub fn parse(spec: &str) -> Result<Mapping, String> {
        let (public, local) = spec.split_once('=').ok_or_else(|| {
            format!("--ivr {spec:?}: write PUBLIC=LOCAL, like https://ivr.acme.com=http://localhost:3000")
        })?;
        let check = |url: &str, what: &str| -> Result<String, String> {
            let uri: Uri = url
                .trim()
                .parse()
                .map_err(|e| format!("--ivr {spec:?}: the {what} {url:?} is not a URL: {e}"))?;
            if uri.scheme().is_none() || uri.authority().is_none() {
                return Err(format!(
                    "--ivr {spec:?}: the {what} {url:?} needs a scheme and a host"
                ));
            }
            Ok(url.trim().trim_end_matches('/').to_owned())
        };
        let local = check(local, "local URL")?;
        if !local.starts_with("http://") {
            return Err(format!(
                "--ivr {spec:?}: the local URL is spoken to over plain http (http://localhost:3000)"
            ));
        }
        Ok(Mapping {
            public: check(public, "public URL")?,
            local,
        })
    }

    /// `url` moved to the local origin, when it is under the public one.
    fn map(&self, url: &str) -> Option<String> {
        let rest = url.strip_prefix(&self.public)?;
        (rest.is_empty() || rest.starts_with(['/', '?'])).then(|| format!("{}{rest}", self.local))
    }
}

/// Which URL the signature is computed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignUrl {
    /// The URL Twilio called (the tunnel's): what an app behind a tunnel validates against.
    #[default]
    Public,
    /// The URL the resend goes to: for an app that validates its own local URL.
    Target,
}

/// How resends are addressed and signed.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub ivr: Vec<Mapping>,
    /// The app's base for requests no mapping covers (`--to`): their path and query are kept.
    /// Without one, a proxied event goes where the proxy sent it.
    pub to: Option<String>,
    pub sign_url: SignUrl,
    pub auth_token: Option<String>,
    /// Signs with this shared key (HMAC-SHA256) instead of the auth token.
    pub shared_key: Option<SharedSecret>,
    pub timeout: Duration,
}

/// One resend, ready to go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub original_id: String,
    pub kind: EventKind,
    pub method: Method,
    /// The URL Twilio called.
    pub public_url: String,
    /// Where this resend goes.
    pub target_url: String,
    pub params: Vec<(String, String)>,
}

/// The plan for resending `ev` with `edits` applied; an error says why it cannot be resent.
pub fn plan(ev: &Event, opts: &Options, edits: &[Edit]) -> Result<Plan, String> {
    let public_url = ev.url().to_owned();
    if public_url.is_empty() {
        return Err(format!(
            "event {} carries no request URL: nothing to resend",
            ev.id()
        ));
    }
    let method = match ev.method().to_ascii_uppercase().as_str() {
        "" | "POST" => Method::POST,
        "GET" => Method::GET,
        other => {
            return Err(format!(
                "Twilio never sends {other}: event {} is not a webhook",
                ev.id()
            ));
        }
    };
    let target_url = opts
        .ivr
        .iter()
        .find_map(|m| m.map(&public_url))
        .or_else(|| {
            let base = opts.to.as_deref()?;
            Some(format!(
                "{}{}",
                base.trim_end_matches('/'),
                path_and_query(&public_url)
            ))
        })
        .or_else(|| {
            ProxyFacts::of(ev)
                .map(|f| f.target)
                .filter(|t| !t.is_empty())
        })
        .ok_or_else(|| {
            format!("no --ivr mapping covers {public_url} and no --to says where the app runs")
        })?;
    let params = exchange::apply_edits(&exchange::request_pairs(ev), edits);
    let kind = match ev.kind {
        k if EventKind::TWIML.contains(&k) && k != EventKind::RequestFailed => k,
        EventKind::StatusCallback => EventKind::StatusCallback,
        _ => infer_kind(&params, false),
    };
    Ok(Plan {
        original_id: ev.id().to_owned(),
        kind,
        method,
        public_url,
        target_url,
        params,
    })
}

fn path_and_query(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    url[after_scheme..]
        .find(['/', '?'])
        .map_or("/", |i| &url[after_scheme + i..])
}

/// `url` with `params` added to its query (a GET webhook carries them there).
fn with_query(url: &str, params: &[(String, String)]) -> String {
    if params.is_empty() {
        return url.to_owned();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{}", form_encode(params))
}

/// The headers that sign `plan` as Twilio would, for the URL the app believes it serves.
fn sign(plan: &Plan, opts: &Options) -> Vec<(&'static str, String)> {
    let url = match opts.sign_url {
        SignUrl::Public => &plan.public_url,
        SignUrl::Target => &plan.target_url,
    };
    let (url, params) = if plan.method == Method::GET {
        (with_query(url, &plan.params), Vec::new())
    } else {
        (url.clone(), plan.params.clone())
    };
    if let Some(key) = &opts.shared_key {
        let sig = signature::compute_with(Algorithm::Sha256, &key.secret, &url, &params);
        let settings = format!(
            "key={},algorithm=HMAC_SHA256",
            key.key.as_deref().unwrap_or("default")
        );
        return vec![
            ("x-twilio-signature", sig),
            ("x-twilio-webhooks-signature-settings", settings),
        ];
    }
    match &opts.auth_token {
        Some(token) => vec![(
            "x-twilio-signature",
            signature::compute(token, &url, &params),
        )],
        None => Vec::new(),
    }
}

/// The scheme and host of `url`.
fn origin_parts(url: &str) -> Option<(String, String)> {
    let uri: Uri = url.parse().ok()?;
    Some((
        uri.scheme_str()?.to_owned(),
        uri.authority()?.as_str().to_owned(),
    ))
}

/// Sends `plan` and measures the answer; the exchange's event is the resend's.
pub async fn send(
    client: &super::proxy::HttpClient,
    plan: &Plan,
    opts: &Options,
    id: String,
) -> Exchange {
    let is_get = plan.method == Method::GET;
    let target = if is_get {
        with_query(&plan.target_url, &plan.params)
    } else {
        plan.target_url.clone()
    };
    let mut ex = Exchange {
        id,
        source: RESEND_SOURCE,
        started: Some(Timestamp::now()),
        method: plan.method.to_string(),
        url: plan.public_url.clone(),
        target: target.clone(),
        params: plan.params.clone(),
        resend_of: Some(plan.original_id.clone()),
        ..Exchange::default()
    };
    let mut builder = hyper::Request::builder()
        .method(plan.method.clone())
        .uri(target.as_str());
    let mut headers = vec![("user-agent", "TwilioProxy/1.1 (twimon resend)".to_owned())];
    // Signed for the public URL: the app rebuilds it from Host and X-Forwarded-Proto, as it
    // does behind the tunnel.
    if opts.sign_url == SignUrl::Public
        && let Some((scheme, host)) = origin_parts(&plan.public_url)
    {
        headers.push(("host", host.clone()));
        headers.push(("x-forwarded-proto", scheme));
        headers.push(("x-forwarded-host", host));
    }
    headers.extend(sign(plan, opts));
    let body = if is_get {
        Body::empty()
    } else {
        headers.push((
            "content-type",
            "application/x-www-form-urlencoded".to_owned(),
        ));
        Body::from(form_encode(&plan.params))
    };
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_str(&v) {
            builder = builder.header(k, v);
        }
    }
    let request = match builder.body(body) {
        Ok(r) => r,
        Err(e) => {
            ex.failure = Some(Failure::Unreachable(format!(
                "cannot build the request: {e}"
            )));
            return ex;
        }
    };
    ex.request_headers = request
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let started = Instant::now();
    let deadline = tokio::time::Instant::from_std(started) + opts.timeout;
    let answer = match tokio::time::timeout_at(deadline, client.request(request)).await {
        Err(_) => {
            ex.latency = started.elapsed();
            ex.failure = Some(Failure::TimedOut(opts.timeout));
            return ex;
        }
        Ok(Err(e)) => {
            ex.latency = started.elapsed();
            let mut why = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                why = s.to_string();
                source = s.source();
            }
            ex.failure = Some(Failure::Unreachable(why));
            return ex;
        }
        Ok(Ok(r)) => r,
    };
    let (head, body) = answer.into_parts();
    ex.status = Some(head.status.as_u16());
    ex.response_headers = head
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut stream = Body::new(body).into_data_stream();
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Err(_) => {
                ex.failure = Some(Failure::TimedOut(opts.timeout));
                break;
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                ex.failure = Some(Failure::BodyCut(e.to_string()));
                break;
            }
            Ok(Some(Ok(chunk))) => {
                ex.body_bytes += chunk.len() as u64;
                let room = COPY_LIMIT.saturating_sub(ex.body.len());
                ex.body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
        }
    }
    ex.latency = started.elapsed();
    ex
}

/// The resend's event, stamped for the checks like any other.
pub fn event_of(ex: &Exchange, plan: &Plan) -> Event {
    let mut ev = ex.event(plan.kind, Timestamp::now());
    crate::domain::check::stamp(&mut ev);
    ev
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings_move_a_public_origin_to_a_local_one() {
        let m = Mapping::parse("https://ivr.acme.com=http://localhost:3000/").unwrap();
        assert_eq!(
            m.map("https://ivr.acme.com/menu?x=1").as_deref(),
            Some("http://localhost:3000/menu?x=1")
        );
        assert_eq!(m.map("https://ivr.acme.community/menu"), None);
        assert!(Mapping::parse("https://ivr.acme.com").is_err());
        assert!(Mapping::parse("ivr.acme.com=http://localhost:3000").is_err());
        assert!(Mapping::parse("https://a.test=https://localhost:3000").is_err());
    }

    #[test]
    fn paths_and_queries_survive_a_new_base() {
        assert_eq!(path_and_query("https://a.test/menu?x=1"), "/menu?x=1");
        assert_eq!(path_and_query("https://a.test"), "/");
        assert_eq!(path_and_query("https://a.test?x=1"), "?x=1");
    }
}
