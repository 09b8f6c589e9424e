//! X-Twilio-Signature.
//!
//! Twilio signs `base64(HMAC-SHA1(auth token, URL + sorted form params))`. For JSON bodies
//! (Event Streams) the URL carries a `bodySHA256` query parameter instead of params, and the
//! body must hash to it: the URL signature alone says nothing about the body.
//!
//! A Webhook Rule can make Twilio sign with a shared key instead: the request then carries
//! `X-Twilio-Webhooks-Signature-Settings: key=<id>,algorithm=HMAC_SHA256|HMAC_SHA1`, the
//! message is the same, only the secret and the hash change. Keys rotate, so several secrets
//! may be configured; one given as `ID=SECRET` answers only for key `ID`, a bare `SECRET` for
//! any key (see [`SharedSecret::parse`]).
//!
//! The hard part is knowing which URL Twilio signed. We only see the request as it reached
//! us (often via a tunnel), so we rebuild the public URL and try the handful of spellings
//! Twilio is known to use (with or without the port, with or without credentials).

use std::borrow::Cow;
use std::fmt;

use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, HOST};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

type HmacSha1 = Hmac<Sha1>;
type HmacSha256 = Hmac<Sha256>;

const SIGNATURE_HEADER: &str = "x-twilio-signature";
const SETTINGS_HEADER: &str = "x-twilio-webhooks-signature-settings";
const BODY_SHA256_PARAM: &str = "bodySHA256";
/// How much of a header value a reason quotes: enough to recognise it, never a whole header.
const QUOTED_CHARS: usize = 64;

/// The hash a signature was made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Sha1,
    Sha256,
}

impl Algorithm {
    /// The header's spelling, compared without regard to case as twilio-python does
    /// (`.upper()`); `None` for an algorithm this build does not know.
    pub fn from_header(name: &str) -> Option<Self> {
        if name.eq_ignore_ascii_case("HMAC_SHA1") {
            Some(Self::Sha1)
        } else if name.eq_ignore_ascii_case("HMAC_SHA256") {
            Some(Self::Sha256)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha1 => "HMAC-SHA1",
            Self::Sha256 => "HMAC-SHA256",
        }
    }
}

/// Which secret a request was signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signer {
    AuthToken,
    /// The key id from the settings header (`None` when the header named no key).
    SharedKey(Option<String>),
}

/// The key and the hash that made a valid signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedBy {
    pub signer: Signer,
    pub algorithm: Algorithm,
}

impl fmt::Display for SignedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.signer {
            Signer::AuthToken => write!(f, "auth token, {}", self.algorithm.as_str()),
            Signer::SharedKey(Some(id)) => {
                write!(f, "shared key {id}, {}", self.algorithm.as_str())
            }
            Signer::SharedKey(None) => write!(f, "shared key, {}", self.algorithm.as_str()),
        }
    }
}

/// The outcome of checking one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Signed by this key with this hash.
    Valid(SignedBy),
    /// Why it failed, e.g. "signature mismatch", "bodySHA256 mismatch", "bodySHA256 missing",
    /// "unknown signature algorithm …".
    Invalid(String),
    /// The request has no `X-Twilio-Signature` header.
    Unsigned,
    /// Signed with a secret twimon was not given (a shared key with no configured secret,
    /// or the auth token when only shared keys are configured): not proof of forgery, and
    /// not proof of anything else. `--require-signature` refuses it.
    CannotVerify(String),
    /// Neither an auth token nor a shared-key secret is configured: nothing was checked.
    Unchecked,
}

impl Verdict {
    pub fn as_str(&self) -> &'static str {
        self.signature().as_str()
    }

    /// The verdict as events carry it.
    pub fn signature(&self) -> crate::domain::Signature {
        match self {
            Self::Valid(_) => crate::domain::Signature::Valid,
            Self::Invalid(_) => crate::domain::Signature::Invalid,
            Self::Unsigned => crate::domain::Signature::Unsigned,
            Self::CannotVerify(_) => crate::domain::Signature::Unverifiable,
            Self::Unchecked => crate::domain::Signature::Unchecked,
        }
    }

    /// The verdict written in a recording (its `as_str`), as events carry it.
    pub fn recorded(verdict: &str) -> crate::domain::Signature {
        use crate::domain::Signature;
        match verdict {
            "valid" => Signature::Valid,
            "invalid" => Signature::Invalid,
            "unsigned" => Signature::Unsigned,
            "unverifiable" => Signature::Unverifiable,
            _ => Signature::Unchecked,
        }
    }

    /// Why it is not valid: for `Invalid` and `CannotVerify`.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Invalid(why) | Self::CannotVerify(why) => Some(why),
            _ => None,
        }
    }

    /// Which key and hash signed it, for `Valid` only.
    pub fn signed_by(&self) -> Option<&SignedBy> {
        match self {
            Self::Valid(by) => Some(by),
            _ => None,
        }
    }

    /// Whether `--require-signature` refuses the delivery: anything not proven valid while
    /// checking is on.
    pub fn refused_when_required(&self) -> bool {
        matches!(
            self,
            Self::Invalid(_) | Self::Unsigned | Self::CannotVerify(_)
        )
    }

    fn invalid(why: &str) -> Self {
        Self::Invalid(why.to_owned())
    }

    /// The auth token with SHA-1: the classic signature.
    pub fn valid_auth_token() -> Self {
        Self::Valid(SignedBy {
            signer: Signer::AuthToken,
            algorithm: Algorithm::Sha1,
        })
    }
}

/// One `--shared-key-secret` value.
#[derive(Clone, PartialEq, Eq)]
pub struct SharedSecret {
    /// The key id it answers for; `None` answers for any key.
    pub key: Option<String>,
    pub secret: String,
}

