import Foundation

/// The one JSON tokenizer of the state file's bytes, and the decoder of whole state files over
/// it.
///
/// ``TapeParser`` reads a document strictly as RFC 8259 has it (no trailing comma, no comment,
/// no leading zero, no control character or invalid UTF-8 in a string: what Foundation's lenient
/// reader would let through) onto a flat tape of values with their byte offsets, and names the
/// first place that is not JSON. Everything that reads the file's JSON stands on it: decoding
/// (``TapeDecoder``, and ``StateCodec/decode(_:allowingDuplicates:)`` which reports its syntax
/// errors and conflict markers), the repeated keys and the lines of paths (``JSONScanner``).
///
/// The decoder runs the types' own `Decodable` conformances over the tape, so it cannot drift from
/// them. It takes only what it decodes exactly as Foundation's `JSONDecoder` would: object keys
/// of printable ASCII without escapes, none twice in one object; integers without fraction,
/// exponent or `-0` that fit in 64 bits. A valid document outside that is "declined" and the
/// caller decodes it with Foundation (its syntax checked here first); `TapeDecoderTests` hold the
/// two equal over generated states, hand-edited variants and random byte edits.
public enum TapeDecoder {
    /// The value, or nil when the document is not JSON or this decoder does not take it (the
    /// caller decodes it with Foundation). A value also means no object in the document repeats a
    /// key.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) -> T? {
        guard case .decoded(let v) = read(type, from: bytes) else { return nil }
        return v
    }

    /// What reading `bytes` as a `T` came to.
    enum Outcome<T> {
        case decoded(T)
        /// Valid JSON this decoder does not take exactly as Foundation would (or that does not
        /// decode as a `T`): left to Foundation.
        case declined
        /// Not JSON: the byte offset of the first problem, and what it is.
        case syntaxError(offset: Int, reason: String)
    }

    static func read<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) -> Outcome<T> {
        guard bytes.count < Int(UInt32.max) else { return .declined }
        return bytes.withUnsafeBufferPointer { buffer -> Outcome<T> in
            var parser = TapeParser(buffer)
            guard parser.parseDocument() else {
                return .syntaxError(offset: parser.failure?.offset ?? 0, reason: parser.failure?.reason ?? "not JSON")
            }
            guard !parser.declined else { return .declined }
            let tape = Tape(bytes: buffer, entries: parser.entries)
            guard let v = try? T(from: TapeValueDecoder(tape: tape, at: 0)) else { return .declined }
            return .decoded(v)
        }
    }
}

/// One JSON value on the tape. A container is followed by its members (key, value, key, value,
/// …) or elements; `next` is the entry after the whole value.
struct TapeEntry {
    enum Kind: UInt8 {
        /// `number` is any number that is not an integer the decoder takes (a fraction, an
        /// exponent, `-0`, beyond 64 bits): its text is `length` bytes at `payload`.
        case null, bool, int, number, string, array, object
    }
    /// The integer, the boolean (0 or 1), a string's first byte (after the quote) or a number's.
    var payload: Int64
    /// A string's length in bytes (as written, escapes included); a number's; a container's
    /// member count.
    var length: UInt32
    var next: UInt32
    /// Where the value starts in the bytes (its first byte: a quote, a brace, a digit).
    var offset: UInt32
    var kind: Kind
    /// The string has backslash escapes.
    var escaped: Bool
}

/// The tape and the bytes it points into, valid while the decode runs.
final class Tape {
    let bytes: UnsafeBufferPointer<UInt8>
    let entries: [TapeEntry]

    init(bytes: UnsafeBufferPointer<UInt8>, entries: [TapeEntry]) {
        self.bytes = bytes
        self.entries = entries
    }

