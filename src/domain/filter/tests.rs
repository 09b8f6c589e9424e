use super::*;
use crate::domain::delivery::parse_delivery;

const IVR: &str = include_str!("../../../assets/samples/flows/ivr-sales-call.json");
const FAILED: &str = include_str!("../../../assets/samples/flows/failed-call.json");
const GATHER_2: &str = include_str!("../../../assets/samples/events/04-gather-finished.json");

/// The samples as sent (pretty-printed) or compacted, stamped as a source stamps them.
fn events(compact: bool) -> Vec<Event> {
    let mut out = Vec::new();
    for text in [IVR, FAILED, GATHER_2] {
        let body = if compact {
            let v: serde_json::Value = serde_json::from_str(text).unwrap();
            serde_json::to_string(&v).unwrap()
        } else {
            text.to_owned()
        };
        for mut ev in
            parse_delivery(body.as_bytes(), "2026-11-28T14:00:00Z".parse().unwrap()).unwrap()
        {
            crate::domain::check::stamp(&mut ev);
            out.push(ev);
        }
    }
    out
}

/// Each match as `kind /path`, in order.
fn hits(expr: &str) -> Vec<String> {
    let q = Query::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
    let found = |compact| -> Vec<String> {
        events(compact)
            .iter()
            .filter(|ev| q.matches(ev))
            .map(|ev| {
                let url = ev.url();
                let path = url.find(".com").map_or(url, |i| &url[i + 4..]);
                format!("{} {path}", ev.kind.short())
            })
            .collect()
    };
    let pretty = found(false);
    assert_eq!(
        pretty,
        found(true),
        "{expr}: compact and pretty JSON disagree"
    );
    pretty
}

