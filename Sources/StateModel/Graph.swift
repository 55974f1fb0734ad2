/// The fields of a task that listing, readiness and ranking need. The index stores exactly these
/// so read commands never parse the whole state file.
public struct TaskSummary: Hashable, Sendable, Codable {
    public var id: String
    public var title: String
    public var status: TaskStatus
    public var priority: Int
    public var parent: String?
    public var deps: [String]
    public var labels: [String]
    public var milestone: String?
    public var createdAt: Timestamp
    public var startedActor: String?
    public var startedBranch: String?
    public var startedAt: Timestamp?
    public var completionCommit: String?
    public var completionBranch: String?
    public var claimActor: String?
    public var claimExpires: Timestamp?
    /// Unresolved merge conflict records on the task (`tasks` marks them).
    public var conflictCount: Int
    /// The last change to the task (a start with no activity for long enough is stale).
    public var updatedAt: Timestamp?

    public init(_ t: TaskRecord) {
        id = t.id
        title = t.title
        status = t.status
        priority = t.priority
        parent = t.parent
        deps = t.deps
        labels = t.labels
        milestone = t.milestone
        createdAt = t.created.at
        startedActor = t.started?.actor
        startedBranch = t.started?.branch
        startedAt = t.started?.at
        completionCommit = t.completion?.commit
        completionBranch = t.completion?.branch
        claimActor = t.claim?.actor
        claimExpires = t.claim?.expires
        conflictCount = t.conflicts?.count ?? 0
        updatedAt = t.updated.at
    }

    public init(
        id: String, title: String, status: TaskStatus = .open, priority: Int = 2, parent: String? = nil,
        deps: [String] = [], labels: [String] = [], milestone: String? = nil,
        createdAt: Timestamp = Timestamp(seconds: 0),
        startedActor: String? = nil, startedBranch: String? = nil, startedAt: Timestamp? = nil,
        completionCommit: String? = nil, completionBranch: String? = nil, claimActor: String? = nil,
        claimExpires: Timestamp? = nil, conflictCount: Int = 0, updatedAt: Timestamp? = nil
    ) {
        self.id = id
        self.title = title
        self.status = status
        self.priority = priority
        self.parent = parent
        self.deps = deps
        self.labels = labels
        self.milestone = milestone
        self.createdAt = createdAt
        self.startedActor = startedActor
        self.startedBranch = startedBranch
        self.startedAt = startedAt
        self.completionCommit = completionCommit
        self.completionBranch = completionBranch
        self.claimActor = claimActor
        self.claimExpires = claimExpires
        self.conflictCount = conflictCount
        self.updatedAt = updatedAt
    }
}

/// Whether a completion commit is an ancestor of (or equal to) HEAD.
public enum Reachability: Int, Sendable, Codable {
    case reachable = 1
    case unreachable = 0
    /// The repository does not have the commit (another clone's, or garbage-collected).
    case unknownCommit = -1
}

/// What a task is at one HEAD.
public enum EffectiveStatus: String, Sendable, Codable, CaseIterable {
    case open
    /// In progress here, or in another copy (see ``Evaluation/elsewhere``) with a live claim or
    /// recent activity.
    case inProgress = "in_progress"
    case blocked
    /// Completed by a commit reachable from HEAD (recorded in any copy).
    case done
    /// Completed by a commit that exists but is not reachable from HEAD.
    case doneElsewhere = "done_elsewhere"
    /// Completed by a commit this repository does not have.
    case doneUnknown = "done_unknown"
    case cancelled
    /// Started (here or in another copy) but its claim expired, or nothing happened to it for
    /// the configured time: offered by `next` again, after the fresh candidates.
    case stale

    /// Whether a dependency in this status lets its dependents proceed on this branch.
    public var satisfiesDependents: Bool { self == .done || self == .cancelled }
}

/// The task graph evaluated at one HEAD over every copy of the state: effective statuses,
/// children, dependents and readiness of this worktree's tasks, and of the tasks only other
/// copies have. It builds the rows every read answers from (``rows(milestoneOrder:)``), and is
/// the reference the index's incremental rows are held to in tests.
public struct Evaluation: Sendable {
    /// This worktree's tasks (every field but completion and progress comes from here).
    public let tasks: [String: TaskSummary]
    public let status: [String: EffectiveStatus]
    /// This worktree's graph: its tasks' children and dependents among its own tasks.
    public let children: [String: [String]]
    public let dependents: [String: [String]]
    /// Open, every dependency and child done here or cancelled, not in progress anywhere.
    public let ready: Set<String>

