/// One row of the read model: a task as it is at HEAD over every copy of the state. Every read
/// (`tasks` and its filters, `next`, `task show`, `check`, the preamble, the hooks' summaries,
/// the MCP tools) answers from these rows, so they cannot disagree about a task.
///
/// The rules stay in ``Evaluation`` (which builds the rows) and ``Ranking``: a row holds their
/// results for one task, and ``EvaluatedGraph/update(dirty:resolved:summary:row:dependents:children:milestoneOrder:)``
/// recomputes exactly the rows whose inputs an edit changed. New per-task facts belong here (and
/// in the index's `evaluated` table), so that every view gets them at once.
public struct EvaluatedTask: Hashable, Sendable {
    /// The task as this worktree's file records it, or, for a task only other copies have, as
    /// the first of them records it.
    public var task: TaskSummary
    /// For a task only other copies have: the first copy that has it (`feature`, `worktree wt`);
    /// nil for this worktree's tasks.
    public var onlyIn: String?
    /// The effective status at HEAD over every copy.
    public var status: EffectiveStatus
    /// Open, every dependency and child done here or cancelled.
    public var ready: Bool
    /// Stale and waiting on nothing: `next` offers it again after the fresh candidates.
    public var offerableStale: Bool
    /// The dependencies and children it still waits on (dependencies in the task's order,
    /// children by id).
    public var waitsOnDeps: [String]
    public var waitsOnChildren: [String]
    /// How many not-yet-finished tasks wait directly on it (a ranking term).
    public var unblocks: Int
    /// Its milestone's position in milestone order (nil: no milestone, or one not ordered).
    public var milestoneRank: Int?
    public var elsewhere: Elsewhere?
    public var disagreement: String?
    public var recovered: RecoveredAnchor?
    /// When its live claim or start goes stale.
    public var deadline: Timestamp?

    public init(
        task: TaskSummary, onlyIn: String? = nil, status: EffectiveStatus, ready: Bool, offerableStale: Bool,
        waitsOnDeps: [String], waitsOnChildren: [String], unblocks: Int, milestoneRank: Int?, elsewhere: Elsewhere?,
        disagreement: String?, recovered: RecoveredAnchor?, deadline: Timestamp?
    ) {
        self.task = task
        self.onlyIn = onlyIn
        self.status = status
        self.ready = ready
        self.offerableStale = offerableStale
        self.waitsOnDeps = waitsOnDeps
        self.waitsOnChildren = waitsOnChildren
        self.unblocks = unblocks
        self.milestoneRank = milestoneRank
        self.elsewhere = elsewhere
        self.disagreement = disagreement
        self.recovered = recovered
        self.deadline = deadline
    }

    public var id: String { task.id }
    public var deps: [String] { task.deps }
    public var parent: String? { task.parent }

    /// Whether this worktree's file has the task.
    public var isHere: Bool { onlyIn == nil }

    /// Whether `next` may offer it to someone: one of this worktree's tasks that is ready,
    /// offerable again, or in progress here (the actor who started it on this branch resumes it).
    public var candidate: Bool {
        isHere && (ready || offerableStale || ((status == .inProgress || status == .stale) && elsewhere == nil))
    }

    /// Who started (or works on) the task, as every view names them: the actor of the start in
    /// the copy where it is in progress, else the one this record names. `tasks` shows it as
    /// `@actor`, `--json` as `started_by`, and `--by` matches it (or the claim's actor).
    public var startedBy: String? {
        if let e = elsewhere, e.kind == .inProgress, let a = e.actor { return a }
        return task.startedActor
    }

    /// Whether `actor` started or claimed the task (`tasks --by`).
    public func isBy(_ actor: String) -> Bool { startedBy == actor || task.claimActor == actor }

    /// In progress only because a commit on HEAD names it in a `Codex-Task:` trailer (no copy
    /// records a start): the work landed, and the state does not say so yet.
    public var inProgressByTrailer: Bool {
        status == .inProgress && elsewhere?.kind == .inProgress && elsewhere?.commit != nil
    }

    /// Done here or cancelled: hidden from `tasks` unless asked for.
    public var isFinished: Bool { status == .done || status == .cancelled }

