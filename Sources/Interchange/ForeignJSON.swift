import Foundation
import StateModel

/// Reading what other tools wrote: JSON values, times with offsets, UTF-8 that may be broken.
public enum ForeignJSON {
    /// Parses one JSON document. Throws a one-line reason.
    public static func parse(_ bytes: ArraySlice<UInt8>) throws -> JSONValue {
        let array = Array(bytes)
        if let v = TapeDecoder.decode(JSONValue.self, from: array) { return v }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(array))
        } catch let DecodingError.dataCorrupted(context) {
            throw Problem(Self.reason(context.underlyingError) ?? context.debugDescription)
        } catch {
            throw Problem("\(error)")
        }
    }

    struct Problem: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    static func reason(_ error: Error?) -> String? {
        guard let error else { return nil }
        let text = "\(error)"
        return text.isEmpty ? nil : text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// The offset of the first byte that is not part of valid UTF-8, or nil when all are.
    public static func firstInvalidUTF8(_ bytes: ArraySlice<UInt8>) -> Int? {
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b < 0x80 {
                i += 1
                continue
            }
            let need: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch b {
            case 0xC2...0xDF: need = 1
            case 0xE0:
                need = 2
                lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: need = 2
            case 0xED:
                need = 2
                upper = 0x9F
            case 0xF0:
                need = 3
                lower = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4:
                need = 3
                upper = 0x8F
            default: return i - bytes.startIndex
            }
            for k in 1...need {
                guard i + k < bytes.endIndex else { return i - bytes.startIndex }
                let c = bytes[i + k]
                let lo: UInt8 = k == 1 ? lower : 0x80
                let hi: UInt8 = k == 1 ? upper : 0xBF
                guard c >= lo, c <= hi else { return i - bytes.startIndex }
            }
            i += need + 1
        }
        return nil
    }

    /// Parses the times trackers write: `2026-01-11T10:33:47.827185-08:00`, `…Z`, `…+00:00`, or a
    /// date alone (`2026-03-01`, midnight UTC). Fractions of a second are dropped.
    public static func time(_ text: String) -> Timestamp? {
        let b = Array(text.utf8)
        if b.count == 10, let t = Timestamp(iso8601: text + "T00:00:00Z") { return t }
        guard b.count >= 19, let base = Timestamp(iso8601: String(decoding: b[0..<19], as: UTF8.self) + "Z") else {
            return nil
        }
        var rest = b[19...]
        if rest.first == 0x2E {
            rest = rest.dropFirst()
            guard let c = rest.first, c >= 0x30, c <= 0x39 else { return nil }
            while let c = rest.first, c >= 0x30, c <= 0x39 { rest = rest.dropFirst() }
        }
        if rest == [0x5A] || rest == [0x7A] { return base }
        let r = Array(rest)
        guard r.count == 6, r[0] == 0x2B || r[0] == 0x2D, r[3] == 0x3A,
            let h = Int64(String(decoding: r[1..<3], as: UTF8.self)),
            let m = Int64(String(decoding: r[4..<6], as: UTF8.self)), h < 24, m < 60
        else { return nil }
        let offset = h * 3600 + m * 60
        // Local time minus its offset is UTC.
        return base.adding(seconds: r[0] == 0x2B ? -offset : offset)
    }

    /// The canonical JSON of a record: its digest does not change with key order or spacing.
    public static func digest(_ v: JSONValue) -> String { ContentHash.sha256(v.json(.compact)) }
}

extension JSONValue {
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var integerValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 1e15: return Int64(d)
        default: return nil
        }
    }

    public var isNull: Bool { self == .null }
}

extension StringProtocol {
    /// Without leading and trailing white space (new lines included).
    var trimmed: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