    /// How a completion whose recorded commit is not reachable was found on HEAD anyway, by task.
    public let recovered: [String: RecoveredAnchor]
    /// For tasks done or in progress somewhere other than here: where.
    public let elsewhere: [String: Elsewhere]
    /// Tasks only other copies have (`tasks --everywhere`), as the first copy that has each
    /// records it, with their status at this HEAD.
    public let foreignOnly: [String: TaskSummary]
    public let foreignStatus: [String: EffectiveStatus]
    /// For each task only other copies have, the first copy that has it (`feature`).
    public let foreignCopy: [String: String]
    /// Copies that disagree (done in one, cancelled in another), by task.
    public let disagreements: [String: Disagreement]
    /// The earliest time after `now` at which a claim expires or a start goes stale: until then
    /// the evaluation stays true for the same inputs.
    public let validUntil: Timestamp?
    /// When each task's live claim or start goes stale (this worktree's tasks).
    public let deadlines: [String: Timestamp]
    /// The graph of the tasks only other copies have: their children and dependents among every
    /// task known (a task only another copy has waits on what it names, wherever that is).
    let foreignChildren: [String: [String]]
    let foreignDependents: [String: [String]]

    /// - Parameters:
    ///   - reachability: the answer for each completion commit (of every copy); a completion
    ///     whose commit is missing from the map counts as `unknownCommit`.
    ///   - recovered: completions found on HEAD under another commit (rewritten, squashed,
    ///     cherry-picked); they count as done here.
    ///   - copies: the other copies' facts, which branch contains each unreachable completion,
    ///     and the clock for staleness.
    ///   - uncommittedElsewhere: completions this worktree's file records without a commit that
    ///     were made on another branch and that no commit on HEAD holds yet (the file was carried
    ///     over by a checkout): done elsewhere, not here.
    public init(
        tasks: [String: TaskSummary], reachability: [String: Reachability],
        recovered: [String: RecoveredAnchor] = [:], copies: CopyInputs = .none,
        uncommittedElsewhere: Set<String> = []
    ) {
        self.tasks = tasks
        self.recovered = recovered
        var status: [String: EffectiveStatus] = [:]
        status.reserveCapacity(tasks.count)
        var children: [String: [String]] = [:]
        var dependents: [String: [String]] = [:]
        var elsewhere: [String: Elsewhere] = [:]
        var disagreements: [String: Disagreement] = [:]
        var deadlines: [Timestamp] = []
        var deadlineOf: [String: Timestamp] = [:]
        for (id, t) in tasks {
            let r = Self.resolve(
                here: t, facts: copies.facts[id] ?? [], reach: reachability, recovered: recovered[id] != nil,
                copies: copies, uncommittedHere: uncommittedElsewhere.contains(id))
            status[id] = r.status
            if let e = r.elsewhere { elsewhere[id] = e }
            if let d = r.disagreement { disagreements[id] = d }
            if let d = r.deadline {
                deadlines.append(d)
                deadlineOf[id] = d
            }
            if let p = t.parent { children[p, default: []].append(id) }
            for d in t.deps { dependents[d, default: []].append(id) }
        }
        var foreignOnly: [String: TaskSummary] = [:]
        var foreignStatus: [String: EffectiveStatus] = [:]
        var foreignCopy: [String: String] = [:]
        for (id, fs) in copies.facts where tasks[id] == nil {
            guard let first = fs.first else { continue }
            foreignCopy[id] = first.copies.first?.label
            let r = Self.resolve(
                here: nil, facts: fs, reach: reachability, recovered: recovered[id] != nil, copies: copies)
            foreignOnly[id] = first.fact
            foreignStatus[id] = r.status
            if let e = r.elsewhere { elsewhere[id] = e }
            if let d = r.disagreement { disagreements[id] = d }
        }
        var foreignChildren: [String: [String]] = [:]
        var foreignDependents: [String: [String]] = [:]
        if !foreignOnly.isEmpty {
            for t in Array(tasks.values) + Array(foreignOnly.values) {
                if let p = t.parent, foreignOnly[p] != nil { foreignChildren[p, default: []].append(t.id) }
                for d in t.deps where foreignOnly[d] != nil { foreignDependents[d, default: []].append(t.id) }
            }
        }
        for k in children.keys { children[k]?.sort() }
        for k in dependents.keys { dependents[k]?.sort() }
        for k in foreignChildren.keys { foreignChildren[k]?.sort() }
        for k in foreignDependents.keys { foreignDependents[k]?.sort() }
        var ready = Set<String>()
        for (id, t) in tasks where status[id] == .open {
            let depsDone = t.deps.allSatisfy { status[$0]?.satisfiesDependents ?? false }
            let kidsDone = (children[id] ?? []).allSatisfy { status[$0]?.satisfiesDependents ?? false }
            if depsDone && kidsDone { ready.insert(id) }
        }
        self.status = status
        self.children = children
        self.dependents = dependents
        self.ready = ready
        self.elsewhere = elsewhere
        self.foreignOnly = foreignOnly
        self.foreignStatus = foreignStatus
        self.foreignCopy = foreignCopy
        self.foreignChildren = foreignChildren
        self.foreignDependents = foreignDependents
        self.disagreements = disagreements
        validUntil = deadlines.min()
        self.deadlines = deadlineOf
    }

