import GitKit
import StateModel
import StateStore

/// The operations behind the commands, each one transaction.
extension Workspace {
    public func addTask(_ new: NewTask, command: String) throws -> String {
        // Focused on the parent and dependencies it names (resolved through the index).
        let plan: FocusPlan = { lane in
            var ids = Set<String>()
            for ref in new.deps + (new.parent.map { [$0] } ?? []) {
                guard let id = self.focusedID(ref, in: lane) else { return nil }
                ids.insert(id)
            }
            return ids
        }
        return try transaction(command: command, partial: true, focus: plan) { state, ctx in try state.addTask(new, ctx)
        }
    }

    public func editTask(_ id: String, _ edit: TaskEdit, command: String) throws -> String {
        // A new parent is checked for cycles over the whole graph: not focused.
        let focus = edit.parent == nil ? focusing(on: id) : nil
        return try transaction(command: command, partial: true, focus: focus) { state, ctx in
            try state.editTask(id, edit, ctx)
        }
    }

    /// Starts a task for this actor. Under the clone's claim lock, so two worktrees cannot start
    /// the same task at once; a live start or claim of another actor in another copy of the
    /// state is respected unless `force` is set. A task that still waits on others (dependencies
    /// or children not done here) is started anyway, with a warning naming them.
    public func startTask(_ id: String, force: Bool = false, command: String) throws -> String {
        // One index handle for the transaction and the read after it.
        try store.withSharedIndex { try startSharingIndex(id, force: force, command: command) }
    }

    private func startSharingIndex(_ id: String, force: Bool, command: String) throws -> String {
        let claimLock = try store.claimLock(timeout: try lockTimeout())
        defer { withExtendedLifetime(claimLock) {} }
        let started = try transaction(command: command, partial: true, focus: focusing(on: id)) { state, ctx in
            let resolved = try state.resolveTask(id)
            if !force { try refuseIfInProgressElsewhere(resolved, in: state, ctx) }
            return try state.startTask(resolved, ctx, force: force)
        }
        warnIfWaiting(started)
        return started
    }

    /// A start (`task start`, MCP `task_update` to in_progress) refused while another actor has
    /// the task in progress in another copy of the state. The caller holds the claim lock.
    func refuseIfInProgressElsewhere(_ id: String, in state: ProjectState, _ ctx: MutationContext) throws {
        if let lane = focusedLane {
            // The evaluated graph knows the task's status over every copy; without it, decline
            // the focused path (the other paths evaluate everything).
            guard let row = try evaluatedRows([id], in: lane)?[id] else { throw FocusDeclined() }
            if row.status == .inProgress, let e = row.elsewhere, e.actor != ctx.actor {
                throw WorkspaceError.inProgressElsewhere(id: id, place: e.place, actor: e.actor)
            }
            return
        }
        let eval = try evaluate(state)
        if eval.status[id] == .inProgress, let e = eval.elsewhere[id], e.actor != ctx.actor {
            throw WorkspaceError.inProgressElsewhere(id: id, place: e.place, actor: e.actor)
        }
    }

    /// A task just started that still waits on others (dependencies or children not done here)
    /// gets a warning naming them: `task start` and the MCP `task_update` tool.
    func warnIfWaiting(_ started: String) {
        // Through the evaluated graph: the task's row and the rows it waits on.
        guard let model = try? readModel(), let row = try? model.row(started), !row.waitsOn.isEmpty,
            let rows = try? model.rows(ids: row.waitsOn)
        else { return }
        let open = row.waitsOn.map { "\($0) (\(rows[$0]?.status.rawValue ?? "missing"))" }
        warnings.append("warning: \(started) still waits on \(open.joined(separator: ", "))")
    }

    public func blockTask(_ id: String, reason: String, command: String) throws -> String {
        try transaction(command: command, partial: true, focus: focusing(on: id)) { state, ctx in
            try state.blockTask(id, reason: reason, ctx)
        }
    }

    public func cancelTask(_ id: String, reason: String?, command: String) throws -> String {
        try transaction(command: command, partial: true, focus: focusing(on: id)) { state, ctx in
            try state.cancelTask(id, reason: reason, ctx)
        }
    }

    public func reopenTask(_ id: String, command: String) throws -> String {
        try transaction(command: command, partial: true, focus: focusing(on: id)) { state, ctx in
            try state.reopenTask(id, ctx)
        }
    }

    public func addDependency(_ id: String, on dep: String, command: String) throws -> (String, String) {
        try transaction(command: command, partial: true) { state, ctx in try state.addDependency(id, on: dep, ctx) }
    }

    public func removeDependency(_ id: String, on dep: String, command: String) throws -> (String, String) {
        try transaction(command: command, partial: true) { state, ctx in try state.removeDependency(id, on: dep, ctx) }
    }

    public func addMilestone(title: String, due: String?, command: String) throws -> String {
        try transaction(command: command, partial: true) { state, ctx in
            try state.addMilestone(title: title, due: due, ctx)
        }
    }

