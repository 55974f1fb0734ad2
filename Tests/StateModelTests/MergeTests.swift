import Foundation
import Testing

@testable import StateModel

/// A base state and two sides edited from it at different times.
struct MergeFixture {
    var base = ProjectState(projectName: "p")
    var ours: ProjectState
    var theirs: ProjectState
    var a = ""
    var b = ""
    var c = ""
    let mergedAt = Timestamp(iso8601: "2026-02-01T00:00:00Z")!

    init() throws {
        a = try base.addTask(NewTask(title: "A", labels: ["x", "y"], acceptance: ["works"]), ctx(nonce: 1))
        b = try base.addTask(NewTask(title: "B"), ctx(nonce: 2))
        c = try base.addTask(NewTask(title: "C"), ctx(nonce: 3))
        ours = base
        theirs = base
    }

    /// A context `minutes` after t0, for `actor`.
    func at(_ minutes: Int64, _ actor: String = "alice", nonce: UInt64 = 50) -> MutationContext {
        ctx(actor, at: t0.adding(seconds: minutes * 60), branch: actor == "alice" ? "main" : "feature", nonce: nonce)
    }

    func merge() throws -> MergeReport {
        try StateMerge.merge(base: base, ours: ours, theirs: theirs, at: mergedAt)
    }
}

@Suite struct MergeRuleTests {
    @Test func everyTaskFieldHasAMergeRule() {
        let t = TaskRecord(id: "t-1", title: "x", created: Stamp(at: t0, actor: "a"))
        let fields = Set(Mirror(reflecting: t).children.compactMap(\.label))
        #expect(fields == StateMerge.taskFields)
        // The canonical encoding of a task without conflicts has no `conflicts` key.
        let text = String(decoding: try! CanonicalJSON.encode(t), as: UTF8.self)
        #expect(!text.contains("conflicts"))
    }

    @Test func identicalAndOneSidedChangesNeedNoRules() throws {
        var f = try MergeFixture()
        _ = try f.theirs.editTask(
            f.a,
            {
                var e = TaskEdit()
                e.title = "A2"
                return e
            }(), f.at(5, "bob"))
        #expect(try f.merge().state == f.theirs)
        #expect(try StateMerge.merge(base: f.base, ours: f.theirs, theirs: f.base, at: f.mergedAt).state == f.theirs)
        let same = try StateMerge.merge(base: f.base, ours: f.theirs, theirs: f.theirs, at: f.mergedAt)
        #expect(same.state == f.theirs)
        #expect(same.added.isEmpty)
    }

    @Test func differentFieldsOfOneTaskAreBothTaken() throws {
        var f = try MergeFixture()
        var title = TaskEdit()
        title.title = "A from ours"
        title.note = "ours note"
        _ = try f.ours.editTask(f.a, title, f.at(5))
        var prio = TaskEdit()
        prio.priority = 0
        prio.addLabels = ["z"]
        prio.removeLabels = ["x"]
        prio.addAcceptance = ["fast"]
        prio.note = "theirs note"
        _ = try f.theirs.editTask(f.a, prio, f.at(7, "bob"))
        let r = try f.merge()
        let m = try #require(r.state.tasks[f.a])
        #expect(m.title == "A from ours")
        #expect(m.priority == 0)
        #expect(m.labels == ["y", "z"])
        #expect(m.acceptance == ["works", "fast"])
        #expect(m.notes.map(\.text) == ["ours note", "theirs note"])
        #expect(m.updated == Stamp(at: t0.adding(seconds: 420), actor: "bob"))
        #expect(m.conflicts == nil)
        #expect(r.added.isEmpty)
    }

    @Test func sameFieldGoesToTheLaterUpdateAndTheOtherValueIsKept() throws {
        var f = try MergeFixture()
        var e = TaskEdit()
        e.title = "Ours title"
        _ = try f.ours.editTask(f.a, e, f.at(9))
        e.title = "Theirs title"
        _ = try f.theirs.editTask(f.a, e, f.at(4, "bob"))
        let r = try f.merge()
        let m = try #require(r.state.tasks[f.a])
        #expect(m.title == "Ours title")
        let c = try #require(m.conflicts?.first)
        #expect(m.conflicts?.count == 1)
        #expect(c.field == "title")
        #expect(c.kept == .string("Ours title"))
        #expect(c.other == .string("Theirs title"))
        #expect(c.winner == .ours)
        #expect(c.rule == .laterUpdate)
        #expect(c.at == f.mergedAt)
        #expect(c.otherUpdated == Stamp(at: t0.adding(seconds: 240), actor: "bob"))
        #expect(r.addedCount == 1)
        #expect(r.added.first?.id == f.a)

        // Swapping the sides settles on the same title: the rule is about time, not side.
        let swapped = try StateMerge.merge(base: f.base, ours: f.theirs, theirs: f.ours, at: f.mergedAt)
        #expect(swapped.state.tasks[f.a]?.title == "Ours title")
        #expect(swapped.state.tasks[f.a]?.conflicts?.first?.winner == .theirs)
    }

