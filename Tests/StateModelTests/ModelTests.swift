import Foundation
import Testing

@testable import StateModel

let t0 = Timestamp(iso8601: "2026-01-15T09:00:00Z")!

func ctx(
    _ actor: String = "alice", at: Timestamp = t0, branch: String? = "main", head: String? = nil, nonce: UInt64 = 1
)
    -> MutationContext
{
    MutationContext(actor: actor, now: at, branch: branch, head: head, nonce: nonce)
}

@Suite struct TimestampTests {
    @Test func formatsAndParsesRoundTrip() {
        for s: Int64 in [0, 951_782_400, 1_768_467_600, 4_102_444_799, -1] {
            let t = Timestamp(seconds: s)
            #expect(Timestamp(iso8601: t.iso8601) == t)
        }
        #expect(Timestamp(seconds: 0).iso8601 == "1970-01-01T00:00:00Z")
        #expect(Timestamp(seconds: 951_782_400).iso8601 == "2000-02-29T00:00:00Z")
    }

    @Test func acceptsFractionsAndOffsetZeroRejectsOthers() {
        #expect(Timestamp(iso8601: "2026-01-15T09:00:00.123Z") == t0)
        #expect(Timestamp(iso8601: "2026-01-15T09:00:00+00:00") == t0)
        #expect(Timestamp(iso8601: "2026-01-15T09:00:00+02:00") == nil)
        #expect(Timestamp(iso8601: "2026-13-15T09:00:00Z") == nil)
        #expect(Timestamp(iso8601: "yesterday") == nil)
    }
}

@Suite struct IdentifierTests {
    @Test func idsAreHashBasedWithKindPrefix() {
        let a = Identifiers.make(kind: .task, text: "x", actor: "a", at: t0, nonce: 1, existing: { _ in false })
        let b = Identifiers.make(kind: .task, text: "x", actor: "a", at: t0, nonce: 2, existing: { _ in false })
        #expect(a.hasPrefix("t-") && a.count == 12)
        #expect(a != b)
        // Same inputs, same id: nothing depends on a counter.
        #expect(a == Identifiers.make(kind: .task, text: "x", actor: "a", at: t0, nonce: 1, existing: { _ in false }))
    }

    @Test func clashIsRedrawn() {
        let first = Identifiers.make(kind: .task, text: "x", actor: "a", at: t0, nonce: 1, existing: { _ in false })
        let second = Identifiers.make(kind: .task, text: "x", actor: "a", at: t0, nonce: 1, existing: { $0 == first })
        #expect(second != first)
    }

    @Test func childrenDrawFromTheSameSpaceAcrossBranches() throws {
        // Two branches each add a child to the same parent: no counter, so no collision.
        var base = ProjectState(projectName: "p")
        let parent = try base.addTask(NewTask(title: "epic"), ctx(nonce: 7))
        var left = base
        var right = base
        let l = try left.addTask(NewTask(title: "child", parent: parent), ctx("alice", nonce: 11))
        let r = try right.addTask(NewTask(title: "child", parent: parent), ctx("bob", nonce: 12))
        #expect(l != r)
    }

    @Test func prefixResolution() throws {
        let ids = ["t-aaaa111111", "t-aaab222222", "t-bbbb333333"]
        #expect(try Identifiers.resolve("t-bbbb", kind: .task, among: ids) == "t-bbbb333333")
        #expect(try Identifiers.resolve("bbbb", kind: .task, among: ids) == "t-bbbb333333")
        #expect(try Identifiers.resolve("T-AAAB", kind: .task, among: ids) == "t-aaab222222")
        #expect(
            throws: ModelError.ambiguousPrefix(
                kind: .task, prefix: "aaa", candidates: ["t-aaaa111111", "t-aaab222222"])
        ) {
            try Identifiers.resolve("aaa", kind: .task, among: ids)
        }
        #expect(throws: ModelError.unknownID(kind: .task, id: "zzz")) {
            try Identifiers.resolve("zzz", kind: .task, among: ids)
        }
    }
}

@Suite struct CanonicalJSONTests {
    func sample() throws -> ProjectState {
        var s = ProjectState(projectName: "demo/ünïcode \"quoted\"")
        let m = try s.addMilestone(title: "M1", due: "2026-02-01", ctx(nonce: 3))
        let a = try s.addTask(NewTask(title: "A", priority: 1, labels: ["z", "a", "a"], milestone: m), ctx(nonce: 4))
        _ = try s.addTask(
            NewTask(title: "B\nwith newline", body: "path/with/slash", deps: [a], acceptance: ["ok"]), ctx(nonce: 5))
        _ = try s.addGoal("Ship", ctx(nonce: 6))
        return s
    }

