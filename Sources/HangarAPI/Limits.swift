/// What the API refuses past a size or outside a range (400, or 413 for a body), each named in
/// the OpenAPI document and the README.
public enum Limits {
    /// The largest id or line number taken: 2^53 - 1, exact in every JSON reader, and far from
    /// overflowing when one is added.
    public static let largestNumber = 9_007_199_254_740_991
    /// Run ids, token ids: from 1.
    public static let ids = 1...largestNumber
    /// Log line numbers (`from`, `Last-Event-ID`): from 0.
    public static let lines = 0...largestNumber
    /// Runs per page of a list.
    public static let pageSize = 1...500
    /// Log lines read from the store at a time (the raw log's chunks, the log viewer's window, the
    /// classifier's pages): a log of any length in bounded memory.
    public static let logPage = 5_000
    /// A run's priority.
    public static let priority = -1000...1000
    /// Project, job and forge names in paths and filters.
    public static let nameLength = 200
    /// Parameters per trigger.
    public static let parameterCount = 100
    /// A parameter's name.
    public static let parameterNameLength = 100
    /// A parameter's value (64 KiB): larger data belongs in a file or an image URL.
    public static let parameterValueLength = 65_536
    /// A token's name.
    public static let tokenNameLength = 100
    /// An image URL (the image proxy's query).
    public static let urlLength = 4096
    /// A signature's regular expression.
    public static let patternLength = 4096
    /// An artifact's path under the run's artifacts folder.
    public static let artifactPathLength = 1024
    /// A request body of the API: 5 MiB.
    public static let bodyBytes = 5 * 1024 * 1024
    /// A webhook delivery: 25 MiB, the most GitHub sends (a push of many commits can pass 5 MiB).
    public static let webhookBytes = 25 * 1024 * 1024
    /// An artifact a worker uploads: 2 GiB.
    public static let artifactBytes = 2 * 1024 * 1024 * 1024
    /// How long a worker's claim may wait for a run, in seconds.
    public static let claimWait = 0...60
}
