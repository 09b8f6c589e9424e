//! The IVR path of a call: which `TwiML` verb of which response caused which later request —
//! a `<Gather action>` its `gather.finished`, a `<Redirect>` its `call.redirected`, a
//! `<Dial action>` its `dial.finished`, an `<Enqueue action>` its `enqueue.finished`, a
//! `<Record action>` its `record.finished` — and the whole call as one short line:
//! `/voice → Gather → 1 → /menu → Redirect → /sales → Dial +1415… → busy → …`.
//!
//! URLs are compared by the path and query of the resolved URL (RFC 3986 §5.2), never by
//! scheme or host: a tunnel may change the host between the app's answer and Twilio's request.
//!
//! # When a follow-up is missing
//!
//! A response's follow-up is looked for in the call's *next* events: the first one that is not
//! a side request of that response (the `waitUrl` of an `<Enqueue>` or a `<Conference>`, which
//! Twilio requests while the caller waits) must be the request one of its verbs makes, of the
//! verb's event kind (or `request.failed`: the request was made, the app failed it). Twilio
//! runs the verbs in order and falls through a `<Gather>` without input, a `<Record>` without
//! audio, and a `<Dial>` or `<Enqueue>` without `action`, so any of those verbs may be the one.
//! A step is **missing** its follow-up when the call has a later event that none of its verbs
//! explains — unless that event is a `call.transferred` (the call was moved through the REST
//! API, which cuts any verb short). The call's last step is never marked: this module has no
//! clock, and a follow-up may still be pending (a `<Dial>` may ring for minutes, a queue may
//! hold for hours); once any later event of the call arrives, the verdict is certain.
//!
//! Pure and bounded: every value in the line is cut short and made ASCII (plus `→` and `…`).

use std::fmt::Write as _;

use crate::domain::twiml::{Decoded, Node};
use crate::domain::{Event, EventKind};

/// One event of a call, in time order, with its decoded `TwiML` (if any).
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    pub event: &'a Event,
    pub decoded: Option<&'a Decoded>,
}

/// A verb of a step's response that makes a request, and the step that request is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The step whose response holds the verb.
    pub from: usize,
    /// The verb's name (`Gather`, `Redirect`, `Dial`, `Enqueue`, `Record`).
    pub verb: String,
    /// The step the verb caused; `None` when it never came (or has not yet).
    pub to: Option<usize>,
    pub expected_kind: EventKind,
}

/// A call's path.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Path {
    /// One link per step whose response makes a request: the verb that was followed, or, when
    /// none was, the first verb that makes one (with `to: None`).
    pub links: Vec<Link>,
    /// The path as one line.
    pub line: String,
    /// Steps whose expected follow-up never came (see the module documentation), ascending.
    pub missing: Vec<usize>,
}

const ARROW: &str = " → ";
/// Verbs of one response considered; `TwiML` from the network can hold thousands.
const MAX_VERBS: usize = 16;
/// Character budgets of the values in the line.
const PATH_MAX: usize = 24;
const NUMBER_MAX: usize = 6;
const DIGITS_MAX: usize = 8;
const SPEECH_MAX: usize = 16;
const VALUE_MAX: usize = 12;

/// The request a verb makes.
#[derive(Debug)]
struct Expect {
    kind: EventKind,
    /// Path and query of the resolved URL.
    target: String,
    /// `method="GET"`: Twilio adds its parameters to the query.
    get: bool,
}

/// A verb that tells where the call goes.
#[derive(Debug)]
struct Verb {
    name: &'static str,
    label: String,
    expects: Option<Expect>,
}

/// What a step's response does, read once.
#[derive(Debug, Default)]
struct Answer {
    verbs: Vec<Verb>,
    /// Requests the response causes while it runs (`waitUrl`), not the follow-up.
    side: Vec<String>,
    /// `failed 502` when the request failed: its response was not run.
    failed: Option<String>,
}

