//! Sanity checks on decoded `TwiML` (Voice): unknown verbs and nouns, illegal nesting, verbs
//! missing what they need, verbs that are never reached.
//!
//! The rules live in the static tables below, so adding a verb or a noun is a table edit.
//! Input comes from the network: nothing here panics, recursion stops at [`MAX_DEPTH`], and
//! at most [`MAX_FINDINGS`] findings are kept (plus one saying the rest were dropped).

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::twiml::{Decoded, MAX_DEPTH, Node};

/// A body with hundreds of mistakes is one mistake repeated; the rest only bloat NDJSON.
pub const MAX_FINDINGS: usize = 100;

/// Element names longer than this are cut in messages and paths.
const NAME_SHOWN_MAX: usize = 40;

/// Stray text and attribute values are cut to this many chars in messages.
const VALUE_SHOWN_MAX: usize = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// Stable machine-readable code, e.g. `unknown-verb`; see the module's `code` constants.
    pub code: &'static str,
    /// One line for a human, e.g. `<Sya> is not a TwiML verb (did you mean <Say>?)`.
    pub message: String,
    /// Path of the element, e.g. `Response/Gather[1]/Dial` (the 1-based index among siblings of
    /// the same name only when there are several), or `""` for the document as a whole.
    pub path: String,
}

/// The stable finding codes, for anything that filters or counts them.
pub mod code {
    /// Base64 decoding of `responseBody` failed.
    pub const BAD_BASE64: &str = "bad-base64";
    pub const NOT_XML: &str = "not-xml";
    pub const ROOT_NOT_RESPONSE: &str = "root-not-response";
    pub const UNKNOWN_VERB: &str = "unknown-verb";
    pub const UNKNOWN_NOUN: &str = "unknown-noun";
    pub const ILLEGAL_NESTING: &str = "illegal-nesting";
    pub const MISSING_URL: &str = "missing-url";
    pub const MISSING_QUEUE: &str = "missing-queue";
    pub const MISSING_TARGET: &str = "missing-target";
    pub const EMPTY_SAY: &str = "empty-say";
    pub const DEPRECATED: &str = "deprecated";
    pub const BAD_ATTRIBUTE: &str = "bad-attribute";
    /// An attribute Twilio's SDK does not write for that element (a warning, like 12200).
    pub const UNKNOWN_ATTRIBUTE: &str = "unknown-attribute";
    pub const UNREACHABLE: &str = "unreachable";
    pub const TEXT_OUTSIDE_VERB: &str = "text-outside-verb";
    /// More than [`super::MAX_FINDINGS`]; the rest were dropped.
    pub const TOO_MANY_FINDINGS: &str = "too-many-findings";
}

/// The most severe finding, for a one-character column mark.
pub fn worst(findings: &[Finding]) -> Option<Severity> {
    findings.iter().map(|f| f.severity).max()
}

// ---------------------------------------------------------------------------------------------
// The rules

/// What an element may contain.
#[derive(Clone, Copy)]
enum Content {
    /// Only these elements.
    Only(&'static [&'static str]),
    /// The verbs of [`RULES`].
    Verbs,
    /// Anything, unchecked: `<Say>` takes SSML, whose tag set is the TTS provider's business.
    Ssml,
}

/// One row of the vocabulary: an element, where it may stand, what it may hold, and the
/// attributes it knows.
struct Rule {
    name: &'static str,
    /// May stand directly under `<Response>`.
    verb: bool,
    content: Content,
    /// The attribute names Twilio's SDK writes for it (camelCase, as in the XML).
    attributes: &'static [&'static str],
    /// Text here is never spoken, and the likely intent was a `<Say>` around it.
    stray_text: bool,
}

const fn verb(
    name: &'static str,
    children: &'static [&'static str],
    attributes: &'static [&'static str],
) -> Rule {
    Rule {
        name,
        verb: true,
        content: Content::Only(children),
        attributes,
        stray_text: false,
    }
}

const fn noun(
    name: &'static str,
    children: &'static [&'static str],
    attributes: &'static [&'static str],
) -> Rule {
    Rule {
        verb: false,
        ..verb(name, children, attributes)
    }
}

const NONE: &[&str] = &[];

const RESPONSE: Rule = Rule {
    name: "Response",
    verb: false,
    content: Content::Verbs,
    attributes: NONE,
    stray_text: true,
};

