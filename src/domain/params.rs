//! Reading an event's request parameters straight from its raw JSON object, without building
//! a map of owned strings: a table cell or a filter term asks for one parameter of many events,
//! and the walk costs no allocation (names and values are slices of the raw JSON unless they
//! carry escapes). Nothing is kept beside the event, so the store's memory per event is the
//! same.
//!
//! The answers are those of the object read into a map, as [`crate::domain::Event::parameters`]
//! always gave them: a name sent twice keeps its place of first appearance and its last value.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer as _, MapAccess, Visitor};
use serde_json::value::RawValue;

/// Request parameters Twilio sends that tell a call's story, as Twilio spells them: what `Tab`
/// offers after `:columns`, and the spelling a column name typed in any case takes.
pub const KNOWN: &[&str] = &[
    "Digits",
    "SpeechResult",
    "Confidence",
    "DialCallStatus",
    "DialCallDuration",
    "DialBridged",
    "QueueResult",
    "RecordingUrl",
    "RecordingDuration",
    "CallStatus",
    "CallDuration",
    "AnsweredBy",
    "Direction",
    "From",
    "To",
    "Caller",
    "Called",
    "ForwardedFrom",
    "CallerName",
    "ErrorCode",
    "ErrorMessage",
    "SequenceNumber",
    "StatusCallbackEvent",
];

/// Longest parameter name taken (Twilio's longest is well under it).
const MAX_NAME: usize = 40;

/// Whether `name` can be a request parameter's name as a user types it: letters, digits and
/// `_`, starting with a letter (Twilio's names are all of that shape).
pub fn is_name(name: &str) -> bool {
    name.len() <= MAX_NAME
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A parameter's name, borrowed from the raw JSON unless it had escapes.
struct Name<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Name<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a parameter name")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// Calls `f` with each (name, raw value) of the JSON object `raw`, in the order written.
/// Nothing is called when `raw` is not an object.
fn walk<'a>(raw: &'a str, f: impl FnMut(Cow<'a, str>, &'a RawValue)) {
    struct Walk<F>(F);
    impl<'de, F: FnMut(Cow<'de, str>, &'de RawValue)> Visitor<'de> for Walk<F> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
            while let Some(Name(name)) = map.next_key::<Name<'de>>()? {
                let value: &'de RawValue = map.next_value()?;
                (self.0)(name, value);
            }
            Ok(())
        }
    }
    // The raw JSON was parsed whole when the event was made, so an error here can only be
    // a value that is not an object, which has no parameters.
    let _ = serde_json::Deserializer::from_str(raw).deserialize_map(Walk(f));
}

/// The text of a JSON string literal, borrowed when it has no escapes. Anything else is None.
pub fn str_literal(text: &str) -> Option<Cow<'_, str>> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    if !inner.contains('\\') {
        return Some(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(text).ok().map(Cow::Owned)
}

/// Case- and underscore-insensitive key comparison.
pub fn key_eq(a: &str, b: &str) -> bool {
    let mut left = a.bytes().filter(|c| *c != b'_');
    let mut right = b.bytes().filter(|c| *c != b'_');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) if p.eq_ignore_ascii_case(&q) => {}
            _ => return false,
        }
    }
}

/// A value as the screen shows it: a string's text, anything else in its JSON form.
pub fn value_text(v: &RawValue) -> Cow<'_, str> {
    if let Some(s) = str_literal(v.get().trim()) {
        return s;
    }
    match serde_json::from_str::<serde_json::Value>(v.get()) {
        Ok(other) => Cow::Owned(other.to_string()),
        Err(_) => Cow::Borrowed(v.get()),
    }
}

/// The parameters whose names pass `keep`, each name once with its last value, in the order of
/// the names' first appearance.
pub fn entries<'a>(raw: &'a str, keep: impl Fn(&str) -> bool) -> Vec<(Cow<'a, str>, &'a RawValue)> {
    let mut out: Vec<(Cow<'a, str>, &'a RawValue)> = Vec::new();
    walk(raw, |name, value| {
        if !keep(&name) {
            return;
        }
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = value,
            None => out.push((name, value)),
        }
    });
    out
}

/// The first parameter (in the order of first appearance) whose name `matches`, with its last
/// value.
pub fn find<'a>(raw: &'a str, matches: impl Fn(&str) -> bool) -> Option<&'a RawValue> {
    let mut found: Option<(Cow<'a, str>, &'a RawValue)> = None;
    walk(raw, |name, value| match &mut found {
        None if matches(&name) => found = Some((name, value)),
        Some((first, last)) if *first == name => *last = value,
        _ => {}
    });
    found.map(|(_, v)| v)
}