    @Test func sameSecondKeepsOurs() throws {
        var f = try MergeFixture()
        _ = try f.ours.editTask(
            f.a,
            {
                var e = TaskEdit()
                e.priority = 1
                return e
            }(), f.at(3))
        _ = try f.theirs.editTask(
            f.a,
            {
                var e = TaskEdit()
                e.priority = 4
                return e
            }(), f.at(3, "bob"))
        let m = try #require(try f.merge().state.tasks[f.a])
        #expect(m.priority == 1)
        #expect(m.conflicts?.first?.rule == .sameTimeOurs)
        #expect(m.conflicts?.first?.other == .int(4))
    }

    @Test func aCompletionIsNeverDroppedAndStatusFollowsIt() throws {
        var f = try MergeFixture()
        // Ours completes A; theirs re-prioritises it (later): done, with the new priority.
        _ = try f.ours.completeTask(f.a, commit: "c1", branch: "main", note: "ok", f.at(2))
        _ = try f.theirs.editTask(
            f.a,
            {
                var e = TaskEdit()
                e.priority = 0
                return e
            }(), f.at(8, "bob"))
        // Ours completes B; theirs blocks it later: the completion wins the status.
        _ = try f.ours.completeTask(f.b, commit: "c2", branch: "main", note: nil, f.at(2))
        _ = try f.theirs.blockTask(f.b, reason: "waiting", f.at(9, "bob"))
        let r = try f.merge()
        let a = try #require(r.state.tasks[f.a])
        #expect(a.status == .done)
        #expect(a.completion?.commit == "c1")
        #expect(a.priority == 0)
        #expect(a.conflicts == nil)
        let b = try #require(r.state.tasks[f.b])
        #expect(b.status == .done)
        #expect(b.completion?.commit == "c2")
        #expect(b.blocker == nil)  // only a blocked task has a blocker; the reason is kept below
        #expect(Set(b.conflicts?.map(\.field) ?? []) == ["blocker", "status"])
        #expect(b.conflicts?.first { $0.field == "blocker" }?.other == .string("waiting"))
        #expect(b.conflicts?.first?.rule == .completionKept)
        #expect(b.conflicts?.first?.other == .string("blocked"))
        #expect(b.conflicts?.first?.winner == .ours)
    }

    @Test func aReCompletionBeatsAReopen() throws {
        var f = try MergeFixture()
        _ = try f.base.completeTask(f.a, commit: "c0", branch: "main", note: nil, f.at(1))
        f.ours = f.base
        f.theirs = f.base
        _ = try f.ours.reopenTask(f.a, f.at(9))
        _ = try f.theirs.completeTask(f.a, commit: "c9", branch: "feature", note: nil, f.at(3, "bob"))
        let a = try #require(try f.merge().state.tasks[f.a])
        #expect(a.status == .done)
        #expect(a.completion?.commit == "c9")
        #expect(Set(a.conflicts?.map(\.field) ?? []) == ["completion", "status"])
        #expect(a.conflicts?.allSatisfy { $0.rule == .completionKept && $0.winner == .theirs } == true)
        // The reopen note (ours) and the re-completion note (theirs) both survive.
        #expect(a.notes.count == 2)
    }

    @Test func twoDifferentCompletionsGoToTheLaterOne() throws {
        var f = try MergeFixture()
        _ = try f.ours.completeTask(f.a, commit: "c-ours", branch: "main", note: nil, f.at(5))
        _ = try f.theirs.completeTask(f.a, commit: "c-theirs", branch: "feature", note: nil, f.at(6, "bob"))
        let a = try #require(try f.merge().state.tasks[f.a])
        #expect(a.completion?.commit == "c-theirs")
        let c = try #require(a.conflicts?.first)
        #expect(c.field == "completion")
        #expect(c.rule == .laterUpdate)
        #expect(try c.other.decode(Completion.self).commit == "c-ours")
    }

