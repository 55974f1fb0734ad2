import Testing

@testable import StateModel

/// The write path's slice holds what an operation declared, and nothing else: the footprint is a
/// type, not a comment. An operation that reaches past it fails loudly, whatever the data.
@Suite struct StateSliceTests {
    struct NoFacts: GraphFacts {
        func taskExists(_ id: String) throws -> Bool { id == "t-0000000009" }
        func dependencies(of id: String) throws -> [String] { id == "t-0000000009" ? ["t-0000000001"] : [] }
        func parent(of id: String) throws -> String? { nil }
    }

    let ctx = MutationContext(actor: "a", now: Timestamp(seconds: 1_800_000_000), branch: "main", head: nil, nonce: 1)

    func slice(_ footprint: Footprint, tasks: [TaskRecord]) -> StateSlice {
        var names: [String: Result<String, any Error>] = [:]
        for ref in footprint.tasks {
            if let t = tasks.first(where: { $0.id == ref }) {
                names[ref] = .success(t.id)
            } else {
                names[ref] = .failure(ModelError.unknownID(kind: .task, id: ref))
            }
        }
        return StateSlice(
            project: ProjectInfo(name: "p"), goals: [:], milestones: [:],
            tasks: Dictionary(uniqueKeysWithValues: tasks.map { ($0.id, $0) }), names: names, memories: nil,
            footprint: footprint, facts: NoFacts())
    }

    func task(_ id: String, deps: [String] = []) -> TaskRecord {
        TaskRecord(id: id, title: id, deps: deps, created: Stamp(at: ctx.now, actor: "a"))
    }

    @Test func anythingOutsideTheFootprintThrows() throws {
        var s = slice(Footprint(tasks: ["t-0000000001"]), tasks: [task("t-0000000001"), task("t-0000000002")])
        #expect(try s.task("t-0000000001") != nil)
        #expect(throws: FootprintViolation.self) { try s.task("t-0000000002") }
        #expect(throws: FootprintViolation.self) { try s.setTask("t-0000000002", task("t-0000000002")) }
        #expect(throws: FootprintViolation.self) { try s.resolveTask("t-00000000") }
        // Graph questions and new tasks only when declared.
        #expect(throws: FootprintViolation.self) { try s.dependencies(of: "t-0000000009") }
        #expect(throws: FootprintViolation.self) { try s.taskExists("t-0000000009") }
        #expect(throws: FootprintViolation.self) { try s.committedMemories() }
        #expect(throws: FootprintViolation.self) {
            try s.addDependency("t-0000000001", on: "t-0000000002", ctx)
        }
        // What it holds it may change.
        _ = try s.startTask("t-0000000001", ctx)
        #expect(try s.task("t-0000000001")?.status == .inProgress)
    }

    @Test func declaredQuestionsAreAnsweredByTheGraphFacts() throws {
        let declared = Footprint(tasks: ["t-0000000001"], adds: true, cycles: true)
        var s = slice(declared, tasks: [task("t-0000000001")])
        #expect(try s.taskExists("t-0000000009"))
        // 9 waits on 1 (the index says): 1 waiting on 9 would close a cycle.
        #expect(try s.dependencyCycle(adding: "t-0000000001", dependsOn: "t-0000000009") != nil)
        let id = try s.addTask(NewTask(title: "new"), ctx)
        #expect(try s.task(id)?.title == "new")
    }

    /// The same operation on the whole state (the reference) and on a slice of its declared
    /// records changes the same records the same way.
    @Test func anOperationOnASliceChangesWhatItChangesOnTheWholeState() throws {
        var whole = ProjectState(projectName: "p")
        for t in [task("t-0000000001"), task("t-0000000002", deps: ["t-0000000001"])] { whole.tasks[t.id] = t }
        var s = slice(Footprint(tasks: ["t-0000000002"]), tasks: [task("t-0000000002", deps: ["t-0000000001"])])
        let before = s
        let reference = whole
        _ = try whole.completeTask("t-0000000002", commit: nil, branch: "main", note: "n", ctx)
        _ = try s.completeTask("t-0000000002", commit: nil, branch: "main", note: "n", ctx)
        #expect(s.changes(since: before) == reference.changes(to: whole))
    }
}