    /// The ranking terms for `actor` on `branch`.
    public func terms(actor: String, branch: String?) -> RankTerms {
        let resume =
            isHere && (status == .inProgress || status == .stale) && elsewhere == nil && task.startedActor == actor
            && task.startedBranch == branch
        return RankTerms(
            resume: resume, stale: !resume && offerableStale, priority: task.priority, unblocks: unblocks,
            milestone: task.milestone, milestoneRank: milestoneRank, created: task.createdAt, id: task.id)
    }

    /// The key `next` orders by after resume and freshness, as the index stores it
    /// (``RankTerms/key``).
    public var rankKey: String { terms(actor: "", branch: nil).key }

    /// How the status reads in text output: `ready`, `done@feature`, `in_progress@worktree wt2`,
    /// `stale@feature`.
    public var statusText: String {
        let place = elsewhere.map { "@" + $0.place } ?? ""
        switch status {
        case .open: return ready ? "ready" : "waiting"
        case .doneElsewhere: return "done" + (place.isEmpty ? "@" + (task.completionBranch ?? "elsewhere") : place)
        case .doneUnknown: return "done?"
        case .inProgress, .stale: return status.rawValue + place
        default: return status.rawValue
        }
    }

    /// What it waits on, dependencies first.
    public var waitsOn: [String] { waitsOnDeps + waitsOnChildren }
}

/// What ``Evaluation`` decides about one task from its own record and the copies' facts alone.
public struct ResolvedTask: Hashable, Sendable {
    public var status: EffectiveStatus
    public var elsewhere: Elsewhere?
    public var disagreement: String?
    public var deadline: Timestamp?
    public var recovered: RecoveredAnchor?

    public init(
        status: EffectiveStatus, elsewhere: Elsewhere? = nil, disagreement: String? = nil, deadline: Timestamp? = nil,
        recovered: RecoveredAnchor? = nil
    ) {
        self.status = status
        self.elsewhere = elsewhere
        self.disagreement = disagreement
        self.deadline = deadline
        self.recovered = recovered
    }

    init(_ row: EvaluatedTask) {
        self.init(
            status: row.status, elsewhere: row.elsewhere, disagreement: row.disagreement, deadline: row.deadline,
            recovered: row.recovered)
    }
}

extension Evaluation {
    /// One task of this worktree resolved as ``init(tasks:reachability:recovered:copies:uncommittedElsewhere:)``
    /// resolves it: the same rule, for the few tasks an edit or a HEAD move changed.
    public static func resolve(
        _ task: TaskSummary, facts: [CopyFact], reachability: [String: Reachability], recovered: RecoveredAnchor?,
        copies: CopyInputs, uncommittedElsewhere: Bool
    ) -> ResolvedTask {
        let r = resolve(
            here: task, facts: facts, reach: reachability, recovered: recovered != nil, copies: copies,
            uncommittedHere: uncommittedElsewhere)
        return ResolvedTask(
            status: r.status, elsewhere: r.elsewhere, disagreement: r.disagreement?.message, deadline: r.deadline,
            recovered: recovered)
    }

    /// Every task this evaluation knows as a row, by id: this worktree's, then those only other
    /// copies have.
    public func rows(milestoneOrder: [String: Int]) -> [EvaluatedTask] {
        var out: [EvaluatedTask] = []
        out.reserveCapacity(tasks.count + foreignOnly.count)
        for id in tasks.keys.sorted() {
            guard let t = tasks[id], let s = status[id] else { continue }
            let resolved = ResolvedTask(
                status: s, elsewhere: elsewhere[id], disagreement: disagreements[id]?.message, deadline: deadlines[id],
                recovered: recovered[id])
            out.append(
                EvaluatedGraph.makeRow(
                    t, resolved, status: { status[$0] }, children: children[id] ?? [], dependents: dependents[id] ?? [],
                    milestoneOrder: milestoneOrder))
        }
        for id in foreignOnly.keys.sorted() {
            guard let t = foreignOnly[id], let s = foreignStatus[id] else { continue }
            let resolved = ResolvedTask(
                status: s, elsewhere: elsewhere[id], disagreement: disagreements[id]?.message,
                recovered: recovered[id])
            var row = EvaluatedGraph.makeRow(
                t, resolved, status: { known($0) ? effective($0) : nil }, children: foreignChildren[id] ?? [],
                dependents: foreignDependents[id] ?? [], milestoneOrder: milestoneOrder)
            row.onlyIn = foreignCopy[id] ?? "another copy"
            row.offerableStale = false
            out.append(row)
        }
        return out
    }
}