    @Test func setsMergeThreeWayAndNotesAreUnioned() throws {
        var f = try MergeFixture()
        var e = TaskEdit()
        e.removeLabels = ["x"]
        e.addLabels = ["o"]
        e.clearAcceptance = true
        e.addAcceptance = ["works", "ours"]
        e.note = "second"
        _ = try f.ours.editTask(f.a, e, f.at(6))
        _ = try f.ours.addDependency(f.a, on: f.b, f.at(6))
        var t = TaskEdit()
        t.addLabels = ["t"]
        t.addAcceptance = ["theirs"]
        t.note = "first"
        _ = try f.theirs.editTask(f.a, t, f.at(2, "bob"))
        _ = try f.theirs.addDependency(f.a, on: f.c, f.at(2, "bob"))
        let a = try #require(try f.merge().state.tasks[f.a])
        #expect(a.labels == ["o", "t", "y"])
        #expect(a.acceptance == ["works", "ours", "theirs"])
        #expect(a.deps == [f.b, f.c].sorted())
        #expect(a.notes.map(\.text) == ["first", "second"])
        #expect(a.conflicts == nil)
    }

    @Test func deletionAgainstAChangeKeepsTheChange() throws {
        var f = try MergeFixture()
        f.ours.tasks[f.a] = nil  // deleted by ours, changed by theirs: kept
        _ = try f.theirs.editTask(
            f.a,
            {
                var e = TaskEdit()
                e.title = "A kept"
                return e
            }(), f.at(3, "bob"))
        f.ours.tasks[f.b] = nil  // deleted by ours, untouched by theirs: deleted
        f.ours.tasks[f.c] = nil  // deleted by both
        f.theirs.tasks[f.c] = nil
        let r = try f.merge()
        #expect(r.state.tasks.keys.sorted() == [f.a])
        let a = try #require(r.state.tasks[f.a])
        #expect(a.title == "A kept")
        #expect(a.conflicts?.first?.field == FieldConflict.deletedField)
        #expect(a.conflicts?.first?.rule == .changedOverDeleted)
        #expect(a.conflicts?.first?.winner == .theirs)

        // Taking the other side deletes it, as ours wanted.
        var merged = r.state
        let res = try merged.resolveConflicts(f.a, field: nil, take: .other, f.at(20))
        #expect(res.deletedEntity)
        #expect(merged.tasks[f.a] == nil)
    }

    @Test func withoutABaseBothSidesAdditionsAreKept() throws {
        var ours = ProjectState(projectName: "p")
        var theirs = ProjectState(projectName: "p")
        let x = try ours.addTask(NewTask(title: "X"), ctx(nonce: 10))
        let y = try theirs.addTask(NewTask(title: "Y"), ctx("bob", nonce: 11))
        let r = try StateMerge.merge(base: nil, ours: ours, theirs: theirs, at: t0)
        #expect(r.state.tasks.keys.sorted() == [x, y].sorted())
        #expect(r.added.isEmpty)
        // The same id with different content on both sides (no base): settled field by field.
        theirs.tasks[x] = ours.tasks[x]
        theirs.tasks[x]?.title = "X'"
        theirs.tasks[x]?.updated = Stamp(at: t0.adding(seconds: 1), actor: "bob")
        theirs.project.name = "q"
        let r2 = try StateMerge.merge(base: nil, ours: ours, theirs: theirs, at: t0)
        #expect(r2.state.tasks[x]?.title == "X'")
        #expect(r2.state.tasks[x]?.conflicts?.first?.other == .string("X"))
        #expect(r2.state.project.name == "p")
        #expect(r2.state.project.conflicts?.first?.rule == .undatedOurs)
        #expect(r2.state.project.conflicts?.first?.other == .string("q"))
    }