/// The path of a call whose events are `steps`, in time order.
pub fn path(steps: &[Step<'_>]) -> Path {
    let keys: Vec<String> = steps.iter().map(|s| resolve(s.event.url(), "")).collect();
    let answers: Vec<Answer> = steps.iter().map(answer).collect();
    let mut links = Vec::new();
    let mut missing = Vec::new();
    for (i, answer) in answers.iter().enumerate() {
        let mut expecting = answer
            .verbs
            .iter()
            .filter_map(|v| v.expects.as_ref().map(|e| (v, e)));
        let Some((first, first_expect)) = expecting.next() else {
            continue;
        };
        match follow_up(steps, &keys, i, answer) {
            FollowUp::Found(verb, expect, to) => links.push(Link {
                from: i,
                verb: verb.name.to_owned(),
                to: Some(to),
                expected_kind: expect.kind,
            }),
            outcome => {
                links.push(Link {
                    from: i,
                    verb: first.name.to_owned(),
                    to: None,
                    expected_kind: first_expect.kind,
                });
                if matches!(outcome, FollowUp::Missing) {
                    missing.push(i);
                }
            }
        }
    }
    let line = line(steps, &answers, &links, &missing);
    Path {
        links,
        line,
        missing,
    }
}

enum FollowUp<'a> {
    Found(&'a Verb, &'a Expect, usize),
    /// The call went on elsewhere.
    Missing,
    /// No later event, or the call was transferred: nothing to say.
    Open,
}

fn follow_up<'a>(
    steps: &[Step<'_>],
    keys: &[String],
    from: usize,
    answer: &'a Answer,
) -> FollowUp<'a> {
    for (j, step) in steps.iter().enumerate().skip(from + 1) {
        let key = keys.get(j).map_or("", String::as_str);
        let kind = step.event.kind;
        let hit = answer.verbs.iter().find_map(|v| {
            let e = v.expects.as_ref()?;
            let kind_ok = kind == e.kind || kind == EventKind::RequestFailed;
            (kind_ok && url_matches(e, key)).then_some((v, e))
        });
        if let Some((verb, expect)) = hit {
            return FollowUp::Found(verb, expect, j);
        }
        // A status callback is no request of the call's TwiML: it never answers for a verb.
        if answer.side.iter().any(|s| s == key) || kind == EventKind::StatusCallback {
            continue;
        }
        return if kind == EventKind::CallTransferred {
            FollowUp::Open
        } else {
            FollowUp::Missing
        };
    }
    FollowUp::Open
}

/// Whether a request to `actual` (path and query) is the one `expect` makes. With `GET`
/// Twilio appends its parameters to the query, so the expected pairs need only be among them.
fn url_matches(expect: &Expect, actual: &str) -> bool {
    if expect.target == actual {
        return true;
    }
    if !expect.get {
        return false;
    }
    let (want_path, want_query) = split_query(&expect.target);
    let (path, query) = split_query(actual);
    want_path == path
        && want_query
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty())
            .all(|pair| {
                query
                    .unwrap_or_default()
                    .split('&')
                    .any(|have| have == pair)
            })
}

fn answer(step: &Step<'_>) -> Answer {
    let ev = step.event;
    let code = ev.response_code.filter(|c| *c >= 400);
    if ev.kind == EventKind::RequestFailed || code.is_some() {
        return Answer {
            failed: Some(match ev.response_code {
                Some(c) => format!("failed {c}"),
                None => "failed".to_owned(),
            }),
            ..Answer::default()
        };
    }
    let Some(root) = step
        .decoded
        .and_then(|d| d.doc.as_ref())
        .filter(|r| r.name == "Response")
    else {
        return Answer::default();
    };
    let base = ev.url();
    let mut out = Answer::default();
    for node in &root.children {
        if out.verbs.len() >= MAX_VERBS {
            break;
        }
        let action = node.attr("action").map(str::trim).filter(|a| !a.is_empty());
        let get = node
            .attr("method")
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("GET"));
        let expect = |kind, reference: &str| {
            Some(Expect {
                kind,
                target: resolve(base, reference),
                get,
            })
        };
        // (verb, the request it makes, whether the document ends with it)
        let (name, label, expects, ends) = match node.name.as_str() {
            // No action: Twilio posts to the current document's URL. No input (no audio):
            // it falls through to the next verb.
            "Gather" => (
                "Gather",
                "Gather".to_owned(),
                expect(EventKind::GatherFinished, action.unwrap_or_default()),
                false,
            ),
            "Record" => (
                "Record",
                "Record".to_owned(),
                expect(EventKind::RecordFinished, action.unwrap_or_default()),
                false,
            ),
            // No action: the call goes on with the next verb when the dial or the wait ends.
            "Dial" => {
                for noun in node.children.iter().filter(|n| n.name == "Conference") {
                    if let Some(wait) = noun.attr("waitUrl").filter(|w| !w.trim().is_empty()) {
                        out.side.push(resolve(base, wait));
                    }
                }
                (
                    "Dial",
                    with_detail("Dial", &dial_target(node)),
                    action.and_then(|a| expect(EventKind::DialFinished, a)),
                    action.is_some(),
                )
            }
            "Enqueue" => {
                if let Some(wait) = node.attr("waitUrl").filter(|w| !w.trim().is_empty()) {
                    out.side.push(resolve(base, wait));
                }
                (
                    "Enqueue",
                    with_detail("Enqueue", &clean(&node.text, VALUE_MAX)),
                    action.and_then(|a| expect(EventKind::EnqueueFinished, a)),
                    action.is_some(),
                )
            }
            "Redirect" => {
                let url = node.text.trim();
                (
                    "Redirect",
                    "Redirect".to_owned(),
                    (!url.is_empty())
                        .then(|| expect(EventKind::CallRedirected, url))
                        .flatten(),
                    true,
                )
            }
            "Hangup" => ("Hangup", "Hangup".to_owned(), None, true),
            "Reject" => ("Reject", "Reject".to_owned(), None, true),
            _ => continue,
        };
        out.verbs.push(Verb {
            name,
            label,
            expects,
        });
        if ends {
            break;
        }
    }
    out
}