/// Whether some parameter passes `test` with its last value. Allocates only while a name
/// passes (to see whether a later value of the same name takes it back).
pub fn some_passes(raw: &str, mut test: impl FnMut(&str, &str) -> bool) -> bool {
    fn note<'a>(
        test: &mut impl FnMut(&str, &str) -> bool,
        passing: &mut Vec<Cow<'a, str>>,
        name: Cow<'a, str>,
        value: &str,
    ) {
        let passes = test(&name, value);
        let at = if passing.is_empty() {
            None
        } else {
            passing.iter().position(|n| *n == name)
        };
        match (passes, at) {
            (true, None) => passing.push(name),
            (false, Some(i)) => {
                passing.swap_remove(i);
            }
            _ => {}
        }
    }
    let mut passing: Vec<Cow<'_, str>> = Vec::new();
    let plain = walk_plain(raw, |name, value| {
        note(&mut test, &mut passing, Cow::Borrowed(name), value);
    });
    if !plain {
        passing.clear();
        walk(raw, |name, value| {
            note(&mut test, &mut passing, name, &value_text(value));
        });
    }
    !passing.is_empty()
}

/// Whether a name or a value of `raw`, or a `Name=Value` written from them, could hold
/// `needle` (`contains` being the search's own substring test). False only when that is
/// certain: `raw` is written plainly (see [`walk_plain`]), so every name and value is a piece
/// of it as written, and a stretch of the needle between two `=` is nowhere in it (such a
/// stretch lies in a name or in a value). A search that matches no parameter then costs one
/// pass over the text instead of one per name and value.
pub fn may_hold(raw: &str, needle: &str, contains: impl Fn(&str, &str) -> bool) -> bool {
    let absent = needle
        .split('=')
        .any(|stretch| !stretch.is_empty() && !contains(raw, stretch));
    !absent || !walk_plain(raw, |_, _| {})
}

