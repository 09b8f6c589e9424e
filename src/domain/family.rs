//! Which Event Streams family an event type belongs to, by prefix.
//!
//! A Voice team's sink carries more than the eight TwiML types: call progress, the other
//! status callbacks, REST API requests, media fetches, Debugger error logs, Studio and Voice
//! Insights. Families are matched by prefix so that a member Twilio adds later (or one this
//! build does not name) still lands in its family instead of "other".

/// The type of the Event Streams sink's test event.
pub const TEST_EVENT_TYPE: &str = "com.twilio.eventstreams.test-event";
/// The `type` twimon gives the JSON envelope it builds around a form-encoded classic voice
/// webhook or status callback (see [`crate::domain::callback`]). Not a Twilio CloudEvent type.
pub const STATUS_CALLBACK_TYPE: &str = "twilio.voice.status-callback";

/// An event's family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stream {
    /// `com.twilio.voice.twiml.*`: a TwiML request and its answer.
    Twiml,
    /// `com.twilio.voice.status-callback.call.*` (and the pre-2024-02-28
    /// `com.twilio.voice.webhook.status-callback.call.*`), and classic form-encoded status
    /// callbacks: initiated, ringing, answered, completed.
    Progress,
    /// The other voice status callbacks: AMD, conference, participant, recording,
    /// transcription, stream, gather partial, announcement.
    StatusCallback,
    /// `com.twilio.voice.api-request.*`: the REST call that created or modified a call.
    Api,
    /// `com.twilio.voice.media.*`: a `<Play>` fetch.
    Media,
    /// `com.twilio.error-logs.*`: what Twilio's Debugger logged.
    ErrorLog,
    /// `com.twilio.studio.*`: Studio executions and steps.
    Studio,
    /// `com.twilio.voice.insights.*`: Voice Insights events, metrics and summaries.
    Insights,
    /// The sink's test event.
    Test,
    /// Anything else (Messaging, `TaskRouter`…), kept as it came.
    Other,
}

/// Prefixes, most specific first: call progress before the other status callbacks.
const PREFIXES: &[(&str, Stream)] = &[
    ("com.twilio.voice.twiml.", Stream::Twiml),
    ("com.twilio.voice.status-callback.call.", Stream::Progress),
    (
        "com.twilio.voice.webhook.status-callback.call.",
        Stream::Progress,
    ),
    ("com.twilio.voice.status-callback.", Stream::StatusCallback),
    (
        "com.twilio.voice.webhook.status-callback.",
        Stream::StatusCallback,
    ),
    ("com.twilio.voice.api-request.", Stream::Api),
    ("com.twilio.voice.media.", Stream::Media),
    ("com.twilio.voice.insights.", Stream::Insights),
    ("com.twilio.error-logs.", Stream::ErrorLog),
    ("com.twilio.studio.", Stream::Studio),
];

impl Stream {
    pub const ALL: [Stream; 10] = [
        Stream::Twiml,
        Stream::Progress,
        Stream::StatusCallback,
        Stream::Api,
        Stream::Media,
        Stream::ErrorLog,
        Stream::Studio,
        Stream::Insights,
        Stream::Test,
        Stream::Other,
    ];

    /// The family of a CloudEvent `type` (or of twimon's own type for form callbacks).
    pub fn of(type_name: &str) -> Stream {
        if type_name == STATUS_CALLBACK_TYPE {
            return Stream::Progress;
        }
        if type_name == TEST_EVENT_TYPE {
            return Stream::Test;
        }
        PREFIXES
            .iter()
            .find(|(prefix, _)| type_name.starts_with(prefix))
            .map_or(Stream::Other, |(_, family)| *family)
    }

    /// As NDJSON writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Twiml => "twiml",
            Stream::Progress => "progress",
            Stream::StatusCallback => "status-callback",
            Stream::Api => "api",
            Stream::Media => "media",
            Stream::ErrorLog => "error-log",
            Stream::Studio => "studio",
            Stream::Insights => "insights",
            Stream::Test => "test",
            Stream::Other => "other",
        }
    }
}

/// The families the filter bar offers: what an on-call engineer asks for ("only the
/// errors", "only Studio"). The voice status callbacks (AMD, conference…) go with call
/// progress; media, Insights and the rest are "other".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Group {
    Twiml = 0,
    Progress = 1,
    Errors = 2,
    Studio = 3,
    Api = 4,
    Other = 5,
}

