import GitKit
import StateModel
import StateStore

/// The operations behind the commands, each one transaction over the footprint it declares.
/// What depends on the rest of the graph — is the task in progress elsewhere, what did a
/// completion unblock, which task is best to claim — is read from the read model.
extension Workspace {
    public func addTask(_ new: NewTask, command: String) throws -> String {
        let refs = new.deps + (new.parent.map { [$0] } ?? [])
        return try transaction(command: command, footprint: Footprint(tasks: refs, adds: true)) { state, ctx in
            try state.addTask(new, ctx)
        }
    }

    public func editTask(_ id: String, _ edit: TaskEdit, command: String) throws -> String {
        // A new parent is checked for cycles through the parents of the rest of the graph.
        let parent: [String] = edit.parent.flatMap { $0.map { [$0] } } ?? []
        let footprint = Footprint(tasks: [id] + parent, cycles: edit.parent != nil)
        return try transaction(command: command, footprint: footprint) { state, ctx in try state.editTask(id, edit, ctx)
        }
    }

    /// Starts a task for this actor. Under the clone's claim lock, so two worktrees cannot start
    /// the same task at once; a live start or claim of another actor in another copy of the
    /// state is respected unless `force` is set. A task that still waits on others (dependencies
    /// or children not done here) is started anyway, with a warning naming them.
    public func startTask(_ id: String, force: Bool = false, command: String) throws -> String {
        let claimLock = try store.claimLock(timeout: try lockTimeout())
        defer { withExtendedLifetime(claimLock) {} }
        if !force { try refuseIfInProgressElsewhere(id) }
        // Published on the claims remote first (outside the state file's lock), then written.
        let published = try publishStart(id, force: force)
        let started = try keepingClaim(published?.id ?? id, published?.publication) {
            try transaction(command: command, footprint: Footprint(tasks: [id])) { state, ctx in
                try state.startTask(id, ctx, force: force)
            }
        }
        warnIfWaiting(started)
        return started
    }

    /// A start (`task start`, MCP `task_update` to in_progress) refused while another actor has
    /// the task in progress in another copy of the state, as the read model says. The caller
    /// holds the claim lock, so no other worktree can start it meanwhile.
    func refuseIfInProgressElsewhere(_ input: String) throws {
        let model = try readModel()
        guard let id = try? model.resolve(input), let row = try model.row(id), row.isHere else { return }
        if row.status == .inProgress, let e = row.elsewhere, e.kind == .inProgress, e.commit == nil, e.actor != actor {
            throw WorkspaceError.inProgressElsewhere(id: id, place: e.place, actor: e.actor)
        }
    }

    /// A task just started that still waits on others (dependencies or children not done here)
    /// gets a warning naming them: `task start` and the MCP `task_update` tool.
    func warnIfWaiting(_ started: String) {
        guard let model = try? readModel(), let row = try? model.row(started), !row.waitsOn.isEmpty,
            let rows = try? model.rows(ids: row.waitsOn)
        else { return }
        let open = row.waitsOn.map { "\($0) (\(rows[$0]?.status.rawValue ?? "missing"))" }
        warnings.append("warning: \(started) still waits on \(open.joined(separator: ", "))")
    }

    public func blockTask(_ id: String, reason: String, command: String) throws -> String {
        let blocked = try transaction(command: command, footprint: Footprint(tasks: [id])) { state, ctx in
            try state.blockTask(id, reason: reason, ctx)
        }
        releaseClaim(blocked)  // on the claims remote, after the write
        return blocked
    }

    public func cancelTask(_ id: String, reason: String?, command: String) throws -> String {
        let cancelled = try transaction(command: command, footprint: Footprint(tasks: [id])) { state, ctx in
            try state.cancelTask(id, reason: reason, ctx)
        }
        releaseClaim(cancelled)  // on the claims remote, after the write
        return cancelled
    }

    public func reopenTask(_ id: String, command: String) throws -> String {
        try transaction(command: command, footprint: Footprint(tasks: [id])) { state, ctx in
            try state.reopenTask(id, ctx)
        }
    }

    public func addDependency(_ id: String, on dep: String, command: String) throws -> (String, String) {
        try transaction(command: command, footprint: Footprint(tasks: [id, dep], cycles: true)) { state, ctx in
            try state.addDependency(id, on: dep, ctx)
        }
    }

    public func removeDependency(_ id: String, on dep: String, command: String) throws -> (String, String) {
        // The dependency is matched among the task's own (it may name a task that is gone).
        try transaction(command: command, footprint: Footprint(tasks: [id])) { state, ctx in
            try state.removeDependency(id, on: dep, ctx)
        }
    }

    public func addMilestone(title: String, due: String?, command: String) throws -> String {
        try transaction(command: command, footprint: Footprint()) { state, ctx in
            try state.addMilestone(title: title, due: due, ctx)
        }
    }

    public func addGoal(_ text: String, command: String) throws -> String {
        try transaction(command: command, footprint: Footprint()) { state, ctx in try state.addGoal(text, ctx) }
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
        let done = try transaction(command: command, footprint: Footprint(tasks: [id])) { state, ctx in
            let done = try state.completeTask(id, commit: commit, branch: head.branch, note: note, ctx)
            created = try state.task(done)?.created.at
            return done
        }
        releaseClaim(done)  // on the claims remote, after the write
        // A typo like HEAD~5000 names a commit that cannot hold the work of a newer task.
        if let resolved, let created, let info = try? repository.commit(resolved), info.time < created.seconds {
            warnings.append(
                "warning: \(resolved.short) (\(Timestamp(seconds: info.time))) is older than task \(done), created \(created); is that the commit that finished it?"
            )
        }
        var result = CompletionResult(id: done, commit: commit, branch: head.branch)
        let after = try readModel()
        let rows = try after.rows(ids: candidates)
        result.unblocked = candidates.filter { rows[$0]?.ready == true && !readyBefore.contains($0) }
            .compactMap { id in rows[id].map { (id: id, title: $0.task.title) } }
        return result
    }

    /// Atomically picks the best ready task (else the best stale one) and starts it for this actor
    /// with a lease. The clone-wide claim lock makes it atomic across every worktree of the
    /// clone: another claim, here or in another worktree, waits and then sees this task in
    /// progress in this worktree's file, so it gets the next one.
    public func claimNext(leaseSeconds: Int64, command: String) throws -> (String, RankTerms) {
        let claimLock = try store.claimLock(timeout: try lockTimeout())
        defer { withExtendedLifetime(claimLock) {} }
        // Tasks whose claim another clone won on the claims remote while this one pushed.
        var lost: Set<String> = []
        while true {
            let model = try readModel()
            guard let pick = try model.claimable() else {
                throw WorkspaceError.nothingReady(why: model.nothingReady.text)
            }
            let id = pick.row.id
            // Published on the claims remote first (outside the state file's lock): a lost race
            // writes nothing, and the reads are made again with the winner's claim, so the next
            // best task is taken in this same command.
            let published = try publishClaim(id, expires: try now().adding(seconds: leaseSeconds), force: false)
            if case .heldElsewhere(let held) = published {
                guard lost.insert(id).inserted else { throw ClaimsError.heldElsewhere(task: id, by: held) }
                claimsChanged()
                continue
            }
            _ = try keepingClaim(id, published) {
                try transaction(command: command, footprint: Footprint(tasks: [id])) { state, ctx in
                    try state.startTask(id, ctx, lease: leaseSeconds)
                }
            }
            return (id, pick.terms)
        }
    }
}
