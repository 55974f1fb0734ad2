import StateModel

/// A status a task can be moved to by hand (`done` is `complete`, which needs a commit).
public enum StatusChange: String, Sendable, CaseIterable {
    case open
    case inProgress = "in_progress"
    case blocked
    case cancelled
}

/// Everything `task update` (MCP) changes at once: fields, dependencies and status.
public struct TaskUpdate: Sendable {
    public var status: StatusChange?
    /// Why it is blocked or cancelled.
    public var reason: String?
    public var edit = TaskEdit()
    public var addDeps: [String] = []
    public var removeDeps: [String] = []

    public init() {}

    public var isEmpty: Bool { status == nil && edit.isEmpty && addDeps.isEmpty && removeDeps.isEmpty }
}

/// Thrown for a request that cannot be carried out as asked (the CLI reports these as usage errors).
public struct UsageError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension Workspace {
    /// Applies `update` to one task in one transaction: all of it or nothing.
    public func updateTask(_ id: String, _ update: TaskUpdate, command: String) throws -> String {
        guard !update.isEmpty else { throw UsageError("nothing to change: pass at least one field") }
        if update.status == .blocked, (update.reason ?? "").isEmpty {
            throw UsageError("status blocked needs a reason")
        }
        // Starting is a claim, as `task start` is: decided under the clone-wide claim lock.
        let claimLock = update.status == .inProgress ? try store.claimLock(timeout: try lockTimeout()) : nil
        defer { withExtendedLifetime(claimLock) {} }
        if update.status == .inProgress { try refuseIfInProgressElsewhere(id) }
        // A start is published on the claims remote first (outside the state file's lock).
        let published = update.status == .inProgress ? try publishStart(id, force: false) : nil
        let parent: [String] = update.edit.parent.flatMap { $0.map { [$0] } } ?? []
        let footprint = Footprint(
            tasks: [id] + parent + update.addDeps, cycles: update.edit.parent != nil || !update.addDeps.isEmpty)
        let updated = try keepingClaim(published?.id ?? id, published?.publication) {
            try transaction(command: command, footprint: footprint) { state, ctx in
                let resolved = try state.resolveTask(id)
                if !update.edit.isEmpty { _ = try state.editTask(resolved, update.edit, ctx) }
                for d in update.addDeps { _ = try state.addDependency(resolved, on: d, ctx) }
                for d in update.removeDeps { _ = try state.removeDependency(resolved, on: d, ctx) }
                switch update.status {
                case .open?: _ = try state.reopenTask(resolved, ctx)
                case .inProgress?:
                    _ = try state.startTask(resolved, ctx)
                case .blocked?: _ = try state.blockTask(resolved, reason: update.reason ?? "", ctx)
                case .cancelled?: _ = try state.cancelTask(resolved, reason: update.reason, ctx)
                case nil: break
                }
                return resolved
            }
        }
        if update.status == .blocked || update.status == .cancelled { releaseClaim(updated) }
        if update.status == .inProgress { warnIfWaiting(updated) }
        return updated
    }
}
