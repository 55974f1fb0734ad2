import Foundation
import Testing

@testable import StateModel

/// The direct canonical writer against the reference, ``CanonicalJSON/encode(_:)`` (a
/// ``JSONValue`` tree and ``JSONWriter``): the same bytes for every state, and what it does not
/// follow exactly is left to the reference.
@Suite struct CanonicalBytesEncoderTests {
    /// The property: whenever the direct writer answers, it answers the reference's bytes.
    /// Returns whether it answered.
    @discardableResult
    static func agrees<T: Encodable>(_ value: T, _ what: @autoclosure () -> String) throws -> Bool {
        let reference = try CanonicalJSON.encode(value)
        #expect(try CanonicalJSON.encodeDirectly(value) == reference, "\(what()): encodeDirectly differs")
        guard let direct = CanonicalBytesEncoder.encode(value) else { return false }
        #expect(direct == reference, "\(what()): the bytes differ")
        return true
    }

    @Test(arguments: 0..<16) func generatedStatesEncodeToTheSameBytes(seed: Int) throws {
        let state = TapeDecoderTests.generated(seed: seed, steps: 90)
        #expect(try Self.agrees(state, "seed \(seed)"), "seed \(seed): a generated state was left to the reference")
        // Each entity on its own, as the splice writes them.
        for (id, t) in state.tasks { #expect(try Self.agrees(t, "seed \(seed), task \(id)")) }
        #expect(try Self.agrees(state.project, "seed \(seed), project"))
    }

    @Test func handEditedFilesEncodeToTheSameBytes() throws {
        let base = String(
            decoding: try CanonicalJSON.encode(TapeDecoderTests.generated(seed: 3, steps: 60)), as: UTF8.self)
        let edits: [(String, String)] = [
            ("as written", base),
            ("small", TapeDecoderTests.small),
            (
                "unknown fields",
                base.replacingOccurrences(of: "\"title\":", with: "\"x\": [1, {\"y\": null}],\n\"title\":")
            ),
            ("escapes", base.replacingOccurrences(of: "alice", with: "\\u0061l\\\"i\\\\c\\u0001e\\/é😀")),
            ("nulls", base.replacingOccurrences(of: "\"deps\":", with: "\"body\": null,\n\"deps\":")),
            (
                "negative priority",
                TapeDecoderTests.small.replacingOccurrences(of: "\"priority\": 2", with: "\"priority\": -2")
            ),
        ]
        for (what, text) in edits {
            let state = try JSONDecoder().decode(ProjectState.self, from: Data(text.utf8))
            #expect(try Self.agrees(state, what), "\(what): left to the reference")
        }
    }

    @Test func everyJSONValueShapeEncodesToTheSameBytes() throws {
        for v in TapeDecoderTests.values {
            #expect(try Self.agrees(v, "\(v)"))
            #expect(try Self.agrees(["k": v, "a": .array([v, v])] as [String: JSONValue], "in an object: \(v)"))
        }
        #expect(try Self.agrees([Double]([0, -0.0, 0.5, 1e25, 1.5e-7, 3]), "doubles"))
        #expect(try Self.agrees([Int64.min, -1, 0, 9, 10, Int64.max], "integers"))
        #expect(try Self.agrees([UInt64(7), UInt64(Int64.max)], "unsigned"))
        #expect(try Self.agrees([[String: Int]](), "empty array"))
        #expect(try Self.agrees([[String: Int]()], "empty object in an array"))
        #expect(try Self.agrees(["b": [Int](), "a": [1], "": [2], "é": [3], "Z": [4]], "key order by UTF-8"))
        #expect(try Self.agrees(Shapes(), "optionals, single values, an empty encoder"))
    }

    @Test func shapesItDoesNotFollowAreLeftToTheReference() throws {
        #expect(try !Self.agrees(Nested(), "nested container"))
        #expect(try !Self.agrees(Twice(), "a key twice"))
        #expect(try !Self.agrees([Nested()], "nested container in an array"))
        #expect(try !Self.agrees(["x": Twice()], "a key twice in an object"))
        // Values the reference refuses are refused the same way.
        #expect(throws: EncodingError.self) { try CanonicalJSON.encodeDirectly([Double.nan]) }
        #expect(throws: EncodingError.self) { try CanonicalJSON.encodeDirectly([UInt64.max]) }
    }

    struct Empty: Encodable {
        func encode(to encoder: Encoder) throws {}
    }

    struct Single: Encodable {
        var inner: [String]
        func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(inner)
        }
    }

