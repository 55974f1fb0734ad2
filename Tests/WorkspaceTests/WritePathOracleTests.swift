import Foundation
import StateModel
import StateStore
import Testing
import Workspace

/// The one write path (a slice of the declared records, spliced into the file) against the
/// reference it replaced, which now lives only here: decode the whole file, run the same
/// operation on the whole state, encode it all. After every step of random operation sequences
/// (hand edits and a lost index among them) the file is byte for byte what the reference writes,
/// and an operation the reference refuses is refused with the same message.
@Suite struct WritePathOracleTests {
    /// One operation, as a command runs it (`run`) and as the reference applies it to a whole
    /// state (`reference`).
    struct Operation {
        var name: String
        var run: (Workspace) throws -> Void
        var reference: (inout ProjectState, MutationContext) throws -> Void
    }

    static let texts = [
        "Write the store", "quote \" and slash /", "naïve café", "line\nbreak",
        "token ghp_" + String(repeating: "a", count: 36),
    ]

    static func operation(_ rng: inout SeededRandom, ids: [String], memories: [String], milestones: [String])
        -> Operation
    {
        let command = "test"
        func some() -> String {
            // A prefix now and then (often ambiguous), or a task that does not exist.
            guard !ids.isEmpty, rng.below(12) != 0 else { return "t-ffff" }
            let id = rng.pick(ids)
            return rng.below(4) == 0 ? String(id.prefix(4)) : id
        }
        switch rng.below(16) {
        case 0, 1:
            var new = NewTask(title: rng.pick(texts), priority: rng.below(5))
            if !ids.isEmpty, rng.below(2) == 0 { new.deps = [some()] }
            if !ids.isEmpty, rng.below(3) == 0 { new.parent = some() }
            if let m = milestones.first, rng.below(3) == 0 { new.milestone = m }
            new.labels = rng.below(2) == 0 ? ["ui"] : []
            return Operation(
                name: "add", run: { _ = try $0.addTask(new, command: command) },
                reference: { _ = try $0.addTask(new, $1) })
        case 2:
            let id = some()
            var e = TaskEdit()
            e.title = rng.below(2) == 0 ? rng.pick(texts) : nil
            e.priority = rng.below(2) == 0 ? rng.below(5) : nil
            e.note = rng.below(2) == 0 ? rng.pick(texts) : nil
            if rng.below(3) == 0 { e.parent = .some(rng.below(3) == 0 ? nil : some()) }
            e.addLabels = rng.below(3) == 0 ? ["db"] : []
            return Operation(
                name: "edit \(id)", run: { _ = try $0.editTask(id, e, command: command) },
                reference: { _ = try $0.editTask(id, e, $1) })
        case 3, 4:
            let id = some()
            let force = rng.below(3) == 0
            return Operation(
                name: "start \(id)", run: { _ = try $0.startTask(id, force: force, command: command) },
                reference: { _ = try $0.startTask(id, $1, force: force) })
        case 5, 6:
            let id = some()
            let note: String? = rng.below(2) == 0 ? rng.pick(texts) : nil
            return Operation(
                name: "complete \(id)", run: { _ = try $0.complete(id, revision: nil, note: note, command: command) },
                reference: { _ = try $0.completeTask(id, commit: nil, branch: "main", note: note, $1) })
        case 7:
            let id = some()
            return Operation(
                name: "block \(id)", run: { _ = try $0.blockTask(id, reason: "why", command: command) },
                reference: { _ = try $0.blockTask(id, reason: "why", $1) })
        case 8:
            let id = some()
            return Operation(
                name: "cancel \(id)", run: { _ = try $0.cancelTask(id, reason: nil, command: command) },
                reference: { _ = try $0.cancelTask(id, reason: nil, $1) })
        case 9:
            let id = some()
            return Operation(
                name: "reopen \(id)", run: { _ = try $0.reopenTask(id, command: command) },
                reference: { _ = try $0.reopenTask(id, $1) })
        case 10:
            let (a, b) = (some(), some())
            return Operation(
                name: "dep add \(a) \(b)", run: { _ = try $0.addDependency(a, on: b, command: command) },
                reference: { _ = try $0.addDependency(a, on: b, $1) })
        case 11:
            let (a, b) = (some(), some())
            return Operation(
                name: "dep remove \(a) \(b)", run: { _ = try $0.removeDependency(a, on: b, command: command) },
                reference: { _ = try $0.removeDependency(a, on: b, $1) })
        case 12:
            let title = rng.pick(texts)
            return Operation(
                name: "milestone", run: { _ = try $0.addMilestone(title: title, due: nil, command: command) },
                reference: { _ = try $0.addMilestone(title: title, due: nil, $1) })
        case 13:
            let text = rng.pick(texts) + " \(rng.below(1000))"
            let tasks = ids.isEmpty ? [] : [some()]
            let new = NewMemory(kind: .decision, text: text, tasks: tasks)
            return Operation(
                name: "remember", run: { _ = try $0.remember(new, isPrivate: false, command: command) },
                reference: { _ = try $0.remember(new, $1) })
        case 14:
            guard let m = memories.first else { fallthrough }
            return Operation(
                name: "forget \(m)", run: { _ = try $0.forget(m, command: command) },
                reference: { try $0.forgetMemory(m, $1) })
        default:
            let id = some()
            var u = TaskUpdate()
            u.status = rng.pick([StatusChange.open, .inProgress, .cancelled])
            u.edit.priority = rng.below(5)
            if !ids.isEmpty { u.addDeps = [some()] }
            let update = u
            return Operation(
                name: "update \(id)", run: { _ = try $0.updateTask(id, update, command: command) },
                reference: { state, ctx in
                    let resolved = try state.resolveTask(id)
                    _ = try state.editTask(resolved, update.edit, ctx)
                    for d in update.addDeps { _ = try state.addDependency(resolved, on: d, ctx) }
                    switch update.status {
                    case .open?: _ = try state.reopenTask(resolved, ctx)
                    case .inProgress?: _ = try state.startTask(resolved, ctx)
                    case .cancelled?: _ = try state.cancelTask(resolved, reason: nil, ctx)
                    default: break
                    }
                })
        }
    }

