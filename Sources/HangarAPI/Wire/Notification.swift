public import HangarCore

extension API {
    /// A message a run's end sent (or is sending) to a project's `notify:` webhook or e-mail address.
    public struct Notification: Documented, Equatable {
        /// `webhook` or `email`.
        public var channel: String
        /// The webhook's URL or the address.
        public var target: String
        public var subject: String
        /// Tries so far; when it was sent (nil while it is still being tried) and the last try's error.
        public var attempts: Int
        public var sentAt: Double?
        public var lastError: String?
        /// When it is tried next, while not sent.
        public var nextAt: Double?

        public init(channel: String, target: String, subject: String, attempts: Int, sentAt: Double?, lastError: String?, nextAt: Double?) {
            self.channel = channel
            self.target = target
            self.subject = subject
            self.attempts = attempts
            self.sentAt = sentAt
            self.lastError = lastError
            self.nextAt = nextAt
        }

        public static let schema = Schema.object(
            [
                "channel": .string(choices: ["webhook", "email"]), "target": .string(), "subject": .string(),
                "attempts": .integer(0...Limits.largestNumber), "sentAt": .number, "lastError": .string(), "nextAt": .number,
            ],
            required: ["channel", "target", "subject", "attempts"]
        )
    }
}
