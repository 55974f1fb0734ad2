import Testing

@testable import StateModel

/// The evaluated graph updated edit by edit equals the graph evaluated from scratch (issue 11).
@Suite struct EvaluatedGraphTests {
    static let base = Timestamp(seconds: 1_800_000_000)
    /// Commits `0…`–`3…` are reachable, `4…`–`6…` exist elsewhere, the rest are unknown.
    static let reach: [String: Reachability] = Dictionary(
        uniqueKeysWithValues: (0..<10).compactMap { d -> (String, Reachability)? in
            d >= 7 ? nil : (String(repeating: String(d), count: 40), d < 4 ? .reachable : .unreachable)
        })
    static let copies = CopyInputs(now: base.adding(seconds: 5_000), staleAfter: 3_000)

    static func summaries(_ s: ProjectState) -> [String: TaskSummary] {
        var out: [String: TaskSummary] = [:]
        for (id, t) in s.tasks { out[id] = TaskSummary(t) }
        return out
    }

    static func full(_ s: ProjectState) -> [String: EvaluatedTask] {
        let e = Evaluation(tasks: summaries(s), reachability: reach, copies: copies)
        return Dictionary(uniqueKeysWithValues: e.rows(milestoneOrder: s.milestoneOrder).map { ($0.id, $0) })
    }

    /// One random edit of the kinds the CLI makes, plus hand edits the index must survive
    /// (a task removed, a dependency on a task that does not exist).
    static func edit(_ state: inout ProjectState, _ rng: inout SeededRandom) {
        let ids = state.tasks.keys.sorted()
        let ctx = MutationContext(
            actor: rng.next() % 2 == 0 ? "ann" : "bob", now: base.adding(seconds: Int64(rng.next() % 8_000)),
            branch: "main", head: nil, nonce: rng.next())
        guard let id = ids.randomElement(using: &rng), rng.next() % 6 != 0 else {
            let parent = rng.next() % 3 == 0 ? ids.randomElement(using: &rng) : nil
            let deps = ids.isEmpty ? [] : (0..<Int(rng.next() % 3)).compactMap { _ in ids.randomElement(using: &rng) }
            _ = try? state.addTask(
                NewTask(
                    title: "t\(rng.next() % 1000)", parent: parent, deps: Array(Set(deps)).sorted(),
                    priority: Int(rng.next() % 4), milestone: state.milestones.keys.sorted().randomElement(using: &rng)),
                ctx)
            return
        }
        var e = TaskEdit()
        switch rng.next() % 12 {
        case 0: _ = try? state.startTask(id, ctx)
        case 1: _ = try? state.startTask(id, ctx, lease: 2_000)
        case 2:
            let commit = rng.next() % 3 == 0 ? nil : String(repeating: String(rng.next() % 10), count: 40)
            _ = try? state.completeTask(id, commit: commit, branch: "main", note: nil, ctx)
        case 3: _ = try? state.blockTask(id, reason: "why", ctx)
        case 4: _ = try? state.cancelTask(id, reason: nil, ctx)
        case 5: _ = try? state.reopenTask(id, ctx)
        case 6:
            e.priority = Int(rng.next() % 4)
            _ = try? state.editTask(id, e, ctx)
        case 7: if let d = ids.randomElement(using: &rng) { _ = try? state.addDependency(id, on: d, ctx) }
        case 8: if let d = state.tasks[id]?.deps.first { _ = try? state.removeDependency(id, on: d, ctx) }
        case 9:
            e.parent = .some(rng.next() % 4 == 0 ? nil : ids.randomElement(using: &rng))
            _ = try? state.editTask(id, e, ctx)
        case 10: state.tasks[id] = nil  // by hand: dependents now wait on a missing task
        default: state.tasks[id]?.deps.append("t-missing\(rng.next() % 3)")
        }
    }

    @Test(arguments: 0..<12) func incrementalUpdateEqualsFullEvaluation(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed &* 7919 &+ 1)
        var state = ProjectState(projectName: "p")
        let mctx = MutationContext(actor: "ann", now: Self.base, branch: "main", head: nil, nonce: 1)
        _ = try state.addMilestone(title: "first", due: nil, mctx)
        _ = try state.addMilestone(title: "second", due: "2030-01-01", mctx)
        var rows = Self.full(state)
        for step in 0..<150 {
            let before = state
            Self.edit(&state, &rng)
            let dirty = Set(before.changes(to: state).filter { $0.kind == "task" }.map(\.id))
            let now = Self.summaries(state)
            var resolved: [String: ResolvedTask] = [:]
            for d in dirty {
                guard let t = now[d] else { continue }
                resolved[d] = Evaluation.resolve(
                    t, facts: [], reachability: Self.reach, recovered: nil, copies: Self.copies,
                    uncommittedElsewhere: false)
            }
            var dependents: [String: [String]] = [:]
            var children: [String: [String]] = [:]
            for t in now.values {
                for d in t.deps { dependents[d, default: []].append(t.id) }
                if let p = t.parent { children[p, default: []].append(t.id) }
            }
            let old = rows
            let update = try #require(
                EvaluatedGraph.update(
                    dirty: dirty, resolved: resolved, summary: { now[$0] }, row: { old[$0] },
                    dependents: { dependents[$0] ?? [] }, children: { (children[$0] ?? []).sorted() },
                    milestoneOrder: state.milestoneOrder))
            for r in update.rows { rows[r.id] = r }
            for id in update.removed { rows[id] = nil }
            let expected = Self.full(state)
            #expect(rows == expected, "seed \(seed), step \(step)")
            if rows != expected { return }
        }
    }
}
