import StateModel
import StateStore

/// Names the tasks a focused transaction's body may read or change, from the index (nil: the
/// plan cannot tell, and the transaction takes its other paths).
public typealias FocusPlan = (FocusLane) throws -> Set<String>?

/// What a focused transaction is planned on: the index, current with the state file, and the
/// read context its evaluated graph is kept for.
public struct FocusLane {
    let index: StateIndex
    let fingerprint: ReadFingerprint
}

/// Focused transactions: the mutations an agent runs in its loop (`complete`, `task start`,
/// `task add`, `next --claim`) name the few tasks they touch before they run, so the transaction
/// decodes those tasks alone, finds them and their neighbours through the index's point lookups
/// and its evaluated graph, and splices their new text into the file. Nothing in it reads every
/// task, so its cost is reading, hashing and writing the file plus a constant.
///
/// The plan is a promise the transaction checks rather than trusts: a body that throws (an
/// unknown id, a task already done, a refusal) or changes a task outside the plan sends the
/// transaction to its partial or full path, which runs the body again on every task and decides
/// — the error it names, or the change it makes, is the one those paths make.
extension Workspace {
    /// The lane, when the index describes the state file's current content.
    func focusLane() throws -> FocusLane? {
        guard let opened = openIndex(), let index = try store.currentIndex(opened) else { return nil }
        return FocusLane(index: index, fingerprint: try fingerprint(index: index))
    }

    /// The task `input` names (an id or a unique prefix), resolved through the index; nil when it
    /// names none or several (the other paths resolve it again and name the error).
    func focusedID(_ input: String, in lane: FocusLane) -> String? {
        let needle = input.lowercased()
        let full = needle.hasPrefix(EntityKind.task.idPrefix) ? needle : EntityKind.task.idPrefix + needle
        guard let (exact, prefixed) = try? lane.index.taskIDs(needle: needle, full: full, limit: 2) else { return nil }
        if let exact { return exact }
        return prefixed.count == 1 ? prefixed[0] : nil
    }

    /// The evaluated rows of `ids` (those that exist), with the evaluated graph first brought up
    /// to date as a read would (``currentEvaluation(_:_:)``); nil when it cannot be.
    func evaluatedRows(_ ids: [String], in lane: FocusLane) throws -> [String: EvaluatedTask]? {
        guard try currentEvaluation(lane.index, lane.fingerprint).complete else { return nil }
        return try lane.index.rows(ids: ids)
    }

    /// The focused path of ``transaction(command:partial:focus:_:)``: nil when it does not apply
    /// and nothing was written.
    func focusedTransaction<T>(
        command: String, _ ctx: MutationContext, _ plan: FocusPlan,
        _ body: (inout ProjectState, MutationContext) throws -> T
    ) throws -> Done<T>? {
        guard let lane = try focusLane(), let ids = try plan(lane), let loaded = try store.readFocusedForUpdate(ids)
        else { return nil }
        let warningCount = warnings.count
        focusedLane = lane
        defer { focusedLane = nil }
        func decline() -> Done<T>? {
            warnings.removeSubrange(warningCount...)
            pendingRedactions = []
            return nil
        }
        var state = loaded.state
        pendingRedactions = []
        let result: T
        do {
            result = try body(&state, ctx)
        } catch {
            return decline()
        }
        let changes = redactedChanges(&state, since: loaded.state)
        for c in changes {
            switch c.kind {
            case "task" where ids.contains(c.id): continue
            // A new task: its id must be new to the whole state, not only to the plan's tasks.
            case "task" where c.before == nil && c.after != nil:
                guard (try? lane.index.hasTask(c.id)) == false else { return decline() }
            case "project", "goal", "milestone": continue
            default: return decline()
            }
        }
        guard !changes.isEmpty else { return Done(value: result) }
        // A change the splice declines (the first task of an empty map, say) needs the whole state.
        guard let spliced = try? CanonicalSplice.splice(changes, in: loaded.bytes) else { return decline() }
        try write(state, replacing: loaded, changes: changes, spliced: spliced, command: command)
        return Done(value: result)
    }

    /// The plan of a transaction over the one task `input` names.
    func focusing(on input: String) -> FocusPlan {
        { lane in self.focusedID(input, in: lane).map { [$0] } }
    }
}
