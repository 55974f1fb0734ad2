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
                e.rows(milestoneOrder: state.milestoneOrder), summaries: all, facts: [:], hash: hash, context: "c",
                copies: nil, validUntil: e.validUntil))
        return index
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
        _ = try state.addMilestone(title: "m1", due: nil, ctx)
        for i in 0..<12 { _ = try state.addTask(NewTask(title: "seed \(i)", priority: i % 4), ctx) }
        let first = try store.write(state, replacing: nil, changes: []).hash
        let index = try store.openIndex()
        _ = try Self.rebuilt(state, hash: first, at: dir + "/.git/codex-state/index.sqlite")
        for step in 0..<60 {
            let before = try store.readState()
            if rng.next() % 8 == 0, let gone = state.tasks.keys.sorted().randomElement(using: &rng) {
                state.tasks[gone] = nil  // a removal, as a hand edit or a merge makes
            } else {
                PropertyTests.edit(
                    &state, &rng, actor: rng.next() % 2 == 0 ? "ours" : "theirs",
                    at: Self.base.adding(seconds: Int64(step) * 600))
            }
            let changes = before.state.changes(to: state)
            guard !changes.isEmpty else { continue }
            let hash = try store.write(state, replacing: before, changes: changes).hash
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
        }
    }
}