    /// Stale tasks `next` may offer again: every dependency and child done here or cancelled.
    public var offerableStale: Set<String> {
        var out = Set<String>()
        for (id, t) in tasks where status[id] == .stale {
            let (deps, kids) = waitingOn(id)
            if deps.isEmpty && kids.isEmpty && t.status != .done { out.insert(id) }
        }
        return out
    }

    struct Resolved {
        var status: EffectiveStatus
        var elsewhere: Elsewhere?
        var disagreement: Disagreement?
        /// When a live claim or start goes stale.
        var deadline: Timestamp?
    }

    /// One task over every copy (docs/state-format.md): a completion on HEAD in any copy makes
    /// it done here; else one elsewhere makes it done@B; else this worktree's status, where an
    /// open task started in another copy is in progress there (or stale).
    ///
    /// A completion recorded without a commit (docs/state-format.md, "Completing with the work")
    /// is anchored by the commit that first holds the record: in this worktree's file it is done
    /// here unless `uncommittedHere` says the record came from another branch by a checkout; in
    /// another worktree's file it is done in that worktree; a branch tip's copy has its anchor
    /// filled in by the caller (the commit that introduced the record on that branch).
    static func resolve(
        here: TaskSummary?, facts: [CopyFact], reach: [String: Reachability], recovered: Bool, copies: CopyInputs,
        uncommittedHere: Bool = false
    ) -> Resolved {
        // Completions: this worktree's first, then the other copies'.
        var completions: [(commit: String?, copy: String, recordedBranch: String?, worktree: CopyName?)] = []
        if let t = here, t.status == .done {
            if t.completionCommit == nil && !uncommittedHere && !recovered {
                return Resolved(status: .done)
            }
            completions.append(
                (CopyInputs.anchor(of: t.completionCommit, status: t.status), "here", t.completionBranch, nil))
        }
        for f in facts where f.fact.status == .done {
            let copy = f.copies[0]
            completions.append(
                (
                    CopyInputs.anchor(of: f.fact.completionCommit, status: f.fact.status), copy.label,
                    f.fact.completionBranch, copy.kind == .worktree ? copy : nil
                ))
        }
        let cancelledIn =
            (here?.status == .cancelled ? ["here"] : [])
            + facts.filter { $0.fact.status == .cancelled }
            .map { $0.copies[0].label }
        func disagreement(_ doneIn: String) -> Disagreement? {
            guard let id = here?.id ?? facts.first?.fact.id, let c = cancelledIn.first else { return nil }
            return Disagreement(
                task: id,
                message:
                    "done \(doneIn == "here" ? "here" : "in " + doneIn), cancelled \(c == "here" ? "here" : "in " + c): done wins (the merge driver keeps a completion)"
            )
        }
        if !completions.isEmpty {
            if recovered || completions.contains(where: { $0.commit.map { reach[$0] == .reachable } ?? false }) {
                let by = completions.first { $0.commit.map { reach[$0] == .reachable } ?? false }?.copy ?? "here"
                return Resolved(status: .done, disagreement: disagreement(by))
            }
            if let c = completions.first(where: { $0.commit.map { reach[$0] == .unreachable } ?? false }),
                let commit = c.commit
            {
                let branch = copies.containing[commit] ?? c.recordedBranch
                return Resolved(
                    status: .doneElsewhere,
                    elsewhere: Elsewhere(kind: .done, branch: branch, copy: c.copy, commit: commit),
                    disagreement: disagreement(c.copy))
            }
            // Recorded without a commit in a file no commit here holds: done where that file is.
            if let c = completions.first(where: { $0.commit == nil && ($0.copy == "here" || $0.worktree != nil) }) {
                return Resolved(
                    status: .doneElsewhere,
                    elsewhere: Elsewhere(
                        kind: .done, branch: c.worktree?.branch ?? c.recordedBranch,
                        worktree: c.worktree?.name, copy: c.copy),
                    disagreement: disagreement(c.copy))
            }
            let c = completions[0]
            return Resolved(
                status: .doneUnknown,
                elsewhere: c.copy == "here"
                    ? nil : Elsewhere(kind: .done, branch: c.recordedBranch, copy: c.copy, commit: c.commit),
                disagreement: disagreement(c.copy))
        }
        let base = here?.status ?? facts.first?.fact.status ?? .open
        switch base {
        case .cancelled: return Resolved(status: .cancelled)
        case .blocked: return Resolved(status: .blocked)
        case .done: return Resolved(status: .doneUnknown)
        case .inProgress where here != nil:
            guard let t = here else { return Resolved(status: .inProgress) }
            let (stale, deadline) = Self.staleness(
                claimExpires: t.claimExpires, activity: [t.startedAt, t.updatedAt].compactMap { $0 }.max(),
                copies: copies)
            return Resolved(status: stale ? .stale : .inProgress, deadline: deadline)
        case .open, .inProgress:
            // Started in another copy: the live start that began last wins, else the stale one.
            var best: (Elsewhere, Bool, Timestamp?, Timestamp)?
            for f in facts where f.fact.status == .inProgress {
                let (stale, deadline) = Self.staleness(
                    claimExpires: f.fact.claimExpires,
                    activity: [f.fact.startedAt, f.fact.updatedAt].compactMap { $0 }.max(), copies: copies)
                let copy = f.copies[0]
                let e = Elsewhere(
                    kind: .inProgress,
                    branch: copy.kind == .worktree
                        ? copy.branch : copy.kind == .claim ? nil : f.fact.startedBranch ?? copy.name,
                    worktree: copy.kind == .worktree ? copy.name : nil, copy: copy.label, actor: f.fact.startedActor)
                let started = f.fact.startedAt ?? Timestamp(seconds: 0)
                if let b = best {
                    if b.1 && !stale {
                        best = (e, stale, deadline, started)
                    } else if b.1 == stale && started > b.3 {
                        best = (e, stale, deadline, started)
                    }
                } else {
                    best = (e, stale, deadline, started)
                }
            }
            guard let b = best else {
                // Not recorded anywhere, but a commit on HEAD names it (a cherry-pick or merge of
                // the code alone): its work is here, so it is not offered as new work.
                if here?.status == .open, let id = here?.id, let c = copies.workOnHead[id] {
                    return Resolved(
                        status: .inProgress,
                        elsewhere: Elsewhere(kind: .inProgress, branch: nil, copy: "commit " + c.prefix(7), commit: c))
                }
                return Resolved(status: .open)
            }
            return Resolved(status: b.1 ? .stale : .inProgress, elsewhere: b.0, deadline: b.2)
        }
    }

