//! Masking for pairing and screen sharing: phone numbers, SIP and client identities, speech,
//! caller names and recording URLs are shown with enough kept to tell them apart
//! (`+14155550100` → `+1415•••0100`), and nothing more.
//!
//! Pure and deterministic: the same value always masks the same way, and masking masked text
//! changes nothing. SIDs (`CA…`, `RE…` on their own), timestamps and durations are left alone.

use std::borrow::Cow;

use serde_json::Value;

use crate::domain::event::key_eq;

/// What stands for the hidden part.
pub const HIDDEN: &str = "•••";
const HIDDEN_CHAR: char = '•';

/// Longest international number (E.164) in digits; shortest one masked in free text.
const MAX_DIGITS: usize = 15;
const MIN_DIGITS: usize = 8;

/// Parameters that hold a phone number or a SIP / client identity.
const PHONE_PARAMS: &[&str] = &[
    "From",
    "To",
    "Caller",
    "Called",
    "ForwardedFrom",
    "CalledVia",
    "DialCallTo",
];
/// Parameters that hold what the caller said.
const SPEECH_PARAMS: &[&str] = &["SpeechResult", "UnstableSpeechResult", "TranscriptionText"];
/// Parameters that hold a person's name (or a number when there is no name).
const NAME_PARAMS: &[&str] = &["CallerName", "CallerId"];
/// Parameters that hold a recording's URL.
const RECORDING_PARAMS: &[&str] = &["RecordingUrl"];

/// Masks free text: E.164 numbers (`+14155550100`, `+1 (415) 555-0100`, `%2B14155550100` in
/// URLs), US numbers with separators (`415-555-0100`, `(415) 555-0100`), SIP URIs
/// (`sip:ali•••@…`), client identities (`client:bo•••`) and recording URLs
/// (`https://api.twilio.com/…/RE•••f2a1`). Everything else is returned as it is.
pub fn text(s: &str) -> Cow<'_, str> {
    // Numbers need digits; URIs need a colon.
    if !s.bytes().any(|b| b.is_ascii_digit() || b == b':') {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Every pattern starts with an ASCII byte, which is always a char boundary.
        let found = if bytes[i].is_ascii() && at_word_start(s, i) {
            match_at(s, i)
        } else {
            None
        };
        match found {
            Some((len, masked)) => {
                out.push_str(&s[copied..i]);
                out.push_str(&masked);
                i += len;
                copied = i;
            }
            None => i += 1,
        }
    }
    if copied == 0 {
        return Cow::Borrowed(s);
    }
    out.push_str(&s[copied..]);
    if out == s {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(out)
    }
}

/// Masks one request parameter, knowing what its name means: `From`/`To`/`Caller`/`Called`/
/// `ForwardedFrom` are numbers or identities, `SpeechResult` becomes `«speech, 31 chars»`,
/// `CallerName`/`CallerId` keep their first letter, `RecordingUrl` its host and last 4
/// characters. Any other parameter is masked as free text.
pub fn param<'a>(name: &str, value: &'a str) -> Cow<'a, str> {
    let is = |list: &[&str]| list.iter().any(|n| key_eq(name, n));
    if value.trim().is_empty() {
        return Cow::Borrowed(value);
    }
    if is(SPEECH_PARAMS) {
        return speech(value);
    }
    if is(PHONE_PARAMS) || is(NAME_PARAMS) {
        if let Some(masked) = bare_number(value) {
            return masked;
        }
        if is(NAME_PARAMS) && !has_uri_scheme(value) {
            return name_initial(value);
        }
        return text(value);
    }
    if is(RECORDING_PARAMS) && !value.contains(HIDDEN) && has_uri_scheme(value) {
        return Cow::Owned(recording_url(value.trim()));
    }
    text(value)
}

