//! Which Event Streams family an event type belongs to, by prefix.
//!
//! A Voice team's sink carries more than the eight TwiML types: call progress, the other
//! status callbacks, REST API requests, media fetches, Debugger error logs, Studio and Voice
//! Insights. Families are matched by prefix so that a member Twilio adds later (or one this
//! build does not name) still lands in its family instead of "other".

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
        if type_name == super::event::STATUS_CALLBACK_TYPE {
            return Stream::Progress;
        }
        if type_name == super::event::TEST_EVENT_TYPE {
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

#[cfg(test)]
mod tests {
    use super::*;

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