    /// A claim that expired is stale; a start with no claim is stale once nothing happened to it
    /// for `staleAfter`. Also returns when a live one will go stale.
    static func staleness(claimExpires: Timestamp?, activity: Timestamp?, copies: CopyInputs) -> (Bool, Timestamp?) {
        guard let now = copies.now else { return (false, nil) }
        if let e = claimExpires { return e <= now ? (true, nil) : (false, e) }
        guard let after = copies.staleAfter, let a = activity else { return (false, nil) }
        let due = a.adding(seconds: after)
        return due <= now ? (true, nil) : (false, due)
    }

    /// The status of any task this evaluation knows, here or only in another copy.
    public func effective(_ id: String) -> EffectiveStatus { status[id] ?? foreignStatus[id] ?? .open }

    /// Why an open task is not ready: the dependencies and children it still waits on. This
    /// worktree's tasks wait within its graph; a task only other copies have on whatever it
    /// names, here or elsewhere.
    public func waitingOn(_ id: String) -> (deps: [String], children: [String]) {
        if let t = tasks[id] {
            let deps = t.deps.filter { !(status[$0]?.satisfiesDependents ?? false) }
            let kids = (children[id] ?? []).filter { !(status[$0]?.satisfiesDependents ?? false) }
            return (deps, kids)
        }
        guard let t = foreignOnly[id] else { return ([], []) }
        let deps = t.deps.filter { !effective($0).satisfiesDependents || !known($0) }
        let kids = (foreignChildren[id] ?? []).filter { !effective($0).satisfiesDependents }
        return (deps, kids)
    }

