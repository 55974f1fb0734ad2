import Testing

@testable import StateModel

/// Builds a state with tasks named by their title, so tests can refer to them by name.
struct Fixture {
    var state = ProjectState(projectName: "p")
    var ids: [String: String] = [:]
    var nonce: UInt64 = 100
    var clock = t0

    mutating func add(
        _ name: String, deps: [String] = [], parent: String? = nil, priority: Int = 2, milestone: String? = nil
    )
        throws
    {
        nonce += 1
        clock = clock.adding(seconds: 60)
        ids[name] = try state.addTask(
            NewTask(
                title: name, parent: parent.map { ids[$0]! }, deps: deps.map { ids[$0]! }, priority: priority,
                milestone: milestone),
            ctx(at: clock, nonce: nonce))
    }

    subscript(_ name: String) -> String { ids[name]! }

    func eval(_ reach: [String: Reachability] = [:]) -> Evaluation {
        var s: [String: TaskSummary] = [:]
        for (id, t) in state.tasks { s[id] = TaskSummary(t) }
        return Evaluation(tasks: s, reachability: reach)
    }
}

@Suite struct ReadinessTests {
    @Test func dependencyMustBeDoneHere() throws {
        var f = Fixture()
        try f.add("a")
        try f.add("b", deps: ["a"])
        #expect(f.eval().ready == [f["a"]])
        _ = try f.state.completeTask(f["a"], commit: "c1", branch: "feature", note: nil, ctx())
        // Done on another branch: shown as done elsewhere, does not satisfy the dependency.
        let elsewhere = f.eval(["c1": .unreachable])
        #expect(elsewhere.status[f["a"]] == .doneElsewhere)
        #expect(elsewhere.ready.isEmpty)
        let unknown = f.eval(["c1": .unknownCommit])
        #expect(unknown.status[f["a"]] == .doneUnknown)
        #expect(unknown.ready.isEmpty)
        let here = f.eval(["c1": .reachable])
        #expect(here.status[f["a"]] == .done)
        #expect(here.ready == [f["b"]])
    }

    @Test func cancelledDependencySatisfiesAndMissingDoesNot() throws {
        var f = Fixture()
        try f.add("a")
        try f.add("b", deps: ["a"])
        _ = try f.state.cancelTask(f["a"], reason: nil, ctx())
        #expect(f.eval().ready == [f["b"]])
        f.state.tasks[f["b"]]!.deps = ["t-0000000000"]
        #expect(f.eval().ready.isEmpty)
        #expect(f.eval().waitingOn(f["b"]).deps == ["t-0000000000"])
    }

    @Test func epicWithOpenChildrenIsNotReady() throws {
        var f = Fixture()
        try f.add("epic")
        try f.add("child", parent: "epic")
        #expect(f.eval().ready == [f["child"]])
        _ = try f.state.completeTask(f["child"], commit: "c", branch: "main", note: nil, ctx())
        #expect(f.eval(["c": .reachable]).ready == [f["epic"]])
    }

    @Test func inProgressAndBlockedAreNotReady() throws {
        var f = Fixture()
        try f.add("a")
        try f.add("b")
        _ = try f.state.startTask(f["a"], ctx())
        _ = try f.state.blockTask(f["b"], reason: "waiting on vendor", ctx())
        #expect(f.eval().ready.isEmpty)
        #expect(f.state.tasks[f["b"]]!.blocker == "waiting on vendor")
    }
}

@Suite struct RankingTests {
    @Test func orderIsResumePriorityUnblocksMilestoneAgeId() throws {
        var f = Fixture()
        let m1 = try f.state.addMilestone(title: "soon", due: "2026-02-01", ctx(nonce: 1))
        let m2 = try f.state.addMilestone(title: "later", due: "2026-06-01", ctx(nonce: 2))
        try f.add("old-p2")
        try f.add("p1", priority: 1)
        try f.add("unblocker")
        try f.add("waits1", deps: ["unblocker"])
        try f.add("waits2", deps: ["unblocker"])
        try f.add("m-later", milestone: m2)
        try f.add("m-soon", milestone: m1)
        try f.add("mine", priority: 4)
        _ = try f.state.startTask(f["mine"], ctx("alice", branch: "main"))
        let ranked = Ranking.rank(f.eval(), actor: "alice", branch: "main", milestoneOrder: f.state.milestoneOrder)
        let names = ranked.map { r in f.ids.first { $0.value == r.id }!.key }
        #expect(names == ["mine", "p1", "unblocker", "m-soon", "m-later", "old-p2"])
        #expect(ranked[2].terms.unblocks == 2)
        // Someone else's in-progress task, or mine on another branch, is not offered.
        let bob = Ranking.rank(f.eval(), actor: "bob", branch: "main", milestoneOrder: f.state.milestoneOrder)
        #expect(!bob.contains { $0.id == f["mine"] })
        let other = Ranking.rank(f.eval(), actor: "alice", branch: "feature", milestoneOrder: f.state.milestoneOrder)
        #expect(!other.contains { $0.id == f["mine"] })
    }

