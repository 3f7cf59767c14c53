public import Foundation

/// A five-field cron schedule (`minute hour day-of-month month day-of-week`) in a time zone.
///
/// Fields take `*`, numbers, lists (`1,15`), ranges (`1-5`) and steps (`*/10`, `0-30/5`); day of
/// week 0 or 7 is Sunday. As in cron, when both day fields are restricted a day matching either runs.
public struct CronSchedule: Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public let timeZone: TimeZone
    private let minutes: Set<Int>
    private let hours: Set<Int>
    private let days: Set<Int>
    private let months: Set<Int>
    private let weekdays: Set<Int>
    private let anyDay: Bool
    private let anyWeekday: Bool

    /// Parses `expression` for the time zone `zone` (an IANA name such as `Europe/Berlin`).
    public init(_ expression: String, timeZone zone: String = "UTC") throws(HangarError) {
        guard let timeZone = TimeZone(identifier: zone) else {
            throw .usage(.cronTimezone, "unknown time zone '\(zone)'", hint: "use an IANA name such as UTC or Europe/Berlin")
        }
        let fields = expression.split(separator: " ").map(String.init)
        guard fields.count == 5 else {
            throw .usage(
                .cronFields,
                "cron schedule '\(expression)' has \(fields.count) fields, not 5",
                hint: "minute hour day-of-month month day-of-week, such as '0 3 * * *' for 03:00 every day"
            )
        }
        description = expression
        self.timeZone = timeZone
        minutes = try Self.field(fields[0], 0...59, "minute")
        hours = try Self.field(fields[1], 0...23, "hour")
        days = try Self.field(fields[2], 1...31, "day of month")
        months = try Self.field(fields[3], 1...12, "month")
        weekdays = Set(try Self.field(fields[4], 0...7, "day of week").map { $0 % 7 })
        anyDay = fields[2] == "*"
        anyWeekday = fields[4] == "*"
    }

    /// The first time after `date` (exclusive, whole minutes) the schedule fires; nil if none within 5 years.
    public func next(after date: Date) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var time = Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60)
        let end = date.addingTimeInterval(5 * 366 * 86400)
        while time < end {
            let parts = calendar.dateComponents([.month, .day, .weekday, .hour, .minute], from: time)
            guard let month = parts.month, let day = parts.day, let weekday = parts.weekday, let hour = parts.hour, let minute = parts.minute else {
                return nil
            }
            let dayMatches =
                anyDay && anyWeekday
                ? true
                : anyDay
                    ? weekdays.contains(weekday - 1)
                    : anyWeekday
                        ? days.contains(day)
                        : days.contains(day) || weekdays.contains(weekday - 1)
            if !months.contains(month) || !dayMatches {
                time = calendar.startOfDay(for: time).addingTimeInterval(86400 + 3600)
                time = calendar.startOfDay(for: time)
            } else if !hours.contains(hour) {
                time = time.addingTimeInterval(Double(60 - minute) * 60)
            } else if !minutes.contains(minute) {
                time = time.addingTimeInterval(60)
            } else {
                return time
            }
        }
        return nil
    }

    private static func field(_ text: String, _ range: ClosedRange<Int>, _ name: String) throws(HangarError) -> Set<Int> {
        var values = Set<Int>()
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: "/", maxSplits: 1)
            let step = pieces.count == 2 ? Int(pieces[1]) : 1
            var bounds: ClosedRange<Int>?
            if pieces[0] == "*" {
                bounds = range
            } else if let dash = pieces[0].firstIndex(of: "-"), let low = Int(pieces[0][..<dash]),
                let high = Int(pieces[0][pieces[0].index(after: dash)...]), low <= high
            {
                bounds = low...high
            } else if let single = Int(pieces[0]) {
                bounds = single...(pieces.count == 2 ? range.upperBound : single)
            }
            guard let bounds, let step, step > 0, range.contains(bounds.lowerBound), range.contains(bounds.upperBound) else {
                throw .usage(
                    .cronField,
                    "cron \(name) field '\(text)' is not valid here (\(range.lowerBound)-\(range.upperBound))",
                    hint: "use *, a number, a list (1,15), a range (1-5) or a step (*/10)"
                )
            }
            values.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return values
    }
}