    func string(_ e: TapeEntry) -> String {
        let start = Int(e.payload)
        let raw = UnsafeBufferPointer(rebasing: bytes[start..<(start + Int(e.length))])
        guard e.escaped else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            let c = raw[i]
            guard c == 0x5C else {
                out.append(c)
                i += 1
                continue
            }
            let e = raw[i + 1]
            i += 2
            switch e {
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                var scalar = TapeParser.hex4(raw, i)
                i += 4
                if scalar >= 0xD800, scalar < 0xDC00 {  // the parser checked the low half follows
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (TapeParser.hex4(raw, i + 2) - 0xDC00)
                    i += 6
                }
                if let s = Unicode.Scalar(scalar), let encoded = UTF8.encode(s) { out.append(contentsOf: encoded) }
            default: out.append(e)  // " \ /
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether the key at `entry` is `key` (keys are ASCII without escapes: bytes decide).
    func keyEquals(_ entry: Int, _ key: String) -> Bool {
        let e = entries[entry]
        var key = key
        return key.withUTF8 { k in
            guard k.count == Int(e.length) else { return false }
            guard let base = bytes.baseAddress, let kb = k.baseAddress else { return k.isEmpty }
            return memcmp(base + Int(e.payload), kb, k.count) == 0
        }
    }
}

/// Parses a document onto the tape, strictly (RFC 8259), noting the first place that is not JSON
/// (``failure``) and whether the document is outside what ``TapeDecoder`` takes (``declined``).
struct TapeParser {
    let p: UnsafeBufferPointer<UInt8>
    var i = 0
    var entries: [TapeEntry] = []
    /// Where and why the document is not JSON.
    var failure: (offset: Int, reason: String)?
    /// Valid JSON the decoder leaves to Foundation: an escaped or non-ASCII key, a number that is
    /// not a plain 64-bit integer, a key twice in one object.
    var declined = false
    /// Each key that repeats in its object: the entry of its first occurrence and of this one.
    var duplicates: [(first: Int, again: Int)] = []

    init(_ p: UnsafeBufferPointer<UInt8>) {
        self.p = p
        entries.reserveCapacity(p.count / 16)
    }

    mutating func fail(_ reason: String, at offset: Int? = nil) -> Bool {
        if failure == nil { failure = (offset ?? i, reason) }
        return false
    }

    mutating func parseDocument() -> Bool {
        // A byte-order mark some editors add: not part of the document (Foundation's reading of
        // such a file is the reference).
        if p.count >= 3, p[0] == 0xEF, p[1] == 0xBB, p[2] == 0xBF {
            i = 3
            declined = true
        }
        skipSpace()
        guard i < p.count else { return fail("the file is empty") }
        guard value(depth: 0) else { return false }
        skipSpace()
        return i == p.count ? true : fail("unexpected text after the document")
    }

    mutating func skipSpace() {
        while i < p.count {
            let c = p[i]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            i += 1
        }
    }

    /// What the byte at `i` is, for a message.
    func found() -> String {
        guard i < p.count else { return "the end of the file" }
        let c = p[i]
        if c >= 0x21 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        return String(format: "byte 0x%02X", c)
    }

    mutating func append(
        _ kind: TapeEntry.Kind, payload: Int64, length: UInt32 = 0, at offset: Int, escaped: Bool = false
    ) {
        entries.append(
            TapeEntry(
                payload: payload, length: length, next: UInt32(entries.count + 1), offset: UInt32(offset),
                kind: kind, escaped: escaped))
    }

    mutating func value(depth: Int) -> Bool {
        guard i < p.count else { return fail("a value is missing before the end of the file") }
        guard depth < 256 else { return fail("nested more than 256 levels deep") }
        switch p[i] {
        case 0x7B: return object(depth: depth)
        case 0x5B: return array(depth: depth)
        case 0x22: return string(key: false)
        case 0x74: return literal([0x74, 0x72, 0x75, 0x65], .bool, 1)
        case 0x66: return literal([0x66, 0x61, 0x6C, 0x73, 0x65], .bool, 0)
        case 0x6E: return literal([0x6E, 0x75, 0x6C, 0x6C], .null, 0)
        case 0x2D, 0x30...0x39: return number()
        default: return fail("expected a value, found \(found())")
        }
    }

    mutating func literal(_ word: [UInt8], _ kind: TapeEntry.Kind, _ payload: Int64) -> Bool {
        let start = i
        guard p.count - i >= word.count else { return fail("expected a value, found \(found())") }
        for (k, b) in word.enumerated() where p[i + k] != b { return fail("expected a value, found \(found())") }
        i += word.count
        append(kind, payload: payload, at: start)
        return true
    }

    mutating func digits() -> Int {
        let start = i
        while i < p.count, p[i] >= 0x30, p[i] <= 0x39 { i += 1 }
        return i - start
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    mutating func number() -> Bool {
        let start = i
        var negative = false
        if p[i] == 0x2D {
            negative = true
            i += 1
        }
        guard i < p.count, p[i] >= 0x30, p[i] <= 0x39 else { return fail("a number needs a digit after '-'") }
        var magnitude: Int64 = 0
        var fits = true
        if p[i] == 0x30 {
            i += 1
            if i < p.count, p[i] >= 0x30, p[i] <= 0x39 { return fail("a number must not start with 0", at: start) }
        } else {
            while i < p.count, p[i] >= 0x30, p[i] <= 0x39 {
                let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int64(p[i] - 0x30))
                if o1 || o2 { fits = false }
                magnitude = s
                i += 1
            }
        }
        var plain = fits
        if i < p.count, p[i] == 0x2E {
            i += 1
            guard digits() > 0 else { return fail("a number needs a digit after '.'") }
            plain = false
        }
        if i < p.count, p[i] == 0x65 || p[i] == 0x45 {
            i += 1
            if i < p.count, p[i] == 0x2B || p[i] == 0x2D { i += 1 }
            guard digits() > 0 else { return fail("a number needs a digit in its exponent") }
            plain = false
        }
        if negative && magnitude == 0 { plain = false }
        if plain {
            append(.int, payload: negative ? -magnitude : magnitude, at: start)
        } else {
            // Foundation's reading of the number is the reference.
            declined = true
            append(.number, payload: Int64(start), length: UInt32(i - start), at: start)
        }
        return true
    }

    static func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case 0x30...0x39: return UInt32(c - 0x30)
        case 0x41...0x46: return UInt32(c - 0x41 + 10)
        case 0x61...0x66: return UInt32(c - 0x61 + 10)
        default: return nil
        }
    }

