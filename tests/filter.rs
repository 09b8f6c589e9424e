//! The filter language against a plain scan: generated events (sent compact or pretty-printed)
//! and generated expressions; the store's view — index lists, chunked scan, events arriving
//! while it scans, evictions — must hold exactly the events a naive reference picks from the
//! generator's own fields.

use proptest::prelude::*;
use twimon::domain::delivery::parse_delivery;
use twimon::domain::filter::Query;
use twimon::domain::{CallSid, EventKind};
use twimon::store::{Filter, Store, kind_bit};

/// One generated event, as the reference reads it.
#[derive(Debug, Clone)]
struct Model {
    kind: usize,
    call: usize,
    code: Option<u16>,
    ms: Option<u32>,
    digits: Option<&'static str>,
    dial: Option<&'static str>,
    from: &'static str,
    path: &'static str,
}

const SIDS: [&str; 4] = [
    "CA00000000000000000000000000a9ca31",
    "CA00000000000000000000000000b10001",
    "CAffff0000000000000000000000a9ca31",
    "CA1234",
];
const FROMS: [&str; 3] = ["+14155550100", "+13125550164", "sip:alice@example.com"];
const PATHS: [&str; 4] = ["/voice", "/menu", "/orders/status", "/after-dial"];

impl Model {
    fn kind(&self) -> EventKind {
        EventKind::TWIML[self.kind]
    }

    fn sid(&self) -> &'static str {
        SIDS[self.call]
    }

    fn url(&self) -> String {
        format!("https://ivr.example.com{}", self.path)
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![
            ("CallSid", self.sid().to_owned()),
            ("From", self.from.to_owned()),
        ];
        if let Some(d) = self.digits {
            p.push(("Digits", d.to_owned()));
        }
        if let Some(d) = self.dial {
            p.push(("DialCallStatus", d.to_owned()));
        }
        p
    }

    fn json(&self, n: usize, pretty: bool) -> String {
        let params: serde_json::Map<String, serde_json::Value> = self
            .params()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.into()))
            .collect();
        let mut response = serde_json::Map::new();
        if let Some(c) = self.code {
            response.insert("responseCode".into(), c.into());
        }
        if let Some(ms) = self.ms {
            response.insert("requestDuration".into(), ms.into());
        }
        let v = serde_json::json!({
            "specversion": "1.0",
            "type": self.kind().type_name().unwrap(),
            "source": "/src",
            "id": format!("ev-{n}"),
            "time": Self::time(n),
            "data": {
                "sid": self.sid(),
                "request": {"method": "POST", "url": self.url(), "parameters": params},
                "response": response,
            }
        });
        if pretty {
            serde_json::to_string_pretty(&v).unwrap()
        } else {
            serde_json::to_string(&v).unwrap()
        }
    }

    fn time(n: usize) -> String {
        format!("2026-11-28T14:{:02}:{:02}.000Z", n / 60 % 60, n % 60)
    }

    /// What the screen shows of the event, for free text: the reference's own list.
    fn shown(&self, n: usize) -> Vec<String> {
        let mut out = vec![
            self.kind().short().to_owned(),
            self.kind().type_name().unwrap().to_owned(),
            self.sid().to_owned(),
            "POST".to_owned(),
            self.url(),
            format!("POST {}", self.url()),
            format!("POST {}", self.path),
            format!("ev-{n}"),
            "/src".to_owned(),
            Self::time(n),
        ];
        out.extend(self.code.map(|c| c.to_string()));
        out.extend(self.params().into_iter().map(|(k, v)| format!("{k}={v}")));
        out
    }
}

fn model() -> impl Strategy<Value = Model> {
    (
        0..8usize,
        0..SIDS.len(),
        prop::option::of(prop::sample::select(vec![200u16, 404, 500, 502])),
        prop::option::of(prop::sample::select(vec![50u32, 100, 1_000, 15_000])),
        prop::option::of(prop::sample::select(vec!["1", "2", "12"])),
        prop::option::of(prop::sample::select(vec!["busy", "completed"])),
        prop::sample::select(FROMS.to_vec()),
        prop::sample::select(PATHS.to_vec()),
    )
        .prop_map(|(kind, call, code, ms, digits, dial, from, path)| Model {
            kind,
            call,
            code,
            ms,
            digits,
            dial,
            from,
            path,
        })
}

