extension API {
    /// What a draft signature would match over the runs of the last 14 days that ended.
    public struct DryRun: Documented, Equatable {
        /// The failed runs it would explain, and the passing runs it matches (a good signature matches almost none).
        public var matchedFailed: [Int]
        public var matchedPassed: [Int]
        /// How many runs of each kind it was tried on.
        public var checkedFailed: Int
        public var checkedPassed: Int

        public init(matchedFailed: [Int], matchedPassed: [Int], checkedFailed: Int, checkedPassed: Int) {
            self.matchedFailed = matchedFailed
            self.matchedPassed = matchedPassed
            self.checkedFailed = checkedFailed
            self.checkedPassed = checkedPassed
        }

        public static let schema = Schema.object(
            [
                "matchedFailed": .array(.integer(Limits.ids)), "matchedPassed": .array(.integer(Limits.ids)),
                "checkedFailed": .integer(0...Limits.largestNumber), "checkedPassed": .integer(0...Limits.largestNumber),
            ],
            required: ["matchedFailed", "matchedPassed", "checkedFailed", "checkedPassed"]
        )
    }
}