// Hand-written so a secret can never end up in a log line.
impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedSecret")
            .field("key", &self.key)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl SharedSecret {
    /// `ID=SECRET` binds the secret to key `ID`; a bare `SECRET` answers for any key; `*=SECRET`
    /// is a bare secret that itself contains `=` (so `*=a=b` is the secret `a=b`).
    ///
    /// `ID=` is only read as a key id when `ID` is made of letters, digits, `_`, `-` and `.`
    /// and what follows is more than `=` padding: so a base64 secret (`c2VjcmV0==`, padding
    /// only at the end) is never split. Blank values are `None`.
    pub fn parse(spec: &str) -> Option<Self> {
        let spec = spec.trim();
        if spec.is_empty() {
            return None;
        }
        let bare = |secret: &str| {
            Some(Self {
                key: None,
                secret: secret.to_owned(),
            })
        };
        let Some((id, secret)) = spec.split_once('=') else {
            return bare(spec);
        };
        if id == "*" {
            return (!secret.is_empty()).then(|| Self {
                key: None,
                secret: secret.to_owned(),
            });
        }
        let id_like = !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if id_like && !secret.bytes().all(|b| b == b'=') {
            Some(Self {
                key: Some(id.to_owned()),
                secret: secret.to_owned(),
            })
        } else {
            bare(spec)
        }
    }

    fn answers_for(&self, key: Option<&str>) -> bool {
        match (&self.key, key) {
            (None, _) => true,
            (Some(mine), Some(theirs)) => mine == theirs,
            (Some(_), None) => false,
        }
    }
}

/// Checks `X-Twilio-Signature` against the configured auth token and shared-key secrets.
#[derive(Clone)]
pub struct Verifier {
    auth_token: Option<String>,
    shared: Vec<SharedSecret>,
    public_base: Option<String>,
}

// Hand-written so the auth token can never end up in a log line.
impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field(
                "auth_token",
                &self.auth_token.as_ref().map(|_| "<redacted>"),
            )
            .field("shared", &self.shared)
            .field("public_base", &self.public_base)
            .finish()
    }
}

/// What `X-Twilio-Webhooks-Signature-Settings` asks for.
#[derive(Debug, PartialEq, Eq)]
enum Settings<'h> {
    /// Absent, empty, or without `algorithm=`: the auth token and SHA-1 (twilio-python's
    /// `get_signature_algorithm`).
    AuthToken,
    SharedKey {
        key: Option<&'h str>,
        algorithm: &'h str,
    },
}

impl<'h> Settings<'h> {
    fn parse(value: &'h str) -> Self {
        let mut key = None;
        let mut algorithm = None;
        for part in value.split(',') {
            let Some((name, v)) = part.split_once('=') else {
                continue;
            };
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            match name.trim() {
                // First wins, as in twilio-python.
                "algorithm" if algorithm.is_none() => algorithm = Some(v),
                "key" if key.is_none() => key = Some(v),
                _ => {}
            }
        }
        match algorithm {
            Some(algorithm) => Self::SharedKey { key, algorithm },
            None => Self::AuthToken,
        }
    }
}

impl Verifier {
    /// Blank values count as absent: an empty `TWILIO_AUTH_TOKEN=` in the environment should
    /// disable checking, not mark every delivery invalid.
    pub fn new(auth_token: Option<String>, public_url: Option<String>) -> Self {
        let auth_token = auth_token
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty());
        let public_base = public_url
            .map(|u| u.trim().trim_end_matches('/').to_owned())
            .filter(|u| !u.is_empty());
        Self {
            auth_token,
            shared: Vec::new(),
            public_base,
        }
    }

    /// Adds `--shared-key-secret` values (see [`SharedSecret::parse`]); blank ones are skipped.
    #[must_use]
    pub fn with_shared_secrets<I, S>(mut self, specs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.shared.extend(
            specs
                .into_iter()
                .filter_map(|s| SharedSecret::parse(s.as_ref())),
        );
        self
    }

    pub fn enabled(&self) -> bool {
        self.auth_token.is_some() || !self.shared.is_empty()
    }

    /// Without any secret the answer is always `Unchecked`, even for unsigned requests, so
    /// that "checking is off" reads the same on every row.
    ///
    /// `form` is `Some` for form-encoded bodies (the decoded pairs), `None` for JSON.
    pub fn verify(
        &self,
        headers: &HeaderMap,
        path_and_query: &str,
        body: &[u8],
        form: Option<&[(String, String)]>,
    ) -> Verdict {
        if !self.enabled() {
            return Verdict::Unchecked;
        }
        let Some(header) = headers.get(SIGNATURE_HEADER) else {
            return Verdict::Unsigned;
        };
        let Ok(header) = header.to_str() else {
            return Verdict::invalid("signature not base64");
        };
        let Ok(expected) = BASE64.decode(header.trim()) else {
            return Verdict::invalid("signature not base64");
        };

        // A settings header that is not text cannot name a key or an algorithm we know.
        let settings = match headers.get(SETTINGS_HEADER).map(|v| v.to_str()) {
            None => Settings::AuthToken,
            Some(Ok(v)) => Settings::parse(v),
            Some(Err(_)) => return Verdict::invalid("signature settings header not text"),
        };
        let (by, secrets): (SignedBy, Vec<&str>) = match settings {
            Settings::AuthToken => {
                let Some(token) = self.auth_token.as_deref() else {
                    return Verdict::CannotVerify(
                        "cannot verify: signed with the auth token, which is not configured"
                            .to_owned(),
                    );
                };
                (
                    SignedBy {
                        signer: Signer::AuthToken,
                        algorithm: Algorithm::Sha1,
                    },
                    vec![token],
                )
            }
            Settings::SharedKey { key, algorithm } => {
                // An algorithm we do not know is not valid (twilio-python: False + a warning),
                // whether or not we hold the key.
                let Some(algorithm) = Algorithm::from_header(algorithm) else {
                    return Verdict::Invalid(format!(
                        "unknown signature algorithm {:?}",
                        quoted(algorithm)
                    ));
                };
                let secrets: Vec<&str> = self
                    .shared
                    .iter()
                    .filter(|s| s.answers_for(key))
                    .map(|s| s.secret.as_str())
                    .collect();
                if secrets.is_empty() {
                    return Verdict::CannotVerify(match key {
                        Some(id) => format!("cannot verify: no secret for key {:?}", quoted(id)),
                        None => "cannot verify: no shared-key secret".to_owned(),
                    });
                }
                (
                    SignedBy {
                        signer: Signer::SharedKey(key.map(|k| quoted(k).into_owned())),
                        algorithm,
                    },
                    secrets,
                )
            }
        };

        // A JSON body is only bound to the signature through bodySHA256; without it any body
        // would pass, so its absence is fatal whatever the signature says.
        let body_hash = if form.is_none() {
            match query_param(path_and_query, BODY_SHA256_PARAM) {
                Some(h) => Some(h),
                None => return Verdict::invalid("bodySHA256 missing"),
            }
        } else {
            None
        };

        let params = form.map(param_message).unwrap_or_default();
        let url = public_url(headers, path_and_query, self.public_base.as_deref());
        let candidates = candidate_urls(&url, basic_auth_userinfo(headers).as_deref());
        let signed = secrets.iter().any(|secret| {
            candidates
                .iter()
                .any(|url| signs(by.algorithm, secret, url, &params, &expected))
        });
        if !signed {
            return Verdict::Invalid(match by.signer {
                // The classic case keeps its short reason.
                Signer::AuthToken => "signature mismatch".to_owned(),
                Signer::SharedKey(_) => format!("signature mismatch ({by})"),
            });
        }

        if let Some(claimed) = body_hash {
            // Not secret (anyone can hash the body), so a plain comparison is fine.
            if claimed != body_sha256_hex(body) {
                return Verdict::invalid("bodySHA256 mismatch");
            }
        }
        Verdict::Valid(by)
    }
}