/// The vocabulary: every element of `TwiML` Voice, with the children and attributes Twilio's
/// own generator (twilio-python's `twilio.twiml.voice_response`) allows it. Verbs first, in the
/// order did-you-mean prefers on a tie.
///
/// It must agree with the committed snapshot of the SDK, `assets/twiml/voice-vocabulary.json`
/// (written by `tools/twiml_vocab.py`): a test fails otherwise. The deliberate differences are
/// in [`SDK_DIFFERENCES`]; below `<Say>` is SSML, which is not checked.
static RULES: &[Rule] = &[
    Rule {
        content: Content::Ssml,
        ..verb("Say", NONE, &["language", "loop", "voice"])
    },
    verb("Play", NONE, &["digits", "loop"]),
    verb("Pause", NONE, &["length"]),
    Rule {
        stray_text: true,
        ..verb(
            "Gather",
            &["Say", "Play", "Pause"],
            &[
                "action",
                "actionOnEmptyResult",
                "bargeIn",
                "debug",
                "enhanced",
                "finishOnKey",
                "hints",
                "input",
                "language",
                "maxSpeechTime",
                "method",
                "numDigits",
                "partialResultCallback",
                "partialResultCallbackMethod",
                "profanityFilter",
                "speechModel",
                "speechTimeout",
                "timeout",
            ],
        )
    },
    verb(
        "Dial",
        &[
            "Number",
            "Client",
            "Sip",
            "Sim",
            "Conference",
            "Queue",
            "Application",
            "WhatsApp",
        ],
        &[
            "action",
            "answerOnBridge",
            "callerId",
            "events",
            "hangupOnStar",
            "method",
            "passports",
            "record",
            "recordingConfigurationId",
            "recordingStatusCallback",
            "recordingStatusCallbackEvent",
            "recordingStatusCallbackMethod",
            "recordingTrack",
            "referMethod",
            "referUrl",
            "ringTone",
            "sequential",
            "timeLimit",
            "timeout",
            "trim",
        ],
    ),
    verb(
        "Enqueue",
        &["Task"],
        &[
            "action",
            "maxQueueSize",
            "method",
            "waitUrl",
            "waitUrlMethod",
            "workflowSid",
        ],
    ),
    verb("Leave", NONE, NONE),
    verb("Hangup", &["Parameter"], NONE),
    verb("Echo", NONE, NONE),
    verb("Redirect", NONE, &["method"]),
    verb("Reject", &["Parameter"], &["reason"]),
    verb(
        "Record",
        NONE,
        &[
            "action",
            "finishOnKey",
            "maxLength",
            "method",
            "playBeep",
            "recordingConfigurationId",
            "recordingStatusCallback",
            "recordingStatusCallbackEvent",
            "recordingStatusCallbackMethod",
            "timeout",
            "transcribe",
            "transcribeCallback",
            "trim",
        ],
    ),
    verb(
        "Connect",
        &[
            "Stream",
            "Room",
            "VirtualAgent",
            "Conversation",
            "ConversationRelay",
            "ConversationRelaySession",
            "AiSession",
            "Autopilot",
        ],
        &["action", "method"],
    ),
    verb(
        "Start",
        &["Stream", "Siprec", "Transcription", "Recording"],
        &["action", "method"],
    ),
    verb("Stop", &["Stream", "Siprec", "Transcription"], NONE),
    verb(
        "Pay",
        &["Parameter", "Prompt"],
        &[
            "action",
            "bankAccountType",
            "chargeAmount",
            "currency",
            "description",
            "input",
            "language",
            "maxAttempts",
            "minPostalCodeLength",
            "paymentConnector",
            "paymentMethod",
            "postalCode",
            "securityCode",
            "statusCallback",
            "statusCallbackMethod",
            "timeout",
            "tokenType",
            "validCardTypes",
        ],
    ),
    verb("Refer", &["Sip"], &["action", "method"]),
    verb(
        "Sms",
        NONE,
        &["action", "from", "method", "statusCallback", "to"],
    ),
    // Nouns.
    noun(
        "Number",
        NONE,
        &[
            "amdStatusCallback",
            "amdStatusCallbackMethod",
            "byoc",
            "machineDetection",
            "machineDetectionSilenceTimeout",
            "machineDetectionSpeechEndThreshold",
            "machineDetectionSpeechThreshold",
            "machineDetectionTimeout",
            "method",
            "sendDigits",
            "statusCallback",
            "statusCallbackEvent",
            "statusCallbackMethod",
            "url",
        ],
    ),
    noun(
        "Client",
        &["Identity", "Parameter"],
        &[
            "method",
            "statusCallback",
            "statusCallbackEvent",
            "statusCallbackMethod",
            "url",
        ],
    ),
    noun(
        "Sip",
        &["Uri", "Headers"],
        &[
            "amdStatusCallback",
            "amdStatusCallbackMethod",
            "machineDetection",
            "machineDetectionSilenceTimeout",
            "machineDetectionSpeechEndThreshold",
            "machineDetectionSpeechThreshold",
            "machineDetectionTimeout",
            "method",
            "password",
            "statusCallback",
            "statusCallbackEvent",
            "statusCallbackMethod",
            "url",
            "username",
        ],
    ),
    noun("Sim", NONE, NONE),
    noun(
        "Conference",
        NONE,
        &[
            "beep",
            "coach",
            "endConferenceOnExit",
            "eventCallbackUrl",
            "jitterBufferSize",
            "maxParticipants",
            "muted",
            "participantLabel",
            "record",
            "recordingConfigurationId",
            "recordingStatusCallback",
            "recordingStatusCallbackEvent",
            "recordingStatusCallbackMethod",
            "region",
            "startConferenceOnEnter",
            "statusCallback",
            "statusCallbackEvent",
            "statusCallbackMethod",
            "trim",
            "waitMethod",
            "waitUrl",
        ],
    ),
    noun(
        "Queue",
        NONE,
        &["method", "postWorkActivitySid", "reservationSid", "url"],
    ),
    noun(
        "Application",
        &["ApplicationSid", "Parameter"],
        &[
            "copyParentTo",
            "customerId",
            "method",
            "statusCallback",
            "statusCallbackEvent",
            "statusCallbackMethod",
            "url",
        ],
    ),
    noun(
        "WhatsApp",
        NONE,
        &[
            "method",
            "statusCallback",
            "statusCallbackEvent",
            "statusCallbackMethod",
            "url",
        ],
    ),
    noun("Identity", NONE, NONE),
    noun("ApplicationSid", NONE, NONE),
    noun("Uri", NONE, &["password", "priority", "username", "weight"]),
    noun("Headers", &["Header"], NONE),
    noun("Header", NONE, &["name", "value"]),
    noun("Task", NONE, &["priority", "timeout"]),
    noun(
        "Stream",
        &["Parameter"],
        &[
            "audioFormat",
            "connectorName",
            "name",
            "sampleRate",
            "statusCallback",
            "statusCallbackMethod",
            "track",
            "url",
        ],
    ),
    noun(
        "Siprec",
        &["Parameter"],
        &[
            "connectorName",
            "name",
            "statusCallback",
            "statusCallbackMethod",
            "track",
        ],
    ),
    noun(
        "Transcription",
        &["Config", "Parameter"],
        &[
            "enableAutomaticPunctuation",
            "hints",
            "inboundTrackLabel",
            "intelligenceService",
            "languageCode",
            "name",
            "outboundTrackLabel",
            "partialResults",
            "profanityFilter",
            "speechModel",
            "statusCallbackMethod",
            "statusCallbackUrl",
            "track",
            "transcriptionEngine",
        ],
    ),
    noun(
        "Recording",
        NONE,
        &[
            "channels",
            "recordingConfigurationId",
            "recordingStatusCallback",
            "recordingStatusCallbackEvent",
            "recordingStatusCallbackMethod",
            "track",
            "trim",
        ],
    ),
    noun("Room", NONE, &["participantIdentity"]),
    noun(
        "VirtualAgent",
        &["Config", "Parameter"],
        &[
            "connectorName",
            "language",
            "sentimentAnalysis",
            "statusCallback",
            "statusCallbackMethod",
        ],
    ),
    noun(
        "Conversation",
        NONE,
        &[
            "inboundAutocreation",
            "inboundTimeout",
            "method",
            "record",
            "recordingStatusCallback",
            "recordingStatusCallbackEvent",
            "recordingStatusCallbackMethod",
            "routingAssignmentTimeout",
            "serviceInstanceSid",
            "statusCallback",
            "statusCallbackEvent",
            "statusCallbackMethod",
            "trim",
            "url",
        ],
    ),
    noun(
        "ConversationRelay",
        &["Language", "Parameter"],
        &[
            "applicationReconnect",
            "asrSmartFormat",
            "backgroundNoiseReduction",
            "customerName",
            "debug",
            "deepgramSmartFormat",
            "dtmfDetection",
            "eagerEotThreshold",
            "echoPromptFiltering",
            "elevenlabsLanguageTextNormalization",
            "elevenlabsTextNormalization",
            "events",
            "hints",
            "ignoreBackchannel",
            "includeInPrompt",
            "intelligenceService",
            "interruptSensitivity",
            "interruptible",
            "language",
            "partialPromptOnHangup",
            "partialPrompts",
            "preemptible",
            "profanityFilter",
            "reportInputDuringAgentSpeech",
            "speechModel",
            "speechTimeout",
            "transcriptionLanguage",
            "transcriptionProvider",
            "ttsLanguage",
            "ttsLanguageTextNormalization",
            "ttsProvider",
            "ttsTextNormalization",
            "turnDetection",
            "url",
            "voice",
            "welcomeGreeting",
            "welcomeGreetingInterruptible",
        ],
    ),
    noun(
        "ConversationRelaySession",
        NONE,
        &["connector", "sessionConfiguration"],
    ),
    noun(
        "AiSession",
        NONE,
        &["aiConnector", "aiSessionConfiguration"],
    ),
    noun("Autopilot", NONE, NONE),
    noun("Config", NONE, &["name", "value"]),
    noun(
        "Language",
        NONE,
        &[
            "asrSmartFormat",
            "code",
            "hints",
            "speechModel",
            "transcriptionProvider",
            "ttsLanguageTextNormalization",
            "ttsProvider",
            "ttsTextNormalization",
            "voice",
        ],
    ),
    noun("Parameter", NONE, &["name", "value"]),
    Rule {
        stray_text: true,
        ..noun(
            "Prompt",
            &["Say", "Play", "Pause"],
            &[
                "attempt",
                "cardType",
                "errorType",
                "for",
                "requireMatchingInputs",
            ],
        )
    },
];