    @Test func aCycleMadeByTheMergeIsBrokenAndRecorded() throws {
        var f = try MergeFixture()
        _ = try f.ours.addDependency(f.a, on: f.b, f.at(2))
        _ = try f.theirs.addDependency(f.b, on: f.a, f.at(3, "bob"))
        _ = try f.theirs.addDependency(f.c, on: f.a, f.at(3, "bob"))  // fine: no cycle
        let r = try f.merge()
        #expect(r.state.tasks[f.a]?.deps == [f.b])
        #expect(r.state.tasks[f.b]?.deps == [])
        #expect(r.state.tasks[f.c]?.deps == [f.a])
        let rec = try #require(r.state.tasks[f.b]?.conflicts?.first)
        #expect(rec.field == "deps")
        #expect(rec.rule == .cycle)
        #expect(rec.kept == .array([]))
        #expect(rec.other == .array([.string(f.a)]))
        // The graph is acyclic: no task can close a cycle through the kept edges.
        #expect(GraphRules.dependencyCycle(adding: f.c, dependsOn: f.b, in: r.state.tasks) == nil)

        // Taking the dropped edge back would close the cycle: refused, nothing changed.
        var s = r.state
        #expect(throws: ModelError.self) { try s.resolveConflicts(f.b, field: "deps", take: .other, f.at(30)) }
        #expect(s == r.state)
        // After ours' edge is removed, the dropped edge can be taken back.
        _ = try s.removeDependency(f.a, on: f.b, f.at(31))
        _ = try s.resolveConflicts(f.b, field: "deps", take: .other, f.at(32))
        #expect(s.tasks[f.b]?.deps == [f.a])
        #expect(s.tasks[f.b]?.conflicts == nil)
    }

    @Test func aParentCycleMadeByTheMergeIsBroken() throws {
        var f = try MergeFixture()
        _ = try f.ours.editTask(
            f.a,
            {
                var e = TaskEdit()
                e.parent = .some(f.b)
                return e
            }(), f.at(2))
        _ = try f.theirs.editTask(
            f.b,
            {
                var e = TaskEdit()
                e.parent = .some(f.a)
                return e
            }(), f.at(3, "bob"))
        let r = try f.merge()
        #expect(r.state.tasks[f.a]?.parent == f.b)
        #expect(r.state.tasks[f.b]?.parent == nil)
        let rec = try #require(r.state.tasks[f.b]?.conflicts?.first)
        #expect(rec.field == "parent" && rec.rule == .cycle && rec.other == .string(f.a) && rec.kept == .null)
    }

    @Test func conflictRecordsMergeAsSets() throws {
        var f = try MergeFixture()
        let old = FieldConflict(
            field: "title", kept: .string("A"), other: .string("Z"), winner: .ours, rule: .laterUpdate, at: t0)
        f.base.tasks[f.a]?.conflicts = [old]
        f.ours = f.base
        f.theirs = f.base
        // Resolved on ours; theirs edits something else: stays resolved, nothing new.
        _ = try f.ours.resolveConflicts(f.a, field: nil, take: .kept, f.at(5))
        _ = try f.theirs.editTask(
            f.a,
            {
                var e = TaskEdit()
                e.body = "body"
                return e
            }(), f.at(6, "bob"))
        let a = try #require(try f.merge().state.tasks[f.a])
        #expect(a.conflicts == nil)
        #expect(a.body == "body")
    }

    @Test func mergingTwoMergesOfTheSameCommitsDoesNotDoubleRecords() throws {
        var f = try MergeFixture()
        _ = try f.ours.editTask(
            f.a,
            {
                var e = TaskEdit()
                e.title = "1"
                return e
            }(), f.at(9))
        _ = try f.theirs.editTask(
            f.a,
            {
                var e = TaskEdit()
                e.title = "2"
                return e
            }(), f.at(4))
        // Alice and Bob each merge the same two commits, at different times, then merge each other.
        let alice = try StateMerge.merge(base: f.base, ours: f.ours, theirs: f.theirs, at: t0.adding(seconds: 1)).state
        let bob = try StateMerge.merge(base: f.base, ours: f.ours, theirs: f.theirs, at: t0.adding(seconds: 2)).state
        let both = try StateMerge.merge(base: f.ours, ours: alice, theirs: bob, at: t0.adding(seconds: 3))
        #expect(both.state.tasks[f.a]?.conflicts?.count == 1)
        #expect(both.added.isEmpty)
    }

