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
    }

    public init(
        id: String, title: String, status: TaskStatus, priority: Int, parent: String?, deps: [String],
        labels: [String], milestone: String?, createdAt: Timestamp, startedActor: String?,
        startedBranch: String?, startedAt: Timestamp?, completionCommit: String?,
        completionBranch: String?, claimActor: String?, claimExpires: Timestamp?, conflictCount: Int = 0
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
    case inProgress = "in_progress"
    case blocked
    /// Completed by a commit reachable from HEAD.
    case done
    /// Completed by a commit that exists but is not reachable from HEAD.
    case doneElsewhere = "done_elsewhere"
    /// Completed by a commit this repository does not have.
    case doneUnknown = "done_unknown"
    case cancelled

    /// Whether a dependency in this status lets its dependents proceed on this branch.
    public var satisfiesDependents: Bool { self == .done || self == .cancelled }
}

/// The task graph evaluated at one HEAD: effective statuses, children, dependents and readiness.
public struct Evaluation: Sendable {
    public let tasks: [String: TaskSummary]
    public let status: [String: EffectiveStatus]
    public let children: [String: [String]]
    public let dependents: [String: [String]]
    public let ready: Set<String>

    /// How a completion whose recorded commit is not reachable was found on HEAD anyway, by task.
    public let recovered: [String: RecoveredAnchor]

    /// - Parameters:
    ///   - reachability: the answer for each completion commit; a completion whose commit is
    ///     missing from the map counts as `unknownCommit`.
    ///   - recovered: completions found on HEAD under another commit (rewritten, squashed); they
    ///     count as done here.
    ///   - uncommittedElsewhere: completions recorded without a commit on another branch that no
    ///     commit on HEAD holds yet (the file was carried over by a checkout): done elsewhere.
    public init(
        tasks: [String: TaskSummary], reachability: [String: Reachability],
        recovered: [String: RecoveredAnchor] = [:], uncommittedElsewhere: Set<String> = []
    ) {
        self.tasks = tasks
        self.recovered = recovered
        var status: [String: EffectiveStatus] = [:]
        status.reserveCapacity(tasks.count)
        var children: [String: [String]] = [:]
        var dependents: [String: [String]] = [:]
        for (id, t) in tasks {
            if t.status == .done, uncommittedElsewhere.contains(id) {
                status[id] = .doneElsewhere
            } else {
                status[id] = recovered[id] != nil && t.status == .done ? .done : Self.effective(t, reachability)
            }
            if let p = t.parent { children[p, default: []].append(id) }
            for d in t.deps { dependents[d, default: []].append(id) }
        }
        for k in children.keys { children[k]?.sort() }
        for k in dependents.keys { dependents[k]?.sort() }
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
    }

    static func effective(_ t: TaskSummary, _ reach: [String: Reachability]) -> EffectiveStatus {
        switch t.status {
        case .open: return .open
        case .inProgress: return .inProgress
        case .blocked: return .blocked
        case .cancelled: return .cancelled
        case .done:
            // No commit named: a completion recorded with the work (anchored by the commit that
            // adds it to the file). This copy of the file holds it, so it is done here.
            guard let c = t.completionCommit else { return .done }
            switch reach[c] ?? .unknownCommit {
            case .reachable: return .done
            case .unreachable: return .doneElsewhere
            case .unknownCommit: return .doneUnknown
            }
        }
    }

    /// Why an open task is not ready: the dependencies and children it still waits on.
    public func waitingOn(_ id: String) -> (deps: [String], children: [String]) {
        guard let t = tasks[id] else { return ([], []) }
        let deps = t.deps.filter { !(status[$0]?.satisfiesDependents ?? false) }
        let kids = (children[id] ?? []).filter { !(status[$0]?.satisfiesDependents ?? false) }
        return (deps, kids)
    }
}

/// Cycle detection for `deps` and `parent` edges.
public enum GraphRules {
    /// If adding the edge `from` waits-on `to` would close a cycle, the cycle as a path
    /// (`from -> to -> … -> from`), else nil.
    public static func dependencyCycle(adding from: String, dependsOn to: String, in tasks: [String: TaskRecord])
        -> [String]?
    {
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
                } while cur != from && path.count <= tasks.count + 1
                // `path` runs backwards (from, …, to, from); reversed it reads as the cycle.
                return path.reversed()
            }
            for next in tasks[node]?.deps ?? [] where cameFrom[next] == nil {
                cameFrom[next] = node
                stack.append(next)
            }
        }
        return nil
    }

    /// If making `parent` the parent of `child` would close a cycle, that cycle.
    public static func parentCycle(child: String, parent: String, in tasks: [String: TaskRecord]) -> [String]? {
        var path = [child, parent]
        var cur: String? = parent
        var seen: Set<String> = [child]
        while let c = cur {
            if c == child { return path }
            if !seen.insert(c).inserted { return nil }
            cur = tasks[c]?.parent
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