/// Calls `f` with each (name, value) of `raw` when it is an object written plainly, as Twilio
/// writes parameters — string values only, no escape anywhere — jumping from quote to quote
/// instead of running the JSON parser; false for any other text, which [`walk`] must read (`f`
/// may have been called for the pairs before the first that is not plain).
fn walk_plain<'a>(raw: &'a str, mut f: impl FnMut(&'a str, &'a str)) -> bool {
    let b = raw.as_bytes();
    if memchr::memchr(b'\\', b).is_some() {
        return false;
    }
    let skip_ws = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    // A string starting at `i` (its opening quote): its text and the index after it.
    let string = |i: usize| -> Option<(&'a str, usize)> {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let end = i + 1 + memchr::memchr(b'"', &b[i + 1..])?;
        Some((&raw[i + 1..end], end + 1))
    };
    let mut i = skip_ws(0);
    if b.get(i) != Some(&b'{') {
        return false;
    }
    i = skip_ws(i + 1);
    if b.get(i) == Some(&b'}') {
        return skip_ws(i + 1) == b.len();
    }
    loop {
        let Some((name, after)) = string(i) else {
            return false;
        };
        i = skip_ws(after);
        if b.get(i) != Some(&b':') {
            return false;
        }
        let Some((value, after)) = string(skip_ws(i + 1)) else {
            return false;
        };
        f(name, value);
        i = skip_ws(after);
        match b.get(i) {
            Some(b',') => i = skip_ws(i + 1),
            Some(b'}') => return skip_ws(i + 1) == b.len(),
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What the walk must agree with: the object read into a map.
    fn via_map(raw: &str) -> Vec<(String, String)> {
        let Ok(map) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(raw)
        else {
            return Vec::new();
        };
        map.into_iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect()
    }

    fn walked(raw: &str) -> Vec<(String, String)> {
        entries(raw, |_| true)
            .into_iter()
            .map(|(k, v)| (k.into_owned(), value_text(v).into_owned()))
            .collect()
    }

    #[test]
    fn names_sent_twice_keep_their_place_and_their_last_value() {
        let raw = r#"{"Digits":"1","From":"+1415","Digits":"2"}"#;
        assert_eq!(walked(raw), via_map(raw));
        assert_eq!(
            find(raw, |n| n == "Digits").map(RawValue::get),
            Some("\"2\"")
        );
        assert!(some_passes(raw, |n, v| n == "Digits" && v == "2"));
        assert!(!some_passes(raw, |n, v| n == "Digits" && v == "1"));
    }

    #[test]
    fn escapes_numbers_and_nested_values_read_as_the_map_does() {
        let raw =
            " { \"Sp\\u0065ech\" : \"a \\\"b\\\"\", \"N\": 1.50, \"O\": {\"x\": [1, true]} } ";
        assert_eq!(walked(raw), via_map(raw));
        assert!(some_passes(raw, |n, v| n == "Speech" && v == "a \"b\""));
    }

    #[test]
    fn plain_objects_are_read_without_the_parser_and_the_rest_are_left_to_it() {
        let pairs = |raw: &str| {
            let mut out = Vec::new();
            walk_plain(raw, |k, v| out.push(format!("{k}={v}"))).then_some(out)
        };
        assert_eq!(
            pairs(" {\n  \"Digits\" : \"2\",\"To\":\"+1 415\" } "),
            Some(vec!["Digits=2".into(), "To=+1 415".into()])
        );
        assert_eq!(pairs("{}"), Some(vec![]));
        assert_eq!(pairs("{ }"), Some(vec![]));
        for not_plain in [
            r#"{"N":1}"#,
            r#"{"A":"x\"y"}"#,
            r#"{"A":null}"#,
            r#"{"A":"x"} x"#,
            r#"{"A":"x",}"#,
            r#"{"A" "x"}"#,
            "[]",
            "",
        ] {
            assert_eq!(pairs(not_plain), None, "{not_plain}");
        }
        // A value the parser must read after plain ones: the answer is still the map's.
        let raw = r#"{"Digits":"1","Digits":2}"#;
        assert!(!some_passes(raw, |n, v| n == "Digits" && v == "1"));
        assert!(some_passes(raw, |n, v| n == "Digits" && v == "2"));
    }

    #[test]
    fn what_is_not_an_object_has_no_parameters() {
        for raw in ["[]", "\"text\"", "3", "null"] {
            assert!(walked(raw).is_empty(), "{raw}");
            assert!(find(raw, |_| true).is_none());
            assert!(!some_passes(raw, |_, _| true));
        }
    }

    fn value() -> impl Strategy<Value = serde_json::Value> {
        prop_oneof![
            "[a-c\"\\\\ é]{0,4}".prop_map(serde_json::Value::from),
            (0u32..20).prop_map(serde_json::Value::from),
            Just(serde_json::Value::Null),
            Just(serde_json::json!({"k": [1, "v"]})),
        ]
    }

    proptest! {
        #[test]
        fn plain_objects_agree_with_the_map(
            pairs in proptest::collection::vec(("[ab_]{1,3}", "[a-c é+:,{}]{0,4}"), 0..8),
            pretty in any::<bool>(),
        ) {
            let sep = if pretty { " ,\n  " } else { "," };
            let body: Vec<String> =
                pairs.iter().map(|(k, v)| format!("\"{k}\":{}\"{v}\"", if pretty { " " } else { "" })).collect();
            let raw = format!("{{{}}}", body.join(sep));
            let map = via_map(&raw);
            let mut plain = Vec::new();
            prop_assert!(walk_plain(&raw, |k, v| plain.push((k.to_owned(), v.to_owned()))));
            prop_assert_eq!(plain.len(), pairs.len());
            for probe in ["a", "b", "A", "a_b"] {
                let has = map.iter().any(|(k, v)| key_eq(k, probe) && v.contains('c'));
                prop_assert_eq!(some_passes(&raw, |k, v| key_eq(k, probe) && v.contains('c')), has);
            }
        }

        #[test]
        fn a_needle_ruled_out_matches_no_name_value_or_join(
            pairs in proptest::collection::vec(("[ab=_\"\\\\]{1,3}", value()), 0..6),
            needle in "[ab=_1\"]{0,4}",
            pretty in any::<bool>(),
        ) {
            let sep = if pretty { ",\n  " } else { "," };
            let body: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{}:{v}", serde_json::Value::from(k.as_str())))
                .collect();
            let raw = format!("{{{}}}", body.join(sep));
            let substring = |h: &str, n: &str| h.contains(n);
            if !may_hold(&raw, &needle, substring) {
                for (k, v) in via_map(&raw) {
                    prop_assert!(!k.contains(needle.as_str()) && !v.contains(needle.as_str()), "{raw} {needle}");
                    prop_assert!(!format!("{k}={v}").contains(needle.as_str()), "{raw} {needle}");
                }
            }
        }

        #[test]
        fn the_walk_agrees_with_the_map(
            pairs in proptest::collection::vec(("[ab_\"]{1,3}", value()), 0..8),
            pretty in any::<bool>(),
        ) {
            // Written by hand so a name can appear twice, as a map cannot write it.
            let sep = if pretty { ",\n  " } else { "," };
            let body: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{}:{}{v}", serde_json::Value::from(k.as_str()), if pretty { " " } else { "" }))
                .collect();
            let raw = format!("{{{}}}", body.join(sep));
            let map = via_map(&raw);
            prop_assert_eq!(walked(&raw), map.clone());
            for probe in ["a", "b", "A", "a_b"] {
                let by_map = map.iter().find(|(k, _)| key_eq(k, probe)).map(|(_, v)| v.clone());
                let by_walk = find(&raw, |n| key_eq(n, probe)).map(|v| value_text(v).into_owned());
                prop_assert_eq!(by_walk, by_map);
                let has = map.iter().any(|(k, v)| key_eq(k, probe) && v.len() > 1);
                prop_assert_eq!(some_passes(&raw, |k, v| key_eq(k, probe) && v.len() > 1), has);
            }
        }
    }
}