/// A header value cut short for a reason line (the reason is made terminal-safe where shown).
fn quoted(value: &str) -> Cow<'_, str> {
    match value.char_indices().nth(QUOTED_CHARS) {
        Some((at, _)) => Cow::Owned(format!("{}…", &value[..at])),
        None => Cow::Borrowed(value),
    }
}

/// Whether `expected` is the HMAC of `url + params` under `secret` (constant-time compare).
fn signs(algorithm: Algorithm, secret: &str, url: &str, params: &str, expected: &[u8]) -> bool {
    // HMAC accepts keys of any length, so `new_from_slice` only fails if the crate changes
    // contract; that is then a mismatch, not a panic.
    match algorithm {
        Algorithm::Sha1 => HmacSha1::new_from_slice(secret.as_bytes()).is_ok_and(|mut mac| {
            mac.update(url.as_bytes());
            mac.update(params.as_bytes());
            mac.verify_slice(expected).is_ok()
        }),
        Algorithm::Sha256 => HmacSha256::new_from_slice(secret.as_bytes()).is_ok_and(|mut mac| {
            mac.update(url.as_bytes());
            mac.update(params.as_bytes());
            mac.verify_slice(expected).is_ok()
        }),
    }
}

/// The URL Twilio called, as seen from the outside.
///
/// With `public_base` (e.g. `https://abc.ngrok.app`) that is the base + `path_and_query`;
/// otherwise `X-Forwarded-Proto` (default `http`) + `X-Forwarded-Host` or `Host` + the path.
pub fn public_url(headers: &HeaderMap, path_and_query: &str, public_base: Option<&str>) -> String {
    let path = if path_and_query.starts_with('/') {
        Cow::Borrowed(path_and_query)
    } else {
        Cow::Owned(format!("/{path_and_query}"))
    };
    if let Some(base) = public_base {
        return format!("{}{path}", base.trim_end_matches('/'));
    }
    let scheme = first_header_value(headers, "x-forwarded-proto")
        .map_or_else(|| "http".to_owned(), str::to_ascii_lowercase);
    let host = first_header_value(headers, "x-forwarded-host")
        .or_else(|| first_header_value(headers, HOST.as_str()))
        // HTTP/1.0 clients may omit Host; the signature will not match, but the URL we show
        // should still be readable.
        .unwrap_or("localhost");
    format!("{scheme}://{host}{path}")
}

/// Proxies append to forwarded headers (`a, b`); the first entry is the client-facing one.
fn first_header_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    let value = headers.get(name)?.to_str().ok()?;
    let first = value.split(',').next()?.trim();
    (!first.is_empty()).then_some(first)
}

/// The spellings of `url` Twilio may have signed: as-is, without the port, with the default
/// port when there is none; each also without credentials when it has some. As-is comes first.
pub fn url_variants(url: &str) -> Vec<String> {
    let Some(parts) = UrlParts::parse(url) else {
        return vec![url.to_owned()];
    };
    let default_port = parts.default_port();
    let ports = [
        Some(parts.port),
        Some(None),
        default_port.filter(|_| parts.port.is_none()).map(Some),
    ];
    let userinfos = [Some(parts.userinfo), parts.userinfo.map(|_| None)];

    let mut out: Vec<String> = Vec::with_capacity(6);
    for userinfo in userinfos.into_iter().flatten() {
        for port in ports.into_iter().flatten() {
            let candidate = parts.render(userinfo, port);
            if !out.contains(&candidate) {
                out.push(candidate);
            }
        }
    }
    out
}

/// `url_variants`, plus the same with the Basic credentials put back into the URL. Twilio
/// sends `Authorization: Basic` when the configured URL had `user:pass@`, and we cannot tell
/// whether it signed the URL with them, while the rebuilt URL never has them.
fn candidate_urls(url: &str, basic_userinfo: Option<&str>) -> Vec<String> {
    let mut out = url_variants(url);
    let Some(userinfo) = basic_userinfo else {
        return out;
    };
    let Some(parts) = UrlParts::parse(url) else {
        return out;
    };
    if parts.userinfo.is_some() {
        return out;
    }
    let with_creds = parts.render(Some(userinfo), parts.port);
    for candidate in url_variants(&with_creds) {
        if !out.contains(&candidate) {
            out.push(candidate);
        }
    }
    out
}

/// `user:pass` from `Authorization: Basic`, if well-formed.
fn basic_auth_userinfo(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = BASE64.decode(encoded.trim()).ok()?;
    let userinfo = String::from_utf8(decoded).ok()?;
    userinfo.contains(':').then_some(userinfo)
}

/// `scheme://[userinfo@]host[:port]rest`, borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct UrlParts<'a> {
    scheme: &'a str,
    userinfo: Option<&'a str>,
    host: &'a str,
    port: Option<&'a str>,
    /// Path, query and fragment, starting with `/`, `?`, `#` or empty.
    rest: &'a str,
}