    /// Whether the task is here or in another copy.
    func known(_ id: String) -> Bool { tasks[id] != nil || foreignOnly[id] != nil }
}

/// Cycle detection for `deps` and `parent` edges, over whatever answers a task's dependencies or
/// parent (a whole state, or the index through a slice).
public enum GraphRules {
    /// If adding the edge `from` waits-on `to` would close a cycle, the cycle as a path
    /// (`from -> to -> … -> from`), else nil.
    public static func dependencyCycle(
        adding from: String, dependsOn to: String, dependencies: (String) throws -> [String]
    ) rethrows -> [String]? {
        if from == to { return [from, from] }
        // Depth-first search from `to` along deps, looking for `from`, remembering the way back.
        var cameFrom: [String: String] = [to: from]
        var stack = [to]
        while let node = stack.popLast() {
            if node == from {
                var path = [from]
                var cur = from
                repeat {
                    cur = cameFrom[cur] ?? from
                    path.append(cur)
                } while cur != from && path.count <= cameFrom.count + 1
                // `path` runs backwards (from, …, to, from); reversed it reads as the cycle.
                return path.reversed()
            }
            for next in try dependencies(node) where cameFrom[next] == nil {
                cameFrom[next] = node
                stack.append(next)
            }
        }
        return nil
    }

    /// The same over a whole set of tasks.
    public static func dependencyCycle(adding from: String, dependsOn to: String, in tasks: [String: TaskRecord])
        -> [String]?
    {
        dependencyCycle(adding: from, dependsOn: to, dependencies: { tasks[$0]?.deps ?? [] })
    }

    /// The same over a whole set of tasks.
    public static func parentCycle(child: String, parent: String, in tasks: [String: TaskRecord]) -> [String]? {
        parentCycle(child: child, parent: parent, parentOf: { tasks[$0]?.parent })
    }

    /// If making `parent` the parent of `child` would close a cycle, that cycle.
    public static func parentCycle(child: String, parent: String, parentOf: (String) throws -> String?) rethrows
        -> [String]?
    {
        var path = [child, parent]
        var cur: String? = parent
        var seen: Set<String> = [child]
        while let c = cur {
            if c == child { return path }
            if !seen.insert(c).inserted { return nil }
            cur = try parentOf(c)
            if let n = cur { path.append(n) }
        }
        return nil
    }
}

/// A completion found on HEAD under a commit other than the one recorded.
public struct RecoveredAnchor: Hashable, Sendable, Codable {
    public enum Method: String, Sendable, Codable {
        /// The recorded commit was rewritten (amend, rebase) into one on HEAD: the clone's map.
        case rewrite
        /// A commit on HEAD makes the same change (`git patch-id --stable`).
        case patchID = "patch-id"
        /// A commit on HEAD names the task in a `Codex-Task:` trailer (e.g. a squash merge).
        case trailer
    }
    public var method: Method
    /// The commit on HEAD that carries the work.
    public var commit: String
    public init(method: Method, commit: String) {
        self.method = method
        self.commit = commit
    }
}