/// Masks every string of a JSON value: object members by their name (as [`param`]), the rest
/// as free text. For the raw event JSON and the request parameters.
pub fn json(v: &mut Value) {
    match v {
        Value::String(s) => replace(s, text),
        Value::Array(items) => items.iter_mut().for_each(json),
        Value::Object(map) => {
            for (k, item) in map.iter_mut() {
                match item {
                    Value::String(s) => replace(s, |s| param(k, s)),
                    other => json(other),
                }
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn replace(s: &mut String, f: impl Fn(&str) -> Cow<'_, str>) {
    if let Cow::Owned(masked) = f(s) {
        *s = masked;
    }
}

/// `«speech, 31 chars»`.
fn speech(value: &str) -> Cow<'_, str> {
    if value.starts_with('«') && value.ends_with('»') {
        return Cow::Borrowed(value);
    }
    Cow::Owned(format!("«speech, {} chars»", value.chars().count()))
}

/// The first letter and `•••`.
fn name_initial(value: &str) -> Cow<'_, str> {
    let trimmed = value.trim();
    let mut chars = trimmed.chars();
    let Some(first) = chars.next() else {
        return Cow::Borrowed(value);
    };
    if chars.as_str() == HIDDEN {
        return Cow::Borrowed(value);
    }
    Cow::Owned(format!("{first}{HIDDEN}"))
}

fn has_uri_scheme(value: &str) -> bool {
    let v = value.trim_start();
    ["sip:", "sips:", "client:", "http://", "https://"]
        .iter()
        .any(|p| starts_with_ci(v, p))
}

/// A whole value that is a phone number in any format (`+14155550100`, `4155550100`,
/// `(415) 555-0100`), masked; None when it is not one.
fn bare_number(value: &str) -> Option<Cow<'_, str>> {
    let v = value.trim();
    let body = v.strip_prefix('+').unwrap_or(v);
    let digits = body.bytes().filter(u8::is_ascii_digit).count();
    let phone_chars = body
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b' ' | b'-' | b'.' | b'(' | b')'));
    if !phone_chars || !(5..=MAX_DIGITS).contains(&digits) {
        return None;
    }
    let start = value.len() - value.trim_start().len() + (v.len() - body.len());
    let end = value.trim_end().len();
    let mut out = String::with_capacity(value.len() + 8);
    out.push_str(&value[..start]);
    out.push_str(&mask_digits(&value[start..end]));
    out.push_str(&value[end..]);
    Some(Cow::Owned(out))
}