fn error(expr: &str) -> String {
    match Query::parse(expr) {
        Ok(q) => panic!("{expr} parsed: {q:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn digits_as_the_timeline_shows_them_whatever_the_whitespace() {
    // The timeline prints `Digits=2`; the pretty sample holds `"Digits": "2"`.
    assert!(GATHER_2.contains(r#""Digits": "2""#));
    assert_eq!(hits("Digits=2"), ["gather.finished /menu"]);
    assert_eq!(
        hits(r#""Digits=2""#),
        ["gather.finished /menu"],
        "as free text"
    );
    assert_eq!(hits("digits=1"), ["gather.finished /menu"]);
    assert_eq!(hits("Digits=3"), Vec::<String>::new());
}

#[test]
fn free_text_matches_what_the_screen_shows_ignoring_case() {
    // The request's URL, and the decoded TwiML of the two answers that dial.
    assert_eq!(
        hits("AFTER-DIAL"),
        [
            "call.redirected /sales",
            "dial.finished /after-dial",
            "gather.finished /menu"
        ]
    );
    assert_eq!(hits("\"POST /orders\""), ["request.failed /orders/status"]);
    assert_eq!(hits("\"order status\""), ["gather.finished /intent"]);
    assert_eq!(hits("DialCallStatus=busy"), ["dial.finished /after-dial"]);
    // Decoded TwiML, not its base64.
    assert_eq!(
        hits("\"Connecting you to support\""),
        ["gather.finished /menu"]
    );
    // The time as the table shows it.
    assert_eq!(hits("11:05:18.875"), ["gather.finished /menu"]);
    assert!(hits("502").contains(&"request.failed /orders/status".to_owned()));
    // Nor is the base64 it came in (every sample answer starts `<?xml`, `PD94bWwg`).
    assert_eq!(hits("PD94bWwg"), Vec::<String>::new());
    // JSON punctuation is not on screen.
    assert_eq!(hits(r#""\"Digits\"""#), Vec::<String>::new());
}

#[test]
fn type_contains_or_equals_a_kind_name() {
    assert_eq!(
        hits("type:gather"),
        [
            "gather.finished /menu",
            "gather.finished /intent",
            "gather.finished /menu"
        ]
    );
    assert_eq!(hits("type=dial.finished"), ["dial.finished /after-dial"]);
    assert_eq!(
        hits("type=com.twilio.voice.twiml.request.failed"),
        ["request.failed /orders/status"]
    );
    assert_eq!(
        hits("type=dial"),
        Vec::<String>::new(),
        "= is the whole name"
    );
    assert_eq!(hits("type!=call.requested").len(), 7);
}

#[test]
fn code_and_ms_compare_as_numbers() {
    assert_eq!(hits("code>=500"), ["request.failed /orders/status"]);
    assert_eq!(hits("code:5xx"), ["request.failed /orders/status"]);
    assert_eq!(hits("code=502"), ["request.failed /orders/status"]);
    assert_eq!(hits("code!=200"), ["request.failed /orders/status"]);
    assert_eq!(hits("code<300").len(), 8);
    assert_eq!(hits("code<=502").len(), 9);
    assert_eq!(hits("code>502").len(), 0);
    assert_eq!(hits("code:2xx").len(), 8);
    assert_eq!(
        hits("ms>1000"),
        ["call.redirected /sales", "request.failed /orders/status"]
    );
    assert_eq!(hits("ms>=1418"), hits("ms>1000"));
    assert_eq!(hits("ms<100"), ["dial.finished /after-dial"]);
    assert_eq!(hits("ms<=88"), ["dial.finished /after-dial"]);
    assert_eq!(hits("ms=142").len(), 2);
}

#[test]
fn parameters_by_name_value_presence_and_number() {
    assert_eq!(
        hits("param:DialCallStatus=busy"),
        ["dial.finished /after-dial"]
    );
    assert_eq!(
        hits("param:dial_call_status=BUSY"),
        hits("param:DialCallStatus=busy")
    );
    assert_eq!(hits("param:SpeechResult"), ["gather.finished /intent"]);
    assert_eq!(
        hits("param:SpeechResult:order"),
        ["gather.finished /intent"]
    );
    assert_eq!(
        hits(r#"param:SpeechResult:"my order""#),
        ["gather.finished /intent"]
    );
    assert_eq!(
        hits("param:RecordingDuration>10"),
        ["record.finished /voicemail"]
    );
    assert_eq!(hits("RecordingDuration<10"), Vec::<String>::new());
    assert_eq!(
        hits("param:CallStatus!=in-progress").len(),
        2,
        "the two ringing"
    );
}

#[test]
fn call_from_and_to_take_the_screen_short_forms() {
    let ivr = hits("call:CA866a9ca9f30dd8f84f9984ce99a9ca31");
    assert_eq!(ivr.len(), 5);
    assert_eq!(hits("call:CA…a9ca31"), ivr, "the table's short SID");
    assert_eq!(hits("call:ca866a...A9CA31"), ivr);
    assert_eq!(hits("call:CA866a"), ivr, "a prefix");
    assert_eq!(hits("call=CA866a9ca9f30dd8f84f9984ce99a9ca31"), ivr);
    assert_eq!(hits("call=CA866a").len(), 0, "= is the whole SID");
    assert_eq!(hits("from:+1415…"), ivr);
    assert_eq!(hits("from:+1415…0100"), ivr);
    assert_eq!(hits("from=+13125550164").len(), 3);
    assert_eq!(hits("to:+1800").len(), 9);
}

#[test]
fn url_method_lint_sig_and_is() {
    assert_eq!(hits("url:/orders"), ["request.failed /orders/status"]);
    assert_eq!(hits("url=/voice").len(), 2, "= the path");
    assert_eq!(
        hits("url=https://ivr.acme-example.com/voicemail"),
        ["record.finished /voicemail"]
    );
    assert_eq!(hits("method:post").len(), 9);
    assert_eq!(hits("method=GET").len(), 0);
    assert_eq!(hits("lint:clean").len() + hits("!lint:clean").len(), 9);
    // The 502's HTML page is not TwiML that decodes.
    assert_eq!(hits("lint:failed"), ["request.failed /orders/status"]);
    assert_eq!(hits("sig:unchecked").len(), 9);
    assert_eq!(hits("sig:invalid").len(), 0);
    assert_eq!(hits("is:problem"), ["request.failed /orders/status"]);
    assert_eq!(hits("is:invalid").len(), 0);
}

#[test]
fn lint_and_sig_read_the_marks() {
    let mut ev = events(true).remove(0);
    let q = |s: &str| Query::parse(s).unwrap();
    for (mark, name) in [
        (TwimlMark::Errors, "lint:error"),
        (TwimlMark::Warnings, "lint:warnings"),
        (TwimlMark::Failed, "lint:failed"),
        (TwimlMark::NoBody, "lint:none"),
        (TwimlMark::Clean, "lint:clean"),
    ] {
        ev.twiml = mark;
        assert!(q(name).matches(&ev), "{name}");
        let not = format!("!{name}");
        assert!(!q(&not).matches(&ev), "{not}");
    }
    for (sig, name) in [
        (Signature::Invalid, "sig:invalid"),
        (Signature::Valid, "sig=valid"),
        (Signature::Unsigned, "sig:unsigned"),
        (Signature::Unverifiable, "sig:unverifiable"),
    ] {
        ev.signature = sig;
        assert!(q(name).matches(&ev), "{name}");
        assert!(q("sig:unchecked").matches(&ev) == (sig == Signature::Unchecked));
    }
    ev.signature = Signature::Invalid;
    assert!(
        q("is:problem").matches(&ev),
        "a forged signature is a problem"
    );
}

#[test]
fn not_and_or_and_parentheses() {
    assert_eq!(hits("!type:gather").len(), 6);
    assert_eq!(hits("not type:gather"), hits("!type:gather"));
    assert_eq!(hits("!!type:gather"), hits("type:gather"));
    assert_eq!(
        hits("type:gather and from:+1415"),
        ["gather.finished /menu"]
    );
    assert_eq!(
        hits("type:gather from:+1415"),
        hits("type:gather and from:+1415")
    );
    assert_eq!(
        hits("code>=500 or Digits=2"),
        ["request.failed /orders/status", "gather.finished /menu"]
    );
    // `and` binds tighter than `or`.
    assert_eq!(hits("code>=500 or type:gather from:+1415").len(), 2);
    assert_eq!(hits("(code>=500 or type:gather) from:+1415").len(), 1);
    assert_eq!(hits("!(type:gather or type:call)").len(), 3);
    assert_eq!(hits("TYPE:gather AND NOT from:+1415 OR code:5xx").len(), 3);
}

#[test]
fn words_that_are_not_fields_stay_text() {
    // A time, a colon after digits, a quoted colon.
    assert!(matches!(
        Query::parse("T11:").unwrap().expr,
        Expr::Term(Term::Text(_))
    ));
    assert!(matches!(
        Query::parse("11:05").unwrap().expr,
        Expr::Term(Term::Text(_))
    ));
    assert!(matches!(
        Query::parse("\"https://ivr\"").unwrap().expr,
        Expr::Term(Term::Text(_))
    ));
    assert_eq!(
        hits("\"https://ivr.acme-example.com/sales\""),
        ["call.redirected /sales"]
    );
}

#[test]
fn parse_errors_name_the_column_and_what_was_expected() {
    assert_eq!(error("code>="), "column 7: expected a value after `code>=`");
    assert_eq!(
        error("code>=abc"),
        "column 7: expected a number or 5xx after `code>=`"
    );
    assert_eq!(
        error("ms>fast"),
        "column 4: expected a whole number after `ms>`"
    );
    assert!(
        error("tpye:gather")
            .starts_with("column 1: unknown field `tpye`: expected one of type call")
    );
    assert_eq!(
        error("type>3"),
        "column 5: `type` takes `:` `=` or `!=`, not `>` (only code, ms and parameters compare as numbers)"
    );
    assert_eq!(
        error("lint:bad"),
        "column 6: expected one of error errors warning warnings clean failed none after `lint:`, found `bad`"
    );
    assert_eq!(
        error("sig:ok").split(',').next(),
        Some(
            "column 5: expected one of valid invalid unsigned unverifiable unchecked after `sig:`"
        )
    );
    assert_eq!(
        error("is:slow"),
        "column 4: expected one of problem invalid after `is:`, found `slow`"
    );
    assert_eq!(
        error("(type:gather"),
        "column 13: expected `)` to close the `(` at column 1"
    );
    assert_eq!(
        error("type:gather)"),
        "column 12: unexpected `)`: no `(` is open"
    );
    assert_eq!(
        error("type:gather or"),
        "column 15: expected a term after `or`"
    );
    assert_eq!(
        error("type:gather and"),
        "column 16: expected a term after `and`"
    );
    assert_eq!(error("!"), "column 2: expected a term after `!`");
    assert_eq!(
        error("or code:200"),
        "column 1: expected a term before `or`"
    );
    assert_eq!(error("()"), "column 2: expected a term before `)`");
    assert_eq!(
        error("\"Digits"),
        "column 1: this quote is not closed: expected a closing \""
    );
    assert_eq!(
        error("param:"),
        "column 7: expected a parameter name after `param:`"
    );
    assert_eq!(
        error("Digits>two"),
        "column 8: expected a number after `Digits>`, found `two`"
    );
    assert_eq!(
        error("Digits="),
        "column 8: expected a value after `Digits=`"
    );
    assert_eq!(
        error("   "),
        "column 1: empty filter: expected a term, such as type:gather or code>=500"
    );
    // Columns count characters, not bytes.
    assert_eq!(
        error("call:CA… code>"),
        "column 15: expected a value after `code>`"
    );
}

#[test]
fn index_terms_are_the_conjuncts_an_index_answers() {
    let terms = |s: &str| Query::parse(s).unwrap().index_terms();
    let gather = 1 << EventKind::GatherFinished.index();
    let own = (1 << EventKind::Other.index()) | (1 << EventKind::Invalid.index());
    assert_eq!(terms("type:gather"), [IndexTerm::Kinds(gather | own)]);
    assert_eq!(
        terms("is:problem Digits=2"),
        [IndexTerm::Problems],
        "a parameter has no index"
    );
    assert_eq!(terms("type:gather or code>=500"), []);
    assert_eq!(terms("!type:gather"), []);
    assert!(matches!(
        terms("call:CA…a9ca31 code:200")[..],
        [IndexTerm::Call(_)]
    ));
    assert!(
        Query::parse("code>=500 ms>10 type:dial")
            .unwrap()
            .is_cheap()
    );
    assert!(!Query::parse("code>=500 busy").unwrap().is_cheap());
    assert!(!Query::parse("Digits=2").unwrap().is_cheap());
}

#[test]
fn patterns_need_prefix_and_suffix_without_overlap() {
    let p = Pattern::new("CA…31");
    assert!(p.matches("CA0031"));
    assert!(p.matches("ca__31"));
    assert!(!p.matches("CA31"[..3].trim()), "too short");
    assert!(!p.matches("CA1"), "prefix and suffix may not overlap");
    assert!(!p.matches("XA0031"));
    assert_eq!(Pattern::new("+1415").as_prefix(), Some("+1415"));
    assert_eq!(Pattern::new("+1415…").as_prefix(), None);
    assert!(Pattern::new("+1415…").matches("+14155550100"));
}

#[test]
fn case_blind_search_finds_every_occurrence_and_nothing_else() {
    use super::eval::contains_ci;
    for (hay, needle, found) in [
        ("Press 2 for sales", "press", true),
        ("for SALES", "sales", true),
        ("sales", "sales", true),
        ("sale", "sales", false),
        ("", "", true),
        ("abc", "", true),
        // A first byte seen many times before the match, one at the very end.
        (
            "ppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppress",
            "press",
            true,
        ),
        ("pressed", "sed", true),
        ("prEss", "press", true),
        ("pres", "press", false),
        ("ÉPress", "press", true),
        ("Digits=2", "digits=2", true),
        ("Digits=3", "digits=2", false),
        // Longer texts, the needle's first byte met again before and inside the match.
        (
            "a long text of more than thirty-two bytes, Press 2",
            "press 2",
            true,
        ),
        (
            "a long text of more than thirty-two bytes, Press",
            "press 2",
            false,
        ),
        (
            "pPRESS 2 and then a long text of more than thirty-two bytes",
            "press 2",
            true,
        ),
    ] {
        assert_eq!(contains_ci(hay, needle), found, "{hay:?} ∋ {needle:?}");
    }
}

#[test]
fn a_body_answers_a_needle_once_and_events_find_it_by_their_key() {
    // Every event of the sample call with the same answer shares one verdict, found by the
    // key its stamp hashed; a free-text search of its TwiML reads the text once per needle.
    let evs = events(true);
    let with_body: Vec<&Event> = evs.iter().filter(|e| e.body_key != 0).collect();
    assert!(!with_body.is_empty());
    for ev in &with_body {
        let by_key = crate::domain::check::of_event(ev).unwrap();
        let by_body = crate::domain::check::checked(&ev.response_body().unwrap());
        assert!(std::rc::Rc::ptr_eq(&by_key, &by_body), "event {}", ev.seq);
    }
    let c = crate::domain::check::of_event(with_body[0]).unwrap();
    let mut reads = 0;
    for _ in 0..3 {
        c.text_holds("response", |t, n| {
            reads += 1;
            super::eval::contains_ci(t, n)
        });
    }
    assert_eq!(reads, 1);
    assert!(c.text_holds("response", |_, _| unreachable!()));
    // The remembered answer is the needle's own.
    assert!(!c.text_holds("no such text", super::eval::contains_ci));
}

#[test]
fn joined_fields_match_as_written_without_being_written() {
    use super::eval::{contains_ci, joined_holds};
    let parts = [
        ("POST", b' ', "/voice/menu"),
        ("Digits", b'=', "2"),
        ("SpeechResult", b'=', "talk to sales = now"),
        ("", b' ', "/x"),
        ("GET", b' ', ""),
    ];
    let needles = [
        "post /voice",
        "t /v",
        "post",
        "/menu",
        "post /menux",
        " /",
        "digits=2",
        "s=2",
        "=",
        "digits=",
        "=2",
        "result=talk to sales = now",
        "sales = n",
        "get ",
        " ",
        "x",
        "get /",
    ];
    for (a, sep, b) in parts {
        let written = format!("{a}{}{b}", char::from(sep));
        for needle in needles {
            assert_eq!(
                joined_holds(a, sep, b, needle),
                contains_ci(&written, needle),
                "{written:?} ∋ {needle:?}"
            );
        }
    }
}

#[test]
fn free_text_finds_fields_written_with_escapes_and_a_call_given_later() {
    // The whole JSON is searched first; a needle it lacks is ruled out only when the JSON has
    // no escape, since an escaped field shows other text than it is written with.
    let body = r#"{"specversion":"1.0","type":"com.twilio.voice.twiml.call.requested","source":"\/2010-04-01\/Accounts","id":"caf\u00e9-1","time":"2026-11-28T14:00:00Z","data":{"request":{"method":"POST","url":"https:\/\/ivr.example\/orders","parameters":{"Digits":"2"}}}}"#;
    let arrival = "2026-11-28T14:00:00Z".parse().unwrap();
    let mut ev = parse_delivery(body.as_bytes(), arrival).unwrap().remove(0);
    let matches = |ev: &Event, expr: &str| Query::parse(expr).unwrap().matches(ev);
    assert!(matches(&ev, "ivr.example/orders"));
    assert!(matches(&ev, "/2010-04-01/accounts"));
    assert!(matches(&ev, "café"));
    assert!(matches(&ev, "\"POST https://ivr\""));
    assert!(!matches(&ev, "ivr.example\\/orders"));
    // A call the store learns from a join is not in the JSON, and is still found.
    assert!(!matches(&ev, "CAjoined"));
    ev.call_sid = Some(crate::domain::CallSid("CAjoined0001".into()));
    assert!(matches(&ev, "cajoined"));
}

proptest::proptest! {
    #[test]
    fn case_blind_search_agrees_with_lowercasing_both(
        hay in "[a-eA-E\" :,x\\\\é]{0,40}",
        needle in "[a-ex\" é]{0,5}",
    ) {
        let plain = hay.to_ascii_lowercase().contains(&needle);
        proptest::prop_assert_eq!(super::eval::contains_ci(&hay, &needle), plain);
    }
}
