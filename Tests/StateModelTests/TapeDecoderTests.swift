import Foundation
import Testing

@testable import StateModel

/// The tape decoder against Foundation's `JSONDecoder`, the reference: whatever the tape decoder
/// takes, Foundation decodes to the same state (equal, and encoding to the same bytes, so no
/// string differs even in normalization); what it does not take falls back to Foundation.
@Suite struct TapeDecoderTests {
    /// Foundation's reading of the bytes, nil when it refuses them.
    static func reference(_ bytes: [UInt8]) -> ProjectState? {
        try? JSONDecoder().decode(ProjectState.self, from: Data(bytes))
    }

    /// The property: a state from the tape decoder is Foundation's state. Returns whether the
    /// tape decoder took the bytes.
    @discardableResult
    static func agrees(_ bytes: [UInt8], _ what: @autoclosure () -> String) throws -> Bool {
        guard let fast = TapeDecoder.decode(ProjectState.self, from: bytes) else { return false }
        let slow = reference(bytes)
        #expect(slow != nil, "\(what()): the tape decoder took bytes Foundation refuses")
        guard let slow else { return true }
        #expect(fast == slow, "\(what()): the states differ")
        #expect(try CanonicalJSON.encode(fast) == CanonicalJSON.encode(slow), "\(what()): the encodings differ")
        return true
    }

    /// JSON values of every shape, for conflict records (whose `kept`/`other` are untyped).
    static let values: [JSONValue] = [
        .null, .bool(true), .bool(false), .int(0), .int(-7), .int(Int64.max), .int(Int64.min + 1),
        .string(""), .string("quote \" slash / back \\ nl \n tab \t nul \u{0} é 😀"),
        .array([.int(1), .string("x"), .null, .array([])]),
        .object(["a": .int(1), "b": .object(["c": .bool(false)]), "": .string("empty key")]),
    ]

    /// A state after random commands, with merge-conflict records on some entities.
    static func generated(seed: Int, steps: Int) -> ProjectState {
        var rng = SeededRandom(seed: UInt64(seed) &* 104_729 &+ 3)
        var state = ProjectState(projectName: "demo")
        var at = t0
        for _ in 0..<steps {
            at = at.adding(seconds: Int64(rng.next() % 5_000))
            _ = CanonicalSpliceTests.step(&state, &rng, at: at)
        }
        func conflict() -> FieldConflict {
            FieldConflict(
                field: CanonicalSpliceTests.pick(["title", "priority", "completion", "ü"], &rng),
                kept: CanonicalSpliceTests.pick(values, &rng), other: CanonicalSpliceTests.pick(values, &rng),
                winner: CanonicalSpliceTests.pick(MergeSide.allCases, &rng),
                rule: CanonicalSpliceTests.pick(ConflictRule.allCases, &rng), at: at,
                otherUpdated: rng.next() % 2 == 0 ? Stamp(at: t0, actor: "bob") : nil)
        }
        for id in state.tasks.keys.sorted() where rng.next() % 4 == 0 { state.tasks[id]?.conflicts = [conflict()] }
        for id in state.milestones.keys.sorted() where rng.next() % 2 == 0 {
            state.milestones[id]?.conflicts = [conflict(), conflict()]
        }
        for id in state.goals.keys.sorted() where rng.next() % 2 == 0 { state.goals[id]?.conflicts = [conflict()] }
        if rng.next() % 2 == 0 { state.project.conflicts = [conflict()] }
        return state
    }