/// Whether a pattern may start at byte `i`: not in the middle of a word or a number.
fn at_word_start(s: &str, i: usize) -> bool {
    s[..i]
        .chars()
        .next_back()
        .is_none_or(|c| !c.is_alphanumeric())
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// The pattern starting at byte `i`: its length in bytes and its masked form.
fn match_at(s: &str, i: usize) -> Option<(usize, String)> {
    let rest = &s[i..];
    match rest.as_bytes()[0] {
        b'h' | b'H' => recording_in_text(rest),
        b's' | b'S' => sip(rest),
        b'c' | b'C' => client(rest),
        b'%' if starts_with_ci(rest, "%2B") => international(rest, 3),
        b'+' => international(rest, 1),
        b'0'..=b'9' | b'(' => {
            let before = s[..i].chars().next_back();
            // Not the tail of a dotted or dashed run (`10.168.100.1000`).
            if matches!(before, Some('.' | '-')) {
                None
            } else {
                us_number(rest)
            }
        }
        _ => None,
    }
}

/// Where a URI ends in free text.
fn uri_len(s: &str, stops: &str) -> usize {
    s.find(|c: char| c.is_whitespace() || "\"'<>`".contains(c) || stops.contains(c))
        .unwrap_or(s.len())
}

/// `sip:alice@example.com` → `sip:ali•••@…` (a number as user part is masked as a number).
fn sip(rest: &str) -> Option<(usize, String)> {
    let scheme = ["sips:", "sip:"]
        .into_iter()
        .find(|p| starts_with_ci(rest, p))?;
    let after = &rest[scheme.len()..];
    // `Sip:sip:…` (a verbs summary): the inner URI is the one to mask.
    if starts_with_ci(after, "sip:") || starts_with_ci(after, "sips:") {
        return None;
    }
    let len = uri_len(after, ";,)&?");
    let uri = &after[..len];
    if uri.is_empty() {
        return None;
    }
    let (user, host) = match uri.split_once('@') {
        Some((u, h)) => (u, Some(h)),
        None => (uri, None),
    };
    let mut out = format!("{}{}", &rest[..scheme.len()], identity(user));
    if host.is_some() {
        out.push_str("@…");
    }
    Some((scheme.len() + len, out))
}

/// `client:bob` → `client:bo•••`.
fn client(rest: &str) -> Option<(usize, String)> {
    const SCHEME: &str = "client:";
    if !starts_with_ci(rest, SCHEME) {
        return None;
    }
    let after = &rest[SCHEME.len()..];
    let len = uri_len(after, ";,)&?@");
    if len == 0 {
        return None;
    }
    Some((
        SCHEME.len() + len,
        format!("{}{}", &rest[..SCHEME.len()], identity(&after[..len])),
    ))
}

/// A SIP user or client identity: a number is masked as one, a name keeps up to 3 letters.
fn identity(user: &str) -> String {
    if user.contains(HIDDEN_CHAR) {
        return user.to_owned();
    }
    if let Some(masked) = bare_number(user) {
        return masked.into_owned();
    }
    let n = user.chars().count();
    let keep = n.saturating_sub(1).min(3);
    let mut out: String = user.chars().take(keep).collect();
    out.push_str(HIDDEN);
    out
}

/// An international number after `+` (or `%2B`, `prefix` bytes): compact E.164, or a short
/// country code followed by groups (`+1 (415) 555-0100`, `+44 20 7183 8750`).
fn international(rest: &str, prefix: usize) -> Option<(usize, String)> {
    let b = rest.as_bytes();
    if !matches!(b.get(prefix), Some(b'1'..=b'9')) {
        return None;
    }
    let digits_from = |k: usize| b[k..].iter().take_while(|c| c.is_ascii_digit()).count();
    let first = digits_from(prefix);
    let end = if first >= MIN_DIGITS {
        // Compact: a longer digit run, or one running into a word, is something else.
        if first > MAX_DIGITS || b.get(prefix + first).is_some_and(u8::is_ascii_alphanumeric) {
            return None;
        }
        prefix + first
    } else {
        let (mut total, mut end, mut k) = (first, prefix + first, prefix + first);
        loop {
            let sep = b[k..]
                .iter()
                .take(2)
                .take_while(|c| matches!(c, b' ' | b'-' | b'.' | b'(' | b')'))
                .count();
            if sep == 0 {
                break;
            }
            let group = digits_from(k + sep);
            if group == 0 || total + group > MAX_DIGITS {
                break;
            }
            total += group;
            k += sep + group;
            end = k;
        }
        if total < MIN_DIGITS {
            return None;
        }
        end
    };
    Some((
        end,
        format!("{}{}", &rest[..prefix], mask_digits(&rest[prefix..end])),
    ))
}

/// A US number with separators: `415-555-0100`, `415.555.0100`, `(415) 555-0100`,
/// `1-415-555-0100`. Bare digit runs are not taken (timestamps, durations, IDs look alike).
fn us_number(rest: &str) -> Option<(usize, String)> {
    let b = rest.as_bytes();
    let digits = |k: usize, n: usize| {
        b.get(k..k + n)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let sep = |k: usize| matches!(b.get(k), Some(b'-' | b'.' | b' '));
    let parse = |mut k: usize| -> Option<usize> {
        if b.get(k) == Some(&b'(') {
            if !digits(k + 1, 3) || b.get(k + 4) != Some(&b')') {
                return None;
            }
            k += 5;
            if b.get(k) == Some(&b' ') {
                k += 1;
            }
        } else {
            if !digits(k, 3) || !sep(k + 3) {
                return None;
            }
            k += 4;
        }
        if !digits(k, 3) || !sep(k + 3) || !digits(k + 4, 4) {
            return None;
        }
        k += 8;
        let next = b.get(k).copied();
        let then_digit = b.get(k + 1).is_some_and(u8::is_ascii_digit);
        if next.is_some_and(|c| c.is_ascii_alphanumeric())
            || (matches!(next, Some(b'-' | b'.')) && then_digit)
        {
            return None;
        }
        Some(k)
    };
    let with_country = (b.first() == Some(&b'1') && sep(1))
        .then(|| parse(2))
        .flatten();
    let end = with_country.or_else(|| parse(0))?;
    Some((end, mask_digits(&rest[..end])))
}

/// Hides the middle digits of a number, keeping its separators: the country and area code
/// (up to 4 digits) and the last 4 stay. `14155550100` → `1415•••0100`.
fn mask_digits(number: &str) -> String {
    let n = number.bytes().filter(u8::is_ascii_digit).count();
    let head = n.saturating_sub(7).min(4);
    let tail = (n - head).saturating_sub(3).min(4);
    let mut k = 0;
    number
        .chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            let keep = k < head || k >= n - tail;
            k += 1;
            if keep { c } else { HIDDEN_CHAR }
        })
        .collect()
}

