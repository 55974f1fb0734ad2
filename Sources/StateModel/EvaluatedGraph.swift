/// The evaluated task graph as rows: what ``Evaluation`` decides about each task, kept by the
/// index so that `next` and `tasks` read a few rows instead of evaluating every task, and brought
/// up to date after an edit by re-deciding only the tasks the edit can touch.
///
/// The rules stay in ``Evaluation`` and ``Ranking``: a row holds their results for one task, and
/// ``EvaluatedGraph/update(dirty:resolved:summary:row:dependents:children:milestoneOrder:)``
/// recomputes exactly the rows whose inputs an edit changed.
public struct EvaluatedTask: Hashable, Sendable, Codable {
    public var id: String
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
    /// Its dependencies and parent as evaluated, so the tasks an edit leaves can be found.
    public var deps: [String]
    public var parent: String?

    public init(
        id: String, status: EffectiveStatus, ready: Bool, offerableStale: Bool, waitsOnDeps: [String],
        waitsOnChildren: [String], unblocks: Int, milestoneRank: Int?, elsewhere: Elsewhere?,
        disagreement: String?, recovered: RecoveredAnchor?, deadline: Timestamp?, deps: [String], parent: String?
    ) {
        self.id = id
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
        self.deps = deps
        self.parent = parent
    }

    /// Whether `next` may offer it to someone: ready, offerable again, or in progress here (the
    /// actor who started it on this branch resumes it).
    public var candidate: Bool {
        ready || offerableStale || ((status == .inProgress || status == .stale) && elsewhere == nil)
    }

    /// The ranking terms for `actor` on `branch` (``Ranking/rank(_:actor:branch:milestoneOrder:)``
    /// decides the same from a full evaluation).
    public func terms(_ t: TaskSummary, actor: String, branch: String?) -> RankTerms {
        let resume =
            (status == .inProgress || status == .stale) && elsewhere == nil && t.startedActor == actor
            && t.startedBranch == branch
        return RankTerms(
            resume: resume, stale: !resume && offerableStale, priority: t.priority, unblocks: unblocks,
            milestone: t.milestone, milestoneRank: milestoneRank, created: t.createdAt, id: t.id)
    }
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
    /// resolves it: the same rule, for the few tasks an edit changed.
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

    /// Every task of this worktree as a row.
    public func rows(milestoneOrder: [String: Int]) -> [EvaluatedTask] {
        tasks.keys.sorted().compactMap { id in
            guard let t = tasks[id], let s = status[id] else { return nil }
            let resolved = ResolvedTask(
                status: s, elsewhere: elsewhere[id], disagreement: disagreements[id]?.message, deadline: deadlines[id],
                recovered: recovered[id])
            return EvaluatedGraph.makeRow(
                t, resolved, status: { status[$0] }, children: children[id] ?? [], dependents: dependents[id] ?? [],
                milestoneOrder: milestoneOrder)
        }
    }
}

public enum EvaluatedGraph {
    /// One row from the task, what was resolved about it and its neighbours' statuses.
    static func makeRow(
        _ t: TaskSummary, _ r: ResolvedTask, status: (String) -> EffectiveStatus?, children: [String],
        dependents: [String], milestoneOrder: [String: Int]
    ) -> EvaluatedTask {
        func satisfied(_ id: String) -> Bool { status(id)?.satisfiesDependents ?? false }
        let deps = t.deps.filter { !satisfied($0) }
        let kids = children.filter { !satisfied($0) }
        let waits = deps.isEmpty && kids.isEmpty
        return EvaluatedTask(
            id: t.id, status: r.status, ready: r.status == .open && waits,
            offerableStale: r.status == .stale && waits && t.status != .done, waitsOnDeps: deps,
            waitsOnChildren: kids,
            unblocks: dependents.filter { !(status($0)?.satisfiesDependents ?? true) }.count,
            milestoneRank: t.milestone.flatMap { milestoneOrder[$0] }, elsewhere: r.elsewhere,
            disagreement: r.disagreement, recovered: r.recovered, deadline: r.deadline, deps: t.deps, parent: t.parent)
    }

    /// The rows an edit changes, and the ids whose rows go.
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
            return row(id)?.status
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
                guard let old = row(a) else { return nil }
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