/// Where the table deliberately departs from the SDK snapshot: `(parent, child, why)`.
#[cfg(test)]
static SDK_DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "Response",
        "Prompt",
        "the SDK offers a top-level <Prompt>; Twilio's docs place it inside <Pay>",
    ),
    (
        "Response",
        "Queue",
        "the SDK offers a top-level <Queue>; Twilio's docs place it inside <Dial>",
    ),
];

/// Where a requirement can be met.
#[derive(Clone, Copy)]
enum Has {
    Text,
    Attr(&'static str),
    /// Any child element.
    Child,
    Named(&'static str),
}

/// Something an element needs, or the finding when it has none of `any_of`.
struct Need {
    element: &'static str,
    /// Only under these parents; empty for anywhere.
    under: &'static [&'static str],
    any_of: &'static [Has],
    severity: Severity,
    code: &'static str,
    message: &'static str,
}

const fn need(
    element: &'static str,
    any_of: &'static [Has],
    code: &'static str,
    message: &'static str,
) -> Need {
    Need {
        element,
        under: &[],
        any_of,
        severity: Severity::Error,
        code,
        message,
    }
}

const TARGET: &[Has] = &[Has::Text];

static NEEDS: &[Need] = &[
    need(
        "Redirect",
        &[Has::Text],
        code::MISSING_URL,
        "<Redirect> has no URL to go to",
    ),
    need(
        "Play",
        &[Has::Text, Has::Attr("digits")],
        code::MISSING_URL,
        "<Play> has no URL to play and no digits attribute",
    ),
    need(
        "Enqueue",
        &[Has::Text, Has::Attr("workflowSid")],
        code::MISSING_QUEUE,
        "<Enqueue> has no queue name and no workflowSid",
    ),
    need(
        "Dial",
        &[Has::Text, Has::Child],
        code::MISSING_TARGET,
        "<Dial> has nothing to dial: no number and no noun inside",
    ),
    need("Number", TARGET, code::MISSING_TARGET, "<Number> is empty"),
    need(
        "Sip",
        &[Has::Text, Has::Named("Uri")],
        code::MISSING_TARGET,
        "<Sip> has no SIP URI",
    ),
    need("Sim", TARGET, code::MISSING_TARGET, "<Sim> has no SIM SID"),
    need(
        "Conference",
        TARGET,
        code::MISSING_TARGET,
        "<Conference> has no conference name",
    ),
    need(
        "Queue",
        TARGET,
        code::MISSING_TARGET,
        "<Queue> has no queue name",
    ),
    need(
        "Client",
        &[Has::Text, Has::Named("Identity")],
        code::MISSING_TARGET,
        "<Client> has no identity",
    ),
    need(
        "Application",
        &[Has::Text, Has::Named("ApplicationSid")],
        code::MISSING_TARGET,
        "<Application> has no application SID",
    ),
    // Under <Stop> a stream can be named instead; under <Connect> and <Start> it must say
    // where to send the audio.
    Need {
        under: &["Connect", "Start"],
        ..need(
            "Stream",
            &[Has::Attr("url")],
            code::MISSING_URL,
            "<Stream> has no url attribute",
        )
    },
    // Twilio accepts it but says nothing, logging a warning in the debugger.
    Need {
        severity: Severity::Warning,
        ..need(
            "Say",
            &[Has::Text, Has::Child],
            code::EMPTY_SAY,
            "<Say> has nothing to say",
        )
    },
];

/// Elements that still parse but should not be used, and why.
static DEPRECATED: &[(&str, &str)] = &[
    (
        "Sms",
        "<Sms> is deprecated in Voice TwiML; send messages with the Messaging API",
    ),
    ("Autopilot", "<Autopilot> is retired; it no longer connects"),
];

/// Attributes that must be whole numbers.
static NUMERIC_ATTRS: &[(&str, &str)] = &[
    ("Gather", "numDigits"),
    ("Gather", "timeout"),
    ("Dial", "timeout"),
    ("Dial", "timeLimit"),
    ("Record", "timeout"),
    ("Record", "maxLength"),
    ("Pause", "length"),
];

/// Verbs after which Twilio leaves the document for good.
static TERMINAL: &[&str] = &["Hangup", "Reject", "Redirect"];

fn rule(name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.name == name)
}

fn verbs() -> impl Iterator<Item = &'static str> {
    RULES.iter().filter(|r| r.verb).map(|r| r.name)
}

/// The element names `parent` may hold.
fn allowed(parent: &Rule) -> Box<dyn Iterator<Item = &'static str>> {
    match parent.content {
        Content::Verbs => Box::new(verbs()),
        Content::Only(names) => Box::new(names.iter().copied()),
        Content::Ssml => Box::new(std::iter::empty()),
    }
}

fn allows(parent: &Rule, child: &str) -> bool {
    allowed(parent).any(|name| name == child)
}

// ---------------------------------------------------------------------------------------------
// Checking

/// Checks a decoded body.
///
/// A base64 failure gives one Error `bad-base64`, a body that is not XML one Error `not-xml`,
/// each with the decoder's own description. An empty body gives nothing: Twilio hangs up on
/// it, which is a legitimate way to end a call, and status callbacks carry none at all.
pub fn check(decoded: &Decoded) -> Vec<Finding> {
    let mut out = Findings::default();
    if let Some(e) = &decoded.base64_error {
        out.push(Severity::Error, code::BAD_BASE64, e.clone(), String::new());
    } else if decoded.error.is_some() {
        let problem = decoded.problem().unwrap_or_default();
        out.push(Severity::Error, code::NOT_XML, problem, String::new());
    }
    if let Some(root) = &decoded.doc {
        check_root(root, &mut out);
    }
    out.finish()
}

#[derive(Default)]
struct Findings {
    list: Vec<Finding>,
    dropped: bool,
}

impl Findings {
    fn push(&mut self, severity: Severity, code: &'static str, message: String, path: String) {
        if self.full() {
            self.dropped = true;
            return;
        }
        self.list.push(Finding {
            severity,
            code,
            message,
            path,
        });
    }

    fn full(&self) -> bool {
        self.list.len() >= MAX_FINDINGS
    }

    fn finish(mut self) -> Vec<Finding> {
        if self.dropped {
            self.list.push(Finding {
                severity: Severity::Warning,
                code: code::TOO_MANY_FINDINGS,
                message: format!("more than {MAX_FINDINGS} findings; the rest are not shown"),
                path: String::new(),
            });
        }
        self.list
    }
}

