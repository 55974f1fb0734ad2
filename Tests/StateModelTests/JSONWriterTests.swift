import Foundation
import Testing

@testable import StateModel

/// The one JSON writer against Foundation: the same bytes as `JSONEncoder` (sorted keys, no
/// escaped slashes) for random values, and what it writes reads back as the value it wrote.
@Suite struct JSONWriterTests {
    /// Scalars that stress a writer: controls, quotes, slashes, DEL, C1, line separators, BOM,
    /// combining marks, the last BMP scalars, non-BMP (surrogate pairs in UTF-16), the maximum.
    static let tricky: [UInt32] = [
        0x00, 0x01, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1B, 0x1F, 0x20, 0x22, 0x27, 0x2F, 0x5C, 0x7F, 0x80,
        0x85, 0x9F, 0xA0, 0xE9, 0x301, 0x2028, 0x2029, 0x202E, 0xD7FF, 0xE000, 0xFEFF, 0xFFFD, 0xFFFF, 0x10000,
        0x1F600, 0x10FFFF, 0x41, 0x61, 0x5F, 0x2D, 0x31,
    ]

    static func string(_ r: inout SeededRandom) -> String {
        var s = String.UnicodeScalarView()
        for _ in 0..<r.below(8) {
            let v: UInt32 =
                switch r.below(4) {
                case 0: tricky[r.below(tricky.count)]
                case 1: UInt32(0x20 + r.below(0x5F))
                case 2: UInt32(r.below(0x11_0000))
                default: UInt32(0x61 + r.below(26))
                }
            if let u = Unicode.Scalar(v) { s.append(u) }  // nil for surrogates: not a scalar
        }
        return String(s)
    }

    static func double(_ r: inout SeededRandom) -> Double {
        switch r.below(5) {
        case 0:
            return [0, -0.0, 1, 0.1, 1e25, 1e-7, 1e15, 1e16, 5e-324, .greatestFiniteMagnitude, 123.456][r.below(11)]
        case 1: return Double(Int64(bitPattern: r.next()) >> r.below(64))
        case 2: return Double(r.below(1_000_000)) / 1000
        default:
            let d = Double(bitPattern: r.next())
            return d.isFinite ? d : 0.5
        }
    }

    static func int(_ r: inout SeededRandom) -> Int64 {
        switch r.below(3) {
        case 0: return [0, 1, -1, 9, 10, Int64.max, Int64.min][r.below(7)]
        case 1: return Int64(r.below(2000)) - 1000
        default: return Int64(bitPattern: r.next())
        }
    }

    static func value(_ r: inout SeededRandom, depth: Int = 0) -> JSONValue {
        switch r.below(depth > 3 ? 5 : 7) {
        case 0: return .null
        case 1: return .bool(r.below(2) == 0)
        case 2: return .int(int(&r))
        case 3: return .double(double(&r))
        case 4: return .string(string(&r))
        case 5: return .array((0..<r.below(5)).map { _ in value(&r, depth: depth + 1) })
        default:
            var o: [String: JSONValue] = [:]
            for _ in 0..<r.below(6) { o[string(&r)] = value(&r, depth: depth + 1) }
            return .object(o)
        }
    }