    @Test func roundTripIsByteStable() throws {
        let s = try sample()
        let bytes = try StateCodec.encode(s)
        let back = try StateCodec.decode(bytes)
        #expect(back == s)
        #expect(try StateCodec.encode(back) == bytes)
    }

    @Test func formIsSortedIndentedWithTrailingNewline() throws {
        let text = String(decoding: try StateCodec.encode(try sample()), as: UTF8.self)
        #expect(text.hasSuffix("}\n"))
        #expect(text.hasPrefix("{\n  \"goals\": {\n"))
        #expect(text.contains("\"labels\": [\n        \"a\",\n        \"z\"\n      ]"))
        #expect(text.contains("\"body\": \"path/with/slash\""))  // no escaped slashes
        #expect(text.contains("\"notes\": []"))
        #expect(!text.contains(" : "))
        let keys = text.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map {
            String($0.dropFirst(3).prefix { $0 != "\"" })
        }
        #expect(keys == keys.sorted())
    }

    @Test func conflictMarkersAreFoundWithTheirLine() {
        let text = "{\n<<<<<<< HEAD\n  \"a\": 1\n=======\n  \"a\": 2\n>>>>>>> other\n}\n"
        #expect(throws: StateDecodeError.conflictMarkers(line: 2)) { try StateCodec.decode(Array(text.utf8)) }
        // Marker-like text inside a value is not a marker: the file is JSON (of the wrong shape).
        do {
            _ = try StateCodec.decode(Array("{\"a\": \"<<<<<<< x\"}".utf8))
        } catch StateDecodeError.conflictMarkers {
            Issue.record("text inside a value taken for a conflict marker")
        } catch {}
    }

    /// Issue 19, item 8: what Foundation's lenient reader takes is refused, naming the line.
    @Test func whatIsNotJSONIsRefusedWithItsLine() {
        let cases = [
            ("{\n  \"a\": 1,\n}\n", 2, "trailing comma"), ("[1, 2,]", 1, "trailing comma"),
            ("{\"a\": 01}", 1, "must not start with 0"), ("{\"a\": 1} x", 1, "after the document"),
            ("{\n\n\"a\": \"x\ny\"}", 3, "control character"), ("{\"a\" 1}", 1, "expected ':'"),
            ("// note\n{}", 1, "expected a value"), ("", 1, "empty"),
        ]
        for (text, line, words) in cases {
            do {
                _ = try StateCodec.decode(Array(text.utf8))
                Issue.record("\(text) was taken")
            } catch StateDecodeError.malformedJSON(let reason) {
                #expect(reason.contains(words) && reason.hasSuffix("(line \(line))"), "\(text): \(reason)")
            } catch {
                Issue.record("\(text): \(error)")
            }
        }
    }

    @Test func malformedAndSchemaErrorsSayWhere() throws {
        #expect(throws: StateDecodeError.self) { try StateCodec.decode(Array("{\"schema\": 1,".utf8)) }
        do {
            _ = try StateCodec.decode(
                Array(
                    "{\"schema\": 1, \"project\": {\"name\": \"x\"}, \"goals\": {}, \"milestones\": {}, \"tasks\": {\"t-1\": {\"id\": \"t-1\"}}}"
                        .utf8))
            Issue.record("expected a schema error")
        } catch let StateDecodeError.schema(reason) {
            #expect(reason.contains("tasks.t-1"))
        }
        #expect(throws: StateDecodeError.unsupportedSchema(found: 2, supported: 1)) {
            try StateCodec.decode(Array("{\"schema\": 2}".utf8))
        }
    }

    @Test func priorityOutOfRangeInFileIsRejected() throws {
        var s = try sample()
        let id = s.tasks.keys.sorted()[0]
        s.tasks[id]!.priority = 9
        let bytes = try StateCodec.encode(s)
        #expect(throws: StateDecodeError.self) { try StateCodec.decode(bytes) }
    }
}

@Suite struct CalendarTests {
    @Test func impossibleDatesAreRejected() {
        #expect(Timestamp(iso8601: "2026-02-31T00:00:00Z") == nil)
        #expect(Timestamp(iso8601: "2028-02-29T00:00:00Z") != nil)
        #expect(Timestamp(iso8601: "2026-02-29T00:00:00Z") == nil)
        var s = ProjectState(projectName: "p")
        #expect(throws: ModelError.self) { try s.addMilestone(title: "m", due: "2026-02-31", ctx()) }
    }
}
