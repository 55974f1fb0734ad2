/// A UTC instant with one-second resolution, written as `2026-11-21T23:52:48Z`.
///
/// The state file is read by people and diffed by git, so instants are written in one fixed,
/// sortable form. Formatting is done here by calendar arithmetic rather than through a date
/// formatter: it is pure, locale-free and fast enough to run for every entity of a large state.
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var seconds: Int64

    public init(seconds: Int64) { self.seconds = seconds }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.seconds < rhs.seconds }

    /// The first and last instants the four-digit form can write: 0000-01-01T00:00:00Z and
    /// 9999-12-31T23:59:59Z. Every time the tool computes stays within them, so every value it
    /// writes is one it can read back.
    public static let earliest = Timestamp(seconds: -62_167_219_200)
    public static let latest = Timestamp(seconds: 253_402_300_799)

    /// Whether the four-digit form can express this instant.
    public var isWritable: Bool { self >= Self.earliest && self <= Self.latest }

    /// This instant moved by `delta` seconds, held within ``earliest`` ... ``latest`` (a lease
    /// of a billion years ends at the last writable second, it does not overflow).
    public func adding(seconds delta: Int64) -> Timestamp {
        let (sum, overflow) = seconds.addingReportingOverflow(delta)
        if overflow { return delta > 0 ? Self.latest : Self.earliest }
        return Timestamp(seconds: Swift.min(Swift.max(sum, Self.earliest.seconds), Self.latest.seconds))
    }

    public var description: String { iso8601 }

    /// `YYYY-MM-DDTHH:MM:SSZ`.
    public var iso8601: String {
        let days = floorDiv(seconds, 86_400)
        let secs = seconds - days * 86_400
        let (y, m, d) = Self.civil(fromDays: days)
        return
            "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secs / 3600, 2)):\(pad(secs / 60 % 60, 2)):\(pad(secs % 60, 2))Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SSZ` (also accepting fractional seconds and `+00:00`, which
    /// other tools write); returns nil for anything else.
    public init?(iso8601 text: String) {
        let b = Array(text.utf8)
        guard b.count >= 20, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54 || b[10] == 0x20,
            b[13] == 0x3A, b[16] == 0x3A
        else { return nil }
        func num(_ r: Range<Int>) -> Int64? {
            var v: Int64 = 0
            for i in r {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                v = v * 10 + Int64(b[i] - 0x30)
            }
            return v
        }
        guard let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13),
            let mi = num(14..<16), let s = num(17..<19), (1...12).contains(mo), (1...31).contains(d),
            h < 24, mi < 60, s < 60
        else { return nil }
        var rest = b[19...]
        if rest.first == 0x2E {  // fractional seconds are dropped
            rest = rest.dropFirst()
            while let c = rest.first, c >= 0x30, c <= 0x39 { rest = rest.dropFirst() }
        }
        guard Array(rest) == Array("Z".utf8) || Array(rest) == Array("+00:00".utf8) else { return nil }
        let days = Self.days(fromCivil: y, mo, d)
        // Reject days past the month's end (2026-02-31) rather than rolling over.
        guard Self.civil(fromDays: days) == (y, mo, d) else { return nil }
        self.seconds = days * 86_400 + h * 3600 + mi * 60 + s
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let t = Timestamp(iso8601: text) else {
            throw DecodingError.dataCorruptedError(
                in: c, debugDescription: "'\(text)' is not a UTC time like 2026-01-31T12:00:00Z")
        }
        self = t
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        guard isWritable else {
            throw EncodingError.invalidValue(
                self, .init(codingPath: encoder.codingPath, debugDescription: "time outside years 0000-9999"))
        }
        try c.encode(iso8601)
    }

    // Howard Hinnant's days_from_civil / civil_from_days.
    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d)
    }
}

private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

private func pad(_ v: Int64, _ width: Int) -> String {
    let s = String(v)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}
