import Foundation
import Testing

@testable import StateModel

/// The fields an import adds to a task (`source`, `links`) and to a memory (`source`): encoded
/// only when present, merged by the driver, restorable from a conflict record.
@Suite struct TaskSourceTests {
    func stamp(_ minutes: Int64, _ actor: String) -> Stamp { Stamp(at: t0.adding(seconds: minutes * 60), actor: actor) }

    @Test func absentFieldsLeaveTheEncodingAsBefore() throws {
        let t = TaskRecord(id: "t-0000000001", title: "x", created: Stamp(at: t0, actor: "a"))
        let text = String(decoding: try CanonicalJSON.encode(t), as: UTF8.self)
        #expect(!text.contains("source") && !text.contains("links"))
        var imported = t
        imported.source = TaskSource(
            id: "beads:bd-1", fields: ["issue_type": .string("bug")], digest: String(repeating: "a", count: 64),
            imported: stamp(0, "a"))
        imported.links = [TaskLink(kind: "related", target: "t-0000000002")]
        let bytes = try CanonicalJSON.encode(imported)
        #expect(try StateCodec.decode(try CanonicalJSON.encode(state(with: imported))).tasks[t.id] == imported)
        #expect(String(decoding: bytes, as: UTF8.self).contains("\"issue_type\": \"bug\""))
    }

    func state(with t: TaskRecord) -> ProjectState {
        var s = ProjectState(projectName: "p")
        s.tasks[t.id] = t
        return s
    }

    /// Links merge as a set; the source block as one value, the later update winning, the other
    /// kept in a conflict record that can be taken back.
    @Test func mergeTakesLinksFromBothSidesAndRecordsASourceConflict() throws {
        var base = TaskRecord(id: "t-0000000001", title: "x", created: stamp(0, "a"))
        base.links = [TaskLink(kind: "related", target: "t-0000000002")]
        base.source = TaskSource(id: "beads:bd-1", imported: stamp(0, "a"))
        var ours = base
        ours.links = [
            TaskLink(kind: "related", target: "t-0000000002"), TaskLink(kind: "tracks", target: "t-0000000003"),
        ]
        ours.source = TaskSource(id: "beads:bd-1", fields: ["assignee": .string("ann")], imported: stamp(5, "a"))
        ours.updated = stamp(5, "a")
        var theirs = base
        theirs.links = nil
        theirs.source = TaskSource(id: "beads:bd-1", fields: ["assignee": .string("bob")], imported: stamp(9, "b"))
        theirs.updated = stamp(9, "b")
        let merged = try StateMerge.merge(
            base: state(with: base), ours: state(with: ours), theirs: state(with: theirs), at: t0.adding(seconds: 3600))
        let t = try #require(merged.state.tasks[base.id])
        // Theirs removed `related`, ours added `tracks`.
        #expect(t.links == [TaskLink(kind: "tracks", target: "t-0000000003")])
        #expect(t.source?.fields?["assignee"] == .string("bob"))
        let record = try #require(t.conflicts?.first { $0.field == "source" })
        var restored = t
        try restored.restoreOther(record)
        #expect(restored.source?.fields?["assignee"] == .string("ann"))
    }

    @Test func memorySourceIsMerged() throws {
        var s = ProjectState(projectName: "p")
        let id = try s.remember(NewMemory(kind: .note, text: "Imported note"), ctx()).id
        var ours = s
        ours.memories?[id]?.source = "codex-memories:MEMORY.md#a"
        let merged = try StateMerge.merge(base: s, ours: ours, theirs: s, at: t0.adding(seconds: 60))
        #expect(merged.state.memories?[id]?.source == "codex-memories:MEMORY.md#a")
    }

    @Test func stringsInsideSourceFieldsCanBeRewritten() {
        let v: JSONValue = .object(["a": .array([.string("x"), .int(1), .object(["b": .string("y")])])])
        #expect(
            v.mappingStrings { $0.uppercased() }
                == .object(["a": .array([.string("X"), .int(1), .object(["b": .string("Y")])])]))
    }
}