    @Test func ageThenIdBreakTies() throws {
        var f = Fixture()
        try f.add("first")
        try f.add("second")
        let ranked = Ranking.rank(f.eval(), actor: "a", branch: nil, milestoneOrder: [:])
        #expect(ranked.map(\.id) == [f["first"], f["second"]])
        f.state.tasks[f["second"]]!.created.at = f.state.tasks[f["first"]]!.created.at
        let tied = Ranking.rank(f.eval(), actor: "a", branch: nil, milestoneOrder: [:])
        #expect(tied.map(\.id) == [f["first"], f["second"]].sorted())
    }
}

@Suite struct MutationTests {
    @Test func cyclesAndSelfDependenciesAreRefused() throws {
        var f = Fixture()
        try f.add("a")
        try f.add("b", deps: ["a"])
        try f.add("c", deps: ["b"])
        #expect(throws: ModelError.dependencyCycle(path: [f["a"], f["c"], f["b"], f["a"]])) {
            try f.state.addDependency(f["a"], on: f["c"], ctx())
        }
        #expect(throws: ModelError.selfDependency(id: f["a"])) { try f.state.addDependency(f["a"], on: f["a"], ctx()) }
        #expect(throws: ModelError.unknownID(kind: .task, id: "t-ffff")) {
            try f.state.addDependency(f["a"], on: "t-ffff", ctx())
        }
        try f.add("p")
        try f.add("kid", parent: "p")
        var e = TaskEdit()
        e.parent = .some(f["kid"])
        #expect(throws: ModelError.parentCycle(path: [f["p"], f["kid"], f["p"]])) {
            try f.state.editTask(f["p"], e, ctx())
        }
    }

    @Test func addValidatesInputs() throws {
        var s = ProjectState(projectName: "p")
        #expect(throws: ModelError.emptyText(field: "title")) { try s.addTask(NewTask(title: "  "), ctx()) }
        #expect(throws: ModelError.invalidPriority(5)) { try s.addTask(NewTask(title: "x", priority: 5), ctx()) }
        #expect(throws: ModelError.unknownID(kind: .task, id: "nope")) {
            try s.addTask(NewTask(title: "x", deps: ["nope"]), ctx())
        }
        #expect(throws: ModelError.invalidValue(field: "due", value: "soon", reason: "expected a date like 2026-12-31"))
        {
            try s.addMilestone(title: "m", due: "soon", ctx())
        }
        #expect(s.tasks.isEmpty)
    }

    @Test func editAppendsNotesAndStampsUpdate() throws {
        var f = Fixture()
        try f.add("a")
        var e = TaskEdit()
        e.note = "first"
        e.addLabels = ["x"]
        let later = t0.adding(seconds: 3600)
        _ = try f.state.editTask(f["a"], e, ctx("bob", at: later))
        e.note = "second"
        _ = try f.state.editTask(f["a"], e, ctx("bob", at: later))
        let t = f.state.tasks[f["a"]]!
        #expect(t.notes.map(\.text) == ["first", "second"])
        #expect(t.updated == Stamp(at: later, actor: "bob"))
        #expect(t.labels == ["x"])
    }

    @Test func startRecordsWhereAndCompleteRecordsCommit() throws {
        var f = Fixture()
        try f.add("a")
        _ = try f.state.startTask(f["a"], ctx("alice", branch: "feat", head: "abc"))
        #expect(f.state.tasks[f["a"]]!.started == StartRecord(at: t0, actor: "alice", branch: "feat", commit: "abc"))
        #expect(throws: ModelError.alreadyInStatus(id: f["a"], status: .inProgress)) {
            try f.state.startTask(f["a"], ctx("alice", branch: "feat", head: "abc"))
        }
        _ = try f.state.completeTask(f["a"], commit: "def", branch: "feat", note: "shipped", ctx())
        let t = f.state.tasks[f["a"]]!
        #expect(t.status == .done)
        #expect(t.completion == Completion(commit: "def", branch: "feat", at: t0, actor: "alice", note: "shipped"))
        _ = try f.state.reopenTask(f["a"], ctx())
        #expect(f.state.tasks[f["a"]]!.completion == nil)
        #expect(f.state.tasks[f["a"]]!.notes.last!.text.contains("def"))
    }

    @Test func changesListEveryTouchedEntity() throws {
        var f = Fixture()
        try f.add("a")
        let before = f.state
        try f.add("b")
        _ = try f.state.startTask(f["a"], ctx())
        let changes = before.changes(to: f.state)
        #expect(changes.map(\.id) == [f["a"], f["b"]].sorted())
        #expect(changes.first { $0.id == f["b"] }!.before == nil)
    }
}