    /// The four hex digits at `at` (the parser has checked them).
    static func hex4(_ b: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 { v = v << 4 | (hexValue(b[at + k]) ?? 0) }
        return v
    }

    /// Four hex digits at `at`, or nil.
    func hex4(at: Int) -> UInt32? {
        guard p.count - at >= 4 else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 {
            guard let d = Self.hexValue(p[at + k]) else { return nil }
            v = v << 4 | d
        }
        return v
    }

    /// A string at its opening quote. A key with escapes or outside printable ASCII is valid,
    /// and declined.
    mutating func string(key: Bool) -> Bool {
        let quote = i
        i += 1
        let start = i
        var escaped = false
        var ascii = true
        while true {
            guard i < p.count else { return fail("a string is not closed", at: quote) }
            let c = p[i]
            if c == 0x22 { break }
            if c < 0x20 {
                return fail("a control character (byte 0x\(String(c, radix: 16))) in a string; write it as an escape")
            }
            if c == 0x5C {
                escaped = true
                guard i + 1 < p.count else { return fail("a string is not closed", at: quote) }
                switch p[i + 1] {
                case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74: i += 2
                case 0x75:
                    guard let u = hex4(at: i + 2) else { return fail("\\u needs four hex digits") }
                    // A lone surrogate is valid JSON text but no string: Foundation refuses it.
                    if u >= 0xDC00 && u < 0xE000 { return fail("a \\u escape holds half of a character") }
                    i += 6
                    if u >= 0xD800 && u < 0xDC00 {
                        guard p.count - i >= 6, p[i] == 0x5C, p[i + 1] == 0x75, let low = hex4(at: i + 2),
                            low >= 0xDC00, low < 0xE000
                        else { return fail("a \\u escape holds half of a character") }
                        i += 6
                    }
                default: return fail("an unknown escape in a string")
                }
                continue
            }
            if c >= 0x80 { ascii = false }
            i += 1
        }
        let end = i
        i += 1
        if !ascii && !Self.validUTF8(UnsafeBufferPointer(rebasing: p[start..<end])) {
            return fail("a string is not valid UTF-8", at: quote)
        }
        if key && (escaped || !ascii) { declined = true }
        append(.string, payload: Int64(start), length: UInt32(end - start), at: quote, escaped: escaped)
        return true
    }

