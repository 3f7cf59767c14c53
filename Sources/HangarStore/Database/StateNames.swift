import HangarCore

/// The one place state names reach SQL: from the enums' raw values, never typed out in a query.
/// The raw values are fixed words (`queued`, `timed-out`), so quoting them is safe.
extension RawRepresentable where RawValue == String {
    /// `'queued'`.
    var sql: String { "'\(rawValue)'" }
}

extension Sequence where Element: RawRepresentable, Element.RawValue == String {
    /// `('failed', 'error', 'timed-out')`.
    var sqlList: String { "(" + map(\.sql).joined(separator: ", ") + ")" }
}