impl<'a> UrlParts<'a> {
    fn parse(url: &'a str) -> Option<Self> {
        let (scheme, after) = url.split_once("://")?;
        if scheme.is_empty() {
            return None;
        }
        let authority_end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let (authority, rest) = after.split_at(authority_end);
        // rsplit: a password may itself contain an unescaped '@'.
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        // The port follows the last ':' unless that ':' is inside an IPv6 literal.
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p))
                if !p.contains(']') && p.bytes().all(|b| b.is_ascii_digit()) && !h.is_empty() =>
            {
                (h, Some(p))
            }
            _ => (hostport, None),
        };
        if host.is_empty() {
            return None;
        }
        Some(Self {
            scheme,
            userinfo,
            host,
            port,
            rest,
        })
    }

    fn default_port(&self) -> Option<&'static str> {
        if self.scheme.eq_ignore_ascii_case("https") {
            Some("443")
        } else if self.scheme.eq_ignore_ascii_case("http") {
            Some("80")
        } else {
            None
        }
    }

    fn render(&self, userinfo: Option<&str>, port: Option<&str>) -> String {
        let mut out =
            String::with_capacity(self.scheme.len() + self.host.len() + self.rest.len() + 32);
        out.push_str(self.scheme);
        out.push_str("://");
        if let Some(u) = userinfo {
            out.push_str(u);
            out.push('@');
        }
        out.push_str(self.host);
        if let Some(p) = port {
            out.push(':');
            out.push_str(p);
        }
        out.push_str(self.rest);
        out
    }
}

/// Key + value of every distinct pair, sorted by key then value (byte order). Identical pairs
/// count once: the official libraries sign `sorted(set(values))`, and their repeated-key test
/// vector only matches that way.
fn param_message(params: &[(String, String)]) -> String {
    let mut sorted: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    sorted.sort_unstable();
    sorted.dedup();
    sorted.into_iter().fold(String::new(), |mut acc, (k, v)| {
        acc.push_str(k);
        acc.push_str(v);
        acc
    })
}

/// The base64 signature Twilio would send for `url` and form `params` (empty for JSON),
/// signed with the auth token (HMAC-SHA1).
pub fn compute(token: &str, url: &str, params: &[(String, String)]) -> String {
    compute_with(Algorithm::Sha1, token, url, params)
}

/// The base64 signature of `url` and form `params` under `secret` with `algorithm`.
pub fn compute_with(
    algorithm: Algorithm,
    secret: &str,
    url: &str,
    params: &[(String, String)],
) -> String {
    let message = param_message(params);
    // Unreachable failures (see `signs`) give an empty string, never a real signature.
    let digest = match algorithm {
        Algorithm::Sha1 => HmacSha1::new_from_slice(secret.as_bytes()).map(|mut mac| {
            mac.update(url.as_bytes());
            mac.update(message.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }),
        Algorithm::Sha256 => HmacSha256::new_from_slice(secret.as_bytes()).map(|mut mac| {
            mac.update(url.as_bytes());
            mac.update(message.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }),
    };
    digest.map(|d| BASE64.encode(d)).unwrap_or_default()
}

/// Lowercase hex SHA-256, the form Twilio puts in `bodySHA256`.
pub fn body_sha256_hex(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// The first value of query parameter `name`, form-decoded (`%XX` and `+`). Borrowed when
/// nothing needed decoding.
pub fn query_param<'a>(path_and_query: &'a str, name: &str) -> Option<Cow<'a, str>> {
    let (_, query) = path_and_query.split_once('?')?;
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(key) == name).then(|| form_decode(value))
        })
}

/// The pairs of an `application/x-www-form-urlencoded` body, in body order, keys and values
/// percent-decoded with `+` as a space (what Twilio signs). Repeated keys stay repeated; empty
/// pieces (`a=1&&b=2`) are skipped; a piece without `=` is a key with an empty value. Bytes
/// that are not UTF-8 after decoding become U+FFFD.
pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    let body = String::from_utf8_lossy(body);
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (
                form_decode(key).into_owned(),
                form_decode(value).into_owned(),
            )
        })
        .collect()
}

