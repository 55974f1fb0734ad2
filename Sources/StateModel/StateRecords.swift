/// What an operation reads and changes: the whole state (``ProjectState``: the merge, undo's
/// tests, and the reference the write path is held to in tests) or a slice holding only what the
/// operation declared (``StateSlice``: the one write path). Every mutation (``Mutations.swift``,
/// memories, conflict resolution, undo, anchor remapping) is written once, against this.
public protocol StateRecords {
    var project: ProjectInfo { get set }
    var goals: [String: Goal] { get set }
    var milestones: [String: Milestone] { get set }

    /// A task by exact id; nil when there is no such task.
    func task(_ id: String) throws -> TaskRecord?
    /// Replaces a task, adds a new one, or (nil) removes it.
    mutating func setTask(_ id: String, _ task: TaskRecord?) throws
    /// The task an id or unique prefix names (``Identifiers/resolve(_:kind:among:)``).
    func resolveTask(_ input: String) throws -> String
    /// Whether any task has this id: a new id must not.
    func taskExists(_ id: String) throws -> Bool
    /// A task's dependencies and parent as they are now, for the graph rules (cycles).
    func dependencies(of id: String) throws -> [String]
    func parent(of id: String) throws -> String?
    /// The committed memories.
    func committedMemories() throws -> [String: Memory]
    mutating func setCommittedMemories(_ memories: [String: Memory]) throws
}

extension StateRecords {
    /// A task that must exist.
    func existingTask(_ id: String) throws -> TaskRecord {
        guard let t = try task(id) else { throw ModelError.unknownID(kind: .task, id: id) }
        return t
    }

    /// The cycle adding `from` waits-on `to` would close, if any.
    public func dependencyCycle(adding from: String, dependsOn to: String) throws -> [String]? {
        try GraphRules.dependencyCycle(adding: from, dependsOn: to, dependencies: dependencies(of:))
    }

    /// The cycle making `parent` the parent of `child` would close, if any.
    public func parentCycle(child: String, parent: String) throws -> [String]? {
        try GraphRules.parentCycle(child: child, parent: parent, parentOf: self.parent(of:))
    }
}

extension ProjectState: StateRecords {
    public func task(_ id: String) -> TaskRecord? { tasks[id] }
    public mutating func setTask(_ id: String, _ task: TaskRecord?) { tasks[id] = task }
    public func taskExists(_ id: String) -> Bool { tasks[id] != nil }
    public func dependencies(of id: String) -> [String] { tasks[id]?.deps ?? [] }
    public func parent(of id: String) -> String? { tasks[id]?.parent }
    public func committedMemories() -> [String: Memory] { memoryMap }
    public mutating func setCommittedMemories(_ memories: [String: Memory]) { memoryMap = memories }
}

/// What an operation declares before it runs: the tasks it reads or changes (as the command
/// names them: ids or unique prefixes), whether it adds tasks, whether it asks graph questions
/// (cycles) that reach beyond its own tasks, and whether it reads the memories. Goals,
/// milestones and the project are small and always in the slice.
public struct Footprint: Sendable, Hashable {
    public var tasks: [String]
    /// It may add tasks: a new id is checked against every task.
    public var adds: Bool
    /// It asks whether an edge closes a cycle (dependencies and parents of other tasks).
    public var cycles: Bool
    /// It reads or changes the committed memories.
    public var memories: Bool
    /// It reads every task of the state (a bulk operation: `import` matches records against
    /// every task imported before and checks the whole graph for cycles).
    public var everyTask: Bool

    public init(
        tasks: [String] = [], adds: Bool = false, cycles: Bool = false, memories: Bool = false, everyTask: Bool = false
    ) {
        self.tasks = tasks
        self.adds = adds
        self.cycles = cycles
        self.memories = memories
        self.everyTask = everyTask
    }

    /// The whole state: every task, the memories, new tasks.
    public static let everything = Footprint(adds: true, cycles: true, memories: true, everyTask: true)
}

/// Graph facts the slice asks about tasks it does not hold, answered by the read model's index.
public protocol GraphFacts {
    func taskExists(_ id: String) throws -> Bool
    func dependencies(of id: String) throws -> [String]
    func parent(of id: String) throws -> String?
}

/// An operation reached outside what it declared: a bug in the operation, never in the data.
public struct FootprintViolation: Error, Sendable, CustomStringConvertible {
    public var what: String
    public var description: String { "internal error: the operation read \(what) outside its declared footprint" }
}

/// The records one operation declared (``Footprint``), and nothing else: asking for any other
/// task, memory or graph fact throws ``FootprintViolation``. The write path decodes only these
/// records from the file, runs the operation on them, and splices what changed back in.
public struct StateSlice: StateRecords {
    public var project: ProjectInfo
    public var goals: [String: Goal]
    public var milestones: [String: Milestone]
    private var tasks: [String: TaskRecord]
    /// What each task reference the footprint named resolves to (or why it does not).
    private let names: [String: Result<String, any Error>]
    /// The resolved ids of the footprint (present or not) and the tasks the operation added.
    private let declared: Set<String>
    private var added: Set<String> = []
    private var memoryMap: [String: Memory]?
    private let footprint: Footprint
    private let facts: GraphFacts
    /// What the operation redacted in text it made itself (a memory's), journaled with it.
    public var redactions: [Redaction.RuleHit] = []