impl Group {
    pub const COUNT: usize = 6;
    /// In the filter bar's order, which is also the order `f` cycles through.
    pub const ALL: [Group; Group::COUNT] = [
        Group::Twiml,
        Group::Progress,
        Group::Errors,
        Group::Studio,
        Group::Api,
        Group::Other,
    ];

    pub fn of(stream: Stream) -> Group {
        match stream {
            Stream::Twiml => Group::Twiml,
            Stream::Progress | Stream::StatusCallback => Group::Progress,
            Stream::ErrorLog => Group::Errors,
            Stream::Studio => Group::Studio,
            Stream::Api => Group::Api,
            Stream::Media | Stream::Insights | Stream::Test | Stream::Other => Group::Other,
        }
    }

    /// Slot in per-group arrays and bit in a filter's group mask.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// The filter bar's word.
    pub fn name(self) -> &'static str {
        match self {
            Group::Twiml => "TwiML",
            Group::Progress => "progress",
            Group::Errors => "errors",
            Group::Studio => "Studio",
            Group::Api => "API",
            Group::Other => "other",
        }
    }

    /// The group after `current` in the cycle `f` walks (None = all families).
    pub fn next(current: Option<Group>) -> Option<Group> {
        match current {
            None => Some(Group::Twiml),
            Some(g) => Group::ALL.get(g.index() + 1).copied(),
        }
    }

    /// The group before `current` (`F`).
    pub fn prev(current: Option<Group>) -> Option<Group> {
        match current {
            None => Group::ALL.last().copied(),
            Some(g) => g
                .index()
                .checked_sub(1)
                .and_then(|i| Group::ALL.get(i).copied()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_cycle_through_all_and_back() {
        let mut seen = Vec::new();
        let mut g = Group::next(None);
        while let Some(x) = g {
            seen.push(x);
            g = Group::next(g);
        }
        assert_eq!(seen, Group::ALL);
        assert_eq!(Group::prev(None), Some(Group::Other));
        assert_eq!(Group::prev(Some(Group::Twiml)), None);
        assert_eq!(Group::of(Stream::StatusCallback), Group::Progress);
        assert_eq!(Group::of(Stream::Insights), Group::Other);
    }

    #[test]
    fn families_by_prefix() {
        let cases = [
            ("com.twilio.voice.twiml.call.requested", Stream::Twiml),
            ("com.twilio.voice.twiml.requested", Stream::Twiml),
            (
                "com.twilio.voice.status-callback.call.ringing",
                Stream::Progress,
            ),
            (
                "com.twilio.voice.webhook.status-callback.call.completed",
                Stream::Progress,
            ),
            ("twilio.voice.status-callback", Stream::Progress),
            (
                "com.twilio.voice.status-callback.amd.detected",
                Stream::StatusCallback,
            ),
            (
                "com.twilio.voice.status-callback.conference.participant.updated",
                Stream::StatusCallback,
            ),
            (
                "com.twilio.voice.webhook.status-callback.recording.processed",
                Stream::StatusCallback,
            ),
            ("com.twilio.voice.api-request.call.modified", Stream::Api),
            ("com.twilio.voice.media.fetched", Stream::Media),
            ("com.twilio.error-logs.error.logged", Stream::ErrorLog),
            ("com.twilio.studio.flow.step.ended", Stream::Studio),
            (
                "com.twilio.voice.insights.call-summary.complete",
                Stream::Insights,
            ),
            ("com.twilio.eventstreams.test-event", Stream::Test),
            ("com.twilio.messaging.message.delivered", Stream::Other),
            ("", Stream::Other),
        ];
        for (ty, family) in cases {
            assert_eq!(Stream::of(ty), family, "{ty}");
        }
    }

    #[test]
    fn unknown_members_stay_in_their_family() {
        assert_eq!(
            Stream::of("com.twilio.voice.status-callback.call.something-new"),
            Stream::Progress
        );
        assert_eq!(
            Stream::of("com.twilio.studio.flow.widget.new"),
            Stream::Studio
        );
        // A prefix needs its dot: a look-alike product is not the family.
        assert_eq!(Stream::of("com.twilio.studiox.flow"), Stream::Other);
    }

    #[test]
    fn names_are_distinct() {
        let mut names: Vec<&str> = Stream::ALL.iter().map(|s| s.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Stream::ALL.len());
    }
}