/// A recording URL in free text (`…/Recordings/RE…`, or a last segment that is a recording
/// SID); other URLs are left to the number patterns (`?From=%2B1415…`).
fn recording_in_text(rest: &str) -> Option<(usize, String)> {
    if !starts_with_ci(rest, "http://") && !starts_with_ci(rest, "https://") {
        return None;
    }
    let len = uri_len(rest, ")");
    let url = rest[..len].trim_end_matches(['.', ',']);
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let last = path.rsplit('/').next().unwrap_or("");
    let stem = last.split('.').next().unwrap_or(last);
    let sid = stem.len() == 34
        && starts_with_ci(stem, "RE")
        && stem[2..].bytes().all(|c| c.is_ascii_hexdigit());
    if !sid && !path.to_ascii_lowercase().contains("/recordings/") {
        return None;
    }
    Some((url.len(), recording_url(url)))
}

/// `https://api.twilio.com/2010-04-01/Accounts/AC…/Recordings/RE…725b` →
/// `https://api.twilio.com/…/RE•••725b`: the scheme, the host and the last 4 characters.
fn recording_url(url: &str) -> String {
    let Some((scheme, after)) = url.split_once("://") else {
        return text(url).into_owned();
    };
    let (host, path) = after.split_at(after.find('/').unwrap_or(after.len()));
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let last = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    let (stem, ext) = match last.rfind('.') {
        Some(dot) if dot > 0 && last.len() - dot <= 5 => last.split_at(dot),
        _ => (last, ""),
    };
    let sid_prefix: String = stem
        .chars()
        .take(2)
        .filter(char::is_ascii_uppercase)
        .collect();
    let sid_prefix = if sid_prefix.len() == 2 {
        sid_prefix
    } else {
        String::new()
    };
    let n = stem.chars().count();
    let tail: String = stem.chars().skip(n.saturating_sub(4)).collect();
    format!("{scheme}://{host}/…/{sid_prefix}{HIDDEN}{tail}{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Masking is idempotent: masked text masks to itself.
    fn masks(input: &str, expected: &str) {
        assert_eq!(text(input), expected, "masking {input:?}");
        assert_eq!(text(expected), expected, "masking again {expected:?}");
    }

    fn untouched(input: &str) {
        assert!(
            matches!(text(input), Cow::Borrowed(_)),
            "{input:?} became {:?}",
            text(input)
        );
    }

    #[test]
    fn e164_numbers() {
        masks("+14155550100", "+1415•••0100");
        masks(
            "From +14155550100 to +18005550199.",
            "From +1415•••0100 to +1800•••0199.",
        );
        masks("Dial(+14155550123)", "Dial(+1415•••0123)");
        masks(
            "<Number>+14155550123</Number>",
            "<Number>+1415•••0123</Number>",
        );
        masks("callerId=\"+14155550100\"", "callerId=\"+1415•••0100\"");
        masks("+442071838750", "+4420••••8750");
        masks("+4930123456", "+493•••3456");
    }

    #[test]
    fn formatted_numbers() {
        masks("+1 (415) 555-0100", "+1 (415) •••-0100");
        masks("+44 20 7183 8750", "+44 20 •••• 8750");
        masks("call 415-555-0100 now", "call 415-•••-0100 now");
        masks("415.555.0100", "415.•••.0100");
        masks("(415) 555-0100", "(415) •••-0100");
        masks("1-415-555-0100", "1-415-•••-0100");
        masks("Call us at 415 555 0100.", "Call us at 415 ••• 0100.");
    }

    #[test]
    fn numbers_in_urls() {
        masks(
            "https://x.test/voice?From=%2B14155550100&x=1",
            "https://x.test/voice?From=%2B1415•••0100&x=1",
        );
        masks("/voice?To=+18005550199", "/voice?To=+1800•••0199");
    }

    #[test]
    fn sip_and_client_identities() {
        masks("sip:alice@example.sip.twilio.com", "sip:ali•••@…");
        masks(
            "<Sip>sip:alice@example.com;transport=tls</Sip>",
            "<Sip>sip:ali•••@…;transport=tls</Sip>",
        );
        masks("sip:+14155550100@pbx.test", "sip:+1415•••0100@…");
        masks("Dial(Sip:sip:alice@example.com)", "Dial(Sip:sip:ali•••@…)");
        masks("client:bob", "client:bo•••");
        masks("client:alice-smith", "client:ali•••");
        masks("Dial(Client:alice)", "Dial(Client:ali•••)");
        untouched("gossip:alice@x");
    }

    #[test]
    fn recording_urls() {
        masks(
            "https://api.twilio.com/2010-04-01/Accounts/ACe330ccb17b3f6f8b137ddda52a76d045/Recordings/RE0f27aa7931cee1f1c5bf80b31ad2725b",
            "https://api.twilio.com/…/RE•••725b",
        );
        masks(
            "<Play>https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE0f27aa7931cee1f1c5bf80b31ad2f2a1.mp3</Play>",
            "<Play>https://api.twilio.com/…/RE•••f2a1.mp3</Play>",
        );
        untouched("https://ivr.acme-example.com/voice");
        untouched("POST /after-dial");
    }

    #[test]
    fn non_numbers_are_untouched() {
        untouched("CA866a9ca9f30dd8f84f9984ce99a9ca31");
        untouched("RE0f27aa7931cee1f1c5bf80b31ad2725b");
        untouched("2026-11-28T14:03:07.515Z");
        untouched("Sat, 28 Nov 2026 14:03:07 +0000");
        untouched("15002");
        untouched("requestDuration: 15002, code 502");
        untouched("+0.0s  +7.4s  +1m02s");
        untouched("19:40:09.195 – 19:40:16.621 UTC · 7.4s");
        untouched("b2bf9910-829e-4852-be9d-51eab1bc86bf");
        untouched("1764338587");
        untouched("14155550100");
        untouched("10.168.100.1000");
        untouched("Digits=1 CallStatus=in-progress");
        untouched("<Gather action=\"/menu\" numDigits=\"1\" timeout=\"5\">");
        untouched("");
    }

    #[test]
    fn masking_is_deterministic_and_keeps_numbers_apart() {
        let a = text("+14155550100").into_owned();
        let b = text("+14155550123").into_owned();
        assert_eq!(a, text("+14155550100"));
        assert_ne!(a, b);
        assert_ne!(text("415-555-0100"), text("415-555-0199"));
        assert_ne!(text("sip:alice@x.test"), text("sip:bob@x.test"));
        assert_ne!(
            param(
                "RecordingUrl",
                "https://api.twilio.com/R/RE0000000000000000000000000000aaaa"
            ),
            param(
                "RecordingUrl",
                "https://api.twilio.com/R/RE0000000000000000000000000000bbbb"
            ),
        );
    }

    #[test]
    fn parameters_by_name() {
        assert_eq!(param("From", "+14155550100"), "+1415•••0100");
        assert_eq!(param("To", "4155550100"), "415•••0100");
        assert_eq!(param("Caller", "client:bob"), "client:bo•••");
        assert_eq!(param("Called", "sip:alice@x.test"), "sip:ali•••@…");
        assert_eq!(param("forwarded_from", "+14155550100"), "+1415•••0100");
        assert_eq!(param("From", "anonymous"), "anonymous");
        assert_eq!(
            param("SpeechResult", "I want to check my order status"),
            "«speech, 31 chars»"
        );
        assert_eq!(param("UnstableSpeechResult", "hello"), "«speech, 5 chars»");
        assert_eq!(param("CallerName", "Alice Smith"), "A•••");
        assert_eq!(param("CallerId", "Bob"), "B•••");
        assert_eq!(param("CallerId", "+14155550100"), "+1415•••0100");
        assert_eq!(
            param(
                "RecordingUrl",
                "https://media.example.com/calls/2026/rec-42f2a1.wav"
            ),
            "https://media.example.com/…/•••f2a1.wav"
        );
        assert_eq!(param("Digits", "1"), "1");
        assert_eq!(param("CallStatus", "in-progress"), "in-progress");
        assert_eq!(param("SpeechResult", ""), "");
        assert_eq!(
            param("CallSid", "CA866a9ca9f30dd8f84f9984ce99a9ca31"),
            "CA866a9ca9f30dd8f84f9984ce99a9ca31"
        );
        // Idempotent by name too.
        for (name, value) in [
            ("From", "+14155550100"),
            ("SpeechResult", "I want to check my order status"),
            ("CallerName", "Alice Smith"),
            ("Called", "sip:alice@x.test"),
            (
                "RecordingUrl",
                "https://api.twilio.com/A/Recordings/RE0f27aa7931cee1f1c5bf80b31ad2725b",
            ),
        ] {
            let once = param(name, value).into_owned();
            assert_eq!(param(name, &once), once, "{name}");
        }
    }

    #[test]
    fn json_is_masked_by_member_name() {
        let mut v = serde_json::json!({
            "data": {
                "sid": "CA866a9ca9f30dd8f84f9984ce99a9ca31",
                "request": {
                    "url": "https://x.test/voice?From=%2B14155550100",
                    "parameters": {
                        "From": "+14155550100",
                        "SpeechResult": "my number is 415-555-0100",
                        "CallerName": "Alice",
                        "Digits": "2"
                    }
                },
                "list": ["+18005550199", 3]
            }
        });
        json(&mut v);
        let p = &v["data"]["request"]["parameters"];
        assert_eq!(p["From"], "+1415•••0100");
        assert_eq!(p["SpeechResult"], "«speech, 25 chars»");
        assert_eq!(p["CallerName"], "A•••");
        assert_eq!(p["Digits"], "2");
        assert_eq!(v["data"]["sid"], "CA866a9ca9f30dd8f84f9984ce99a9ca31");
        assert_eq!(
            v["data"]["request"]["url"],
            "https://x.test/voice?From=%2B1415•••0100"
        );
        assert_eq!(v["data"]["list"][0], "+1800•••0199");
    }
}
