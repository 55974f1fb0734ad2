import Foundation
import Testing

@testable import StateModel

/// Random mutation sequences over random states: after every step, the file spliced from the
/// previous file and the step's changes is byte-identical to the full canonical encoding.
@Suite struct CanonicalSpliceTests {
    /// Text that exercises the encoder: quotes, backslashes, slashes, control characters,
    /// non-ASCII, long lines, and strings that look like the file's own structure.
    static let texts = [
        "Write the store", "quote \" and backslash \\ and slash /", "line\nbreak\tand tab",
        "naïve café 😀 ümlaut", "    \"t-0123456789\": {", "\n  }\n}\n", "{}", "[]", "a,b:c",
        String(repeating: "long ", count: 80), "\u{1}\u{1F}\u{7F}", "ends with space ",
    ]

    static func pick<T>(_ items: [T], _ rng: inout SeededRandom) -> T { items[Int(rng.next() % UInt64(items.count))] }

    /// One random operation, through the same pure mutations the commands run. Returns what it
    /// did, for the failure message; operations the model refuses (a cycle, a cancelled task)
    /// leave the state unchanged, as a transaction would.
    static func step(_ state: inout ProjectState, _ rng: inout SeededRandom, at: Timestamp) -> String {
        let c = MutationContext(
            actor: pick(["alice", "bob", "ça va"], &rng), now: at, branch: pick(["main", "feature/x", nil], &rng),
            head: pick([nil, String(repeating: "ab", count: 20)], &rng), nonce: rng.next())
        let ids = state.tasks.keys.sorted()
        func anyTask() -> String? { ids.isEmpty ? nil : pick(ids, &rng) }
        var s = state
        let op = Int(rng.next() % 20)
        var name = "op\(op)"
        do {
            switch op {
            case 0, 1, 2:
                name = "add"
                var new = NewTask(title: pick(texts, &rng), priority: Int(rng.next() % 5))
                if rng.next() % 2 == 0 { new.body = pick(texts, &rng) }
                if let d = anyTask(), rng.next() % 2 == 0 { new.deps = [d] }
                if let p = anyTask(), rng.next() % 3 == 0 { new.parent = p }
                new.labels = (0..<Int(rng.next() % 3)).map { _ in pick(["ui", "db", "ops", "ü"], &rng) }
                if let m = state.milestones.keys.sorted().first, rng.next() % 3 == 0 { new.milestone = m }
                if rng.next() % 3 == 0 { new.acceptance = [pick(texts, &rng)] }
                _ = try s.addTask(new, c)
            case 3:
                guard let id = anyTask() else { break }
                name = "edit"
                var e = TaskEdit()
                e.title = rng.next() % 2 == 0 ? pick(texts, &rng) : nil
                e.body = rng.next() % 2 == 0 ? .some(rng.next() % 3 == 0 ? nil : pick(texts, &rng)) : nil
                e.priority = rng.next() % 2 == 0 ? Int(rng.next() % 5) : nil
                e.addLabels = rng.next() % 2 == 0 ? [pick(["x", "y", "ü"], &rng)] : []
                e.removeLabels = rng.next() % 3 == 0 ? ["x"] : []
                e.addAcceptance = rng.next() % 3 == 0 ? [pick(texts, &rng)] : []
                e.clearAcceptance = rng.next() % 5 == 0
                e.note = rng.next() % 2 == 0 ? pick(texts, &rng) : nil
                if rng.next() % 4 == 0, let p = anyTask() { e.parent = .some(p) }
                if rng.next() % 4 == 0, let m = state.milestones.keys.sorted().first { e.milestone = .some(m) }
                _ = try s.editTask(id, e, c)
            case 4, 5:
                guard let id = anyTask() else { break }
                name = "start"
                _ = try s.startTask(id, c, lease: rng.next() % 2 == 0 ? 3600 : nil, force: rng.next() % 2 == 0)
            case 6, 7:
                guard let id = anyTask() else { break }
                name = "complete"
                _ = try s.completeTask(
                    id, commit: rng.next() % 2 == 0 ? String(repeating: "cd", count: 20) : nil, branch: "main",
                    note: rng.next() % 2 == 0 ? pick(texts, &rng) : nil, c)
            case 8:
                guard let id = anyTask() else { break }
                name = "reopen"
                _ = try s.reopenTask(id, c)
            case 9:
                guard let id = anyTask() else { break }
                name = "cancel"
                _ = try s.cancelTask(id, reason: rng.next() % 2 == 0 ? pick(texts, &rng) : nil, c)
            case 10:
                guard let id = anyTask() else { break }
                name = "block"
                _ = try s.blockTask(id, reason: pick(texts, &rng), c)
            case 11:
                guard let a = anyTask(), let b = anyTask() else { break }
                name = "dep add"
                _ = try s.addDependency(a, on: b, c)
            case 12:
                guard let a = anyTask(), let dep = s.tasks[a]?.deps.first else { break }
                name = "dep remove"
                _ = try s.removeDependency(a, on: dep, c)
            case 13:
                name = "milestone"
                _ = try s.addMilestone(title: pick(texts, &rng), due: rng.next() % 2 == 0 ? "2026-12-31" : nil, c)
            case 14:
                name = "goal"
                _ = try s.addGoal(pick(texts, &rng), c)
            case 15:
                name = "remember"
                _ = try s.remember(
                    NewMemory(
                        kind: pick([.decision, .constraint, .note], &rng), text: pick(texts, &rng) + "\(rng.next())",
                        tasks: anyTask().map { [$0] } ?? []), c)
            case 16:
                // A removal (undo of an add, a hand edit): down to an empty map.
                guard let id = anyTask() else { break }
                name = "remove task"
                s.tasks[id] = nil
            case 17:
                // The memories go one by one, and with the last the key goes.
                guard let id = s.memoryMap.keys.sorted().first else { break }
                name = "remove memory"
                s.memoryMap[id] = nil
            case 18:
                guard let id = s.goals.keys.sorted().last else { break }
                name = "remove goal"
                s.goals[id] = nil
            default:
                name = "project"
                s.project.name = pick(texts, &rng)
            }
        } catch {
            return name + " (refused)"
        }
        state = s
        return name
    }