    @Test func resolutionKeepsOrRestores() throws {
        var f = try MergeFixture()
        _ = try f.ours.editTask(
            f.a,
            {
                var e = TaskEdit()
                e.title = "Mine"
                e.priority = 1
                return e
            }(), f.at(9))
        _ = try f.theirs.editTask(
            f.a,
            {
                var e = TaskEdit()
                e.title = "Yours"
                e.priority = 3
                return e
            }(), f.at(4))
        var s = try f.merge().state
        #expect(s.tasks[f.a]?.conflicts?.map(\.field) == ["title", "priority"])
        #expect(throws: ModelError.self) { try s.resolveConflicts(f.a, field: "body", take: .other, f.at(20)) }
        #expect(throws: ModelError.self) { try s.resolveConflicts(f.b, field: nil, take: .kept, f.at(20)) }
        let r = try s.resolveConflicts(f.a, field: "title", take: .other, f.at(20, "carol"))
        #expect(r.resolved.map(\.field) == ["title"])
        #expect(r.remaining.map(\.field) == ["priority"])
        #expect(s.tasks[f.a]?.title == "Yours")
        #expect(s.tasks[f.a]?.priority == 1)
        #expect(s.tasks[f.a]?.updated == Stamp(at: t0.adding(seconds: 1200), actor: "carol"))
        _ = try s.resolveConflicts(String(f.a.dropFirst(2).prefix(5)), field: nil, take: .kept, f.at(21))
        #expect(s.tasks[f.a]?.priority == 1)
        #expect(s.tasks[f.a]?.conflicts == nil)
        #expect(s.unresolvedConflicts.isEmpty)
        let text = String(decoding: try StateCodec.encode(s), as: UTF8.self)
        #expect(!text.contains("\"conflicts\""))
    }

    @Test func milestonesGoalsAndTheProjectKeepOursAndRecordTheOther() throws {
        var f = try MergeFixture()
        let m = try f.base.addMilestone(title: "Beta", due: nil, ctx(nonce: 7))
        let g = try f.base.addGoal("Ship", ctx(nonce: 8))
        f.ours = f.base
        f.theirs = f.base
        f.ours.milestones[m]?.title = "Beta 1"
        f.theirs.milestones[m]?.title = "Beta 2"
        f.theirs.milestones[m]?.due = "2026-03-01"
        f.ours.goals[g]?.text = "Ship it"
        f.theirs.goals[g]?.text = "Ship soon"
        f.theirs.project.name = "renamed"
        let r = try f.merge()
        #expect(r.state.milestones[m]?.title == "Beta 1")
        #expect(r.state.milestones[m]?.due == "2026-03-01")
        #expect(r.state.milestones[m]?.conflicts?.first?.other == .string("Beta 2"))
        #expect(r.state.goals[g]?.text == "Ship it")
        #expect(r.state.project.name == "renamed")
        #expect(r.state.unresolvedConflicts.map(\.kind) == ["goal", "milestone"])
        var s = r.state
        // By title and by text, as well as by id.
        let goal = try s.resolveConflicts("ship it", field: nil, take: .kept, f.at(29))
        #expect(goal.kind == "goal" && goal.id == g && s.goals[g]?.conflicts == nil)
        _ = try s.resolveConflicts("Beta 1", field: "title", take: .other, f.at(30))
        #expect(s.milestones[m]?.title == "Beta 2")
        #expect(s.milestones[m]?.conflicts == nil)
    }

    @Test func mergedOutputIsCanonicalAndStable() throws {
        var f = try MergeFixture()
        _ = try f.ours.editTask(
            f.a,
            {
                var e = TaskEdit()
                e.title = "1"
                return e
            }(), f.at(9))
        _ = try f.theirs.editTask(
            f.a,
            {
                var e = TaskEdit()
                e.title = "2"
                return e
            }(), f.at(4))
        let bytes = try StateCodec.encode(try f.merge().state)
        let decoded = try StateCodec.decode(bytes)
        #expect(try StateCodec.encode(decoded) == bytes)
        try StateCodec.checkNothingDropped(bytes, decoded: decoded)
        // Running the merge again on its own output changes nothing.
        #expect(try StateMerge.merge(base: f.base, ours: decoded, theirs: decoded, at: f.mergedAt).state == decoded)
    }
}

@Suite struct JSONValueTests {
    @Test func roundTripsFieldValues() throws {
        let c = Completion(commit: "abc", branch: nil, at: t0, actor: "a", note: "n")
        let v = try JSONValue(encoding: c)
        #expect(try v.decode(Completion.self) == c)
        #expect(try JSONValue(encoding: Optional<String>.none) == .null)
        #expect(try JSONValue.null.decode(String?.self) == nil)
        #expect(try JSONValue(encoding: 3) == .int(3))
        #expect(try JSONValue(encoding: true) == .bool(true))
        #expect(try JSONValue(encoding: ["b", "a"]).description == "[\"b\",\"a\"]")
    }
}