    static func foundation<T: Encodable>(_ v: T) throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try e.encode(v))
    }

    @Test func compactIsFoundationsBytes() throws {
        var r = SeededRandom(seed: 11)
        for _ in 0..<3000 {
            let v = Self.value(&r)
            let ours = v.json(.compact)
            let theirs = try Self.foundation(v)
            #expect(ours == theirs, "\(String(decoding: theirs, as: UTF8.self))")
            if ours != theirs { return }
        }
    }

    @Test func canonicalIsFoundationsBytesReindented() throws {
        var r = SeededRandom(seed: 12)
        for _ in 0..<1000 {
            let v = Self.value(&r)
            #expect(try CanonicalJSON.encode(v) == Self.reindent(try Self.foundation(v)))
        }
    }

    /// Read back by Foundation's parsers, the bytes are the value written.
    @Test func roundTripsThroughFoundation() throws {
        var r = SeededRandom(seed: 13)
        for _ in 0..<1000 {
            let v = Self.value(&r)
            for style in [JSONWriter.Style.compact, .canonical] {
                let bytes = v.json(style)
                let back = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
                #expect(Self.same(back, v))
                #expect((try? JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed)) != nil)
            }
        }
    }

    /// A lone surrogate never reaches the writer (Foundation refuses the escape; a String cannot
    /// hold one); invalid UTF-8 arrives repaired and is written as valid UTF-8; non-ASCII is
    /// never `\u`-escaped, a surrogate pair escape is read as its one scalar.
    @Test func surrogatesInvalidUTF8AndNonASCII() throws {
        #expect(throws: (any Error).self) { try JSONDecoder().decode(String.self, from: Data(#""a\ud800b""#.utf8)) }
        let pair = try JSONDecoder().decode(String.self, from: Data(#""\ud83d\ude00""#.utf8))
        #expect(JSONValue.string(pair).json() == Array("\"😀\"".utf8))
        let invalid = String(decoding: [0x61, 0xFF, 0xC3], as: UTF8.self)
        #expect(JSONValue.string(invalid).json() == Array("\"a\u{FFFD}\u{FFFD}\"".utf8))
        #expect(JSONValue.string("é😀/\u{8}\u{1f}").json() == Array(#""é😀/\b\u001f""#.utf8))
    }

    /// Any `Encodable` (the state, its entities, custom encoders with explicit nulls, nested
    /// containers) becomes the value Foundation would write.
    @Test func encoderMatchesFoundation() throws {
        struct Nested: Encodable {
            var a: String? = nil
            var b: [Int?] = [1, nil]
            func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: K.self)
                try c.encode(a, forKey: .a)
                try c.encodeIfPresent(a, forKey: .skipped)
                var n = c.nestedContainer(keyedBy: K.self, forKey: .nested)
                try n.encode(b, forKey: .b)
                var u = c.nestedUnkeyedContainer(forKey: .list)
                try u.encode(1.5)
                var inner = u.nestedContainer(keyedBy: K.self)
                try inner.encode("x", forKey: .a)
                try u.encode(UInt8(7))
                try c.encode(["z": 1, "a": 2], forKey: .b)
            }
            enum K: String, CodingKey { case a, b, skipped, nested, list }
        }
        #expect(try CanonicalJSON.encodeCompact(Nested()) == Self.foundation(Nested()))
        var f = Fixture()
        try f.add("a")
        try f.add("b", deps: ["a"], milestone: nil)
        _ = try f.state.completeTask(
            f["a"], commit: String(repeating: "1", count: 40), branch: "main", note: "n\t", ctx())
        #expect(try StateCodec.encode(f.state) == Self.reindent(try Self.foundation(f.state)))
    }

    /// The canonical state bytes are unchanged: the project's own state file (written by the
    /// previous encoder) and a generated large state re-encode to the old encoder's bytes.
    @Test func stateBytesAreUnchanged() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let file = root.appendingPathComponent(".codex-state/project_state.json")
        let bytes = Array(try Data(contentsOf: file))
        #expect(try StateCodec.encode(StateCodec.decode(bytes)) == bytes)

        var r = SeededRandom(seed: 14)
        var f = Fixture()
        // Strings a state file may hold: anything but U+0000 (Limits.StringProblem.nul).
        func text() -> String {
            var kept = String.UnicodeScalarView()
            kept.append(contentsOf: Self.string(&r).unicodeScalars.filter { $0 != "\u{0}" })
            return String(kept)
        }
        for i in 0..<2000 {
            let deps = i > 2 ? [String(i - 1 - r.below(min(i, 20)))] : []
            try f.add(String(i), deps: deps, priority: r.below(5))
            let id = f[String(i)]
            f.state.tasks[id]?.title = text() + " title \(i)"
            f.state.tasks[id]?.labels = r.below(3) == 0 ? [text()] : []
            f.state.tasks[id]?.body = r.below(2) == 0 ? text() + "\nline two" : nil
            if r.below(4) == 0 {
                _ = try f.state.completeTask(
                    id, commit: String(repeating: "ab", count: 20), branch: "b/\(i)", note: text(), ctx())
            }
        }
        let encoded = try StateCodec.encode(f.state)
        #expect(encoded == Self.reindent(try Self.foundation(f.state)))
        #expect(try StateCodec.encode(StateCodec.decode(encoded)) == encoded)
    }

    /// Equal as JSON: numbers by value (an integral double reads back as an integer).
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Double(x) == y
        case (.double(let x), .double(let y)): return x == y
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { k, v in y[k].map { same(v, $0) } ?? false }
        default: return a == b
        }
    }

    /// The previous canonical encoder's indenter (compact `JSONEncoder` output re-indented, plus
    /// the trailing newline): the oracle for the canonical form.
    static func reindent(_ input: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var depth = 0
        var inString = false
        var escaped = false
        var i = 0
        func newline() {
            out.append(0x0A)
            for _ in 0..<(depth * 2) { out.append(0x20) }
        }
        while i < input.count {
            let c = input[i]
            if inString {
                out.append(c)
                if escaped {
                    escaped = false
                } else if c == 0x5C {
                    escaped = true
                } else if c == 0x22 {
                    inString = false
                }
                i += 1
                continue
            }
            switch c {
            case 0x22:
                inString = true
                out.append(c)
            case 0x7B, 0x5B:
                out.append(c)
                if i + 1 < input.count, input[i + 1] == c + 2 {
                    out.append(c + 2)
                    i += 1
                } else {
                    depth += 1
                    newline()
                }
            case 0x7D, 0x5D:
                depth -= 1
                newline()
                out.append(c)
            case 0x2C:
                out.append(c)
                newline()
            case 0x3A:
                out.append(c)
                out.append(0x20)
            default: out.append(c)
            }
            i += 1
        }
        out.append(0x0A)
        return out
    }
}
