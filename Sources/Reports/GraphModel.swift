import StateModel

/// The task graph as `codex-state graph` and `report --html` draw it: the tasks with their
/// effective status, gathered by Workspace (one adapter file) so that everything here stays pure.
public struct GraphInput: Sendable {
    /// What a task is at the HEAD drawn, as `tasks` names it.
    public enum Status: String, Sendable, CaseIterable, Codable {
        /// Completed by a commit HEAD reaches.
        case done
        /// Completed by a commit HEAD does not reach (`done@feature`): does not satisfy dependents here.
        case doneElsewhere = "done_elsewhere"
        /// Completed by a commit this clone does not have (`done?`).
        case doneUnknown = "done_unknown"
        /// In progress on this copy of the state.
        case inProgress = "in_progress"
        /// In progress in another copy (`in_progress@feature`, `@worktree W`).
        case inProgressElsewhere = "in_progress_elsewhere"
        /// Started, but its claim expired or nothing happened to it for the stale time.
        case stale
        /// Open, and nothing it waits on is unfinished: what `next` offers.
        case ready
        /// Open, but waits on a dependency or a child.
        case waiting
        case blocked
        case cancelled

        /// Done here or cancelled: what satisfies dependents and is hidden unless `--all`.
        public var isFinished: Bool { self == .done || self == .cancelled }
    }

    public struct Node: Sendable, Equatable {
        public var id: String
        public var title: String
        public var status: Status
        /// The branch or worktree of `done@…`, `in_progress@…` and `stale@…`.
        public var place: String?
        public var priority: Int
        public var parent: String?
        /// Tasks this one waits on.
        public var deps: [String]
        public var milestone: String?
        public var labels: [String]

        public init(
            id: String, title: String, status: Status, place: String? = nil, priority: Int = 2,
            parent: String? = nil, deps: [String] = [], milestone: String? = nil, labels: [String] = []
        ) {
            self.id = id
            self.title = title
            self.status = status
            self.place = place
            self.priority = priority
            self.parent = parent
            self.deps = deps
            self.milestone = milestone
            self.labels = labels
        }

        /// `ready`, `done@feature`, `in_progress@worktree wt2`, `done?`: as `tasks` prints it.
        public var statusText: String {
            switch status {
            case .doneElsewhere: return "done@" + (place ?? "elsewhere")
            case .doneUnknown: return "done?"
            case .inProgressElsewhere: return "in_progress@" + (place ?? "elsewhere")
            case .stale: return "stale" + (place.map { "@" + $0 } ?? "")
            default: return status.rawValue
            }
        }
    }

    public struct MilestoneInfo: Sendable, Equatable {
        public var id: String
        public var title: String
        public var due: String?

        public init(id: String, title: String, due: String?) {
            self.id = id
            self.title = title
            self.due = due
        }
    }

    public var project: String
    public var branch: String?
    public var commit: String?
    /// Every task of the state at that HEAD.
    public var nodes: [Node]
    /// In their ranking order (due date, undated last).
    public var milestones: [MilestoneInfo]

    public init(project: String, branch: String?, commit: String?, nodes: [Node], milestones: [MilestoneInfo]) {
        self.project = project
        self.branch = branch
        self.commit = commit
        self.nodes = nodes
        self.milestones = milestones
    }
}

/// What to draw.
public struct GraphOptions: Sendable, Equatable {
    /// Also tasks done here and cancelled ones (hidden otherwise, as in `tasks`).
    public var all: Bool
    /// Only this milestone's tasks, what they wait on, and their parents.
    public var milestone: String?

    public init(all: Bool = false, milestone: String? = nil) {
        self.all = all
        self.milestone = milestone
    }
}

/// The graph to draw, decided once for every output format: which tasks are shown, how they
/// nest, which edges join them, the critical path to each open milestone and the ready front.
public struct GraphModel: Sendable {
    /// One dependency edge: `to` waits on `from`.
    public struct Edge: Sendable, Hashable, Comparable {
        public var from: String
        public var to: String
        /// On a critical path: `critical` edges of kind `child` join a child to the parent that
        /// waits on it (drawn only when critical; the cluster shows the nesting otherwise).
        public var critical: Bool
        public var kind: Kind

