import Foundation
import StateModel
import StateStore
import Testing

/// The index kept up to date edit by edit (rows by `StateIndex.apply`, the evaluated graph by
/// `updateEvaluation`) equals an index rebuilt from the same file and evaluated from scratch,
/// after every step of random mutation sequences (issue 11, acceptance).
@Suite struct IndexPropertyTests {
    static let reach: [String: Reachability] = Dictionary(
        uniqueKeysWithValues: (0..<10).compactMap { d -> (String, Reachability)? in
            d >= 7 ? nil : (String(repeating: String(d), count: 40), d < 4 ? .reachable : .unreachable)
        })
    static let base = Timestamp(seconds: 1_800_000_000)
    static let copies = CopyInputs(now: base.adding(seconds: 40_000), staleAfter: 20_000)

    static func summaries(_ s: ProjectState) -> [String: TaskSummary] {
        var out: [String: TaskSummary] = [:]
        for (id, t) in s.tasks { out[id] = TaskSummary(t) }
        return out
    }

    /// An index built from `state` with its graph evaluated from scratch.
    static func rebuilt(_ state: ProjectState, hash: String, at path: String) throws -> StateIndex {
        let index = try StateIndex(path: path)
        try index.rebuild(from: state, hash: hash, stamp: nil)
        let all = summaries(state)
        let e = Evaluation(tasks: all, reachability: reach, copies: copies)
        #expect(
            try index.storeEvaluation(
                e.rows(milestoneOrder: state.milestoneOrder), facts: [:], hash: hash, context: "c",
                copies: nil, validUntil: e.validUntil))
        return index
    }

    /// ``GraphTotals`` counted from a full evaluation of `state`.
    static func counted(_ state: ProjectState) -> GraphTotals {
        let e = Evaluation(tasks: summaries(state), reachability: reach, copies: copies)
        var out = GraphTotals()
        for (id, s) in e.status {
            out.statuses[s, default: 0] += 1
            if s == .open { if e.ready.contains(id) { out.ready += 1 } else { out.waiting += 1 } }
            if s == .blocked { out.blocked += 1 }
            if let m = state.tasks[id]?.milestone {
                let finished = s == .done || s == .cancelled ? 1 : 0
                out.milestones[m] = (
                    done: (out.milestones[m]?.done ?? 0) + finished, total: (out.milestones[m]?.total ?? 0) + 1
                )
            }
        }
        let conflicted = state.tasks.values.filter { !($0.conflicts ?? []).isEmpty }.sorted { $0.id < $1.id }
        out.conflictTasks = conflicted.count
        out.conflictRecords = conflicted.reduce(0) { $0 + ($1.conflicts?.count ?? 0) }
        out.conflictTaskIDs = conflicted.prefix(2).map(\.id)
        return out
    }

    @Test(arguments: 0..<6) func incrementalIndexEqualsARebuild(seed: UInt64) throws {
        let dir = NSTemporaryDirectory() + "/codex-state-index-\(seed)-\(UUID().uuidString)"
        for sub in ["/.git/codex-state", "/.codex-state/sessions"] {
            try FileManager.default.createDirectory(atPath: dir + sub, withIntermediateDirectories: true)
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = StateStore(paths: StorePaths(workdir: dir, gitDir: dir + "/.git", commonDir: dir + "/.git"))
        var rng = SeededRandom(seed: seed &+ 11)
        var state = ProjectState(projectName: "p")
        let ctx = MutationContext(actor: "ours", now: Self.base, branch: "main", head: nil, nonce: 1)
        let milestones = [try state.addMilestone(title: "m1", due: nil, ctx), "m-gone"]
        for i in 0..<12 { _ = try state.addTask(NewTask(title: "seed \(i)", priority: i % 4), ctx) }
        let first = try store.write(.whole(state), over: nil, index: nil, journal: nil).content.hash
        let index = try store.openIndex()
        _ = try Self.rebuilt(state, hash: first, at: dir + "/.git/codex-state/index.sqlite")
        for step in 0..<60 {
            let before = try store.readState()
            let roll = rng.next() % 16
            if roll < 2, let gone = state.tasks.keys.sorted().randomElement(using: &rng) {
                state.tasks[gone] = nil  // a removal, as a hand edit or a merge makes
            } else if roll < 4, let id = state.tasks.keys.sorted().randomElement(using: &rng) {
                // Into a milestone (one that exists or one that does not), or out of it.
                var edit = TaskEdit()
                edit.milestone = .some(rng.next() % 3 == 0 ? nil : milestones[Int(rng.next() % 2)])
                _ = try? state.editTask(id, edit, ctx)
            } else if roll < 5, let id = state.tasks.keys.sorted().randomElement(using: &rng) {
                // Conflict records, as a merge leaves them (or resolved: none).
                let n = Int(rng.next() % 3)
                state.tasks[id]?.conflicts =
                    n == 0
                    ? nil
                    : (0..<n).map {
                        FieldConflict(
                            field: "title", kept: .string("k\($0)"), other: .string("o"), winner: .ours,
                            rule: .laterUpdate, at: Self.base)
                    }
            } else {
                RandomEdits.edit(
                    &state, &rng, actor: rng.next() % 2 == 0 ? "ours" : "theirs",
                    at: Self.base.adding(seconds: Int64(step) * 600))
            }
            let changes = before.state.changes(to: state)
            guard !changes.isEmpty else { continue }
            let spliced = try #require(try CanonicalSplice.splice(changes, in: before.bytes))
            let hash = try store.write(
                .splice(spliced, changes: changes, project: state.project),
                over: FileContent(bytes: before.bytes, hash: before.hash), index: index, journal: nil
            ).content.hash
            let stored = try #require(try index.storedEvaluation())
            let now = try index.summaries(stored.dirty)
            var resolved: [String: ResolvedTask] = [:]
            for (id, t) in now {
                resolved[id] = Evaluation.resolve(
                    t, facts: [], reachability: Self.reach, recovered: nil, copies: Self.copies,
                    uncommittedElsewhere: false)
            }
            #expect(
                try index.updateEvaluation(
                    dirty: stored.dirty, resolved: resolved, milestoneOrder: state.milestoneOrder, context: "c"))
            let fresh = try Self.rebuilt(state, hash: hash, at: dir + "/fresh-\(step).sqlite")
            #expect(try index.load().tasks == fresh.load().tasks, "seed \(seed), step \(step): task rows")
            #expect(try index.evaluatedRows() == fresh.evaluatedRows(), "seed \(seed), step \(step): evaluated graph")
            #expect(try index.storedEvaluation()?.dirty == [])
            // The counts kept with the rows equal the counts of a full evaluation and of the rows.
            let kept = try index.totals(conflictIDs: 2)
            #expect(kept == (try index.recountedTotals(conflictIDs: 2)), "seed \(seed), step \(step): totals")
            #expect(kept == (try fresh.totals(conflictIDs: 2)), "seed \(seed), step \(step): totals, rebuilt")
            #expect(kept == Self.counted(state), "seed \(seed), step \(step): totals, evaluated")
        }
    }
}