fn form_decode(s: &str) -> Cow<'_, str> {
    if !s.bytes().any(|b| b == b'%' || b == b'+') {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|&c| hex_value(c));
                let lo = bytes.get(i + 2).and_then(|&c| hex_value(c));
                if let (Some(hi), Some(lo)) = (hi, lo) {
                    out.push(hi << 4 | lo);
                    i += 3;
                } else {
                    // Malformed escapes are kept verbatim, as browsers and most servers do.
                    out.push(b'%');
                    i += 1;
                }
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const TOKEN: &str = "12345";
    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
    const JSON_BODY: &str = r#"{"property": "value", "boolean": true}"#;
    const JSON_SHA: &str = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn official_params() -> Vec<(String, String)> {
        pairs(&[
            ("From", "+14158675309"),
            ("CallSid", "CA1234567890ABCDE"),
            ("To", "+18005551212"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
        ])
    }

    fn headers(items: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in items {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn verifier() -> Verifier {
        Verifier::new(Some(TOKEN.to_owned()), None)
    }

    #[test]
    fn official_form_vector() {
        assert_eq!(
            compute(TOKEN, URL, &official_params()),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
    }

    #[test]
    fn official_port_vectors() {
        let p = official_params();
        assert_eq!(
            compute(TOKEN, "https://mycompany.com:443/myapp.php?foo=1&bar=2", &p),
            "kvajT1Ptam85bY51eRf/AJRuM3w="
        );
        assert_eq!(
            compute(TOKEN, "http://mycompany.com:80/myapp.php?foo=1&bar=2", &p),
            "0ZXoZLH/DfblKGATFgpif+LLRf4="
        );
        assert_eq!(
            compute(TOKEN, "http://mycompany.com:1234/myapp.php?foo=1&bar=2", &p),
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
        );
    }

    #[test]
    fn official_repeated_key_vector() {
        let p = pairs(&[
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
            ("Digits", "1234"),
        ]);
        assert_eq!(compute(TOKEN, URL, &p), "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
    }

    #[test]
    fn official_json_vector() {
        assert_eq!(body_sha256_hex(JSON_BODY.as_bytes()), JSON_SHA);
        let url = format!("{URL}&bodySHA256={JSON_SHA}");
        assert_eq!(compute(TOKEN, &url, &[]), "a9nBmqA0ju/hNViExpshrM61xv4=");
    }

    #[test]
    fn verify_official_json_via_public_base() {
        let v = Verifier::new(
            Some(TOKEN.to_owned()),
            Some("https://mycompany.com/".to_owned()),
        );
        let h = headers(&[
            ("host", "127.0.0.1:8080"),
            ("x-twilio-signature", "a9nBmqA0ju/hNViExpshrM61xv4="),
        ]);
        let pq = format!("/myapp.php?foo=1&bar=2&bodySHA256={JSON_SHA}");
        assert_eq!(
            v.verify(&h, &pq, JSON_BODY.as_bytes(), None),
            Verdict::valid_auth_token()
        );
    }

    #[test]
    fn verify_official_form_with_each_port_spelling() {
        let p = official_params();
        let pq = "/myapp.php?foo=1&bar=2";
        // Twilio signed with :443 but the request reached us without it.
        let h = headers(&[
            ("host", "mycompany.com"),
            ("x-forwarded-proto", "https"),
            ("x-twilio-signature", "kvajT1Ptam85bY51eRf/AJRuM3w="),
        ]);
        assert_eq!(
            verifier().verify(&h, pq, b"", Some(&p)),
            Verdict::valid_auth_token()
        );
        // Twilio signed without the port but the Host header carries it.
        let h = headers(&[
            ("host", "mycompany.com:443"),
            ("x-forwarded-proto", "https"),
            ("x-twilio-signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ]);
        assert_eq!(
            verifier().verify(&h, pq, b"", Some(&p)),
            Verdict::valid_auth_token()
        );
        // No forwarded proto: plain http, default port added.
        let h = headers(&[
            ("host", "mycompany.com"),
            ("x-twilio-signature", "0ZXoZLH/DfblKGATFgpif+LLRf4="),
        ]);
        assert_eq!(
            verifier().verify(&h, pq, b"", Some(&p)),
            Verdict::valid_auth_token()
        );
        // A non-default port is signed as-is.
        let h = headers(&[
            ("host", "mycompany.com:1234"),
            ("x-twilio-signature", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),
        ]);
        assert_eq!(
            verifier().verify(&h, pq, b"", Some(&p)),
            Verdict::valid_auth_token()
        );
    }

    #[test]
    fn verify_tunnel_host_with_forwarded_proto() {
        let pq = format!("/events?bodySHA256={JSON_SHA}");
        let sig = compute(TOKEN, &format!("https://abc.ngrok-free.app{pq}"), &[]);
        let h = headers(&[
            ("host", "abc.ngrok-free.app"),
            ("x-forwarded-proto", "https"),
            ("x-twilio-signature", &sig),
        ]);
        assert_eq!(
            verifier().verify(&h, &pq, JSON_BODY.as_bytes(), None),
            Verdict::valid_auth_token()
        );
        // Without the forwarded proto we would rebuild http://, which Twilio did not sign.
        let h = headers(&[("host", "abc.ngrok-free.app"), ("x-twilio-signature", &sig)]);
        assert_eq!(
            verifier().verify(&h, &pq, JSON_BODY.as_bytes(), None),
            Verdict::invalid("signature mismatch")
        );
    }

    #[test]
    fn forwarded_host_wins_over_host() {
        let h = headers(&[
            ("host", "127.0.0.1:8080"),
            ("x-forwarded-host", "abc.example.com, proxy.internal"),
            ("x-forwarded-proto", "HTTPS, http"),
        ]);
        assert_eq!(
            public_url(&h, "/hook?a=1", None),
            "https://abc.example.com/hook?a=1"
        );
        assert_eq!(
            public_url(&h, "/hook", Some("https://x.ngrok.app/")),
            "https://x.ngrok.app/hook"
        );
        assert_eq!(public_url(&HeaderMap::new(), "", None), "http://localhost/");
    }

    #[test]
    fn tampered_body_is_invalid() {
        let pq = format!("/events?bodySHA256={JSON_SHA}");
        let sig = compute(TOKEN, &format!("https://abc.ngrok-free.app{pq}"), &[]);
        let h = headers(&[
            ("host", "abc.ngrok-free.app"),
            ("x-forwarded-proto", "https"),
            ("x-twilio-signature", &sig),
        ]);
        let forged = br#"{"property": "evil", "boolean": true}"#;
        assert_eq!(
            verifier().verify(&h, &pq, forged, None),
            Verdict::invalid("bodySHA256 mismatch")
        );
    }

    #[test]
    fn json_without_body_sha_is_invalid() {
        let sig = compute(TOKEN, "http://h/events", &[]);
        let h = headers(&[("host", "h"), ("x-twilio-signature", &sig)]);
        assert_eq!(
            verifier().verify(&h, "/events", JSON_BODY.as_bytes(), None),
            Verdict::invalid("bodySHA256 missing")
        );
    }

    #[test]
    fn missing_header_is_unsigned() {
        let h = headers(&[("host", "h")]);
        assert_eq!(
            verifier().verify(&h, "/events", b"{}", None),
            Verdict::Unsigned
        );
    }

    #[test]
    fn no_token_is_unchecked() {
        for token in [None, Some(String::new()), Some("  ".to_owned())] {
            let v = Verifier::new(token, None);
            assert!(!v.enabled());
            let signed = headers(&[("x-twilio-signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")]);
            assert_eq!(v.verify(&signed, "/", b"", None), Verdict::Unchecked);
            assert_eq!(
                v.verify(&HeaderMap::new(), "/", b"", None),
                Verdict::Unchecked
            );
        }
        assert!(verifier().enabled());
    }

    #[test]
    fn garbage_signature_is_invalid_not_a_panic() {
        for sig in [
            "not base64!!",
            "%%%",
            "",
            "AAAA",
            "=",
            "a9nBmqA0ju/hNViExpshrM61xv4",
        ] {
            let h = headers(&[("host", "mycompany.com"), ("x-twilio-signature", sig)]);
            let verdict = verifier().verify(&h, "/myapp.php", b"", Some(&[]));
            assert_eq!(verdict.as_str(), "invalid", "{sig:?}");
        }
        let h = headers(&[("x-twilio-signature", "not base64!!")]);
        assert_eq!(
            verifier().verify(&h, "/", b"", Some(&[])),
            Verdict::invalid("signature not base64")
        );
        let mut h = HeaderMap::new();
        h.insert(
            "x-twilio-signature",
            HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
        );
        assert_eq!(verifier().verify(&h, "/", b"", None).as_str(), "invalid");
    }

    #[test]
    fn variants_cover_port_spellings() {
        assert_eq!(
            url_variants("https://h.com/p?q=1"),
            vec!["https://h.com/p?q=1", "https://h.com:443/p?q=1"]
        );
        assert_eq!(
            url_variants("https://h.com:443/p"),
            vec!["https://h.com:443/p", "https://h.com/p"]
        );
        assert_eq!(
            url_variants("HTTP://h.com"),
            vec!["HTTP://h.com", "HTTP://h.com:80"]
        );
        assert_eq!(
            url_variants("http://h.com:1234/"),
            vec!["http://h.com:1234/", "http://h.com/"]
        );
        assert_eq!(url_variants("ws://h.com/x"), vec!["ws://h.com/x"]);
        assert_eq!(
            url_variants("http://[::1]:8080/x"),
            vec!["http://[::1]:8080/x", "http://[::1]/x"]
        );
        assert_eq!(
            url_variants("http://[::1]/x"),
            vec!["http://[::1]/x", "http://[::1]:80/x"]
        );
        assert_eq!(url_variants("not a url"), vec!["not a url"]);
        assert_eq!(url_variants("https:///x"), vec!["https:///x"]);
    }

    #[test]
    fn variants_cover_userinfo() {
        let v = url_variants("https://u:p@w@h.com/x");
        assert_eq!(
            v,
            vec![
                "https://u:p@w@h.com/x",
                "https://u:p@w@h.com:443/x",
                "https://h.com/x",
                "https://h.com:443/x",
            ]
        );
    }

    #[test]
    fn userinfo_in_public_base_or_basic_auth() {
        let p = official_params();
        let pq = "/myapp.php?foo=1&bar=2";
        // Configured with credentials, Twilio signed without them.
        let v = Verifier::new(
            Some(TOKEN.to_owned()),
            Some("https://user:pass@mycompany.com".to_owned()),
        );
        let h = headers(&[("x-twilio-signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")]);
        assert_eq!(v.verify(&h, pq, b"", Some(&p)), Verdict::valid_auth_token());

        // Rebuilt from Host (no credentials), Twilio signed with them.
        let sig = compute(
            TOKEN,
            "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2",
            &p,
        );
        let basic = format!("Basic {}", BASE64.encode("user:pass"));
        let h = headers(&[
            ("host", "mycompany.com"),
            ("x-forwarded-proto", "https"),
            ("authorization", &basic),
            ("x-twilio-signature", &sig),
        ]);
        assert_eq!(
            verifier().verify(&h, pq, b"", Some(&p)),
            Verdict::valid_auth_token()
        );
        let h = headers(&[
            ("host", "mycompany.com"),
            ("x-forwarded-proto", "https"),
            ("x-twilio-signature", &sig),
        ]);
        assert_eq!(
            verifier().verify(&h, pq, b"", Some(&p)),
            Verdict::invalid("signature mismatch")
        );
    }

    #[test]
    fn form_signature_binds_params() {
        let mut p = official_params();
        let h = headers(&[
            ("host", "mycompany.com"),
            ("x-forwarded-proto", "https"),
            ("x-twilio-signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ]);
        if let Some(pair) = p.iter_mut().find(|(k, _)| k == "Digits") {
            pair.1 = "9999".to_owned();
        }
        assert_eq!(
            verifier().verify(&h, "/myapp.php?foo=1&bar=2", b"", Some(&p)),
            Verdict::invalid("signature mismatch")
        );
    }

    #[test]
    fn query_param_decodes() {
        let pq = "/p?a=1&bodySHA256=ab%63d&x+y=a+b%2Bc&flag&&e=%zz#frag";
        assert_eq!(query_param(pq, "bodySHA256").as_deref(), Some("abcd"));
        assert!(matches!(query_param(pq, "a"), Some(Cow::Borrowed("1"))));
        assert_eq!(query_param(pq, "x y").as_deref(), Some("a b+c"));
        assert_eq!(query_param(pq, "flag").as_deref(), Some(""));
        assert_eq!(query_param(pq, "e").as_deref(), Some("%zz"));
        assert_eq!(query_param(pq, "missing"), None);
        assert_eq!(query_param("/p", "a"), None);
        assert_eq!(query_param("/p?a=%", "a").as_deref(), Some("%"));
        assert_eq!(query_param("/p?a=%ff", "a").as_deref(), Some("\u{fffd}"));
    }

    #[test]
    fn verdict_strings() {
        let valid = Verdict::valid_auth_token();
        assert_eq!(valid.as_str(), "valid");
        assert_eq!(Verdict::invalid("x").as_str(), "invalid");
        assert_eq!(Verdict::invalid("x").reason(), Some("x"));
        assert_eq!(Verdict::Unsigned.as_str(), "unsigned");
        assert_eq!(Verdict::Unchecked.as_str(), "unchecked");
        assert_eq!(Verdict::CannotVerify("c".into()).as_str(), "unverifiable");
        assert_eq!(Verdict::CannotVerify("c".into()).reason(), Some("c"));
        assert_eq!(valid.reason(), None);
        assert_eq!(
            valid.signed_by().map(ToString::to_string).as_deref(),
            Some("auth token, HMAC-SHA1")
        );
        for v in [
            valid,
            Verdict::invalid("x"),
            Verdict::Unsigned,
            Verdict::CannotVerify("c".into()),
            Verdict::Unchecked,
        ] {
            assert_eq!(Verdict::recorded(v.as_str()), v.signature());
        }
    }

    /// The vectors `tools/shared_key_vectors.py` computed with twilio-python's
    /// `RequestValidator` (the library version is in the file).
    mod shared_key {
        use super::*;

        const VECTORS: &str = include_str!("../../tests/data/shared_key_vectors.json");
        const OLD: &str = "webhooks_sharedkey_old";
        const NEW: &str = "webhooks_sharedkey_new";

        #[derive(serde::Deserialize)]
        struct File {
            library: String,
            vectors: Vec<Vector>,
        }

        #[derive(serde::Deserialize)]
        struct Vector {
            name: String,
            key_id: String,
            secret: String,
            algorithm: String,
            settings_header: String,
            url: String,
            form: Option<std::collections::BTreeMap<String, String>>,
            json_body: Option<String>,
            signature: String,
        }

        impl Vector {
            fn params(&self) -> Option<Vec<(String, String)>> {
                self.form
                    .as_ref()
                    .map(|f| f.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            }

            fn body(&self) -> &[u8] {
                self.json_body.as_deref().unwrap_or("").as_bytes()
            }

            /// The request as it reaches us: path and query, with the public base configured.
            fn path_and_query(&self) -> &str {
                self.url.trim_start_matches("https://mycompany.com")
            }

            fn headers(settings: Option<&str>, signature: &str) -> HeaderMap {
                let mut h = headers(&[("x-twilio-signature", signature)]);
                if let Some(s) = settings {
                    h.insert(SETTINGS_HEADER, HeaderValue::from_str(s).unwrap());
                }
                h
            }

            fn verify(&self, v: &Verifier, settings: Option<&str>) -> Verdict {
                let params = self.params();
                v.verify(
                    &Self::headers(settings, &self.signature),
                    self.path_and_query(),
                    self.body(),
                    params.as_deref(),
                )
            }
        }

        fn vectors() -> File {
            serde_json::from_str(VECTORS).unwrap()
        }

        fn verifier(specs: &[&str]) -> Verifier {
            Verifier::new(
                Some(TOKEN.to_owned()),
                Some("https://mycompany.com".to_owned()),
            )
            .with_shared_secrets(specs.iter().copied())
        }

        fn algorithm(name: &str) -> Algorithm {
            Algorithm::from_header(name).unwrap()
        }

        #[test]
        fn vectors_name_the_library() {
            let file = vectors();
            assert!(
                file.library.starts_with("twilio-python 9."),
                "{}",
                file.library
            );
            let algorithms: Vec<&str> = file.vectors.iter().map(|v| v.algorithm.as_str()).collect();
            assert!(algorithms.contains(&"HMAC_SHA256") && algorithms.contains(&"HMAC_SHA1"));
        }

        #[test]
        fn compute_matches_the_official_library() {
            for v in vectors().vectors {
                let params = v.params().unwrap_or_default();
                let got = compute_with(algorithm(&v.algorithm), &v.secret, &v.url, &params);
                assert_eq!(got, v.signature, "{}", v.name);
                if let Some(body) = &v.json_body {
                    assert!(
                        v.url.ends_with(&body_sha256_hex(body.as_bytes())),
                        "{}",
                        v.name
                    );
                }
            }
        }

        #[test]
        fn each_vector_verifies_with_its_key_and_algorithm() {
            for v in vectors().vectors {
                let spec = format!("{}={}", v.key_id, v.secret);
                let verdict = v.verify(&verifier(&[&spec]), Some(&v.settings_header));
                let want = SignedBy {
                    signer: Signer::SharedKey(Some(v.key_id.clone())),
                    algorithm: algorithm(&v.algorithm),
                };
                assert_eq!(verdict, Verdict::Valid(want), "{}", v.name);
                let shown = verdict.signed_by().unwrap().to_string();
                assert!(shown.contains(&v.key_id), "{shown}");
                // A bare secret answers for any key.
                let verdict = v.verify(&verifier(&[&v.secret]), Some(&v.settings_header));
                assert_eq!(verdict.as_str(), "valid", "{} (bare secret)", v.name);
            }
        }

        #[test]
        fn rotation_with_two_secrets() {
            let file = vectors();
            let old_secret = &file
                .vectors
                .iter()
                .find(|v| v.key_id == OLD)
                .unwrap()
                .secret;
            let new_secret = &file
                .vectors
                .iter()
                .find(|v| v.key_id == NEW)
                .unwrap()
                .secret;
            let bound = verifier(&[
                &format!("{OLD}={old_secret}"),
                &format!("{NEW}={new_secret}"),
            ]);
            let bare = verifier(&[old_secret, new_secret]);
            for v in &file.vectors {
                for verifier in [&bound, &bare] {
                    let verdict = v.verify(verifier, Some(&v.settings_header));
                    assert_eq!(verdict.as_str(), "valid", "{}", v.name);
                }
            }
            // A secret bound to one key does not vouch for the other key's signature.
            let swapped = verifier(&[
                &format!("{OLD}={new_secret}"),
                &format!("{NEW}={old_secret}"),
            ]);
            for v in &file.vectors {
                let verdict = v.verify(&swapped, Some(&v.settings_header));
                assert!(
                    matches!(&verdict, Verdict::Invalid(why) if why.contains(&v.key_id)),
                    "{}: {verdict:?}",
                    v.name
                );
            }
        }

        #[test]
        fn unknown_key_cannot_be_verified() {
            let file = vectors();
            let v = &file.vectors[0];
            for verifier in [verifier(&[]), verifier(&[&format!("{NEW}=whatever")])] {
                let verdict = v.verify(&verifier, Some(&v.settings_header));
                assert_eq!(
                    verdict,
                    Verdict::CannotVerify(format!("cannot verify: no secret for key \"{OLD}\"")),
                );
                assert_eq!(verdict.as_str(), "unverifiable");
                assert!(verdict.refused_when_required());
            }
            // Only shared keys configured, and the request is signed with the auth token.
            let only_shared = Verifier::new(None, Some("https://mycompany.com".to_owned()))
                .with_shared_secrets([format!("{OLD}={}", v.secret)]);
            assert!(only_shared.enabled());
            assert!(matches!(
                v.verify(&only_shared, None),
                Verdict::CannotVerify(_)
            ));
        }

        #[test]
        fn unknown_algorithm_is_invalid() {
            let file = vectors();
            let v = &file.vectors[0];
            let spec = format!("{}={}", v.key_id, v.secret);
            for header in [
                format!("key={OLD},algorithm=HMAC_SHA512"),
                format!("key={OLD},algorithm=md5"),
                // Even for a key we hold no secret for: the algorithm alone settles it.
                "key=nobody,algorithm=ROT13".to_owned(),
            ] {
                let verdict = v.verify(&verifier(&[&spec]), Some(&header));
                assert!(
                    matches!(&verdict, Verdict::Invalid(why) if why.starts_with("unknown signature algorithm")),
                    "{header}: {verdict:?}"
                );
            }
            // Case does not matter (twilio-python upper-cases it).
            let lower = v.settings_header.replace("HMAC_SHA256", "hmac_sha256");
            assert_eq!(
                v.verify(&verifier(&[&spec]), Some(&lower)).as_str(),
                "valid"
            );
        }

        #[test]
        fn tampered_body_or_params_are_invalid() {
            for v in vectors().vectors {
                let spec = format!("{}={}", v.key_id, v.secret);
                let verifier = verifier(&[&spec]);
                let h = Vector::headers(Some(&v.settings_header), &v.signature);
                let verdict = match v.params() {
                    Some(mut params) => {
                        params[2].1 = "9999".to_owned();
                        verifier.verify(&h, v.path_and_query(), b"", Some(&params))
                    }
                    None => verifier.verify(
                        &h,
                        v.path_and_query(),
                        br#"{"property": "evil", "boolean": true}"#,
                        None,
                    ),
                };
                assert_eq!(verdict.as_str(), "invalid", "{}", v.name);
            }
        }

        #[test]
        fn wrong_algorithm_in_the_header_is_a_mismatch() {
            let file = vectors();
            let v = file
                .vectors
                .iter()
                .find(|v| v.algorithm == "HMAC_SHA256")
                .unwrap();
            let spec = format!("{}={}", v.key_id, v.secret);
            let header = v.settings_header.replace("HMAC_SHA256", "HMAC_SHA1");
            assert_eq!(
                v.verify(&verifier(&[&spec]), Some(&header)),
                Verdict::Invalid(format!("signature mismatch (shared key {OLD}, HMAC-SHA1)"))
            );
        }

        #[test]
        fn settings_without_algorithm_mean_the_auth_token() {
            // The official form vector signed with the auth token, plus a settings header
            // that names no algorithm: twilio-python falls back to the token and SHA-1.
            let p = official_params();
            for settings in ["", "key=webhooks_sharedkey_old", "algorithm=", " , "] {
                let mut h = headers(&[("x-twilio-signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")]);
                h.insert(SETTINGS_HEADER, HeaderValue::from_str(settings).unwrap());
                assert_eq!(
                    verifier(&["s"]).verify(&h, "/myapp.php?foo=1&bar=2", b"", Some(&p)),
                    Verdict::valid_auth_token(),
                    "{settings:?}"
                );
            }
        }

        #[test]
        fn secret_specs() {
            let parse = |s: &str| SharedSecret::parse(s).map(|s| (s.key, s.secret));
            let some = |k: Option<&str>, s: &str| Some((k.map(str::to_owned), s.to_owned()));
            assert_eq!(parse("KS1=abc"), some(Some("KS1"), "abc"));
            assert_eq!(
                parse("webhooks_sharedkey_x=a=b"),
                some(Some("webhooks_sharedkey_x"), "a=b")
            );
            assert_eq!(parse("abc"), some(None, "abc"));
            assert_eq!(parse("c2VjcmV0=="), some(None, "c2VjcmV0=="));
            assert_eq!(parse("c2VjcmV0a="), some(None, "c2VjcmV0a="));
            assert_eq!(parse("*=a=b"), some(None, "a=b"));
            assert_eq!(parse("a b=c"), some(None, "a b=c"));
            assert_eq!(parse("=abc"), some(None, "=abc"));
            assert_eq!(parse("  "), None);
            assert_eq!(parse("*="), None);
            let shown = format!("{:?}", verifier(&["KS1=topsecret", "alsosecret"]));
            assert!(
                !shown.contains("alsosecret") && !shown.contains("topsecret"),
                "{shown}"
            );
        }

        #[test]
        fn settings_parse() {
            assert_eq!(Settings::parse(""), Settings::AuthToken);
            assert_eq!(
                Settings::parse(" key = K1 , algorithm = HMAC_SHA256 ,x=y"),
                Settings::SharedKey {
                    key: Some("K1"),
                    algorithm: "HMAC_SHA256"
                }
            );
            assert_eq!(
                Settings::parse("algorithm=HMAC_SHA1"),
                Settings::SharedKey {
                    key: None,
                    algorithm: "HMAC_SHA1"
                }
            );
        }
    }

    #[test]
    fn form_pairs_decode_in_order() {
        let got = form_pairs(
            b"To=%2B1415&From=%2b1800&Speech=hello+world&Digits=1&Digits=1&&Flag&a%3Db=c%26d",
        );
        assert_eq!(
            got,
            pairs(&[
                ("To", "+1415"),
                ("From", "+1800"),
                ("Speech", "hello world"),
                ("Digits", "1"),
                ("Digits", "1"),
                ("Flag", ""),
                ("a=b", "c&d"),
            ])
        );
        assert!(form_pairs(b"").is_empty());
        assert_eq!(
            form_pairs(b"a=%&b=%e9%x"),
            pairs(&[("a", "%"), ("b", "\u{fffd}%x")])
        );
    }

    #[test]
    fn form_body_signature_checks_the_decoded_pairs() {
        // Repeated keys and `+` are signed as decoded: a body decoded and signed the way the
        // official libraries do it verifies.
        let body = b"CallSid=CA1&CallStatus=in-progress&Digits=1&Digits=2&SpeechResult=yes+please";
        let params = form_pairs(body);
        let sig = compute(TOKEN, "https://x.test/status", &params);
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("x.test"));
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        h.insert("x-twilio-signature", HeaderValue::from_str(&sig).unwrap());
        let v = verifier().verify(&h, "/status", body, Some(&params));
        assert_eq!(v, Verdict::valid_auth_token());
        let tampered = form_pairs(
            b"CallSid=CA1&CallStatus=completed&Digits=1&Digits=2&SpeechResult=yes+please",
        );
        let v = verifier().verify(&h, "/status", body, Some(&tampered));
        assert_eq!(v, Verdict::invalid("signature mismatch"));
    }

    #[test]
    fn debug_redacts_token() {
        let shown = format!("{:?}", verifier());
        assert!(!shown.contains(TOKEN), "{shown}");
    }
}