fn check_root(root: &Node, out: &mut Findings) {
    let name = root.name.as_str();
    if name != RESPONSE.name {
        let message = if name.eq_ignore_ascii_case("html") {
            "the body is an HTML page (an error page?), not TwiML".to_owned()
        } else if name.eq_ignore_ascii_case(RESPONSE.name) {
            format!(
                "<{}> is not <Response>: TwiML is case-sensitive",
                shown(name)
            )
        } else if rule(name).is_some_and(|r| r.verb) {
            format!("the root is <{name}>, but TwiML verbs go inside <Response>")
        } else {
            format!("the root is <{}>, not <Response>", shown(name))
        };
        out.push(
            Severity::Error,
            code::ROOT_NOT_RESPONSE,
            message,
            String::new(),
        );
        // A miscased root still holds verbs worth checking; anything else is not TwiML.
        if !name.eq_ignore_ascii_case(RESPONSE.name) {
            return;
        }
    }
    check_content(root, &RESPONSE, &shown(name), 0, out);
}

/// Checks an element known to be `rule`, already placed, then its children.
fn check_element(node: &Node, parent: &Rule, rule: &Rule, path: &str, out: &mut Findings) {
    for need in NEEDS {
        if need.element == rule.name
            && (need.under.is_empty() || need.under.contains(&parent.name))
            && !need.any_of.iter().any(|has| has_it(node, *has))
        {
            out.push(
                need.severity,
                need.code,
                need.message.to_owned(),
                path.to_owned(),
            );
        }
    }
    for (name, why) in DEPRECATED {
        if *name == rule.name {
            out.push(
                Severity::Warning,
                code::DEPRECATED,
                (*why).to_owned(),
                path.to_owned(),
            );
        }
    }
    for (attr, _) in &node.attrs {
        check_attribute(rule, attr, path, out);
    }
    for (element, attr) in NUMERIC_ATTRS {
        if *element != rule.name {
            continue;
        }
        if let Some(value) = node.attr(attr) {
            let v = value.trim();
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                out.push(
                    Severity::Warning,
                    code::BAD_ATTRIBUTE,
                    format!(
                        "<{element} {attr}=\"{}\">: not a whole number",
                        clip(value, VALUE_SHOWN_MAX)
                    ),
                    path.to_owned(),
                );
            }
        }
    }
}

/// An attribute the SDK does not know for `rule` is a warning: Twilio logs 12200 and carries
/// on. Namespaced ones (`xml:lang`, `xmlns:…`) belong to other vocabularies.
fn check_attribute(rule: &Rule, attr: &str, path: &str, out: &mut Findings) {
    if rule.attributes.contains(&attr) || attr.contains(':') || attr.starts_with("xmlns") {
        return;
    }
    let mut message = format!("<{} {}>: unknown attribute", rule.name, shown(attr));
    match suggest(attr, rule.attributes.iter().copied()) {
        Some(Hint::Case(right)) => {
            let _ = write!(message, " (TwiML is case-sensitive: {right})");
        }
        Some(Hint::Near(right)) => {
            let _ = write!(message, " (did you mean {right}?)");
        }
        None => {}
    }
    out.push(
        Severity::Warning,
        code::UNKNOWN_ATTRIBUTE,
        message,
        path.to_owned(),
    );
}

fn has_it(node: &Node, has: Has) -> bool {
    match has {
        Has::Text => !node.text.trim().is_empty(),
        Has::Attr(name) => node.attr(name).is_some_and(|v| !v.trim().is_empty()),
        Has::Child => !node.children.is_empty(),
        Has::Named(name) => node.children.iter().any(|c| c.name == name),
    }
}