    @Test(arguments: 0..<16) func generatedStatesDecodeAsFoundationDoes(seed: Int) throws {
        let state = Self.generated(seed: seed, steps: 90)
        let canonical = try CanonicalJSON.encode(state)
        #expect(try Self.agrees(canonical, "seed \(seed), canonical"), "seed \(seed): the canonical file fell back")
        #expect(TapeDecoder.decode(ProjectState.self, from: canonical) == state)

        // The same content as another writer lays it out: compact, keys in any order, `\/`.
        let object = try JSONSerialization.jsonObject(with: Data(canonical))
        let other = [UInt8](try JSONSerialization.data(withJSONObject: object, options: []))
        #expect(try Self.agrees(other, "seed \(seed), re-serialized"), "seed \(seed): the re-serialized file fell back")

        // Hand edits: fields this version does not know, escapes where plain text was.
        var edited = String(decoding: canonical, as: UTF8.self)
        edited = edited.replacingOccurrences(
            of: "\"title\":", with: "\"x-unknown\": {\"deep\": [1, true, null, \"\\u00e9\"]},\n\"title\":")
        edited = edited.replacingOccurrences(of: "alice", with: "\\u0061lice")
        edited = edited.replacingOccurrences(of: "😀", with: "\\ud83d\\ude00")
        #expect(
            try Self.agrees(Array(edited.utf8), "seed \(seed), hand-edited"), "seed \(seed): the edited file fell back")
    }

    /// A small valid file and edits of it, each either taken identically or left to Foundation.
    static let small = """
        {
          "goals": {},
          "milestones": {},
          "project": {
            "name": "demo"
          },
          "schema": 1,
          "tasks": {
            "t-0000000001": {
              "acceptance": [],
              "created": {
                "actor": "alice",
                "at": "2026-01-15T09:00:00Z"
              },
              "deps": [],
              "id": "t-0000000001",
              "labels": ["ui"],
              "notes": [],
              "priority": 2,
              "status": "open",
              "title": "First",
              "updated": {
                "actor": "alice",
                "at": "2026-01-15T09:00:00Z"
              }
            }
          }
        }

        """

    @Test func handEditedVariantsAreTakenExactlyOrLeftToFoundation() throws {
        let taken: [(String, String)] = [
            ("as written", Self.small),
            ("body null", Self.small.replacingOccurrences(of: "\"deps\"", with: "\"body\": null,\n\"deps\"")),
            (
                "body escaped",
                Self.small.replacingOccurrences(
                    of: "\"deps\"", with: "\"body\": \"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0000\\u20AC\",\n\"deps\"")
            ),
            (
                "unknown fields",
                Self.small.replacingOccurrences(
                    of: "\"schema\": 1,", with: "\"schema\": 1, \"zz\": [{\"a\": -3}, \"é\", false],")
            ),
            ("negative priority", Self.small.replacingOccurrences(of: "\"priority\": 2", with: "\"priority\": -2")),
            ("whitespace", Self.small.replacingOccurrences(of: "\n", with: "\r\n\t ")),
            (
                "keys out of order",
                Self.small.replacingOccurrences(of: "\"goals\": {},", with: "").replacingOccurrences(
                    of: "\"schema\": 1,", with: "\"schema\": 1, \"goals\": {},")
            ),
            (
                "memories",
                Self.small.replacingOccurrences(of: "\"goals\": {},", with: "\"goals\": {}, \"memories\": {},")
            ),
        ]
        for (name, text) in taken {
            #expect(try Self.agrees(Array(text.utf8), name), "\(name): fell back")
        }
        let leftToFoundation: [(String, String)] = [
            ("fraction", Self.small.replacingOccurrences(of: "\"priority\": 2", with: "\"priority\": 2.0")),
            ("exponent", Self.small.replacingOccurrences(of: "\"priority\": 2", with: "\"priority\": 2e0")),
            ("minus zero", Self.small.replacingOccurrences(of: "\"schema\": 1", with: "\"schema\": -0")),
            ("leading zero", Self.small.replacingOccurrences(of: "\"priority\": 2", with: "\"priority\": 02")),
            (
                "huge",
                Self.small.replacingOccurrences(of: "\"priority\": 2", with: "\"priority\": 99999999999999999999")
            ),
            ("byte-order mark", "\u{FEFF}" + Self.small),
            ("trailing text", Self.small + "x"),
            ("trailing comma", Self.small.replacingOccurrences(of: "\"ui\"]", with: "\"ui\",]")),
            (
                "duplicate in order",
                Self.small.replacingOccurrences(
                    of: "\"title\": \"First\",", with: "\"title\": \"First\", \"title\": \"Second\",")
            ),
            (
                "duplicate out of order",
                Self.small.replacingOccurrences(
                    of: "\"acceptance\": [],", with: "\"title\": \"Zero\", \"acceptance\": [],")
            ),
            ("escaped key", Self.small.replacingOccurrences(of: "\"title\":", with: "\"\\u0074itle\":")),
            (
                "non-ASCII key",
                Self.small.replacingOccurrences(of: "\"schema\": 1,", with: "\"schema\": 1, \"K\u{212A}\": 1,")
            ),
            ("lone high surrogate", Self.small.replacingOccurrences(of: "First", with: "\\ud800x")),
            ("lone low surrogate", Self.small.replacingOccurrences(of: "First", with: "\\udc00")),
            ("control character", Self.small.replacingOccurrences(of: "First", with: "Fi\u{1}rst")),
            ("bad escape", Self.small.replacingOccurrences(of: "First", with: "Fi\\qrst")),
            ("required null", Self.small.replacingOccurrences(of: "\"title\": \"First\"", with: "\"title\": null")),
            ("required missing", Self.small.replacingOccurrences(of: "\"title\": \"First\",", with: "")),
            ("bool for int", Self.small.replacingOccurrences(of: "\"priority\": 2", with: "\"priority\": true")),
            ("string for int", Self.small.replacingOccurrences(of: "\"priority\": 2", with: "\"priority\": \"2\"")),
            ("unknown status", Self.small.replacingOccurrences(of: "\"open\"", with: "\"opened\"")),
            (
                "bad time",
                Self.small.replacingOccurrences(of: "09:00:00Z\"\n      }\n    }", with: "9am\"\n      }\n    }")
            ),
            ("array top level", "[" + Self.small + "]"),
            (
                "deep nesting",
                Self.small.replacingOccurrences(
                    of: "\"schema\": 1,",
                    with: "\"schema\": 1, \"z\": " + String(repeating: "[", count: 300)
                        + String(repeating: "]", count: 300) + ",")
            ),
        ]
        for (name, text) in leftToFoundation {
            #expect(try !Self.agrees(Array(text.utf8), name), "\(name): the tape decoder took it")
        }
        // Invalid UTF-8 in a string, and an overlong encoding of '/'.
        for bad: [UInt8] in [[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]] {
            var bytes = Array(Self.small.utf8)
            let at = try #require(bytes.firstIndex(of: UInt8(ascii: "F")))
            bytes.insert(contentsOf: bad, at: at)
            #expect(try !Self.agrees(bytes, "invalid UTF-8 \(bad)"))
        }
    }

    /// Random byte edits of a generated file: whatever the tape decoder takes, Foundation reads
    /// identically.
    @Test func randomByteEditsNeverDecodeDifferently() throws {
        let canonical = try CanonicalJSON.encode(Self.generated(seed: 99, steps: 12))
        var rng = SeededRandom(seed: 2024)
        let alphabet = Array("{}[]\":,\\ \n0123456789-.eEtrufalsn\u{7F}é".utf8) + [0x00, 0x80, 0xC3, 0xFF]
        var taken = 0
        for i in 0..<1_500 {
            var bytes = canonical
            for _ in 0...Int(rng.next() % 3) {
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 4 {
                case 0: bytes[at] = CanonicalSpliceTests.pick(alphabet, &rng)
                case 1: bytes.remove(at: at)
                case 2: bytes.insert(CanonicalSpliceTests.pick(alphabet, &rng), at: at)
                default:
                    // Repeat a line: duplicate keys, or an array element twice.
                    let start = bytes[..<at].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
                    let end = bytes[at...].firstIndex(of: 0x0A).map { $0 + 1 } ?? bytes.count
                    bytes.insert(contentsOf: bytes[start..<end], at: start)
                }
            }
            if try Self.agrees(bytes, "edit \(i)") { taken += 1 }
        }
        // Many edits land in string contents or whitespace and still decode.
        #expect(taken > 100)
    }

    /// `StateCodec.decode` takes the tape path for the file it wrote and keeps its answers for
    /// the rest: duplicate keys are still reported, other documents still decode.
    @Test func stateCodecKeepsItsErrors() throws {
        let state = Self.generated(seed: 5, steps: 30)
        #expect(try StateCodec.decode(CanonicalJSON.encode(state)) == state)
        let duplicated = Self.small.replacingOccurrences(
            of: "\"title\": \"First\",", with: "\"title\": \"First\",\n\"title\": \"Second\",")
        #expect(throws: StateDecodeError.self) { try StateCodec.decode(Array(duplicated.utf8)) }
        #expect(try StateCodec.decode(Array(duplicated.utf8), allowingDuplicates: true).tasks.count == 1)
        let newer = Self.small.replacingOccurrences(of: "\"schema\": 1", with: "\"schema\": 2")
        #expect {
            try StateCodec.decode(Array(newer.utf8))
        } throws: { error in
            guard case StateDecodeError.unsupportedSchema(found: 2, supported: 1) = error else { return false }
            return true
        }
    }
}

