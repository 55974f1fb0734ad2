/// Who is changing the state, when, and where HEAD is. Supplied by the application layer so the
/// model stays free of clocks, randomness and git.
public struct MutationContext: Sendable {
    public var actor: String
    public var now: Timestamp
    public var branch: String?
    public var head: String?
    /// Random input to id generation.
    public var nonce: UInt64

    public init(actor: String, now: Timestamp, branch: String?, head: String?, nonce: UInt64) {
        self.actor = actor
        self.now = now
        self.branch = branch
        self.head = head
        self.nonce = nonce
    }
}

public struct NewTask: Sendable {
    public var title: String
    public var body: String?
    public var parent: String?
    public var deps: [String]
    public var priority: Int
    public var labels: [String]
    public var milestone: String?
    public var acceptance: [String]

    public init(
        title: String, body: String? = nil, parent: String? = nil, deps: [String] = [], priority: Int = 2,
        labels: [String] = [], milestone: String? = nil, acceptance: [String] = []
    ) {
        self.title = title
        self.body = body
        self.parent = parent
        self.deps = deps
        self.priority = priority
        self.labels = labels
        self.milestone = milestone
        self.acceptance = acceptance
    }
}

/// A partial update; nil leaves a field alone. For `parent`/`milestone`/`body`, `.some(nil)`
/// clears the field.
public struct TaskEdit: Sendable {
    public var title: String?
    public var body: String??
    public var priority: Int?
    public var parent: String??
    public var milestone: String??
    public var addLabels: [String] = []
    public var removeLabels: [String] = []
    public var addAcceptance: [String] = []
    public var clearAcceptance = false
    public var note: String?

    public init() {}

    public var isEmpty: Bool {
        title == nil && body == nil && priority == nil && parent == nil && milestone == nil
            && addLabels.isEmpty && removeLabels.isEmpty && addAcceptance.isEmpty && !clearAcceptance
            && note == nil
    }
}

extension ProjectState {
    public func resolveTask(_ idOrPrefix: String) throws -> String {
        try Identifiers.resolve(idOrPrefix, kind: .task, among: tasks.keys)
    }

    /// Position of each milestone in ranking order.
    public var milestoneOrder: [String: Int] {
        var out: [String: Int] = [:]
        for (i, m) in orderedMilestones.enumerated() { out[m.id] = i }
        return out
    }

    static func checkPriority(_ p: Int) throws {
        guard (0...4).contains(p) else { throw ModelError.invalidPriority(p) }
    }

    static func normalized(_ items: [String]) -> [String] {
        Array(Set(items.map(\.trimmingWhitespace).filter { !$0.isEmpty })).sorted()
    }
}

/// The operations, written once against ``StateRecords``: the same code runs on a slice holding
/// only what the operation declared (the write path) and on a whole state (the merge, tests).
extension StateRecords {
    /// A milestone by id, unique id prefix or title.
    public func resolveMilestone(_ idOrPrefix: String) throws -> String {
        try Identifiers.resolve(idOrPrefix, kind: .milestone, titles: milestones.mapValues(\.title))
    }

    /// A goal by id, unique id prefix or text.
    public func resolveGoal(_ idOrPrefix: String) throws -> String {
        try Identifiers.resolve(idOrPrefix, kind: .goal, titles: goals.mapValues(\.text))
    }

    @discardableResult
    public mutating func addTask(_ new: NewTask, _ ctx: MutationContext) throws -> String {
        let title = new.title.trimmingWhitespace
        guard !title.isEmpty else { throw ModelError.emptyText(field: "title") }
        try ProjectState.checkPriority(new.priority)
        let parent = try new.parent.map(resolveTask)
        let deps = try new.deps.map(resolveTask)
        let milestone = try new.milestone.map(resolveMilestone)
        let id = try Identifiers.make(
            kind: .task, text: title, actor: ctx.actor, at: ctx.now, nonce: ctx.nonce, existing: taskExists)
        let stamp = Stamp(at: ctx.now, actor: ctx.actor)
        try setTask(
            id,
            TaskRecord(
                id: id, title: title, body: new.body.flatMap { $0.isEmpty ? nil : $0 }, priority: new.priority,
                parent: parent, deps: ProjectState.normalized(deps), labels: ProjectState.normalized(new.labels),
                milestone: milestone, acceptance: new.acceptance.filter { !$0.isEmpty }, created: stamp))
        return id
    }

