import Foundation
import Testing

/// The agent-loop mutations (`complete`, `task start`, `task add`, `next --claim`, and `task
/// block`, `cancel`, `reopen`, `edit`) read only the tasks they declare, through the index. What
/// a user sees must not depend on the index: the same commands on a twin repository whose index
/// is thrown away before each command (so every one rebuilds it from the file) print the same,
/// fail the same and leave the same state, byte for byte (`CODEX_STATE_ID_SEED` makes the
/// twins' new ids the same).
@Suite struct FocusedTransactionTests {

    /// A repository and its copy, which loses its index before every command.
    struct Twins {
        let s: Sandbox
        let focused: String
        let full: String

        /// Runs `args` in both twins (the full twin without its index) and expects the same.
        @discardableResult
        func run(_ args: [String], actor: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Run {
            let env = ["CODEX_STATE_ACTOR": actor, "CODEX_STATE_ID_SEED": "7"]
            let a = try s.run(Sandbox.binary, args, in: focused, env: env)
            for f in ["index.sqlite", "index.sqlite-wal", "index.sqlite-shm"] {
                try? FileManager.default.removeItem(atPath: full + "/.git/codex-state/" + f)
            }
            let b = try s.run(Sandbox.binary, args, in: full, env: env)
            let what = "codex-state \(args.joined(separator: " ")) as \(actor)"
            #expect(a.status == b.status, "\(what): exit \(a.status) vs \(b.status)", sourceLocation: sourceLocation)
            #expect(a.stdout == b.stdout, "\(what): stdout differs", sourceLocation: sourceLocation)
            #expect(a.stderr == b.stderr, "\(what): stderr differs", sourceLocation: sourceLocation)
            return a
        }

        func expectSameState(sourceLocation: SourceLocation = #_sourceLocation) throws {
            let a = try s.read(focused + "/.codex-state/project_state.json")
            let b = try s.read(full + "/.codex-state/project_state.json")
            #expect(a == b, "the twins' states differ", sourceLocation: sourceLocation)
        }
    }

    func twins(_ s: Sandbox, tasks: Int, rng: inout SeededRandom) throws -> (Twins, [String]) {
        let repo = try s.repo("focused")
        try s.ok("init", in: repo)
        var ids: [String] = []
        for i in 0..<tasks {
            var args = ["task", "add", "Task \(i)", "--priority", "\(rng.below(5))"]
            if !ids.isEmpty {
                for _ in 0..<rng.below(3) { args += ["--dep", rng.pick(ids)] }
                if rng.below(4) == 0 { args += ["--parent", rng.pick(ids)] }
            }
            let r = try s.run(Sandbox.binary, args, in: repo)
            #expect(r.ok, "\(r.stderr)")
            ids.append(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        try s.git("add", ".codex-state", in: repo)
        try s.git("commit", "-qm", "state", in: repo)
        let full = s.path("full")
        _ = try s.run("cp", ["-a", repo, full], in: s.root)
        try? FileManager.default.removeItem(atPath: full + "/.git/codex-state/index.sqlite")
        return (Twins(s: s, focused: repo, full: full), ids)
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func theAgentLoopPrintsAndWritesWhatTheFullPathDoes(seed: UInt64) throws {
        let s = try Sandbox()
        var rng = SeededRandom(seed: seed)
        let (t, ids0) = try twins(s, tasks: 24, rng: &rng)
        var ids = ids0
        let actors = ["tester", "other"]
        for step in 0..<36 {
            let actor = rng.pick(actors)
            let id = rng.pick(ids)
            let named = rng.below(3) == 0 ? String(id.prefix(5)) : id  // a prefix, often ambiguous
            switch rng.below(9) {
            case 0: try t.run(["complete", named], actor: actor)
            case 1: try t.run(["complete", named, "--json", "--note", "step \(step)"], actor: actor)
            case 2: try t.run(["task", "start", named], actor: actor)
            case 3: try t.run(["next", "--claim", "--json"], actor: actor)
            case 4:
                var args = ["task", "add", "New \(step)"]
                for _ in 0..<rng.below(3) {
                    args += ["--dep", rng.below(4) == 0 ? String(rng.pick(ids).prefix(6)) : rng.pick(ids)]
                }
                if rng.below(3) == 0 { args += ["--parent", rng.pick(ids)] }
                let r = try t.run(args, actor: actor)
                if r.ok { ids.append(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) }
            case 5: try t.run(["task", "block", named, "--reason", "step \(step)"], actor: actor)
            case 6: try t.run(rng.below(2) == 0 ? ["task", "cancel", named] : ["task", "reopen", named], actor: actor)
            case 7:
                try t.run(
                    [
                        "task", "edit", named, "--title", "Edited \(step)", "--priority", "\(rng.below(5))", "--label",
                        "l\(step % 3)",
                    ],
                    actor: actor)
            default:
                // What the body refuses: an unknown id, a finished task started again.
                try t.run(rng.below(2) == 0 ? ["complete", "t-zz"] : ["task", "start", id], actor: actor)
            }
            try t.expectSameState()
        }
        // Afterwards the focused twin's index still answers as a rebuilt one does.
        try t.run(["tasks", "--json", "--all"], actor: "tester")
        try t.run(["next", "-n", "5"], actor: "other")
    }

    /// `complete` names what it unblocked: a dependent whose last dependency it was, and a parent
    /// whose last open child it was; not a task still waiting on something else.
    @Test func completeNamesWhatItUnblocked() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let a = try s.ok("task", "add", "A", in: repo)
        let b = try s.ok("task", "add", "B", in: repo)
        let after = try s.ok("task", "add", "After A", "--dep", a, in: repo)
        let both = try s.ok("task", "add", "After A and B", "--dep", a, "--dep", b, in: repo)
        let epic = try s.ok("task", "add", "Epic", in: repo)
        let child = try s.ok("task", "add", "Child", "--parent", epic, in: repo)
        let done = s.json(try s.ok("complete", a, "--json", in: repo))
        let unblocked = (done["unblocked"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
        #expect(unblocked == [after].sorted(), "\(done)")
        #expect(unblocked?.contains(both) == false)
        let second = s.json(try s.ok("complete", child, "--json", in: repo))
        #expect((second["unblocked"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [epic])
    }
}

extension SeededRandom {
    /// A number in `0..<n`.
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}