#[derive(Debug, Clone, Copy)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn text(self) -> &'static str {
        match self {
            Cmp::Eq => "=",
            Cmp::Ne => "!=",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
        }
    }

    /// `a!=b` is `!(a=b)`: an event without the field passes it.
    fn holds(self, v: Option<u32>, n: u32) -> bool {
        match (self, v) {
            (Cmp::Ne, v) => v != Some(n),
            (_, None) => false,
            (Cmp::Eq, Some(v)) => v == n,
            (Cmp::Lt, Some(v)) => v < n,
            (Cmp::Le, Some(v)) => v <= n,
            (Cmp::Gt, Some(v)) => v > n,
            (Cmp::Ge, Some(v)) => v >= n,
        }
    }
}

/// A generated expression: its text, and the reference's reading of it.
#[derive(Debug, Clone)]
enum Gen {
    Type(&'static str),
    Code(Cmp, u32),
    Ms(Cmp, u32),
    Digits(&'static str),
    Dial(&'static str),
    CallTail(&'static str),
    From(&'static str),
    Url(&'static str),
    Problem,
    Text(&'static str),
    Not(Box<Gen>),
    And(Box<Gen>, Box<Gen>),
    Or(Box<Gen>, Box<Gen>),
}

impl Gen {
    fn text(&self) -> String {
        match self {
            Gen::Type(t) => format!("type:{t}"),
            Gen::Code(c, n) => format!("code{}{n}", c.text()),
            Gen::Ms(c, n) => format!("ms{}{n}", c.text()),
            Gen::Digits(d) => format!("Digits={d}"),
            Gen::Dial(d) => format!("param:DialCallStatus={d}"),
            Gen::CallTail(t) => format!("call:CA…{t}"),
            Gen::From(f) => format!("from:{f}"),
            Gen::Url(u) => format!("url:{u}"),
            Gen::Problem => "is:problem".into(),
            Gen::Text(t) => format!("\"{t}\""),
            Gen::Not(g) => format!("!({})", g.text()),
            Gen::And(a, b) => format!("({} {})", a.text(), b.text()),
            Gen::Or(a, b) => format!("({} or {})", a.text(), b.text()),
        }
    }

    fn holds(&self, m: &Model, n: usize) -> bool {
        let lower = |s: &str| s.to_ascii_lowercase();
        match self {
            Gen::Type(t) => {
                m.kind().short().contains(t) || m.kind().type_name().unwrap().contains(t)
            }
            Gen::Code(c, v) => c.holds(m.code.map(u32::from), *v),
            Gen::Ms(c, v) => c.holds(m.ms, *v),
            Gen::Digits(d) => m.digits == Some(*d),
            Gen::Dial(d) => m.dial == Some(*d),
            Gen::CallTail(t) => m.sid().len() >= 2 + t.len() && m.sid().ends_with(t),
            Gen::From(f) => m.from.starts_with(f),
            Gen::Url(u) => m.url().contains(u),
            Gen::Problem => {
                m.kind() == EventKind::RequestFailed || m.code.is_some_and(|c| c >= 400)
            }
            Gen::Text(t) => m.shown(n).iter().any(|s| lower(s).contains(&lower(t))),
            Gen::Not(g) => !g.holds(m, n),
            Gen::And(a, b) => a.holds(m, n) && b.holds(m, n),
            Gen::Or(a, b) => a.holds(m, n) || b.holds(m, n),
        }
    }
}

fn cmp() -> impl Strategy<Value = Cmp> {
    prop::sample::select(vec![Cmp::Eq, Cmp::Ne, Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Ge])
}

fn gen_expr() -> impl Strategy<Value = Gen> {
    let leaf = prop_oneof![
        prop::sample::select(vec!["gather", "call", "dial.finished", "failed", "record"])
            .prop_map(Gen::Type),
        (cmp(), prop::sample::select(vec![200u32, 404, 500, 502]))
            .prop_map(|(c, n)| Gen::Code(c, n)),
        (cmp(), prop::sample::select(vec![50u32, 100, 1_000])).prop_map(|(c, n)| Gen::Ms(c, n)),
        prop::sample::select(vec!["1", "2", "12"]).prop_map(Gen::Digits),
        prop::sample::select(vec!["busy", "completed"]).prop_map(Gen::Dial),
        prop::sample::select(vec!["a9ca31", "b10001", "1234", "31"]).prop_map(Gen::CallTail),
        prop::sample::select(vec!["+1415", "+1312", "sip:"]).prop_map(Gen::From),
        prop::sample::select(vec!["/menu", "/orders", "ivr.example"]).prop_map(Gen::Url),
        Just(Gen::Problem),
        prop::sample::select(vec![
            "Digits=1",
            "busy",
            "MENU",
            "POST /voice",
            "14:00:0",
            "ca00",
            "ev-1"
        ])
        .prop_map(Gen::Text),
    ];
    leaf.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|g| Gen::Not(Box::new(g))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Gen::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| Gen::Or(Box::new(a), Box::new(b))),
        ]
    })
}

fn view(store: &Store) -> Vec<u64> {
    (0..store.view_len())
        .filter_map(|p| store.view_seq(p))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_view_is_a_plain_scan_of_the_parsed_fields(
        models in prop::collection::vec(model(), 1..60),
        pretty in prop::collection::vec(any::<bool>(), 60),
        expr in gen_expr(),
        kinds in prop::option::of(0..8usize),
        call in prop::option::of(0..SIDS.len()),
        cap in 5..80usize,
        split in 0..60usize,
    ) {
        let text = expr.text();
        let query = Query::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        let mut store = Store::new(cap);
        let events: Vec<_> = models
            .iter()
            .enumerate()
            .map(|(n, m)| {
                let body = m.json(n, pretty[n]);
                let mut evs = parse_delivery(body.as_bytes(), "2026-11-28T14:00:00Z".parse().unwrap()).unwrap();
                prop_assert_eq!(evs.len(), 1);
                let mut ev = evs.remove(0);
                twimon::domain::check::stamp(&mut ev);
                // Evaluated over the parsed event, the expression agrees with the reference.
                prop_assert_eq!(query.matches(&ev), expr.holds(m, n), "{} on {:?}", text, m);
                Ok(ev)
            })
            .collect::<Result<_, TestCaseError>>()?;
        let split = split.min(events.len());
        let mut events = events.into_iter();
        for ev in events.by_ref().take(split) {
            store.push(ev);
        }
        store.set_filter(Filter {
            kinds: kinds.and_then(|k| kind_bit(EventKind::TWIML[k])).unwrap_or(0),
            problems: false,
            call: call.map(|c| CallSid(SIDS[c].into())),
            search: Some(query),
            groups: 0,
        });
        // Events arrive while the scan runs, in small turns.
        for ev in events {
            store.push(ev);
            store.advance_search(3);
        }
        while store.searching() {
            store.advance_search(3);
        }
        let first = models.len().saturating_sub(cap);
        let want: Vec<u64> = models
            .iter()
            .enumerate()
            .skip(first)
            .filter(|(n, m)| {
                kinds.is_none_or(|k| m.kind == k)
                    && call.is_none_or(|c| m.call == c)
                    && expr.holds(m, *n)
            })
            .map(|(n, _)| n as u64)
            .collect();
        prop_assert_eq!(view(&store), want, "{}", text);
    }
}

/// Expressions of index terms only (types, call SIDs, problems under `!`, `and`, `or`): the
/// store answers them from its index lists, without a scan.
fn index_expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        prop::sample::select(vec![
            "type:gather",
            "type:call",
            "type=dial.finished",
            "type=com.twilio.voice.twiml.request.failed",
            "type:record",
            "type:nothing-has-this",
            "call:CA…a9ca31",
            "call:ca0000",
            "call=CA1234",
            "call:CA…0001",
            "is:problem",
        ])
        .prop_map(str::to_owned),
    ];
    leaf.prop_recursive(3, 10, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|g| format!("!({g})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} {b})")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("({a} or {b})")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_indexed_path_equals_the_plain_scan(
        models in prop::collection::vec(model(), 1..60),
        text in index_expr(),
        kinds in prop::option::of(0..8usize),
        cap in 5..80usize,
    ) {
        let query = Query::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert!(query.plan().is_some(), "{} has no plan", text);
        let mut store = Store::new(cap);
        for (n, m) in models.iter().enumerate() {
            let body = m.json(n, false);
            for mut ev in parse_delivery(body.as_bytes(), "2026-11-28T14:00:00Z".parse().unwrap()).unwrap() {
                twimon::domain::check::stamp(&mut ev);
                store.push(ev);
            }
        }
        let filter = Filter {
            kinds: kinds.and_then(|k| kind_bit(EventKind::TWIML[k])).unwrap_or(0),
            search: Some(query.clone()),
            ..Filter::default()
        };
        store.set_filter(filter.clone());
        prop_assert!(!store.searching(), "{} was scanned", text);
        let scan: Vec<u64> = (store.next_seq() - store.len() as u64..store.next_seq())
            .filter(|s| {
                store.get(*s).is_some_and(|ev| {
                    query.matches(ev)
                        && (filter.kinds == 0 || kind_bit(ev.kind).is_some_and(|b| b & filter.kinds != 0))
                })
            })
            .collect();
        prop_assert_eq!(view(&store), scan, "{}", text);
    }
}