/// Checks what `node` (known to be `rule`) holds: its text, then each child in order.
fn check_content(node: &Node, rule: &Rule, path: &str, depth: usize, out: &mut Findings) {
    if rule.stray_text && !node.text.is_empty() {
        out.push(
            Severity::Warning,
            code::TEXT_OUTSIDE_VERB,
            format!(
                "text \"{}\" directly inside <{}> is never spoken; put it in a <Say>",
                clip(&node.text, VALUE_SHOWN_MAX),
                rule.name
            ),
            path.to_owned(),
        );
    }
    if matches!(rule.content, Content::Ssml) || depth >= MAX_DEPTH {
        return;
    }
    let mut same_name: HashMap<&str, usize> = HashMap::new();
    for child in &node.children {
        *same_name.entry(child.name.as_str()).or_default() += 1;
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut ended_by: Option<&str> = None;
    for child in &node.children {
        if out.full() {
            out.dropped = true;
            return;
        }
        let name = child.name.as_str();
        let mut child_path = format!("{path}/{}", shown(name));
        if same_name.get(name).copied().unwrap_or(0) > 1 {
            let n = seen.entry(name).or_default();
            *n += 1;
            let _ = write!(child_path, "[{n}]");
        }
        if let Some(end) = ended_by {
            out.push(
                Severity::Warning,
                code::UNREACHABLE,
                format!("<{}> after <{end}> is never reached", shown(name)),
                child_path.clone(),
            );
        }
        check_child(child, rule, &child_path, depth, out);
        if depth == 0 && ended_by.is_none() && TERMINAL.contains(&name) {
            ended_by = Some(name);
        }
    }
}

fn check_child(child: &Node, parent: &Rule, path: &str, depth: usize, out: &mut Findings) {
    let name = child.name.as_str();
    let Some(rule) = rule(name) else {
        let (code, mut message) = if parent.name == RESPONSE.name {
            (
                code::UNKNOWN_VERB,
                format!("<{}> is not a TwiML verb", shown(name)),
            )
        } else {
            (
                code::UNKNOWN_NOUN,
                format!("<{}> is unknown inside <{}>", shown(name), parent.name),
            )
        };
        match suggest(name, allowed(parent)) {
            Some(Hint::Case(right)) => {
                let _ = write!(message, " (TwiML is case-sensitive: <{right}>)");
            }
            Some(Hint::Near(right)) => {
                let _ = write!(message, " (did you mean <{right}>?)");
            }
            None => {}
        }
        // Twilio skips what it does not know (12200, a warning) and the call goes on; and
        // Twilio adds nouns more often than this table is refreshed.
        out.push(Severity::Warning, code, message, path.to_owned());
        // Its insides follow rules nobody here knows.
        return;
    };
    if !allows(parent, name) {
        // Misplaced elements are 12200 too: Twilio ignores them and the call goes on.
        out.push(
            Severity::Warning,
            code::ILLEGAL_NESTING,
            nesting_message(parent, rule),
            path.to_owned(),
        );
    }
    check_element(child, parent, rule, path, out);
    check_content(child, rule, path, depth + 1, out);
}

fn nesting_message(parent: &Rule, child: &Rule) -> String {
    if parent.name == RESPONSE.name {
        let homes: Vec<&str> = RULES
            .iter()
            .filter(|r| matches!(r.content, Content::Only(names) if names.contains(&child.name)))
            .map(|r| r.name)
            .collect();
        return format!("<{}> belongs inside {}", child.name, tag_list(&homes, "or"));
    }
    let inside: Vec<&str> = allowed(parent).collect();
    if inside.is_empty() {
        format!("<{}> may not contain <{}>", parent.name, child.name)
    } else {
        format!(
            "<{}> may contain only {}, not <{}>",
            parent.name,
            tag_list(&inside, "and"),
            child.name
        )
    }
}

/// `<A>, <B> and <C>`.
fn tag_list(names: &[&str], last_joiner: &str) -> String {
    let mut out = String::new();
    let count = names.len();
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push_str(if i + 1 == count { " " } else { ", " });
            if i + 1 == count {
                out.push_str(last_joiner);
                out.push(' ');
            }
        }
        let _ = write!(out, "<{name}>");
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Did you mean

#[derive(Debug, PartialEq, Eq)]
enum Hint {
    /// The same name in other letter case.
    Case(&'static str),
    /// A near miss.
    Near(&'static str),
}

/// Largest edit distance still offered as a near miss.
const NEAR_MAX: usize = 2;

fn suggest(name: &str, candidates: impl Iterator<Item = &'static str>) -> Option<Hint> {
    let len = name.chars().count();
    let mut best: Option<(usize, &'static str)> = None;
    for candidate in candidates {
        if candidate.eq_ignore_ascii_case(name) {
            return Some(Hint::Case(candidate));
        }
        // Cheap bound first: names off the wire can be arbitrarily long.
        if candidate.chars().count().abs_diff(len) > NEAR_MAX {
            continue;
        }
        let distance = levenshtein(name, candidate);
        // Below the name's own length, or `<p>` would be "near" `<Pay>`.
        if distance <= NEAR_MAX && distance < len && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| Hint::Near(candidate))
}

/// Edit distance in chars, ignoring ASCII case.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = i;
        let mut left = i + 1;
        if let Some(first) = row.first_mut() {
            *first = left;
        }
        for (cb, cell) in b.iter().zip(row.iter_mut().skip(1)) {
            let up = *cell;
            let cost = usize::from(!ca.eq_ignore_ascii_case(cb));
            let value = (diagonal + cost).min(up + 1).min(left + 1);
            *cell = value;
            diagonal = up;
            left = value;
        }
    }
    row.last().copied().unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// Text

fn shown(name: &str) -> String {
    clip(name, NAME_SHOWN_MAX)
}

/// The first `max` chars of `s`, with `…` when cut.
fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", s.get(..end).unwrap_or_default()),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::twiml::{decode, decode_text};

    /// Twilio's own example body from the Event Streams docs.
    const SEED: &str = "PD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0iVVRGLTgiPz48UmVzcG9uc2U+PFNheT48L1NheT48UGF1c2UgbGVuZ3RoPSIxIi8+PFJlZGlyZWN0IG1ldGhvZD0iUE9TVCI+aHR0cHM6Ly9teWNvbXBhbnkuY29tL2FuLWVuZHBvaW50PC9SZWRpcmVjdD48L1Jlc3BvbnNlPg==";

    fn lint(xml: &str) -> Vec<Finding> {
        let d = decode_text(xml);
        check(&d)
    }

    fn codes(xml: &str) -> Vec<&'static str> {
        lint(xml).iter().map(|f| f.code).collect()
    }

    fn only(xml: &str) -> Finding {
        let mut found = lint(xml);
        assert_eq!(found.len(), 1, "{xml}: {found:#?}");
        found.remove(0)
    }

    fn clean(xml: &str) {
        let found = lint(xml);
        assert!(found.is_empty(), "{xml}: {found:#?}");
    }

    fn wrap(verbs: &str) -> String {
        format!("<Response>{verbs}</Response>")
    }

    #[test]
    fn seed_has_only_its_empty_say() {
        // The docs example is a placeholder with `<Say></Say>`; everything else about it is fine.
        let d = decode(SEED);
        let found = check(&d);
        assert_eq!(
            found,
            [Finding {
                severity: Severity::Warning,
                code: code::EMPTY_SAY,
                message: "<Say> has nothing to say".to_owned(),
                path: "Response/Say".to_owned(),
            }]
        );
        clean(&d.text.replace("<Say></Say>", "<Say>Hello</Say>"));
    }

    #[test]
    fn realistic_documents_are_clean() {
        clean(
            "<?xml version=\"1.0\"?>\n<Response>\n  <Say voice=\"alice\">Hi</Say>\n  <Gather action=\"/menu\" numDigits=\"1\" timeout=\"5\">\n    <Say>Press 1</Say><Play>https://x/a.mp3</Play><Pause length=\"2\"/>\n  </Gather>\n  <Dial timeout=\"20\" action=\"/after\"><Number>+14155550100</Number><Client><Identity>bob</Identity><Parameter name=\"a\" value=\"b\"/></Client><Sip>sip:a@b</Sip><Conference>room</Conference><Queue>q</Queue><Sim>DE1</Sim><Application><ApplicationSid>AP1</ApplicationSid></Application></Dial>\n  <Dial>+14155550199</Dial>\n  <Enqueue workflowSid=\"WW1\"><Task>{}</Task></Enqueue>\n  <Enqueue>support</Enqueue>\n  <Start><Stream url=\"wss://x\"><Parameter name=\"a\" value=\"b\"/></Stream><Siprec/><Transcription/><Recording/></Start>\n  <Stop><Stream name=\"s\"/></Stop>\n  <Pay><Prompt for=\"payment-card-number\"><Say>Card?</Say></Prompt><Parameter name=\"x\" value=\"y\"/></Pay>\n  <Record maxLength=\"30\"/>\n  <Leave/><Echo/>\n  <Play digits=\"ww1\"/>\n  <Connect><ConversationRelay url=\"wss://x\"><Language code=\"en-US\"/><Parameter name=\"a\"/></ConversationRelay></Connect>\n  <Connect><Stream url=\"wss://x\"/></Connect>\n  <Refer><Sip>sip:x@y</Sip></Refer>\n  <Hangup/>\n</Response>",
        );
        clean("<Response/>");
    }

    #[test]
    fn empty_body_is_legal() {
        assert!(check(&decode("")).is_empty());
        assert!(check(&decode_text("  \n")).is_empty());
    }

    #[test]
    fn json_body_is_not_xml() {
        let f = only("{\"error\": \"oops\"}");
        assert_eq!((f.severity, f.code), (Severity::Error, code::NOT_XML));
        assert_eq!(
            f.message,
            "not XML: body looks like JSON at line 1, column 1"
        );
        assert_eq!(f.path, "");
    }

    #[test]
    fn bad_base64_is_reported() {
        let f = check(&decode("PD94bWwg*mVy"));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, code::BAD_BASE64);
        assert!(f[0].message.contains("invalid base64"), "{}", f[0].message);
    }

    #[test]
    fn root_must_be_response() {
        let f = only("<html><body><h1>502 Bad Gateway</h1></body></html>");
        assert_eq!(f.code, code::ROOT_NOT_RESPONSE);
        assert!(f.message.contains("HTML page"), "{}", f.message);

        let f = only("<Say>Hi</Say>");
        assert_eq!(
            f.message,
            "the root is <Say>, but TwiML verbs go inside <Response>"
        );
        assert_eq!(only("<Foo/>").message, "the root is <Foo>, not <Response>");

        // Miscased: flagged, and the verbs inside still checked.
        let f = lint("<response><Sya>x</Sya></response>");
        assert_eq!(
            f.iter().map(|f| f.code).collect::<Vec<_>>(),
            [code::ROOT_NOT_RESPONSE, code::UNKNOWN_VERB]
        );
        assert_eq!(f[1].path, "response/Sya");
    }

    #[test]
    fn unknown_verb_near_miss() {
        let f = only(&wrap("<Sya>Hi</Sya>"));
        // Twilio's 12200 is a warning: it skips the element and the call goes on.
        assert_eq!(
            (f.severity, f.code),
            (Severity::Warning, code::UNKNOWN_VERB)
        );
        assert_eq!(f.message, "<Sya> is not a TwiML verb (did you mean <Say>?)");
        assert_eq!(f.path, "Response/Sya");

        let f = only(&wrap("<Dail>+1</Dail>"));
        assert_eq!(
            f.message,
            "<Dail> is not a TwiML verb (did you mean <Dial>?)"
        );

        let f = only(&wrap("<Frobnicate/>"));
        assert_eq!(f.message, "<Frobnicate> is not a TwiML verb");
        let f = only(&wrap("<p/>"));
        assert_eq!(f.message, "<p> is not a TwiML verb");
    }

    #[test]
    fn unknown_verb_in_wrong_case() {
        let f = only(&wrap("<say>Hi</say>"));
        assert_eq!(f.code, code::UNKNOWN_VERB);
        assert_eq!(
            f.message,
            "<say> is not a TwiML verb (TwiML is case-sensitive: <Say>)"
        );
    }

    #[test]
    fn unknown_noun() {
        let f = only(&wrap("<Dial><Nmber>+1</Nmber></Dial>"));
        assert_eq!(f.code, code::UNKNOWN_NOUN);
        assert_eq!(
            f.message,
            "<Nmber> is unknown inside <Dial> (did you mean <Number>?)"
        );
        assert_eq!(f.path, "Response/Dial/Nmber");

        let f = only(&wrap("<Dial><number>+1</number></Dial>"));
        assert!(f.message.ends_with("(TwiML is case-sensitive: <Number>)"));

        let f = only(&wrap("<Connect><Websocket/></Connect>"));
        assert_eq!(f.message, "<Websocket> is unknown inside <Connect>");
    }

    #[test]
    fn gather_holding_dial() {
        let f = only(&wrap("<Gather><Dial>+1</Dial></Gather>"));
        assert_eq!(
            (f.severity, f.code),
            (Severity::Warning, code::ILLEGAL_NESTING)
        );
        assert_eq!(
            f.message,
            "<Gather> may contain only <Say>, <Play> and <Pause>, not <Dial>"
        );
        assert_eq!(f.path, "Response/Gather/Dial");
        clean(&wrap("<Gather><Say>a</Say><Play>u</Play><Pause/></Gather>"));
    }

    #[test]
    fn noun_at_top_level() {
        let f = only(&wrap("<Number>+1</Number>"));
        assert_eq!(f.code, code::ILLEGAL_NESTING);
        assert_eq!(f.message, "<Number> belongs inside <Dial>");
        let f = only(&wrap("<Stream url=\"wss://x\"/>"));
        assert_eq!(
            f.message,
            "<Stream> belongs inside <Connect>, <Start> or <Stop>"
        );
        clean(&wrap("<Dial><Number>+1</Number></Dial>"));
    }

    #[test]
    fn verb_inside_verb() {
        let f = only(&wrap("<Dial><Number>+1</Number><Say>hi</Say></Dial>"));
        assert_eq!(f.code, code::ILLEGAL_NESTING);
        assert!(f.message.starts_with("<Dial> may contain only <Number>"));
        assert!(
            f.message.ends_with("and <WhatsApp>, not <Say>"),
            "{}",
            f.message
        );

        let f = only(&wrap("<Play>u<Say>x</Say></Play>"));
        assert_eq!(f.message, "<Play> may not contain <Say>");

        let f = only(&wrap("<Pay><Say>x</Say></Pay>"));
        assert_eq!(f.code, code::ILLEGAL_NESTING);
        clean(&wrap("<Pay><Prompt><Say>x</Say></Prompt></Pay>"));

        // Prompt only under Pay; Parameter only where Twilio takes it.
        assert_eq!(codes(&wrap("<Prompt/>")), [code::ILLEGAL_NESTING]);
        assert_eq!(
            codes(&wrap("<Gather><Parameter/></Gather>")),
            [code::ILLEGAL_NESTING]
        );
    }

    #[test]
    fn illegal_nesting_is_checked_inside_too() {
        assert_eq!(
            codes(&wrap("<Gather><Dial/></Gather>")),
            [code::ILLEGAL_NESTING, code::MISSING_TARGET]
        );
    }

    #[test]
    fn redirect_and_play_need_a_url() {
        let f = only(&wrap("<Redirect/>"));
        assert_eq!((f.severity, f.code), (Severity::Error, code::MISSING_URL));
        assert_eq!(f.path, "Response/Redirect");
        assert_eq!(codes(&wrap("<Redirect>  </Redirect>")), [code::MISSING_URL]);
        clean(&wrap("<Redirect>/next</Redirect>"));

        let f = only(&wrap("<Play/>"));
        assert_eq!(f.code, code::MISSING_URL);
        clean(&wrap("<Play>https://x/a.mp3</Play>"));
        clean(&wrap("<Play digits=\"1234\"/>"));
        assert_eq!(codes(&wrap("<Play digits=\"\"/>")), [code::MISSING_URL]);
    }

    #[test]
    fn stream_needs_a_url_except_when_stopping() {
        assert_eq!(
            codes(&wrap("<Connect><Stream/></Connect>")),
            [code::MISSING_URL]
        );
        assert_eq!(
            codes(&wrap("<Start><Stream/></Start>")),
            [code::MISSING_URL]
        );
        clean(&wrap("<Stop><Stream name=\"s\"/></Stop>"));
    }

    #[test]
    fn enqueue_needs_a_queue() {
        let f = only(&wrap("<Enqueue/>"));
        assert_eq!((f.severity, f.code), (Severity::Error, code::MISSING_QUEUE));
        clean(&wrap("<Enqueue>support</Enqueue>"));
        clean(&wrap("<Enqueue workflowSid=\"WW1\"/>"));
    }

    #[test]
    fn dial_needs_a_target() {
        let f = only(&wrap("<Dial action=\"/x\"/>"));
        assert_eq!(
            (f.severity, f.code),
            (Severity::Error, code::MISSING_TARGET)
        );
        clean(&wrap("<Dial>+1</Dial>"));
        clean(&wrap("<Dial><Queue>q</Queue></Dial>"));
        assert_eq!(
            codes(&wrap("<Dial><Number/></Dial>")),
            [code::MISSING_TARGET]
        );
        assert_eq!(
            codes(&wrap("<Dial><Client/></Dial>")),
            [code::MISSING_TARGET]
        );
        clean(&wrap("<Dial><Client>bob</Client></Dial>"));
    }

    #[test]
    fn empty_say_is_a_warning() {
        let f = only(&wrap("<Say/>"));
        assert_eq!((f.severity, f.code), (Severity::Warning, code::EMPTY_SAY));
        clean(&wrap("<Say>Hi</Say>"));
        clean(&wrap("<Say><break time=\"1s\"/></Say>"));
    }

    #[test]
    fn sms_and_autopilot_are_deprecated() {
        let f = only(&wrap("<Sms>hi</Sms>"));
        assert_eq!((f.severity, f.code), (Severity::Warning, code::DEPRECATED));
        let f = only(&wrap("<Connect><Autopilot>UA1</Autopilot></Connect>"));
        assert_eq!(
            (f.code, f.path.as_str()),
            (code::DEPRECATED, "Response/Connect/Autopilot")
        );
    }

    #[test]
    fn gather_without_action_is_fine_but_attributes_must_be_numbers() {
        clean(&wrap("<Gather><Say>x</Say></Gather>"));
        let f = only(&wrap("<Gather numDigits=\"one\"/>"));
        assert_eq!(
            (f.severity, f.code),
            (Severity::Warning, code::BAD_ATTRIBUTE)
        );
        assert_eq!(f.message, "<Gather numDigits=\"one\">: not a whole number");
        assert_eq!(
            codes(&wrap("<Gather timeout=\"5s\" numDigits=\"\"/>")),
            [code::BAD_ATTRIBUTE, code::BAD_ATTRIBUTE]
        );
        assert_eq!(
            codes(&wrap("<Pause length=\"1.5\"/>")),
            [code::BAD_ATTRIBUTE]
        );
        clean(&wrap("<Gather timeout=\"5\" numDigits=\"4\"/>"));
    }

    #[test]
    fn unreachable_after_hangup() {
        let found = lint(&wrap("<Say>bye</Say><Hangup/><Say>hello?</Say><Pause/>"));
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].severity, Severity::Warning);
        assert_eq!(found[0].code, code::UNREACHABLE);
        assert_eq!(found[0].message, "<Say> after <Hangup> is never reached");
        assert_eq!(found[0].path, "Response/Say[2]");
        assert_eq!(found[1].message, "<Pause> after <Hangup> is never reached");

        assert_eq!(
            codes(&wrap("<Redirect>/a</Redirect><Redirect>/b</Redirect>")),
            [code::UNREACHABLE]
        );
        assert_eq!(codes(&wrap("<Reject/><Say>x</Say>")), [code::UNREACHABLE]);
        clean(&wrap("<Say>bye</Say><Hangup/>"));
        clean(&wrap("<Dial>+1</Dial><Say>after the call</Say>"));
    }

    #[test]
    fn text_outside_verb() {
        let f = only("<Response>Hello there<Hangup/></Response>");
        assert_eq!(
            (f.severity, f.code),
            (Severity::Warning, code::TEXT_OUTSIDE_VERB)
        );
        assert_eq!(
            f.message,
            "text \"Hello there\" directly inside <Response> is never spoken; put it in a <Say>"
        );
        assert_eq!(f.path, "Response");
        assert_eq!(
            codes(&wrap("<Gather>Press 1</Gather>")),
            [code::TEXT_OUTSIDE_VERB]
        );
    }

    #[test]
    fn ssml_inside_say_is_not_flagged() {
        clean(&wrap(
            "<Say voice=\"Polly.Joanna\">Hi <break time=\"1s\"/><prosody rate=\"slow\">slow</prosody><emphasis>this</emphasis><lang xml:lang=\"fr-FR\">bonjour</lang><p><s>One.</s></p><phoneme alphabet=\"ipa\" ph=\"x\">x</phoneme><say-as interpret-as=\"digits\">123</say-as><sub alias=\"W3C\">w</sub><w role=\"x\">read</w><amazon:effect name=\"whispered\">psst</amazon:effect><amazon:domain name=\"news\">n</amazon:domain><Dial/></Say>",
        ));
    }

    #[test]
    fn paths_index_repeated_siblings_only() {
        let found = lint(&wrap(
            "<Gather><Say>a</Say></Gather><Gather><Say>b</Say><Dial>+1</Dial></Gather>",
        ));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, "Response/Gather[2]/Dial");
    }

    #[test]
    fn deep_document_is_fine() {
        // As deep as the decoder allows, all of it illegal: bounded work and bounded output.
        let depth = MAX_DEPTH - 1;
        let xml = format!(
            "<Response>{}{}</Response>",
            "<Gather>".repeat(depth),
            "</Gather>".repeat(depth)
        );
        let found = lint(&xml);
        assert_eq!(found.len(), depth - 1);
        assert!(found.iter().all(|f| f.code == code::ILLEGAL_NESTING));

        let xml = format!(
            "<Response>{}{}</Response>",
            "<a>".repeat(depth),
            "</a>".repeat(depth)
        );
        assert_eq!(codes(&xml), [code::UNKNOWN_VERB]);
    }

    #[test]
    fn findings_are_capped() {
        let xml = wrap(&"<Sya/>".repeat(MAX_FINDINGS * 3));
        let found = lint(&xml);
        assert_eq!(found.len(), MAX_FINDINGS + 1);
        assert_eq!(found.last().map(|f| f.code), Some(code::TOO_MANY_FINDINGS));
        assert_eq!(found[0].path, "Response/Sya[1]");
    }

    #[test]
    fn long_names_are_cut() {
        let name = "X".repeat(5000);
        let f = only(&wrap(&format!("<{name}/>")));
        assert!(f.message.chars().count() < 100, "{}", f.message);
        assert!(f.path.chars().count() < 100);
    }

    #[test]
    fn levenshtein_distances() {
        assert_eq!(levenshtein("", ""), 0);
        assert_eq!(levenshtein("Say", "Say"), 0);
        assert_eq!(levenshtein("say", "Say"), 0);
        assert_eq!(levenshtein("Sya", "Say"), 2);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("abc", ""), 3);
        assert_eq!(levenshtein("Gathr", "Gather"), 1);
        assert_eq!(levenshtein("éé", "e"), 2);
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("Hangpu", verbs()), Some(Hint::Near("Hangup")));
        assert_eq!(suggest("HANGUP", verbs()), Some(Hint::Case("Hangup")));
        assert_eq!(suggest("Xyzzy", verbs()), None);
    }

    #[test]
    fn worst_severity() {
        assert_eq!(worst(&[]), None);
        assert_eq!(worst(&lint(&wrap("<Say/>"))), Some(Severity::Warning));
        assert_eq!(worst(&lint(&wrap("<Say/><Play/>"))), Some(Severity::Error));
        assert_eq!(Severity::Error.as_str(), "error");
    }

    #[test]
    fn serializes_for_ndjson() {
        let f = only(&wrap("<Sya/>"));
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(
            json,
            r#"{"severity":"warning","code":"unknown-verb","message":"<Sya> is not a TwiML verb (did you mean <Say>?)","path":"Response/Sya"}"#
        );
    }

    #[test]
    fn attributes_the_sdk_does_not_know_are_warnings() {
        let f = only(&wrap("<Gather numdigits=\"1\"><Say>x</Say></Gather>"));
        assert_eq!(
            (f.severity, f.code),
            (Severity::Warning, code::UNKNOWN_ATTRIBUTE)
        );
        assert_eq!(
            f.message,
            "<Gather numdigits>: unknown attribute (TwiML is case-sensitive: numDigits)"
        );
        assert_eq!(f.path, "Response/Gather");
        let f = only(&wrap("<Dial timout=\"5\">+1</Dial>"));
        assert_eq!(
            f.message,
            "<Dial timout>: unknown attribute (did you mean timeout?)"
        );
        assert_eq!(
            only(&wrap("<Hangup foo=\"1\"/>")).message,
            "<Hangup foo>: unknown attribute"
        );
        // Namespaces are another vocabulary's business.
        clean(&wrap("<Say xmlns:amazon=\"x\" xml:lang=\"en\">hi</Say>"));
    }

    #[test]
    fn nouns_the_sdk_generates_are_clean() {
        // Each of these was an unknown-noun error before the vocabulary followed the SDK.
        for xml in [
            "<Connect><AiSession aiConnector=\"c\" aiSessionConfiguration=\"s\"/></Connect>",
            "<Connect><ConversationRelaySession connector=\"c\" sessionConfiguration=\"s\"/></Connect>",
            "<Dial><WhatsApp>+14155550100</WhatsApp></Dial>",
            "<Dial><Sip><Uri username=\"u\" password=\"p\">sip:a@b</Uri><Headers><Header name=\"X-A\" value=\"1\"/></Headers></Sip></Dial>",
            "<Hangup><Parameter name=\"a\" value=\"b\"/></Hangup>",
            "<Reject reason=\"busy\"><Parameter name=\"a\" value=\"b\"/></Reject>",
            "<Start><Transcription><Config name=\"a\" value=\"b\"/></Transcription></Start>",
        ] {
            clean(&wrap(xml));
        }
    }

    /// The SDK snapshot, as `tools/twiml_vocab.py` writes it.
    mod sdk {
        use super::*;
        use std::collections::{BTreeMap, BTreeSet};

        const SNAPSHOT: &str = include_str!("../../assets/twiml/voice-vocabulary.json");

        #[derive(serde::Deserialize)]
        struct Snapshot {
            library: String,
            elements: BTreeMap<String, Element>,
        }

        #[derive(serde::Deserialize)]
        struct Element {
            children: BTreeSet<String>,
            attributes: BTreeSet<String>,
        }

        fn snapshot() -> Snapshot {
            serde_json::from_str(SNAPSHOT).unwrap()
        }

        fn set(names: impl IntoIterator<Item = &'static str>) -> BTreeSet<String> {
            names.into_iter().map(str::to_owned).collect()
        }

        fn is_ssml(name: &str) -> bool {
            name.starts_with(|c: char| c.is_ascii_lowercase())
        }

        /// The elements the checker checks: everything but SSML (below `<Say>`).
        fn checked(snap: &Snapshot) -> impl Iterator<Item = (&String, &Element)> {
            snap.elements.iter().filter(|(name, _)| !is_ssml(name))
        }

        #[test]
        fn snapshot_names_the_library() {
            let snap = snapshot();
            assert!(
                snap.library.starts_with("twilio-python "),
                "{}",
                snap.library
            );
            assert!(snap.elements.contains_key("Response"));
        }

        #[test]
        fn the_table_agrees_with_the_sdk() {
            let snap = snapshot();
            let mut problems = Vec::new();
            for (name, element) in checked(&snap) {
                let Some(rule) = (if name == RESPONSE.name {
                    Some(&RESPONSE)
                } else {
                    rule(name)
                }) else {
                    problems.push(format!("<{name}> is in the SDK, not in the table"));
                    continue;
                };
                let mut sdk_children = element.children.clone();
                for (parent, child, _) in SDK_DIFFERENCES {
                    if parent == name {
                        assert!(sdk_children.remove(*child), "stale difference {child}");
                    }
                }
                let ours = match rule.content {
                    Content::Ssml => {
                        // The SDK's children of <Say> are SSML, which the checker leaves alone.
                        let not_ssml: Vec<_> =
                            sdk_children.iter().filter(|c| !is_ssml(c)).collect();
                        if !not_ssml.is_empty() {
                            problems.push(format!("<{name}> holds non-SSML {not_ssml:?}"));
                        }
                        sdk_children.clone()
                    }
                    _ => set(allowed(rule)),
                };
                if ours != sdk_children {
                    problems.push(format!(
                        "<{name}> children: table {ours:?}, SDK {sdk_children:?}"
                    ));
                }
                let attrs = set(rule.attributes.iter().copied());
                if attrs != element.attributes {
                    problems.push(format!(
                        "<{name}> attributes: table {attrs:?}, SDK {:?}",
                        element.attributes
                    ));
                }
                if rule.verb
                    != (snap.elements["Response"].children.contains(name.as_str())
                        && !SDK_DIFFERENCES.iter().any(|(_, c, _)| c == name))
                {
                    problems.push(format!("<{name}>: verb flag disagrees with the SDK"));
                }
            }
            for rule in RULES {
                if !snap.elements.contains_key(rule.name) {
                    problems.push(format!("<{}> is in the table, not in the SDK", rule.name));
                }
            }
            assert!(
                problems.is_empty(),
                "the vocabulary and {} disagree (refresh: see README, TwiML checks):\n{}",
                snap.library,
                problems.join("\n")
            );
        }

        /// A path of element names from `<Response>` to `target`, through the SDK's nesting.
        fn path_to<'s>(snap: &'s Snapshot, target: &str) -> Option<Vec<&'s str>> {
            let mut paths: Vec<Vec<&str>> = vec![vec!["Response"]];
            let mut seen = BTreeSet::from(["Response"]);
            while !paths.is_empty() {
                let mut next = Vec::new();
                for path in paths {
                    let last = *path.last()?;
                    if last == target {
                        return Some(path);
                    }
                    for child in &snap.elements.get(last)?.children {
                        let different = SDK_DIFFERENCES
                            .iter()
                            .any(|(p, c, _)| *p == last && c == child);
                        if !is_ssml(child) && !different && seen.insert(child.as_str()) {
                            let mut longer = path.clone();
                            longer.push(child.as_str());
                            next.push(longer);
                        }
                    }
                }
                paths = next;
            }
            None
        }

        /// `<name a="1" b="1"…>` with every attribute the SDK writes for it.
        fn open_tag(snap: &Snapshot, name: &str) -> String {
            let mut out = format!("<{name}");
            for attr in &snap.elements[name].attributes {
                let _ = write!(out, " {attr}=\"1\"");
            }
            out.push('>');
            out
        }

        /// TwiML as the SDK builds it: every verb with each child it allows, every attribute set.
        fn documents(snap: &Snapshot) -> Vec<String> {
            let mut docs = Vec::new();
            for (parent, element) in checked(snap) {
                if parent == "Say" {
                    continue;
                }
                let Some(path) = path_to(snap, parent) else {
                    continue;
                };
                for child in &element.children {
                    if SDK_DIFFERENCES
                        .iter()
                        .any(|(p, c, _)| p == parent && c == child)
                    {
                        continue;
                    }
                    let mut chain: Vec<&str> = path.clone();
                    chain.push(child);
                    let mut xml = String::new();
                    for (i, name) in chain.iter().enumerate() {
                        if i == 0 {
                            xml.push_str("<Response>");
                        } else {
                            xml.push_str(&open_tag(snap, name));
                            // Text where the SDK takes it (a number, a URL, a message); where
                            // it is only stray text, that is a warning.
                            xml.push('x');
                        }
                    }
                    for name in chain.iter().rev() {
                        let _ = write!(xml, "</{name}>");
                    }
                    docs.push(xml);
                }
            }
            docs
        }

        #[test]
        fn twiml_the_sdk_generates_has_no_error_and_no_unknown_element() {
            let snap = snapshot();
            let docs = documents(&snap);
            // Every element but the root and SSML, as a child somewhere.
            assert!(docs.len() > 60, "{}", docs.len());
            for xml in &docs {
                for f in lint(xml) {
                    let unknown = [
                        code::UNKNOWN_VERB,
                        code::UNKNOWN_NOUN,
                        code::UNKNOWN_ATTRIBUTE,
                        code::ILLEGAL_NESTING,
                    ];
                    assert!(
                        f.severity != Severity::Error && !unknown.contains(&f.code),
                        "{xml}: {f:?}"
                    );
                }
            }
        }
    }
}