public enum EvaluatedGraph {
    /// One row from the task, what was resolved about it and its neighbours' statuses.
    public static func makeRow(
        _ t: TaskSummary, _ r: ResolvedTask, status: (String) -> EffectiveStatus?, children: [String],
        dependents: [String], milestoneOrder: [String: Int]
    ) -> EvaluatedTask {
        func satisfied(_ id: String) -> Bool { status(id)?.satisfiesDependents ?? false }
        let deps = t.deps.filter { !satisfied($0) }
        let kids = children.filter { !satisfied($0) }
        let waits = deps.isEmpty && kids.isEmpty
        return EvaluatedTask(
            task: t, status: r.status, ready: r.status == .open && waits,
            offerableStale: r.status == .stale && waits && t.status != .done, waitsOnDeps: deps,
            waitsOnChildren: kids,
            unblocks: dependents.filter { !(status($0)?.satisfiesDependents ?? true) }.count,
            milestoneRank: t.milestone.flatMap { milestoneOrder[$0] }, elsewhere: r.elsewhere,
            disagreement: r.disagreement, recovered: r.recovered, deadline: r.deadline)
    }

    /// The rows an edit changes, and the ids whose rows go. Only this worktree's tasks: an edit
    /// that reaches a task only other copies have is left to a full evaluation (the caller
    /// knows which those are).
    ///
    /// - Parameters:
    ///   - dirty: the tasks the edit added, changed or removed.
    ///   - resolved: each dirty task that still exists, resolved against the current inputs.
    ///   - summary: a task as it is now (nil: it does not exist).
    ///   - row: a task's stored row, as evaluated before the edit.
    ///   - dependents: the tasks that depend on a task now (once per listing of it).
    ///   - children: the tasks whose parent it is now, by id.
    /// - Returns: nil when a task the edit touches has no row and is not dirty (the rows do not
    ///   match the tasks): the caller evaluates everything instead.
    public static func update(
        dirty: Set<String>, resolved: [String: ResolvedTask], summary: (String) -> TaskSummary?,
        row: (String) -> EvaluatedTask?, dependents: (String) -> [String], children: (String) -> [String],
        milestoneOrder: [String: Int]
    ) -> (rows: [EvaluatedTask], removed: [String])? {
        // A task's status depends on its own record; its readiness and what it waits on on its
        // dependencies' and children's statuses; its unblocks count on its dependents'. So an edit
        // of t can change the rows of t, of everything t depended on or depends on now, of its
        // old and new parent, and of the tasks that depend on it or are its children.
        var affected = Set<String>()
        for d in dirty {
            affected.insert(d)
            if let old = row(d) {
                affected.formUnion(old.deps)
                if let p = old.parent { affected.insert(p) }
            }
            if let t = summary(d) {
                affected.formUnion(t.deps)
                if let p = t.parent { affected.insert(p) }
            }
            affected.formUnion(dependents(d))
            affected.formUnion(children(d))
        }
        func status(_ id: String) -> EffectiveStatus? {
            if dirty.contains(id) { return summary(id) == nil ? nil : resolved[id]?.status }
            guard let r = row(id), r.isHere else { return nil }
            return r.status
        }
        var rows: [EvaluatedTask] = []
        var removed: [String] = []
        for a in affected.sorted() {
            guard let t = summary(a) else {
                if dirty.contains(a) { removed.append(a) }
                continue
            }
            let base: ResolvedTask
            if dirty.contains(a) {
                guard let r = resolved[a] else { return nil }
                base = r
            } else {
                guard let old = row(a), old.isHere else { return nil }
                base = ResolvedTask(old)
            }
            rows.append(
                makeRow(
                    t, base, status: status, children: children(a), dependents: dependents(a),
                    milestoneOrder: milestoneOrder))
        }
        return (rows, removed)
    }
}