    public mutating func editTask(_ idOrPrefix: String, _ edit: TaskEdit, _ ctx: MutationContext) throws -> String {
        let id = try resolveTask(idOrPrefix)
        var t = try existingTask(id)
        if let title = edit.title {
            let trimmed = title.trimmingWhitespace
            guard !trimmed.isEmpty else { throw ModelError.emptyText(field: "title") }
            t.title = trimmed
        }
        if let body = edit.body { t.body = body.flatMap { $0.isEmpty ? nil : $0 } }
        if let p = edit.priority {
            try ProjectState.checkPriority(p)
            t.priority = p
        }
        if let parent = edit.parent {
            if let p = parent {
                let pid = try resolveTask(p)
                if let cycle = try parentCycle(child: id, parent: pid) {
                    throw ModelError.parentCycle(path: cycle)
                }
                t.parent = pid
            } else {
                t.parent = nil
            }
        }
        if let m = edit.milestone { t.milestone = try m.map(resolveMilestone) }
        if !edit.addLabels.isEmpty || !edit.removeLabels.isEmpty {
            let removed = Set(edit.removeLabels.map(\.trimmingWhitespace))
            t.labels = ProjectState.normalized(t.labels.filter { !removed.contains($0) } + edit.addLabels)
        }
        if edit.clearAcceptance { t.acceptance = [] }
        t.acceptance += edit.addAcceptance.filter { !$0.isEmpty }
        if let note = edit.note {
            guard !note.isEmpty else { throw ModelError.emptyText(field: "note") }
            t.notes.append(Note(at: ctx.now, actor: ctx.actor, text: note))
        }
        try store(t, ctx)
        return id
    }

    /// Marks a task in progress for this actor, recording the branch and HEAD.
    ///
    /// Another actor's unexpired claim is respected unless `force` is set; an expired claim may be
    /// taken over.
    public mutating func startTask(
        _ idOrPrefix: String, _ ctx: MutationContext, lease: Int64? = nil, force: Bool = false
    ) throws -> String {
        let id = try resolveTask(idOrPrefix)
        var t = try existingTask(id)
        if let c = t.claim, c.actor != ctx.actor, c.expires > ctx.now, !force {
            throw ModelError.claimed(id: id, actor: c.actor, until: c.expires)
        }
        switch t.status {
        case .done, .cancelled: throw ModelError.alreadyInStatus(id: id, status: t.status)
        case .inProgress where t.started?.actor == ctx.actor && t.started?.branch == ctx.branch:
            throw ModelError.alreadyInStatus(id: id, status: t.status)
        default: break
        }
        t.status = .inProgress
        t.blocker = nil
        t.started = StartRecord(at: ctx.now, actor: ctx.actor, branch: ctx.branch, commit: ctx.head)
        t.claim = lease.map { Claim(actor: ctx.actor, expires: ctx.now.adding(seconds: $0)) }
        try store(t, ctx)
        return id
    }

    public mutating func blockTask(_ idOrPrefix: String, reason: String, _ ctx: MutationContext) throws -> String {
        let id = try resolveTask(idOrPrefix)
        var t = try existingTask(id)
        let why = reason.trimmingWhitespace
        guard !why.isEmpty else { throw ModelError.emptyText(field: "reason") }
        if t.status == .done || t.status == .cancelled {
            throw ModelError.alreadyInStatus(id: id, status: t.status)
        }
        t.status = .blocked
        t.blocker = why
        t.claim = nil
        try store(t, ctx)
        return id
    }

    public mutating func cancelTask(_ idOrPrefix: String, reason: String?, _ ctx: MutationContext) throws -> String {
        let id = try resolveTask(idOrPrefix)
        var t = try existingTask(id)
        if t.status == .cancelled { throw ModelError.alreadyInStatus(id: id, status: t.status) }
        t.status = .cancelled
        t.claim = nil
        t.blocker = nil
        if let r = reason, !r.isEmpty { t.notes.append(Note(at: ctx.now, actor: ctx.actor, text: "cancelled: \(r)")) }
        try store(t, ctx)
        return id
    }

    /// Puts a blocked, cancelled or done task back to open. The old completion is kept as a note so
    /// nothing recorded is lost.
    public mutating func reopenTask(_ idOrPrefix: String, _ ctx: MutationContext) throws -> String {
        let id = try resolveTask(idOrPrefix)
        var t = try existingTask(id)
        if t.status == .open { throw ModelError.alreadyInStatus(id: id, status: .open) }
        if let c = t.completion {
            t.notes.append(
                Note(
                    at: ctx.now, actor: ctx.actor,
                    text:
                        "reopened; was completed by \(c.actor) \(c.commit.map { "at commit " + $0 } ?? "with the work (no commit named)") on \(c.branch ?? "detached HEAD")"
                ))
        }
        t.status = .open
        t.completion = nil
        t.claim = nil
        t.blocker = nil
        t.started = nil
        try store(t, ctx)
        return id
    }