    /// - Parameters:
    ///   - tasks: the declared tasks that exist, decoded.
    ///   - names: each reference of `footprint.tasks` resolved (or the error it resolves to).
    ///   - memories: the committed memories, when the footprint declares them.
    public init(
        project: ProjectInfo, goals: [String: Goal], milestones: [String: Milestone], tasks: [String: TaskRecord],
        names: [String: Result<String, any Error>], memories: [String: Memory]?, footprint: Footprint,
        facts: GraphFacts
    ) {
        self.project = project
        self.goals = goals
        self.milestones = milestones
        self.tasks = tasks
        self.names = names
        declared = Set(names.values.compactMap { try? $0.get() })
        memoryMap = memories
        self.footprint = footprint
        self.facts = facts
    }

    private func allowed(_ id: String) -> Bool { declared.contains(id) || added.contains(id) }

    public func task(_ id: String) throws -> TaskRecord? {
        guard allowed(id) else { throw FootprintViolation(what: "task \(id)") }
        return tasks[id]
    }

    public mutating func setTask(_ id: String, _ task: TaskRecord?) throws {
        if !allowed(id) {
            // A new task: its id was checked against every task (``taskExists(_:)``).
            guard footprint.adds, task != nil, try !facts.taskExists(id) else {
                throw FootprintViolation(what: "task \(id)")
            }
            added.insert(id)
        }
        tasks[id] = task
    }

    public func resolveTask(_ input: String) throws -> String {
        if let r = names[input] { return try r.get() }
        // An id the operation already holds (resolved once, passed on).
        if allowed(input) { return input }
        throw FootprintViolation(what: "the task reference '\(input)'")
    }

    public func taskExists(_ id: String) throws -> Bool {
        if allowed(id) { return tasks[id] != nil }
        guard footprint.adds else { throw FootprintViolation(what: "whether \(id) exists") }
        return try facts.taskExists(id)
    }

    public func dependencies(of id: String) throws -> [String] {
        if allowed(id) { return tasks[id]?.deps ?? [] }
        guard footprint.cycles else { throw FootprintViolation(what: "the dependencies of \(id)") }
        return try facts.dependencies(of: id)
    }

    public func parent(of id: String) throws -> String? {
        if allowed(id) { return tasks[id]?.parent }
        guard footprint.cycles else { throw FootprintViolation(what: "the parent of \(id)") }
        return try facts.parent(of: id)
    }

    public func committedMemories() throws -> [String: Memory] {
        guard let memoryMap else { throw FootprintViolation(what: "the memories") }
        return memoryMap
    }

    public mutating func setCommittedMemories(_ memories: [String: Memory]) throws {
        guard memoryMap != nil else { throw FootprintViolation(what: "the memories") }
        memoryMap = memories
    }

    /// The whole state, for an operation that declared it (``Footprint/everything``).
    public func wholeState() throws -> ProjectState {
        guard footprint.everyTask, let memoryMap else { throw FootprintViolation(what: "the whole state") }
        var state = ProjectState(projectName: project.name)
        state.project = project
        state.goals = goals
        state.milestones = milestones
        state.tasks = tasks
        state.memoryMap = memoryMap
        return state
    }

    /// Takes `state` (made from ``wholeState()`` and changed) as this slice's content.
    public mutating func take(_ state: ProjectState) throws {
        guard footprint.everyTask, memoryMap != nil else { throw FootprintViolation(what: "the whole state") }
        project = state.project
        goals = state.goals
        milestones = state.milestones
        for id in tasks.keys where state.tasks[id] == nil { try setTask(id, nil) }
        for (id, t) in state.tasks where tasks[id] != t { try setTask(id, t) }
        memoryMap = state.memoryMap
    }

    /// Every entity that differs between `old` (this slice before the operation) and this one,
    /// ordered by kind then id, as ``ProjectState/changes(to:)`` orders them.
    public func changes(since old: StateSlice) -> [EntityChange] {
        var out: [EntityChange] = []
        if project != old.project {
            out.append(
                EntityChange(kind: "project", id: "project", before: .project(old.project), after: .project(project)))
        }
        out += Self.diff("goal", old.goals, goals, EntityValue.goal)
        out += Self.diff("milestone", old.milestones, milestones, EntityValue.milestone)
        out += Self.diff("task", old.tasks, tasks, EntityValue.task)
        out += Self.diff("memory", old.memoryMap ?? [:], memoryMap ?? [:], EntityValue.memory)
        return out
    }

    static func diff<V: Equatable>(_ kind: String, _ a: [String: V], _ b: [String: V], _ wrap: (V) -> EntityValue)
        -> [EntityChange]
    {
        var ids: [String] = []
        for (id, v) in a where b[id] != v { ids.append(id) }
        for id in b.keys where a[id] == nil { ids.append(id) }
        return ids.sorted().map { EntityChange(kind: kind, id: $0, before: a[$0].map(wrap), after: b[$0].map(wrap)) }
    }

    /// Whether the memories of the state are absent from the file after this operation (the
    /// state writes `memories` only when there are some).
    public var memoriesEmpty: Bool { memoryMap?.isEmpty ?? false }

    /// Redacts the user text of every task, goal and milestone that differs from `old`
    /// (``ProjectState/redactChangedText(since:)``'s rule).
    public mutating func redactChangedText(since old: StateSlice) -> [Redaction.RuleHit] {
        var hits: [Redaction.RuleHit] = []
        for (id, t) in tasks where old.tasks[id] != t {
            var t = t
            hits += t.redactText()
            tasks[id] = t
        }
        for (id, g) in goals where old.goals[id] != g {
            var g = g
            hits += g.redactText()
            goals[id] = g
        }
        for (id, m) in milestones where old.milestones[id] != m {
            var m = m
            hits += m.redactText()
            milestones[id] = m
        }
        return hits
    }
}