    /// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past U+10FFFF.
    static func validUTF8(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        while i < b.count {
            let c = b[i]
            if c < 0x80 {
                i += 1
                continue
            }
            func cont(_ k: Int) -> Bool { i + k < b.count && b[i + k] & 0xC0 == 0x80 }
            switch c {
            case 0xC2...0xDF:
                guard cont(1) else { return false }
                i += 2
            case 0xE0...0xEF:
                guard cont(1), cont(2) else { return false }
                let c1 = b[i + 1]
                if c == 0xE0 && c1 < 0xA0 { return false }
                if c == 0xED && c1 >= 0xA0 { return false }
                i += 3
            case 0xF0...0xF4:
                guard cont(1), cont(2), cont(3) else { return false }
                let c1 = b[i + 1]
                if c == 0xF0 && c1 < 0x90 { return false }
                if c == 0xF4 && c1 >= 0x90 { return false }
                i += 4
            default: return false
            }
        }
        return true
    }

    mutating func array(depth: Int) -> Bool {
        let at = entries.count
        append(.array, payload: 0, at: i)
        i += 1
        skipSpace()
        var count: UInt32 = 0
        if i < p.count, p[i] == 0x5D {
            i += 1
        } else {
            while true {
                guard value(depth: depth + 1) else { return false }
                count += 1
                skipSpace()
                guard i < p.count else { return fail("an array is not closed") }
                if p[i] == 0x2C {
                    let comma = i
                    i += 1
                    skipSpace()
                    if i < p.count, p[i] == 0x5D {
                        return fail("a comma before ']' (a trailing comma is not JSON)", at: comma)
                    }
                    continue
                }
                guard p[i] == 0x5D else { return fail("expected ',' or ']' in an array, found \(found())") }
                i += 1
                break
            }
        }
        entries[at].length = count
        entries[at].next = UInt32(entries.count)
        return true
    }

    mutating func object(depth: Int) -> Bool {
        let at = entries.count
        append(.object, payload: 0, at: i)
        i += 1
        skipSpace()
        var count: UInt32 = 0
        // Keys in increasing byte order (as this tool writes them) cannot repeat; otherwise a set
        // of the keys decides.
        var previous: (start: Int, length: Int)?
        var sorted = true
        if i < p.count, p[i] == 0x7D {
            i += 1
        } else {
            while true {
                guard i < p.count, p[i] == 0x22 else { return fail("expected a key in quotes, found \(found())") }
                guard string(key: true) else { return false }
                let key = entries[entries.count - 1]
                let current = (start: Int(key.payload), length: Int(key.length))
                if sorted, let prev = previous, !less(prev, current) { sorted = false }
                previous = current
                skipSpace()
                guard i < p.count, p[i] == 0x3A else { return fail("expected ':' after a key, found \(found())") }
                i += 1
                skipSpace()
                guard value(depth: depth + 1) else { return false }
                count += 1
                skipSpace()
                guard i < p.count else { return fail("an object is not closed") }
                if p[i] == 0x2C {
                    let comma = i
                    i += 1
                    skipSpace()
                    if i < p.count, p[i] == 0x7D {
                        return fail("a comma before '}' (a trailing comma is not JSON)", at: comma)
                    }
                    continue
                }
                guard p[i] == 0x7D else { return fail("expected ',' or '}' in an object, found \(found())") }
                i += 1
                break
            }
        }
        entries[at].length = count
        entries[at].next = UInt32(entries.count)
        if !sorted {
            var seen: [ArraySlice<UInt8>: Int] = [:]
            var k = at + 1
            for _ in 0..<count {
                let e = entries[k]
                let start = Int(e.payload)
                let name = ArraySlice(p[start..<(start + Int(e.length))])
                if let first = seen[name] {
                    duplicates.append((first, k))
                    declined = true
                } else {
                    seen[name] = k
                }
                k = Int(entries[k + 1].next)
            }
        }
        return true
    }

    func less(_ a: (start: Int, length: Int), _ b: (start: Int, length: Int)) -> Bool {
        guard let base = p.baseAddress else { return false }
        let n = min(a.length, b.length)
        let r = n == 0 ? 0 : memcmp(base + a.start, base + b.start, n)
        return r < 0 || (r == 0 && a.length < b.length)
    }
}

/// Any failure: the caller falls back to Foundation, which produces the real error.
struct TapeMismatch: Error {}

/// Types Foundation's `JSONDecoder` decodes by its own strategies, not their conformances.
private func decodedByStrategy(_ type: Any.Type) -> Bool {
    type == Date.self || type == Data.self || type == URL.self || type == Decimal.self
}

