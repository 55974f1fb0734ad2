import Foundation
import Testing

@testable import Interchange
@testable import StateModel

/// import → export → import keeps every field the format has: the second import into a fresh
/// state gives the same tasks (ids aside, which are this clone's), and exporting that again gives
/// the same bytes.
@Suite struct RoundTripTests {
    func input(_ s: ProjectState) -> ExportInput {
        ExportInput(
            project: s.project.name, branch: "main", commit: nil, tasks: s.tasks.values.sorted { $0.id < $1.id },
            milestones: Array(s.milestones.values), goals: Array(s.goals.values), statusText: [:])
    }

    /// A task as the formats see it: references by source id, no ids or import bookkeeping. Task
    /// Master records no people and no start or completion times: those are the import's own.
    func comparable(_ s: ProjectState, _ format: InterchangeFormat) -> [String: String] {
        var out: [String: String] = [:]
        let source = Dictionary(uniqueKeysWithValues: s.tasks.values.map { ($0.id, $0.source?.id ?? $0.id) })
        let milestone = Dictionary(
            uniqueKeysWithValues: s.milestones.values.map { ($0.id, "\($0.title)|\($0.due ?? "")") })
        for t in s.tasks.values {
            var c = t
            c.id = ""
            c.parent = t.parent.flatMap { source[$0] }
            c.deps = t.deps.compactMap { source[$0] }.sorted()
            c.links = t.links?.map { TaskLink(kind: $0.kind, target: source[$0.target] ?? $0.target) }.sorted()
            c.milestone = t.milestone.flatMap { milestone[$0] }
            c.updated = Stamp(at: t0, actor: "")
            c.source?.digest = nil
            c.source?.imported = Stamp(at: t0, actor: "")
            if format == .taskmaster {
                c.created.actor = ""
                c.started = c.started.map { StartRecord(at: t0, actor: "", branch: $0.branch, commit: $0.commit) }
                c.completion = c.completion.map {
                    Completion(commit: $0.commit, branch: $0.branch, at: t0, actor: "", note: $0.note)
                }
            }
            out[t.source?.id ?? t.id] = String(decoding: (try? CanonicalJSON.encode(c)) ?? [], as: UTF8.self)
        }
        return out
    }

    func roundTrip(_ format: InterchangeFormat, _ first: ImportBatch, read: ([UInt8]) throws -> ImportBatch) throws {
        var a = ProjectState(projectName: "p")
        _ = try a.applyImport(first, overwrite: false, ctx())
        let exported = try Exporter.export(input(a), as: format)
        var b = ProjectState(projectName: "p")
        _ = try b.applyImport(try read(exported.bytes), overwrite: false, ctx(at: t0.adding(seconds: 5), nonce: 99))
        #expect(b.tasks.count == a.tasks.count)
        let (ca, cb) = (comparable(a, format), comparable(b, format))
        for key in ca.keys.sorted() where ca[key] != cb[key] {
            Issue.record(
                "\(format.rawValue): \(key) differs after the round trip:\n\(ca[key] ?? "-")\n\(cb[key] ?? "-")")
        }
        let second = try Exporter.export(input(b), as: format).bytes
        if second != exported.bytes {
            let (x, y) = (String(decoding: exported.bytes, as: UTF8.self), String(decoding: second, as: UTF8.self))
            let diff = zip(x.split(separator: "\n"), y.split(separator: "\n")).filter { $0 != $1 }.prefix(3)
            Issue.record("\(format.rawValue): the second export differs: \(diff.map { "\n- \($0)\n+ \($1)" }.joined())")
        }
        // Importing the export into the first state changes nothing.
        let again = try a.applyImport(try read(exported.bytes), overwrite: false, ctx(at: t0.adding(seconds: 9)))
        #expect(again.count(.updated) == 0 && again.count(.refused) == 0 && again.count(.added) == 0)
    }

    @Test func beads() throws {
        try roundTrip(.beads, try Fixture.beads(Fixture.bytes("beads.jsonl"))) { try Fixture.beads($0) }
    }

    @Test func taskMaster() throws {
        try roundTrip(.taskmaster, try TaskMaster.read(Fixture.bytes("taskmaster-plain.json"), file: "t")) {
            try TaskMaster.read($0, file: "t")
        }
        try roundTrip(.taskmaster, try TaskMaster.read(Fixture.bytes("taskmaster-tagged.json"), file: "t")) {
            try TaskMaster.read($0, file: "t")
        }
    }

    @Test func github() throws {
        try roundTrip(.github, try GitHub.read(Fixture.bytes("github-gh.json"), file: "g")) {
            try GitHub.read($0, file: "g")
        }
        try roundTrip(.github, try GitHub.read(Fixture.bytes("github-rest.json"), file: "g")) {
            try GitHub.read($0, file: "g")
        }
    }

    /// What a format has no place for is named, per field, with how many tasks had it.
    @Test func whatCannotBeCarriedIsNamed() throws {
        var s = ProjectState(projectName: "p")
        let m = try s.addMilestone(title: "Beta", due: "2026-03-01", ctx())
        let a = try s.addTask(NewTask(title: "A", priority: 4, milestone: m, acceptance: ["works"]), ctx(nonce: 1))
        let b = try s.addTask(NewTask(title: "B", parent: a, deps: [a]), ctx(nonce: 2))
        _ = try s.blockTask(b, reason: "waiting for legal", ctx(nonce: 3))
        _ = try s.completeTask(
            a, commit: "0123456789abcdef0123456789abcdef01234567", branch: "main", note: nil, ctx(nonce: 4))
        let beads = try Exporter.export(input(s), as: .beads)
        #expect(beads.notCarried == ["milestone": 1, "completion commit and branch": 1, "blocker reason": 1])
        let tm = try Exporter.export(input(s), as: .taskmaster)
        #expect(tm.notCarried["priority 4 (written as low)"] == 1)
        #expect(tm.notCarried["milestone"] == 1)
        let gh = try Exporter.export(input(s), as: .github)
        #expect(gh.notCarried["deps"] == 1 && gh.notCarried["parent"] == 1 && gh.notCarried["priority"] == 1)
        #expect(gh.notCarried["acceptance"] == 1 && gh.notCarried["issue number (not on GitHub)"] == 2)
        #expect(gh.notCarried["status blocked (written as OPEN)"] == 1)
        #expect(gh.notCarriedText?.contains("deps (1 task)") == true)
        #expect(try Exporter.export(input(s), as: .json).notCarried.isEmpty)
    }

    /// Native tasks exported to beads and imported elsewhere keep their graph.
    @Test func nativeTasksThroughBeads() throws {
        var s = ProjectState(projectName: "p")
        let a = try s.addTask(NewTask(title: "A"), ctx(nonce: 1))
        let b = try s.addTask(NewTask(title: "B", parent: a), ctx(nonce: 2))
        _ = try s.addTask(NewTask(title: "C", deps: [b], labels: ["x"]), ctx(nonce: 3))
        _ = try s.cancelTask(a, reason: nil, ctx(nonce: 4))
        let bytes = try Exporter.export(input(s), as: .beads).bytes
        var t = ProjectState(projectName: "q")
        _ = try t.applyImport(try Fixture.beads(bytes), overwrite: false, ctx(nonce: 5))
        let c = try #require(t.task(from: "beads:" + s.tasks.values.first { $0.title == "C" }!.id))
        #expect(c.labels == ["x"] && c.deps == [t.task(from: "beads:" + b)!.id])
        #expect(t.task(from: "beads:" + b)?.parent == t.task(from: "beads:" + a)?.id)
        #expect(t.task(from: "beads:" + a)?.status == .cancelled)
    }
}