    @Test(arguments: 0..<4 as Range<UInt64>)
    func everyOperationWritesWhatTheWholeStateReferenceWrites(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed &* 7919 &+ 3)
        let repo = try TempRepo()
        _ = try repo.workspace().initialize(projectName: "oracle", command: "init")
        let head = try repo.git("rev-parse", "HEAD")
        var applied = 0
        for step in 0..<70 {
            let before = repo.stateBytes()
            // Now and then the file is edited by hand (not canonical any more) or the index is lost.
            switch rng.below(14) {
            case 0:
                let state = try StateCodec.decode(before)
                try CanonicalJSON.encodeCompact(state).withUnsafeBytes {
                    try Data($0).write(to: URL(fileURLWithPath: repo.stateFile))
                }
            case 1: try? FileManager.default.removeItem(atPath: repo.path + "/.git/codex-state/index.sqlite")
            default: break
            }
            let handEdited = repo.stateBytes()
            let reference = try StateCodec.decode(handEdited)
            let ids = reference.tasks.keys.sorted()
            let memories = reference.memoryMap.values.filter { !$0.isForgotten }.map(\.id).sorted()
            let op = Self.operation(
                &rng, ids: ids, memories: memories, milestones: reference.milestones.keys.sorted())
            let actor = rng.pick(["tester", "other"])
            let nonce = rng.next()
            let ws = try repo.workspace(["CODEX_STATE_ACTOR": actor, "CODEX_STATE_ID_SEED": "\(nonce)"])
            let ctx = MutationContext(
                actor: actor, now: try ws.now(), branch: "main", head: head, nonce: nonce)
            var expected = reference
            var refused: String?
            do {
                try op.reference(&expected, ctx)
                _ = expected.redactChangedText(since: reference)
            } catch {
                refused = "\(error)"
            }
            var failed: String?
            do {
                try op.run(ws)
            } catch {
                failed = "\(error)"
            }
            let what = "seed \(seed) step \(step) (\(op.name) as \(actor))"
            #expect(failed == refused, "\(what): \(failed ?? "done") vs the reference's \(refused ?? "done")")
            let written = repo.stateBytes()
            // A refused operation leaves the file as it was, or canonicalised (the lock taken).
            let want = try CanonicalJSON.encode(refused == nil ? expected : reference)
            let same = written == want || (refused != nil && written == handEdited)
            #expect(same, "\(what): the file differs from the reference's")
            if !same || failed != refused { return }
            if refused == nil { applied += 1 }
        }
        #expect(applied > 25, "seed \(seed): only \(applied) operations went through")
    }
}