struct TapeValueDecoder: Decoder {
    let tape: Tape
    let at: Int

    init(tape: Tape, at: Int) {
        self.tape = tape
        self.at = at
    }

    var codingPath: [CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard tape.entries[at].kind == .object else { throw TapeMismatch() }
        return KeyedDecodingContainer(TapeKeyedContainer<Key>(tape: tape, object: at))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard tape.entries[at].kind == .array else { throw TapeMismatch() }
        return TapeUnkeyedContainer(tape: tape, array: at)
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer { TapeSingleValue(tape: tape, at: at) }
}

/// The primitives, strictly: no conversion Foundation would not make.
extension Tape {
    func decodeString(_ at: Int) throws -> String {
        let e = entries[at]
        guard e.kind == .string else { throw TapeMismatch() }
        return string(e)
    }

    func decodeBool(_ at: Int) throws -> Bool {
        let e = entries[at]
        guard e.kind == .bool else { throw TapeMismatch() }
        return e.payload == 1
    }

    func decodeInteger<I: FixedWidthInteger>(_ type: I.Type, _ at: Int) throws -> I {
        let e = entries[at]
        guard e.kind == .int, let v = I(exactly: e.payload) else { throw TapeMismatch() }
        return v
    }

    /// An integer literal as a Double, rounded as Foundation's parse rounds it (to nearest).
    func decodeDouble(_ at: Int) throws -> Double {
        let e = entries[at]
        guard e.kind == .int else { throw TapeMismatch() }
        return Double(e.payload)
    }

    /// Any other type through its conformance; Foundation's strategy types are left to it.
    func decodeValue<T: Decodable>(_ type: T.Type, _ at: Int) throws -> T {
        if decodedByStrategy(type) { throw TapeMismatch() }
        return try T(from: TapeValueDecoder(tape: self, at: at))
    }
}

struct TapeKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let tape: Tape
    let object: Int
    /// Where the last lookup matched: members are looked up mostly in order (a dictionary's keys)
    /// and the same one several times in a row (`decodeIfPresent` asks `contains`, `decodeNil`,
    /// `decode`), so the search starts there and wraps around.
    private let cursor = Cursor()

    final class Cursor {
        var member = 0
        var entry = -1
    }

    init(tape: Tape, object: Int) {
        self.tape = tape
        self.object = object
    }

    var codingPath: [CodingKey] { [] }

    var allKeys: [Key] {
        var out: [Key] = []
        let count = Int(tape.entries[object].length)
        out.reserveCapacity(count)
        var k = object + 1
        for _ in 0..<count {
            if let key = Key(stringValue: tape.string(tape.entries[k])) { out.append(key) }
            k = Int(tape.entries[k + 1].next)
        }
        return out
    }

    /// The tape index of the value under `key`, or nil.
    func valueIndex(_ key: Key) -> Int? {
        let count = Int(tape.entries[object].length)
        guard count > 0 else { return nil }
        let name = key.stringValue
        var member = cursor.member
        var k = cursor.entry < 0 ? object + 1 : cursor.entry
        for _ in 0..<count {
            if member == count {
                member = 0
                k = object + 1
            }
            if tape.keyEquals(k, name) {
                cursor.member = member
                cursor.entry = k
                return k + 1
            }
            member += 1
            k = Int(tape.entries[k + 1].next)
        }
        return nil
    }