/// The index's line encoding of copies' facts (each copy's summary of a task): what a summary
/// says survives it, with the separators inside a field turned into spaces.
@Suite struct TaskFactLineTests {
    @Test func factsRoundTripThroughTheLineEncoding() {
        let facts = [
            TaskSummary(
                id: "t-1", title: "plain", status: .done, priority: 0, parent: "t-0", deps: ["t-2", "t-3"],
                labels: ["ui", "a b"], milestone: "m-1", createdAt: Timestamp(seconds: -3), startedActor: "alice",
                startedBranch: "feature/x", startedAt: Timestamp(seconds: 5), completionCommit: "abc",
                completionBranch: "main", claimActor: "bob", claimExpires: Timestamp(seconds: -7), conflictCount: 2,
                updatedAt: Timestamp(seconds: 1_800_000_000)),
            TaskSummary(id: "t-2", title: "é 😀 \r\n kept", status: .inProgress, priority: 4),
        ]
        let tags = ["*", "0,2"]
        let decoded = TaskSummary.decodeTagged(TaskSummary.encode(facts, tags: tags))
        #expect(decoded.map(\.0) == facts)
        #expect(decoded.map(\.1) == tags)
        #expect(TaskSummary.decode(TaskSummary.encode(facts)) == facts)

        let awkward = TaskSummary(
            id: "t-3", title: "a\nb\u{1F}c\u{1E}d\u{1D}e", priority: 2, labels: ["x\u{1D}y"])
        let back = TaskSummary.decode(TaskSummary.encode([awkward])).first
        #expect(back?.title == "a b c d e")
        #expect(back?.labels == ["x y"])
    }
}
