import Foundation
import StateModel
import Testing

@testable import Reports
@testable import StateModel

/// A small deterministic generator (SplitMix64): the same seed gives the same cases on every run
/// and every machine, so a failure names a case that can be replayed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Properties over many generated inputs, through the real binary (issue 9, acceptance).
@Suite struct PropertyTests {
    static let stateFile = ".codex-state/project_state.json"

    // MARK: - The merge driver

    /// Random edits of one task graph on two sides. Every operation is one the CLI offers.
    static func edit(_ state: inout ProjectState, _ rng: inout SeededRandom, actor: String, at: Timestamp) {
        let ids = state.tasks.keys.sorted()
        guard let id = ids.randomElement(using: &rng) else { return }
        let ctx = MutationContext(
            actor: actor, now: at, branch: actor, head: String(repeating: actor == "ours" ? "a" : "b", count: 40),
            nonce: rng.next())
        var edit = TaskEdit()
        switch rng.next() % 12 {
        case 0: _ = try? state.startTask(id, ctx)
        case 1: _ = try? state.startTask(id, ctx, lease: 3600)
        case 2:
            // A completion names a commit (`complete --commit`) or not (a plain `complete`).
            let commit = rng.next() % 2 == 0 ? String(repeating: String(rng.next() % 10), count: 40) : nil
            _ = try? state.completeTask(id, commit: commit, branch: actor, note: nil, ctx)
        case 3: _ = try? state.blockTask(id, reason: "waiting on \(actor)", ctx)
        case 4: _ = try? state.cancelTask(id, reason: nil, ctx)
        case 5: _ = try? state.reopenTask(id, ctx)
        case 6:
            edit.title = "\(actor) title \(rng.next() % 100)"
            _ = try? state.editTask(id, edit, ctx)
        case 7:
            edit.priority = Int(rng.next() % 5)
            _ = try? state.editTask(id, edit, ctx)
        case 8:
            if let dep = ids.randomElement(using: &rng) { _ = try? state.addDependency(id, on: dep, ctx) }
        case 9:
            edit.parent = .some(ids.randomElement(using: &rng))
            _ = try? state.editTask(id, edit, ctx)
        case 10:
            // Memories of every kind, superseded and forgotten, on either side.
            let kinds: [MemoryKind] = [.decision, .constraint, .note]
            let live = state.memoryMap.values.filter { !$0.isForgotten }.map(\.id).sorted()
            switch rng.next() % 3 {
            case 0 where !live.isEmpty:
                _ = try? state.forgetMemory(live[Int(rng.next() % UInt64(live.count))], ctx)
            case 1 where !live.isEmpty:
                let old = live[Int(rng.next() % UInt64(live.count))]
                _ = try? state.remember(
                    NewMemory(kind: .decision, text: "\(actor) replaces \(old) \(rng.next())", supersedes: [old]), ctx)
            default:
                _ = try? state.remember(
                    NewMemory(
                        kind: kinds[Int(rng.next() % 3)], text: "\(actor) learned \(rng.next())", why: "because",
                        tasks: [id], paths: ["src/\(actor)"]), ctx)
            }
        default:
            _ = try? state.addTask(NewTask(title: "\(actor) new \(rng.next() % 1000)"), ctx)
        }
    }