    @Test(arguments: 0..<24) func splicedFileEqualsFullEncodingAfterEveryStep(seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed) &* 7919 &+ 17)
        var state = ProjectState(projectName: "demo")
        var bytes = try CanonicalJSON.encode(state)
        var spliced = 0
        var at = t0
        for i in 0..<120 {
            at = at.adding(seconds: Int64(rng.next() % 5_000))
            let before = state
            let op = Self.step(&state, &rng, at: at)
            let changes = before.changes(to: state)
            let full = try CanonicalJSON.encode(state)
            let out = try CanonicalSplice.apply(changes, to: bytes)
            #expect(out == full, "seed \(seed) step \(i) (\(op)): spliced file differs from the full encoding")
            if out != full { return }
            if !changes.isEmpty { spliced += 1 }
            bytes = full
        }
        #expect(spliced > 60, "seed \(seed): only \(spliced) steps were spliced")
    }

    /// A larger state, so the binary search runs over many entities rather than the linear tail.
    @Test func largeStateSplicesAtEveryPosition() throws {
        var rng = SeededRandom(seed: 42)
        var state = ProjectState(projectName: "big")
        var at = t0
        for _ in 0..<600 {
            at = at.adding(seconds: 60)
            _ = Self.step(&state, &rng, at: at)
        }
        var bytes = try CanonicalJSON.encode(state)
        for i in 0..<200 {
            at = at.adding(seconds: 60)
            let before = state
            let op = Self.step(&state, &rng, at: at)
            let full = try CanonicalJSON.encode(state)
            let out = try CanonicalSplice.apply(before.changes(to: state), to: bytes)
            #expect(out == full, "step \(i) (\(op))")
            bytes = full
        }
        // Every entity is found where it is, and decodes to itself.
        for (id, t) in state.tasks {
            let slice = try #require(CanonicalSplice.entityValue(kind: "task", id: id, in: bytes))
            #expect(try JSONDecoder().decode(TaskRecord.self, from: Data(slice)) == t)
        }
        #expect(CanonicalSplice.keys(kind: "task", in: bytes) == state.tasks.keys.sorted())
        #expect(CanonicalSplice.entityValue(kind: "task", id: "t-ffffffffff", in: bytes) == nil)
    }

    @Test func severalChangesAtOnceSpliceInOnePass() throws {
        var rng = SeededRandom(seed: 7)
        var state = ProjectState(projectName: "p")
        for _ in 0..<80 { _ = Self.step(&state, &rng, at: t0) }
        let bytes = try CanonicalJSON.encode(state)
        let before = state
        // A merge or a rewrite hook changes many entities in one transaction.
        for _ in 0..<40 { _ = Self.step(&state, &rng, at: t0.adding(seconds: 9)) }
        let out = try CanonicalSplice.apply(before.changes(to: state), to: bytes)
        #expect(out == (try CanonicalJSON.encode(state)))
    }

    /// Removals and maps empty before or after splice too: the first and last entity of a map,
    /// the only one, and the optional memories key appearing and going.
    @Test func splicesRemovalsAndEmptyMaps() throws {
        var state = ProjectState(projectName: "p")
        let c = ctx()
        func expectSpliced(_ edit: (inout ProjectState) throws -> Void, _ what: String) throws {
            let bytes = try CanonicalJSON.encode(state)
            var after = state
            try edit(&after)
            #expect(
                try CanonicalSplice.apply(state.changes(to: after), to: bytes) == CanonicalJSON.encode(after), "\(what)"
            )
            state = after
        }
        var ids: [String] = []
        try expectSpliced({ ids.append(try $0.addTask(NewTask(title: "a"), c)) }, "first task into {}")
        try expectSpliced({ ids.append(try $0.addTask(NewTask(title: "b"), ctx(nonce: 2))) }, "second task")
        try expectSpliced({ ids.append(try $0.addTask(NewTask(title: "c"), ctx(nonce: 3))) }, "third task")
        for id in [ids[1], ids[2], ids[0]] { try expectSpliced({ $0.tasks[id] = nil }, "remove \(id)") }
        try expectSpliced({ _ = try $0.addGoal("g", c) }, "first goal")
        try expectSpliced({ _ = try $0.remember(NewMemory(kind: .note, text: "one"), c) }, "first memory")
        try expectSpliced({ _ = try $0.remember(NewMemory(kind: .note, text: "two two"), ctx(nonce: 5)) }, "memory")
        for id in state.memoryMap.keys.sorted() { try expectSpliced({ $0.memoryMap[id] = nil }, "remove \(id)") }
        #expect(state.memories == nil)
        for id in state.goals.keys { try expectSpliced({ $0.goals[id] = nil }, "remove goal") }
    }

    @Test func declinesBytesNotLaidOutCanonically() throws {
        var state = ProjectState(projectName: "p")
        let c = ctx()
        let a = try state.addTask(NewTask(title: "a"), c)
        _ = try state.addTask(NewTask(title: "b"), ctx(nonce: 2))
        let bytes = try CanonicalJSON.encode(state)
        // Bytes not laid out canonically (a hand-edited, compact file).
        let compact = try CanonicalJSON.encodeCompact(state)
        var edited = state
        _ = try edited.completeTask(a, commit: nil, branch: "main", note: nil, c)
        #expect(try CanonicalSplice.apply(state.changes(to: edited), to: compact) == nil)
        // An entity the file lacks though the change says it was there.
        var other = ProjectState(projectName: "p")
        let cid = try other.addTask(NewTask(title: "c"), ctx(nonce: 3))
        var otherEdited = other
        _ = try otherEdited.startTask(cid, c)
        #expect(try CanonicalSplice.apply(other.changes(to: otherEdited), to: bytes) == nil)
    }
}