    func contains(_ key: Key) -> Bool { valueIndex(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let v = valueIndex(key) else { throw TapeMismatch() }
        return tape.entries[v].kind == .null
    }

    private func at(_ key: Key) throws -> Int {
        guard let v = valueIndex(key) else { throw TapeMismatch() }
        return v
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try tape.decodeBool(at(key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try tape.decodeString(at(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try tape.decodeDouble(at(key)) }
    // Foundation parses a Float on its own: left to it.
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { throw TapeMismatch() }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try tape.decodeInteger(type, at(key)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try tape.decodeInteger(type, at(key)) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try tape.decodeInteger(type, at(key)) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try tape.decodeInteger(type, at(key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try tape.decodeInteger(type, at(key)) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try tape.decodeInteger(type, at(key)) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try tape.decodeInteger(type, at(key)) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try tape.decodeInteger(type, at(key)) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try tape.decodeInteger(type, at(key)) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try tape.decodeInteger(type, at(key)) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try tape.decodeValue(type, at(key)) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        guard let v = valueIndex(key) else { throw TapeMismatch() }
        return try TapeValueDecoder(tape: tape, at: v).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
        guard let v = valueIndex(key) else { throw TapeMismatch() }
        return try TapeValueDecoder(tape: tape, at: v).unkeyedContainer()
    }

    // Foundation's super decoder for a missing key decodes null; this decoder leaves both to it.
    func superDecoder() throws -> Decoder { throw TapeMismatch() }
    func superDecoder(forKey key: Key) throws -> Decoder { throw TapeMismatch() }
}

struct TapeUnkeyedContainer: UnkeyedDecodingContainer {
    let tape: Tape
    let array: Int
    private var position: Int
    private(set) var currentIndex = 0

    init(tape: Tape, array: Int) {
        self.tape = tape
        self.array = array
        position = array + 1
    }

    var codingPath: [CodingKey] { [] }
    var count: Int? { Int(tape.entries[array].length) }
    var isAtEnd: Bool { currentIndex >= Int(tape.entries[array].length) }

    /// The element to decode next; a failed decode does not move past it (as in Foundation).
    private func current() throws -> Int {
        guard !isAtEnd else { throw TapeMismatch() }
        return position
    }

    /// Moves past the element just decoded.
    private mutating func step<V>(_ value: V) -> V {
        position = Int(tape.entries[position].next)
        currentIndex += 1
        return value
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { throw TapeMismatch() }
        guard tape.entries[position].kind == .null else { return false }
        return step(true)
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try step(tape.decodeBool(current())) }
    mutating func decode(_ type: String.Type) throws -> String { try step(tape.decodeString(current())) }
    mutating func decode(_ type: Double.Type) throws -> Double { try step(tape.decodeDouble(current())) }
    mutating func decode(_ type: Float.Type) throws -> Float { throw TapeMismatch() }
    mutating func decode(_ type: Int.Type) throws -> Int { try step(tape.decodeInteger(type, current())) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try step(tape.decodeInteger(type, current())) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try step(tape.decodeInteger(type, current())) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try step(tape.decodeInteger(type, current())) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try step(tape.decodeInteger(type, current())) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try step(tape.decodeInteger(type, current())) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try step(tape.decodeInteger(type, current())) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try step(tape.decodeInteger(type, current())) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try step(tape.decodeInteger(type, current())) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try step(tape.decodeInteger(type, current())) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try step(tape.decodeValue(type, current())) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        guard !isAtEnd else { throw TapeMismatch() }
        return step(try TapeValueDecoder(tape: tape, at: current()).container(keyedBy: type))
    }

    mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard !isAtEnd else { throw TapeMismatch() }
        return step(try TapeValueDecoder(tape: tape, at: current()).unkeyedContainer())
    }

    mutating func superDecoder() throws -> Decoder { throw TapeMismatch() }
}

struct TapeSingleValue: SingleValueDecodingContainer {
    let tape: Tape
    let at: Int
    var codingPath: [CodingKey] { [] }
    func decodeNil() -> Bool { tape.entries[at].kind == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try tape.decodeBool(at) }
    func decode(_ type: String.Type) throws -> String { try tape.decodeString(at) }
    func decode(_ type: Double.Type) throws -> Double { try tape.decodeDouble(at) }
    func decode(_ type: Float.Type) throws -> Float { throw TapeMismatch() }
    func decode(_ type: Int.Type) throws -> Int { try tape.decodeInteger(type, at) }
    func decode(_ type: Int8.Type) throws -> Int8 { try tape.decodeInteger(type, at) }
    func decode(_ type: Int16.Type) throws -> Int16 { try tape.decodeInteger(type, at) }
    func decode(_ type: Int32.Type) throws -> Int32 { try tape.decodeInteger(type, at) }
    func decode(_ type: Int64.Type) throws -> Int64 { try tape.decodeInteger(type, at) }
    func decode(_ type: UInt.Type) throws -> UInt { try tape.decodeInteger(type, at) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try tape.decodeInteger(type, at) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try tape.decodeInteger(type, at) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try tape.decodeInteger(type, at) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try tape.decodeInteger(type, at) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try tape.decodeValue(type, at) }
}
