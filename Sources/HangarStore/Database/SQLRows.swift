import SQLKit

extension SQLQueryString {
    /// Appends `(…), (…)`: each row's values as binds, for a multi-row `VALUES` list.
    mutating func appendRows(_ rows: [[any Encodable & Sendable]]) {
        for (index, row) in rows.enumerated() {
            appendInterpolation(unsafeRaw: index == 0 ? "(" : ", (")
            appendInterpolation(binds: row)
            appendInterpolation(unsafeRaw: ")")
        }
    }
}

extension RunStore {
    /// What a measure recorded again becomes: the new value (`saveMeasures`, `finish`).
    static let measureUpsert = "ON CONFLICT (run_id, name) DO UPDATE SET value = excluded.value, unit = excluded.unit"
}
