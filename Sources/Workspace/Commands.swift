import GitKit
import StateModel
import StateStore

/// The operations behind the commands, each one transaction.
extension Workspace {
    public func addTask(_ new: NewTask, command: String) throws -> String {
        try transaction(command: command, partial: true) { state, ctx in try state.addTask(new, ctx) }
    }

    public func editTask(_ id: String, _ edit: TaskEdit, command: String) throws -> String {
        try transaction(command: command, partial: true) { state, ctx in try state.editTask(id, edit, ctx) }
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
        let started = try transaction(command: command, partial: true) { state, ctx in
            let resolved = try state.resolveTask(id)
            if !force {
                let eval = try evaluate(state)
                if eval.status[resolved] == .inProgress, let e = eval.elsewhere[resolved], e.actor != ctx.actor {
                    throw WorkspaceError.inProgressElsewhere(id: resolved, place: e.place, actor: e.actor)
                }
            }
            return try state.startTask(resolved, ctx, force: force)
        }
        warnIfWaiting(started)
        return started
    }

    /// A task just started that still waits on others (dependencies or children not done here)
    /// gets a warning naming them: `task start` and the MCP `task_update` tool.
    func warnIfWaiting(_ started: String) {
        guard let after = try? view().evaluation else { return }
        let (deps, kids) = after.waitingOn(started)
        let open = (deps + kids).map { "\($0) (\(after.status[$0]?.rawValue ?? "missing"))" }
        if !open.isEmpty {
            warnings.append("warning: \(started) still waits on \(open.joined(separator: ", "))")
        }
    }

    public func blockTask(_ id: String, reason: String, command: String) throws -> String {
        try transaction(command: command, partial: true) { state, ctx in try state.blockTask(id, reason: reason, ctx) }
    }

    public func cancelTask(_ id: String, reason: String?, command: String) throws -> String {
        try transaction(command: command, partial: true) { state, ctx in try state.cancelTask(id, reason: reason, ctx) }
    }

    public func reopenTask(_ id: String, command: String) throws -> String {
        try transaction(command: command, partial: true) { state, ctx in try state.reopenTask(id, ctx) }
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
        let head = try self.head()
        let readyBefore = (try? view().evaluation.ready) ?? []
        let resolved = try revision.map { try repository.resolveCommit($0) }
        let commit = resolved?.hex
        var created: Timestamp?
        let done = try transaction(command: command, partial: true) { state, ctx in
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
        if let after = try? view().evaluation {
            result.unblocked = after.ready.subtracting(readyBefore).sorted().compactMap { id in
                after.tasks[id].map { (id: id, title: $0.title) }
            }
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
        return try transaction(command: command, partial: true) { state, ctx in
            let eval = try evaluate(state)
            let ranked = Ranking.rank(eval, actor: ctx.actor, branch: ctx.branch, milestoneOrder: state.milestoneOrder)
            guard let top = ranked.first(where: { eval.ready.contains($0.id) || $0.terms.stale }) else {
                throw WorkspaceError.nothingReady(why: eval.nothingReady.text)
            }
            _ = try state.startTask(top.id, ctx, lease: leaseSeconds)
            return (top.id, top.terms)
        }
    }
}
