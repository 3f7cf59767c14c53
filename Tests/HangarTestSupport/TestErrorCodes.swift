public import HangarCore

/// Codes only the tests give.
extension HangarError.Code {
    public static let testBurst = Self(rawValue: "test.burst")
    public static let testCall = Self(rawValue: "test.call")
    public static let testFetch = Self(rawValue: "test.fetch")
    public static let testGate = Self(rawValue: "test.gate")
    public static let testNetns = Self(rawValue: "test.netns")
    public static let testObs = Self(rawValue: "test.obs")
    public static let testPostgres = Self(rawValue: "test.postgres")
    public static let testRabbitmq = Self(rawValue: "test.rabbitmq")
    public static let testSink = Self(rawValue: "test.sink")
    public static let testTimeout = Self(rawValue: "test.timeout")
}