    struct Shapes: Encodable {
        var present: String? = "x"
        var absent: String? = nil
        var explicitNull: Int? = nil
        var single = Single(inner: ["a", "b"])
        var empty = Empty()
        var flag = false
        var ratio = 0.25
        var small: Int8 = -3

        enum CodingKeys: String, CodingKey { case present, absent, explicitNull, single, empty, flag, ratio, small }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(small, forKey: .small)
            try c.encodeIfPresent(present, forKey: .present)
            try c.encodeIfPresent(absent, forKey: .absent)
            try c.encode(explicitNull, forKey: .explicitNull)
            try c.encode(single, forKey: .single)
            try c.encode(empty, forKey: .empty)
            try c.encode(flag, forKey: .flag)
            try c.encode(ratio, forKey: .ratio)
        }
    }

    struct Nested: Encodable {
        enum K: String, CodingKey { case outer, inner }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: K.self)
            var n = c.nestedContainer(keyedBy: K.self, forKey: .outer)
            try c.encode(1, forKey: .inner)
            try n.encode(2, forKey: .inner)
        }
    }

    struct Twice: Encodable {
        enum K: String, CodingKey { case a, b }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: K.self)
            try c.encode(2, forKey: .b)
            try c.encode(1, forKey: .a)
            try c.encode(3, forKey: .b)
        }
    }
}

/// The conflict-marker scan against the byte-by-byte reading it replaced.
@Suite struct ConflictMarkerLineTests {
    static func reference(_ bytes: [UInt8]) -> Int? {
        var line = 1
        var atLineStart = true
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if atLineStart, c == 0x3C || c == 0x3E || c == 0x3D, i + 7 <= bytes.count {
                if bytes[i..<(i + 7)].allSatisfy({ $0 == c }) {
                    let after = i + 7 < bytes.count ? bytes[i + 7] : 0x0A
                    if c == 0x3D ? (after == 0x0A || after == 0x0D) : (after == 0x20 || after == 0x0A) {
                        return line
                    }
                }
            }
            atLineStart = c == 0x0A
            if atLineStart { line += 1 }
            i += 1
        }
        return nil
    }

    @Test func findsTheSameLineAsAByteByByteScan() {
        let pieces = [
            "<<<<<<< ours\n", "=======\n", "=======\r\n", ">>>>>>> theirs\n", "<<<<<<<\n", "<<<<<<", "=======",
            ">>>>>>>", " <<<<<<< x\n", "<<<<<<<< x\n", "=======x\n", "{\n", "  \"a\": 1\n", "\n", "é😀\n", "x",
        ].map { Array($0.utf8) }
        var rng = SeededRandom(seed: 11)
        var cases: [[UInt8]] = [[], Array("=======".utf8), Array("<<<<<<< ".utf8), Array("\n\n=======".utf8)]
        for _ in 0..<3_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int(rng.next() % 12) { bytes += pieces[Int(rng.next() % UInt64(pieces.count))] }
            cases.append(bytes)
        }
        for bytes in cases {
            #expect(
                StateCodec.conflictMarkerLine(bytes) == Self.reference(bytes),
                "\(String(decoding: bytes, as: UTF8.self))")
        }
        #expect(cases.contains { Self.reference($0) != nil } && cases.contains { Self.reference($0) == nil })
    }
}