fn with_detail(name: &str, detail: &str) -> String {
    if detail.is_empty() {
        name.to_owned()
    } else {
        format!("{name} {detail}")
    }
}

/// Whom a `<Dial>` calls: `+1415…`, `Client:bob`, `Queue:support`.
fn dial_target(dial: &Node) -> String {
    let Some(noun) = dial.children.first() else {
        return clean(&dial.text, NUMBER_MAX);
    };
    // <Client> may carry its identity in a nested <Identity>.
    let value = if noun.text.is_empty() {
        noun.children.first().map_or("", |c| c.text.as_str())
    } else {
        noun.text.as_str()
    };
    if noun.name == "Number" {
        clean(value, NUMBER_MAX)
    } else if value.is_empty() {
        clean(&noun.name, VALUE_MAX)
    } else {
        format!(
            "{}:{}",
            clean(&noun.name, VALUE_MAX),
            clean(value, VALUE_MAX)
        )
    }
}

/// The one-line path: each step's request path, the telling verbs of its answer, the input
/// that caused the next step, that step's path… Steps a link skips (side requests) are left
/// out.
fn line(steps: &[Step<'_>], answers: &[Answer], links: &[Link], missing: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut caused_by: Option<&Link> = None;
    let mut i = 0;
    while let (Some(step), Some(answer)) = (steps.get(i), answers.get(i)) {
        if step.event.kind == EventKind::StatusCallback {
            i += 1;
            continue;
        }
        match caused_by {
            Some(link) => parts.extend(input(step.event, link.expected_kind)),
            None if i > 0 && step.event.kind == EventKind::CallTransferred => {
                parts.push("transferred".to_owned());
            }
            None => {}
        }
        parts.push(request_path(step.event.url()));
        let link = links.iter().find(|l| l.from == i);
        let followed = link.filter(|l| l.to.is_some()).and_then(|l| {
            answer
                .verbs
                .iter()
                .position(|v| v.name == l.verb && v.expects.is_some())
        });
        let shown = followed.map_or(answer.verbs.len(), |k| k + 1);
        let mut label = answer
            .verbs
            .iter()
            .take(shown)
            .map(|v| v.label.as_str())
            .collect::<Vec<_>>()
            .join(ARROW);
        if let Some(failed) = &answer.failed {
            label.clone_from(failed);
        }
        if missing.contains(&i) {
            label.push_str(" (no reply)");
        }
        if !label.is_empty() {
            parts.push(label);
        }
        match link.and_then(|l| l.to.map(|to| (l, to))) {
            Some((l, to)) if to > i => {
                caused_by = Some(l);
                i = to;
            }
            _ => {
                caused_by = None;
                i += 1;
            }
        }
    }
    parts.join(ARROW)
}

/// The request parameter that tells why a step came: the digits pressed, the words said, how
/// the dial or the queue ended, how long the recording is.
fn input(ev: &Event, kind: EventKind) -> Option<String> {
    let param = |name: &str| ev.parameter(name).filter(|v| !v.trim().is_empty());
    match kind {
        EventKind::GatherFinished => Some(if let Some(digits) = param("Digits") {
            clean(&digits, DIGITS_MAX)
        } else if let Some(speech) = param("SpeechResult") {
            format!("\"{}\"", clean(speech.trim(), SPEECH_MAX))
        } else {
            "no input".to_owned()
        }),
        EventKind::DialFinished => param("DialCallStatus").map(|s| clean(&s, VALUE_MAX)),
        EventKind::EnqueueFinished => param("QueueResult").map(|s| clean(&s, VALUE_MAX)),
        EventKind::RecordFinished => {
            param("RecordingDuration").map(|s| format!("{}s", clean(&s, NUMBER_MAX)))
        }
        _ => None,
    }
}

/// The path of a request URL, without scheme, host and query, cut short.
fn request_path(url: &str) -> String {
    let url = url.trim();
    let rest = origin_less(url).unwrap_or(url);
    let (path, _) = split_query(rest.split('#').next().unwrap_or_default());
    if path.is_empty() {
        if url.is_empty() {
            "?".to_owned()
        } else {
            "/".to_owned()
        }
    } else {
        clean(path, PATH_MAX)
    }
}

/// `s` in printable ASCII (anything else becomes `?`), cut to `max` chars with `…`.
fn clean(s: &str, max: usize) -> String {
    let mut out = String::new();
    for (n, c) in s.chars().enumerate() {
        if n + 1 == max && s.chars().nth(max).is_some() {
            out.push('…');
            break;
        }
        out.push(if c.is_ascii_graphic() || c == ' ' {
            c
        } else {
            '?'
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// URLs

/// The path and query (`/menu?x=1`) of `reference` resolved against `base` (RFC 3986 §5.2),
/// without scheme, host and fragment. An empty reference is `base` itself.
pub fn resolve(base: &str, reference: &str) -> String {
    let base = without_fragment(base.trim());
    let reference = without_fragment(reference.trim());
    let (base_path, base_query) = split_query(origin_less(base).unwrap_or(base));
    let (path, query) = if let Some(rest) = origin_less(reference) {
        let (p, q) = split_query(rest);
        (remove_dot_segments(p), q)
    } else {
        let (p, q) = split_query(reference);
        if p.is_empty() {
            (remove_dot_segments(base_path), q.or(base_query))
        } else if p.starts_with('/') {
            (remove_dot_segments(p), q)
        } else {
            let dir = base_path
                .rfind('/')
                .and_then(|k| base_path.get(..=k))
                .unwrap_or("/");
            (remove_dot_segments(&format!("{dir}{p}")), q)
        }
    };
    let mut out = path;
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        let _ = write!(out, "?{q}");
    }
    out
}

fn without_fragment(s: &str) -> &str {
    s.split_once('#').map_or(s, |(head, _)| head)
}

fn split_query(s: &str) -> (&str, Option<&str>) {
    match s.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (s, None),
    }
}

/// Path and query of an absolute (`https://host/p?q`) or network-path (`//host/p`) URL;
/// `None` for a relative reference.
fn origin_less(s: &str) -> Option<&str> {
    if let Some(rest) = after_scheme(s) {
        return Some(strip_authority(rest).unwrap_or(rest));
    }
    strip_authority(s)
}

fn after_scheme(s: &str) -> Option<&str> {
    let colon = s.find(':')?;
    let mut scheme = s.get(..colon)?.chars();
    let valid = scheme.next()?.is_ascii_alphabetic()
        && scheme.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if valid { s.get(colon + 1..) } else { None }
}

fn strip_authority(s: &str) -> Option<&str> {
    let after = s.strip_prefix("//")?;
    let end = after.find(['/', '?']).unwrap_or(after.len());
    after.get(end..)
}

/// RFC 3986 §5.2.4 on an absolute path (a path without a leading `/` is taken as one).
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut dir = false;
    for segment in path.strip_prefix('/').unwrap_or(path).split('/') {
        dir = false;
        match segment {
            "." => dir = true,
            ".." => {
                out.pop();
                dir = true;
            }
            s => out.push(s),
        }
    }
    let mut joined = String::from("/");
    joined.push_str(&out.join("/"));
    if dir && !out.is_empty() {
        joined.push('/');
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::delivery::parse_delivery;
    use crate::domain::twiml::decode;

    const IVR: &str = include_str!("../../../assets/samples/flows/ivr-sales-call.json");
    const FAILED: &str = include_str!("../../../assets/samples/flows/failed-call.json");

    fn events(body: &str) -> Vec<Event> {
        parse_delivery(body.as_bytes(), "2026-11-28T14:00:00Z".parse().unwrap()).unwrap()
    }

    fn decoded(evs: &[Event]) -> Vec<Option<Decoded>> {
        evs.iter()
            .map(|e| e.response_body().map(|b| decode(&b)))
            .collect()
    }

    fn run(evs: &[Event]) -> Path {
        let dec = decoded(evs);
        let steps: Vec<Step<'_>> = evs
            .iter()
            .zip(&dec)
            .map(|(event, d)| Step {
                event,
                decoded: d.as_ref(),
            })
            .collect();
        path(&steps)
    }

    /// A TwiML event of a test call: `kind` (as in the CloudEvent type), request URL,
    /// parameters (JSON object text) and the response's TwiML.
    fn event(n: usize, kind: &str, url: &str, params: &str, twiml: &str) -> Event {
        use base64::Engine as _;
        let body = base64::engine::general_purpose::STANDARD.encode(twiml);
        let json = format!(
            r#"[{{"specversion":"1.0","type":"com.twilio.voice.twiml.{kind}","source":"/t","id":"id-{n}",
            "time":"2026-11-28T14:00:{n:02}.000Z","data":{{"sid":"CA00000000000000000000000000000001",
            "request":{{"method":"POST","url":"{url}","parameters":{params}}},
            "response":{{"responseCode":200,"requestDuration":90,"contentType":"application/xml","responseBody":"{body}"}}}}}}]"#
        );
        events(&json).remove(0)
    }

    #[test]
    fn sales_call_path() {
        let evs = events(IVR);
        let p = run(&evs);
        assert_eq!(
            p.line,
            "/voice → Gather → 1 → /menu → Redirect → /sales → Dial +1415… → busy → /after-dial → Record → 14s → /voicemail → Hangup"
        );
        assert!(p.missing.is_empty());
        let pairs: Vec<_> = p
            .links
            .iter()
            .map(|l| (l.from, l.verb.as_str(), l.to, l.expected_kind))
            .collect();
        assert_eq!(
            pairs,
            [
                (0, "Gather", Some(1), EventKind::GatherFinished),
                (1, "Redirect", Some(2), EventKind::CallRedirected),
                (2, "Dial", Some(3), EventKind::DialFinished),
                (3, "Record", Some(4), EventKind::RecordFinished),
            ]
        );
    }

    #[test]
    fn failed_call_path() {
        let evs = events(FAILED);
        let p = run(&evs);
        assert_eq!(
            p.line,
            "/voice → Gather → \"I want to check…\" → /intent → Redirect → /orders/status → failed 502"
        );
        assert!(p.missing.is_empty());
        // The redirect's request was made; the app failed it.
        assert_eq!(p.links.get(1).and_then(|l| l.to), Some(2));
        assert_eq!(p.links.len(), 2);
    }

    #[test]
    fn a_gather_whose_reply_never_came_is_missing() {
        let mut evs = events(IVR);
        evs.remove(1); // the gather.finished
        let p = run(&evs);
        assert_eq!(p.missing, [0]);
        assert_eq!(
            p.links.first().map(|l| (l.to, l.verb.as_str())),
            Some((None, "Gather"))
        );
        assert!(
            p.line
                .starts_with("/voice → Gather → Redirect (no reply) → /sales → Dial +1415…"),
            "{}",
            p.line
        );

        // The last step waits: a reply may still come.
        let evs = events(IVR);
        let p = run(evs.get(..1).unwrap());
        assert!(p.missing.is_empty());
        assert_eq!(p.links.first().and_then(|l| l.to), None);
        assert_eq!(p.line, "/voice → Gather → Redirect");
    }

    #[test]
    fn status_callbacks_between_steps_change_nothing() {
        let status = |s: &str| {
            let params: Vec<(String, String)> = [("CallSid", "CA1"), ("CallStatus", s)]
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            crate::domain::callback::parse_callback(
                &params,
                "https://t.test/status",
                jiff::Timestamp::UNIX_EPOCH,
            )
            .unwrap()
        };
        let plain = run(&events(IVR));
        let mut evs = events(IVR);
        evs.insert(1, status("in-progress"));
        evs.insert(0, status("ringing"));
        evs.push(status("completed"));
        let p = run(&evs);
        assert_eq!(p.line, plain.line);
        assert!(p.missing.is_empty());
        assert_eq!(p.links.len(), plain.links.len());
    }

    #[test]
    fn relative_urls_resolve_against_the_request() {
        let base = "https://ivr.example.com/ivr/voice?lang=en";
        assert_eq!(resolve(base, "menu"), "/ivr/menu");
        assert_eq!(resolve(base, "/menu"), "/menu");
        assert_eq!(resolve(base, "../menu"), "/menu");
        assert_eq!(resolve(base, "./a/../b/"), "/ivr/b/");
        assert_eq!(resolve(base, "../../../x?y=1#frag"), "/x?y=1");
        assert_eq!(
            resolve(base, "https://other.example.net/ivr/menu"),
            "/ivr/menu"
        );
        assert_eq!(resolve(base, "//other.example.net"), "/");
        assert_eq!(resolve(base, ""), "/ivr/voice?lang=en");
        assert_eq!(resolve(base, "?step=2"), "/ivr/voice?step=2");
        assert_eq!(resolve("/a/b", "c"), "/a/c");

        // The three spellings of the menu link the same gather.finished.
        for action in ["menu", "/ivr/menu", "https://tunnel.example.org/ivr/menu"] {
            let evs = [
                event(
                    1,
                    "call.requested",
                    "https://ivr.example.com/ivr/voice",
                    "{}",
                    &format!("<Response><Gather action=\"{action}\"/></Response>"),
                ),
                event(
                    2,
                    "gather.finished",
                    "https://ivr.example.com/ivr/menu",
                    r#"{"Digits":"3"}"#,
                    "<Response><Hangup/></Response>",
                ),
            ];
            let p = run(&evs);
            assert_eq!(p.links.first().and_then(|l| l.to), Some(1), "{action}");
            assert_eq!(p.line, "/ivr/voice → Gather → 3 → /ivr/menu → Hangup");
        }
        // `../` climbs; a wrong level does not match.
        let evs = [
            event(
                1,
                "call.requested",
                "https://h/ivr/sub/voice",
                "{}",
                "<Response><Gather action=\"../menu\"/></Response>",
            ),
            event(
                2,
                "gather.finished",
                "https://h/ivr/menu",
                "{}",
                "<Response/>",
            ),
        ];
        assert_eq!(run(&evs).links.first().and_then(|l| l.to), Some(1));
        let evs = [
            event(
                1,
                "call.requested",
                "https://h/ivr/sub/voice",
                "{}",
                "<Response><Gather action=\"../../menu\"/></Response>",
            ),
            event(
                2,
                "gather.finished",
                "https://h/ivr/menu",
                "{}",
                "<Response/>",
            ),
        ];
        let p = run(&evs);
        assert_eq!(p.links.first().and_then(|l| l.to), None);
        assert_eq!(p.missing, [0]);
    }

    #[test]
    fn gather_without_action_posts_to_the_current_url() {
        let evs = [
            event(
                1,
                "call.requested",
                "https://h/voice?x=1",
                "{}",
                "<Response><Gather/></Response>",
            ),
            event(
                2,
                "gather.finished",
                "https://h/voice?x=1",
                r#"{"SpeechResult":"sales please"}"#,
                "<Response/>",
            ),
        ];
        let p = run(&evs);
        assert_eq!(p.links.first().and_then(|l| l.to), Some(1));
        assert_eq!(p.line, "/voice → Gather → \"sales please\" → /voice");
    }

    #[test]
    fn redirect_links_and_a_gather_falls_through_to_it() {
        let evs = [
            event(
                1,
                "call.requested",
                "https://h/voice",
                "{}",
                "<Response><Gather action=\"/menu\"/><Redirect method=\"POST\">/voice</Redirect></Response>",
            ),
            event(
                2,
                "call.redirected",
                "https://h/voice",
                "{}",
                "<Response><Redirect>retry</Redirect></Response>",
            ),
            event(
                3,
                "call.redirected",
                "https://h/retry",
                "{}",
                "<Response><Reject/></Response>",
            ),
        ];
        let p = run(&evs);
        let pairs: Vec<_> = p
            .links
            .iter()
            .map(|l| (l.from, l.verb.as_str(), l.to))
            .collect();
        assert_eq!(pairs, [(0, "Redirect", Some(1)), (1, "Redirect", Some(2))]);
        assert!(p.missing.is_empty());
        assert_eq!(
            p.line,
            "/voice → Gather → Redirect → /voice → Redirect → /retry → Reject"
        );

        // The redirect went somewhere else: the follow-up is missing.
        let evs = [
            event(
                1,
                "call.requested",
                "https://h/voice",
                "{}",
                "<Response><Redirect>/a</Redirect></Response>",
            ),
            event(2, "call.redirected", "https://h/b", "{}", "<Response/>"),
        ];
        assert_eq!(run(&evs).missing, [0]);
    }

    #[test]
    fn dial_without_action_falls_through() {
        let evs = [
            event(
                1,
                "call.requested",
                "https://h/voice",
                "{}",
                "<Response><Dial>+14155550100</Dial><Say>Bye</Say></Response>",
            ),
            event(
                2,
                "call.transferred",
                "https://h/transfer",
                "{}",
                "<Response><Hangup/></Response>",
            ),
        ];
        let p = run(&evs);
        assert!(p.links.is_empty(), "{:?}", p.links);
        assert!(p.missing.is_empty());
        assert_eq!(
            p.line,
            "/voice → Dial +1415… → transferred → /transfer → Hangup"
        );

        // With an action it is expected, and a transfer is no reason to call it missing.
        let evs = [
            event(
                1,
                "call.requested",
                "https://h/voice",
                "{}",
                "<Response><Dial action=\"/after\"><Client>bob</Client></Dial></Response>",
            ),
            event(
                2,
                "call.transferred",
                "https://h/transfer",
                "{}",
                "<Response/>",
            ),
        ];
        let p = run(&evs);
        assert_eq!(
            p.links.first().map(|l| (l.to, l.expected_kind)),
            Some((None, EventKind::DialFinished))
        );
        assert!(p.missing.is_empty());
        assert_eq!(p.line, "/voice → Dial Client:bob → transferred → /transfer");
    }

    #[test]
    fn enqueue_skips_wait_url_requests_and_get_adds_parameters() {
        let evs = [
            event(
                1,
                "call.requested",
                "https://h/voice",
                "{}",
                "<Response><Enqueue action=\"/after-queue\" waitUrl=\"/hold\">support</Enqueue></Response>",
            ),
            event(
                2,
                "call.redirected",
                "https://h/hold",
                "{}",
                "<Response><Play>m.mp3</Play></Response>",
            ),
            event(
                3,
                "enqueue.finished",
                "https://h/after-queue",
                r#"{"QueueResult":"bridged"}"#,
                "<Response><Record method=\"GET\" action=\"/vm?box=1\"/></Response>",
            ),
            event(
                4,
                "record.finished",
                "https://h/vm?box=1&RecordingDuration=22",
                r#"{"RecordingDuration":"22"}"#,
                "<Response><Hangup/></Response>",
            ),
        ];
        let p = run(&evs);
        let pairs: Vec<_> = p.links.iter().map(|l| (l.from, l.to)).collect();
        assert_eq!(pairs, [(0, Some(2)), (2, Some(3))]);
        assert!(p.missing.is_empty());
        assert_eq!(
            p.line,
            "/voice → Enqueue support → bridged → /after-queue → Record → 22s → /vm → Hangup"
        );
    }

    #[test]
    fn hostile_values_stay_ascii_and_short() {
        let evs = [
            event(
                1,
                "call.requested",
                "https://h/v\\u001b]0;x\\u0007",
                "{}",
                "<Response><Gather/></Response>",
            ),
            event(
                2,
                "gather.finished",
                "https://h/v\\u001b]0;x\\u0007",
                r#"{"Digits":"1\u202e23456789"}"#,
                "<Response/>",
            ),
        ];
        let p = run(&evs);
        assert!(
            p.line
                .chars()
                .all(|c| c == '→' || c == '…' || c.is_ascii_graphic() || c == ' '),
            "{}",
            p.line
        );
        assert_eq!(p.line, "/v?]0;x? → Gather → 1?23456… → /v?]0;x?");
    }
}