    /// Records `commit` as the commit that finishes the task.
    public mutating func completeTask(
        _ idOrPrefix: String, commit: String?, branch: String?, note: String?, _ ctx: MutationContext
    ) throws -> String {
        let id = try resolveTask(idOrPrefix)
        var t = try existingTask(id)
        if t.status == .cancelled { throw ModelError.alreadyInStatus(id: id, status: .cancelled) }
        if let old = t.completion, old.commit != commit {
            // Re-anchoring: keep the earlier completion on record.
            let at = old.commit.map { "at commit \($0)" } ?? "with the work (no commit named)"
            let was = "\(old.actor) \(at) on \(old.branch ?? "detached HEAD")"
            t.notes.append(Note(at: ctx.now, actor: ctx.actor, text: "re-completed; was completed by \(was)"))
        }
        t.status = .done
        t.claim = nil
        t.blocker = nil
        t.completion = Completion(
            commit: commit, branch: branch, at: ctx.now, actor: ctx.actor,
            note: note.flatMap { $0.isEmpty ? nil : $0 })
        try store(t, ctx)
        return id
    }

    /// Records here a completion another copy of the state made (`reanchor`): the work it anchors
    /// is on HEAD as `commit` (a cherry-pick or squash merge brought the work without the state
    /// file), so the task is done here, at that commit. The copy's record is kept as a note.
    public mutating func adoptCompletion(
        _ id: String, _ completion: Completion, on commit: String, from copy: String, _ ctx: MutationContext
    ) throws {
        var t = try existingTask(id)
        if t.status == .cancelled { throw ModelError.alreadyInStatus(id: id, status: .cancelled) }
        let at = completion.commit.map { "at commit \($0)" } ?? "with the work (no commit named)"
        t.notes.append(
            Note(
                at: ctx.now, actor: ctx.actor,
                text: "completed in \(copy) by \(completion.actor) \(at); its work is on HEAD as \(commit)"))
        t.status = .done
        t.claim = nil
        t.blocker = nil
        t.completion = Completion(
            commit: commit, branch: completion.branch, at: completion.at, actor: completion.actor, note: completion.note
        )
        try store(t, ctx)
    }

    /// `id` waits on `dep` from now on.
    public mutating func addDependency(_ idOrPrefix: String, on depOrPrefix: String, _ ctx: MutationContext) throws
        -> (String, String)
    {
        let id = try resolveTask(idOrPrefix)
        let dep = try resolveTask(depOrPrefix)
        if id == dep { throw ModelError.selfDependency(id: id) }
        if let cycle = try dependencyCycle(adding: id, dependsOn: dep) {
            throw ModelError.dependencyCycle(path: cycle)
        }
        var t = try existingTask(id)
        if t.deps.contains(dep) {
            throw ModelError.invalidValue(field: "dependency", value: dep, reason: "task \(id) already waits on it")
        }
        t.deps = ProjectState.normalized(t.deps + [dep])
        try store(t, ctx)
        return (id, dep)
    }

    public mutating func removeDependency(_ idOrPrefix: String, on depOrPrefix: String, _ ctx: MutationContext)
        throws -> (String, String)
    {
        let id = try resolveTask(idOrPrefix)
        var t = try existingTask(id)
        // The dependency may name a task that no longer exists: match it among this task's deps.
        let dep = try Identifiers.resolve(depOrPrefix, kind: .task, among: t.deps)
        t.deps.removeAll { $0 == dep }
        try store(t, ctx)
        return (id, dep)
    }

    public mutating func addMilestone(title: String, due: String?, _ ctx: MutationContext) throws -> String {
        let title = title.trimmingWhitespace
        guard !title.isEmpty else { throw ModelError.emptyText(field: "title") }
        if let d = due, Timestamp(iso8601: d + "T00:00:00Z") == nil {
            throw ModelError.invalidValue(field: "due", value: d, reason: "expected a date like 2026-12-31")
        }
        let id = Identifiers.make(
            kind: .milestone, text: title, actor: ctx.actor, at: ctx.now, nonce: ctx.nonce,
            existing: { [milestones] in milestones[$0] != nil })
        milestones[id] = Milestone(id: id, title: title, due: due, created: Stamp(at: ctx.now, actor: ctx.actor))
        return id
    }

    public mutating func addGoal(_ text: String, _ ctx: MutationContext) throws -> String {
        let text = text.trimmingWhitespace
        guard !text.isEmpty else { throw ModelError.emptyText(field: "goal") }
        let id = Identifiers.make(
            kind: .goal, text: text, actor: ctx.actor, at: ctx.now, nonce: ctx.nonce,
            existing: { [goals] in goals[$0] != nil })
        goals[id] = Goal(id: id, text: text, created: Stamp(at: ctx.now, actor: ctx.actor))
        return id
    }

    /// Stores a changed task, stamping it as updated when anything changed.
    mutating func store(_ t: TaskRecord, _ ctx: MutationContext) throws {
        var t = t
        if try t != task(t.id) { t.updated = Stamp(at: ctx.now, actor: ctx.actor) }
        try setTask(t.id, t)
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s = s.dropFirst() }
        while let c = s.last, c.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