    @Test func randomDivergentEditsMergeIntoValidStates() throws {
        let s = try Sandbox()
        let dir = s.path("merge")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var rng = SeededRandom(seed: 0xC0DE_5747)
        let t0 = Timestamp(seconds: 1_768_467_600)
        var results: [String] = []
        for round in 0..<40 {
            var base = ProjectState(projectName: "p")
            let setup = MutationContext(actor: "base", now: t0, branch: "main", head: nil, nonce: rng.next())
            for i in 0..<5 { _ = try base.addTask(NewTask(title: "task \(i)"), setup) }
            var ours = base
            var theirs = base
            for step in 0..<Int(1 + rng.next() % 5) {
                Self.edit(&ours, &rng, actor: "ours", at: t0.adding(seconds: Int64(10 + step)))
                Self.edit(
                    &theirs, &rng, actor: "theirs", at: t0.adding(seconds: Int64(10 + step + Int(rng.next() % 3))))
            }
            try Data(try StateCodec.encode(base)).write(to: URL(fileURLWithPath: dir + "/base"))
            try Data(try StateCodec.encode(ours)).write(to: URL(fileURLWithPath: dir + "/ours"))
            try Data(try StateCodec.encode(theirs)).write(to: URL(fileURLWithPath: dir + "/theirs"))
            let r = try s.cs("merge-driver", dir + "/base", dir + "/ours", dir + "/theirs", Self.stateFile, in: dir)
            #expect(r.ok, "round \(round): \(r.stderr)")
            let merged = try #require(FileManager.default.contents(atPath: dir + "/ours"))
            let state: ProjectState
            do {
                state = try StateCodec.decode(Array(merged))
            } catch {
                Issue.record("round \(round): the merged file does not decode: \(error)")
                continue
            }
            // Schema-valid: the field invariants hold whatever the merge kept.
            let invariants = StateCheck.invariantFindings(state)
            #expect(invariants.isEmpty, "round \(round): \(invariants.map(\.message))")
            // check-clean, or the merge says what it settled in conflict records.
            let conflicted = state.tasks.values.contains { !($0.conflicts ?? []).isEmpty }
            let cycles = StateCheck.cycleFindings(state)
            #expect(cycles.isEmpty || conflicted, "round \(round): \(cycles.map(\.message))")
            // Nothing lost: every task either side had is in the result.
            let all = Set(ours.tasks.keys).union(theirs.tasks.keys)
            #expect(all.isSubset(of: Set(state.tasks.keys)), "round \(round): lost tasks")
            let kept = dir + "/merged-\(round).json"
            try merged.write(to: URL(fileURLWithPath: kept))
            results.append(kept)
        }
        // Every merge result against the shipped schema (docs/state.schema.json), in one run.
        if let problems = try SchemaTests.validate(s, results) {
            #expect(problems.isEmpty, "merge results the schema refuses:\n\(problems)")
        }
    }

    // MARK: - The state decoder

    @Test func randomMutationsOfAValidFileNeverCrashNeverOverwriteAndSayOneLine() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let a = try s.ok("task", "add", "Alpha", "--label", "x", "--body", "b", in: repo)
        try s.ok("task", "add", "Beta", "--dep", a, "--priority", "1", in: repo)
        try s.ok("task", "start", a, in: repo)
        try s.ok("task", "edit", a, "--note", "a note", in: repo)
        let file = repo + "/" + Self.stateFile
        let valid = Array(try #require(FileManager.default.contents(atPath: file)))
        var rng = SeededRandom(seed: 0xF022_0001)
        let tokens: [[UInt8]] = [
            "{", "}", "[", "]", ",", ":", "\"", "null", "true", "-1", "1.5", "1e999", "\"t-\"", "\\u0000",
            "\u{1B}[2J", "\n<<<<<<< x\n", "\"schema\": 2,", "99999999999999999999",
        ].map { Array($0.utf8) }
        var accepted = 0
        for round in 0..<60 {
            var bytes = valid
            for _ in 0..<Int(1 + rng.next() % 3) {
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 4 {
                case 0: bytes.remove(at: at)
                case 1: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                case 2: bytes.insert(contentsOf: tokens[Int(rng.next() % UInt64(tokens.count))], at: at)
                default: bytes.removeSubrange(at..<min(bytes.count, at + Int(rng.next() % 40)))
                }
            }
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            for args in [["tasks"], ["task", "add", "fuzz"]] {
                let r = try s.run(Sandbox.binary, args, in: repo)
                #expect(r.status < 128, "round \(round) \(args): crashed with \(r.status)")
                if r.ok {
                    if args == ["tasks"] { accepted += 1 }
                    continue
                }
                #expect(r.stderr.split(separator: "\n").count == 1, "round \(round) \(args): \(r.stderr)")
                #expect(r.stderr.contains("project_state.json"), "round \(round) \(args): \(r.stderr)")
                #expect(
                    FileManager.default.contents(atPath: file).map(Array.init) == bytes,
                    "round \(round) \(args): a refused file was changed")
            }
        }
        // Most mutations break the file; the few that keep it valid (inside a string) are fine.
        #expect(accepted < 60)
    }
}