    public func addGoal(_ text: String, command: String) throws -> String {
        try transaction(command: command, partial: true) { state, ctx in try state.addGoal(text, ctx) }
    }

    public struct CompletionResult: Sendable {
        public var id: String
        /// The commit named with `--commit`; nil when the commit that adds the record anchors it.
        public var commit: String?
        public var branch: String?
        /// Tasks that were waiting and are ready now, with their titles.
        public var unblocked: [(id: String, title: String)] = []
    }

    /// Records that the task is finished. With `revision`, that commit finishes it; without, the
    /// completion names no commit and the commit that first holds it anchors it — so the flow
    /// "finish the edits, `complete`, commit everything" (or `git commit --amend` after) ends
    /// with the task anchored to the commit holding the work and nothing left to commit.
    public func complete(_ id: String, revision: String?, note: String?, command: String) throws -> CompletionResult {
        // One index handle for the reads before and after and the transaction between them.
        try store.withSharedIndex { try completeSharingIndex(id, revision: revision, note: note, command: command) }
    }

    private func completeSharingIndex(_ id: String, revision: String?, note: String?, command: String) throws
        -> CompletionResult
    {
        let head = try headRef()
        // Only the task's dependents and its parent can become ready by its completion: their
        // rows before and after say which did.
        let before = try readModel()
        let target = try before.resolve(id)
        let (dependents, _) = try before.neighbours(of: target)
        let parent = try before.row(target)?.parent
        let candidates = Array(Set(dependents + (parent.map { [$0] } ?? []))).sorted()
        let readyBefore = Set(try before.rows(ids: candidates).values.filter(\.ready).map(\.id))
        let resolved = try revision.map { try repository.resolveCommit($0) }
        let commit = resolved?.hex
        var created: Timestamp?
        let done = try transaction(command: command, partial: true, focus: focusing(on: id)) { state, ctx in
            let done = try state.completeTask(id, commit: commit, branch: head.branch, note: note, ctx)
            created = state.tasks[done]?.created.at
            return done
        }
        // A typo like HEAD~5000 names a commit that cannot hold the work of a newer task.
        if let resolved, let created, let info = try? repository.commit(resolved), info.time < created.seconds {
            warnings.append(
                "warning: \(resolved.short) (\(Timestamp(seconds: info.time))) is older than task \(done), created \(created); is that the commit that finished it?"
            )
        }
        var result = CompletionResult(id: done, commit: commit, branch: head.branch)
        if let after = try? readModel(), let rows = try? after.rows(ids: candidates) {
            result.unblocked = candidates.filter { rows[$0]?.ready == true && !readyBefore.contains($0) }
                .compactMap { id in rows[id].map { (id: id, title: $0.task.title) } }
        }
        return result
    }

    /// Atomically picks the best ready task (else the best stale one) and starts it for this actor
    /// with a lease. The clone-wide claim lock makes it atomic across every worktree of the
    /// clone: another claim, here or in another worktree, waits and then sees this task in
    /// progress in this worktree's file, so it gets the next one.
    public func claimNext(leaseSeconds: Int64, command: String) throws -> (String, RankTerms) {
        let claimLock = try store.claimLock(timeout: try lockTimeout())
        defer { withExtendedLifetime(claimLock) {} }
        // Focused on the best candidate the evaluated graph ranks (``StateIndex/nextCandidates``
        // reads the best of each kind through the ranking index).
        var pick: (id: String, terms: RankTerms)?
        let plan: FocusPlan = { lane in
            pick = nil
            let limit = 8
            guard try self.currentEvaluation(lane.index, lane.fingerprint).complete else { return nil }
            let candidates = try lane.index.nextCandidates(
                actor: self.actor, branch: lane.fingerprint.head.branch, limit: limit)
            guard let top = candidates.first(where: { $0.0.ready || $0.1.stale }) else {
                // Nothing to claim among the first `limit` (or nothing at all): the other
                // paths rank every task, and explain an empty frontier.
                return nil
            }
            pick = (top.0.id, top.1)
            return [top.0.id]
        }
        return try transaction(command: command, partial: true, focus: plan) { state, ctx in
            if focusedLane != nil, let pick {
                _ = try state.startTask(pick.id, ctx, lease: leaseSeconds)
                return (pick.id, pick.terms)
            }
            let eval = try evaluate(state)
            let ranked = Ranking.rank(eval, actor: ctx.actor, branch: ctx.branch, milestoneOrder: state.milestoneOrder)
            guard let top = ranked.first(where: { eval.ready.contains($0.id) || $0.terms.stale }) else {
                throw WorkspaceError.nothingReady(
                    why: Evaluation.nothingReady(
                        counts: eval.status.values.reduce(into: [:]) { $0[$1, default: 0] += 1 }
                    ).text)
            }
            _ = try state.startTask(top.id, ctx, lease: leaseSeconds)
            return (top.id, top.terms)
        }
    }
}

/// Thrown inside a focused transaction's body when the index cannot answer what the body asks:
/// the transaction then takes its other paths.
struct FocusDeclined: Error {}