        public enum Kind: String, Sendable, Hashable, Comparable {
            case dependency
            case child

            public static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }
        }

        public static func < (a: Edge, b: Edge) -> Bool {
            (a.from, a.to, a.kind) < (b.from, b.to, b.kind)
        }
    }

    /// The longest chain of unfinished tasks ending in an open milestone: what decides how soon
    /// it can be done.
    public struct CriticalPath: Sendable, Equatable {
        public var milestone: GraphInput.MilestoneInfo
        /// Task ids, first to do first.
        public var tasks: [String]
        /// The milestone's unfinished tasks and all of its tasks.
        public var unfinished: Int
        public var total: Int
    }

    public var input: GraphInput
    /// Shown tasks by id order.
    public var nodes: [GraphInput.Node]
    /// For each shown task with shown children: its children (id order). Roots are shown tasks
    /// whose parent is not shown.
    public var children: [String: [String]]
    public var roots: [String]
    public var edges: [Edge]
    public var critical: [CriticalPath]
    /// Every task on some critical path.
    public var onCriticalPath: Set<String>
    /// Shown tasks that are ready.
    public var readyFront: [String]
    /// How many tasks the state has, and how many are hidden (finished, or outside `--milestone`).
    public var totalTasks: Int
    public var hidden: Int

    public init(_ input: GraphInput, options: GraphOptions = GraphOptions()) {
        self.input = input
        totalTasks = input.nodes.count
        var byID: [String: GraphInput.Node] = [:]
        byID.reserveCapacity(input.nodes.count)
        for n in input.nodes { byID[n.id] = n }

        // Which tasks are shown.
        var shown = Set<String>()
        if let m = options.milestone {
            // The milestone's tasks and, transitively, what they wait on (dependencies and children).
            var stack = input.nodes.filter { $0.milestone == m }.map(\.id)
            var kids: [String: [String]] = [:]
            for n in input.nodes { if let p = n.parent { kids[p, default: []].append(n.id) } }
            while let id = stack.popLast() {
                guard let n = byID[id], shown.insert(id).inserted else { continue }
                stack += n.deps.filter { byID[$0] != nil }
                stack += kids[id] ?? []
            }
            if !options.all { shown = shown.filter { !(byID[$0]?.status.isFinished ?? true) } }
        } else {
            for n in input.nodes where options.all || !n.status.isFinished { shown.insert(n.id) }
        }
        // Parents of shown tasks are shown too: they are the clusters.
        for id in Array(shown) {
            var p = byID[id]?.parent
            var guardCount = 0
            while let pid = p, let pn = byID[pid], guardCount < input.nodes.count {
                if !shown.insert(pid).inserted { break }
                p = pn.parent
                guardCount += 1
            }
        }
        nodes = shown.compactMap { byID[$0] }.sorted { $0.id < $1.id }
        hidden = totalTasks - nodes.count

        var children: [String: [String]] = [:]
        var roots: [String] = []
        for n in nodes {
            if let p = n.parent, shown.contains(p), p != n.id {
                children[p, default: []].append(n.id)
            } else {
                roots.append(n.id)
            }
        }
        // Tasks on a parent cycle (a hand-edited file) hang from no root: the smallest id of each
        // cycle becomes one, so every shown task is drawn once.
        var reached = Set<String>()
        func reach(_ id: String) {
            var stack = [id]
            while let x = stack.popLast() {
                guard reached.insert(x).inserted else { continue }
                stack += children[x] ?? []
            }
        }
        roots.forEach(reach)
        for n in nodes where !reached.contains(n.id) {
            if let p = n.parent { children[p]?.removeAll { $0 == n.id } }
            if children[n.parent ?? ""]?.isEmpty == true { children[n.parent ?? ""] = nil }
            roots.append(n.id)
            reach(n.id)
        }
        roots.sort()
        self.children = children
        self.roots = roots

        // Critical paths over the unfinished shown tasks: a task waits on its dependencies and
        // an epic on its children.
        let unfinished = Set(nodes.filter { !$0.status.isFinished }.map(\.id))
        var preds: [String: [(String, Edge.Kind)]] = [:]
        var inDegree: [String: Int] = [:]
        var succs: [String: [String]] = [:]
        for n in nodes where unfinished.contains(n.id) {
            for d in Set(n.deps) where unfinished.contains(d) && d != n.id {
                preds[n.id, default: []].append((d, .dependency))
                succs[d, default: []].append(n.id)
            }
            if let p = n.parent, unfinished.contains(p), p != n.id {
                preds[p, default: []].append((n.id, .child))
                succs[n.id, default: []].append(p)
            }
        }
        for (id, ps) in preds { inDegree[id] = ps.count }
        // Longest chain ending at each task (Kahn's order; tasks on a cycle are left out).
        var length: [String: Int] = [:]
        var queue = unfinished.filter { (inDegree[$0] ?? 0) == 0 }.sorted()
        var remaining = inDegree
        var head = 0
        while head < queue.count {
            let id = queue[head]
            head += 1
            length[id] = 1 + ((preds[id] ?? []).compactMap { length[$0.0] }.max() ?? 0)
            for s in succs[id] ?? [] {
                remaining[s, default: 0] -= 1
                if remaining[s] == 0 { queue.append(s) }
            }
        }
        var paths: [CriticalPath] = []
        var criticalEdges = Set<Edge>()
        var on = Set<String>()
        let milestonesShown = input.milestones.filter { options.milestone == nil || $0.id == options.milestone }
        for m in milestonesShown {
            let mine = input.nodes.filter { $0.milestone == m.id }
            let open = mine.filter { unfinished.contains($0.id) && length[$0.id] != nil }
            guard
                let end = open.max(by: { a, b in
                    let (la, lb) = (length[a.id] ?? 0, length[b.id] ?? 0)
                    return la != lb ? la < lb : a.id > b.id
                })
            else { continue }
            var chain = [end.id]
            var current = end.id
            while let ps = preds[current], !ps.isEmpty {
                guard
                    let best = ps.max(by: { a, b in
                        let (la, lb) = (length[a.0] ?? 0, length[b.0] ?? 0)
                        return la != lb ? la < lb : a.0 > b.0
                    }), length[best.0] != nil
                else { break }
                criticalEdges.insert(Edge(from: best.0, to: current, critical: true, kind: best.1))
                chain.append(best.0)
                current = best.0
            }
            chain.reverse()
            on.formUnion(chain)
            paths.append(
                CriticalPath(
                    milestone: m, tasks: chain, unfinished: mine.filter { !$0.status.isFinished }.count,
                    total: mine.count))
        }
        critical = paths
        onCriticalPath = on

        var edges: [Edge] = []
        for n in nodes {
            for d in Set(n.deps) where shown.contains(d) && d != n.id {
                let key = Edge(from: d, to: n.id, critical: true, kind: .dependency)
                edges.append(Edge(from: d, to: n.id, critical: criticalEdges.contains(key), kind: .dependency))
            }
        }
        edges += criticalEdges.filter { $0.kind == .child }
        self.edges = edges.sorted()
        readyFront = nodes.filter { $0.status == .ready }.map(\.id)
    }

    /// How many shown tasks have each status.
    public var statusCounts: [GraphInput.Status: Int] {
        var out: [GraphInput.Status: Int] = [:]
        for n in nodes { out[n.status, default: 0] += 1 }
        return out
    }

    public func node(_ id: String) -> GraphInput.Node? {
        // Nodes are sorted by id.
        var lo = 0
        var hi = nodes.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if nodes[mid].id < id { lo = mid + 1 } else { hi = mid }
        }
        return lo < nodes.count && nodes[lo].id == id ? nodes[lo] : nil
    }
}
