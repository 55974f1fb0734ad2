import StateModel

/// What an export is made from: the state's records, and each task's effective status at HEAD
/// (the JSON export carries it).
public struct ExportInput: Sendable {
    public var project: String
    public var branch: String?
    public var commit: String?
    public var tasks: [TaskRecord]
    public var milestones: [Milestone]
    public var goals: [Goal]
    /// `ready`, `done@feature`, … by task id.
    public var statusText: [String: String]

    public init(
        project: String, branch: String?, commit: String?, tasks: [TaskRecord], milestones: [Milestone], goals: [Goal],
        statusText: [String: String]
    ) {
        self.project = project
        self.branch = branch
        self.commit = commit
        self.tasks = tasks
        self.milestones = milestones
        self.goals = goals
        self.statusText = statusText
    }
}

/// An export: the bytes, and what the format could not carry (field → how many tasks had it).
public struct ExportResult: Sendable {
    public var bytes: [UInt8]
    public var tasks: Int
    public var notCarried: [String: Int]

    /// `milestone (3 tasks), claim (1 task)`, or nil when nothing was left out.
    public var notCarriedText: String? {
        guard !notCarried.isEmpty else { return nil }
        return notCarried.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value) task\($0.value == 1 ? "" : "s"))" }
            .joined(separator: ", ")
    }
}

public enum Exporter {
    public static func export(_ input: ExportInput, as format: InterchangeFormat) throws -> ExportResult {
        switch format {
        case .beads: return beads(input)
        case .taskmaster: return taskMaster(input)
        case .github: return github(input)
        case .json, .codexMemories: return try json(input)
        }
    }

    /// The id a task has in `format`: the tracker's own when it came from there, else ours.
    static func exportID(_ t: TaskRecord, _ prefix: String) -> String {
        if let s = t.source?.id, s.hasPrefix(prefix) { return String(s.dropFirst(prefix.count)) }
        return t.id
    }

    static func fields(_ t: TaskRecord, _ prefix: String) -> [String: JSONValue] {
        guard let s = t.source, s.id.hasPrefix(prefix) else { return [:] }
        return s.fields ?? [:]
    }

    /// Blocker texts the importers write for a tracker's own statuses (not worth naming as lost).
    static let importedBlockers: Set<String> = [
        "blocked in beads", "deferred in beads", "pinned in beads (a standing item, not work)",
        "blocked in Task Master", "deferred in Task Master", "blocked in the tracker",
    ]

    /// Fields of ours the target format has no place for, counted per task.
    /// Where work started and the branch of a completion are this clone's facts; for a task
    /// imported from the same tracker they are only where the import ran, and not counted.
    static func count(
        _ t: TaskRecord, into lost: inout [String: Int], milestone: Bool, graph: Bool, format prefix: String
    ) {
        let imported = t.source?.id.hasPrefix(prefix) == true
        if milestone && t.milestone != nil { lost["milestone", default: 0] += 1 }
        if t.claim != nil { lost["claim", default: 0] += 1 }
        if let c = t.completion, c.commit != nil || (c.branch != nil && !imported) {
            lost["completion commit and branch", default: 0] += 1
        }
        if let s = t.started, s.branch != nil || s.commit != nil, !imported {
            lost["started branch and commit", default: 0] += 1
        }
        if let b = t.blocker, !importedBlockers.contains(b) { lost["blocker reason", default: 0] += 1 }
        if t.conflicts != nil { lost["conflict records", default: 0] += 1 }
        if graph {
            if t.parent != nil { lost["parent", default: 0] += 1 }
            if !t.deps.isEmpty { lost["deps", default: 0] += 1 }
            if t.links != nil { lost["links", default: 0] += 1 }
        }
    }

    static func time(_ t: Timestamp) -> JSONValue { .string(t.iso8601) }

    /// The tracker's own time of the last update, while the task was not changed here since its
    /// import; else the task's.
    static func updated(_ t: TaskRecord, _ kept: JSONValue?) -> JSONValue {
        if let kept, let s = t.source, s.imported == t.updated { return kept }
        return time(t.updated.at)
    }

    static func lines(_ values: [JSONValue]) -> [UInt8] {
        var out: [UInt8] = []
        for v in values {
            out += v.json(.compact)
            out.append(0x0A)
        }
        return out
    }

    // MARK: - beads

    static func beads(_ input: ExportInput) -> ExportResult {
        let ids = Dictionary(uniqueKeysWithValues: input.tasks.map { ($0.id, exportID($0, "beads:")) })
        var lost: [String: Int] = [:]
        var records: [(String, JSONValue)] = []
        for t in input.tasks {
            count(t, into: &lost, milestone: true, graph: false, format: "beads:")
            let id = ids[t.id] ?? t.id
            var o = fields(t, "beads:")
            let kept = o["status"]?.stringValue
            o["status"] = nil
            func keptStatus(_ allowed: TaskStatus) -> String? {
                guard let k = kept else { return nil }
                return (Beads.status(k)?.0 ?? .blocked) == allowed ? k : nil
            }
            o["id"] = .string(id)
            o["title"] = .string(t.title)
            o["description"] = t.body.map(JSONValue.string)
            o["acceptance_criteria"] = TextList.join(t.acceptance).map(JSONValue.string)
            o["priority"] = .integer(t.priority)
            if o["issue_type"] == nil { o["issue_type"] = .string("task") }
            o["created_at"] = time(t.created.at)
            o["created_by"] = .string(t.created.actor)
            o["updated_at"] = updated(t, o["updated_at"])
            switch t.status {
            case .open: o["status"] = .string("open")
            case .inProgress:
                o["status"] = .string(keptStatus(.inProgress) ?? "in_progress")
                o["started_at"] = t.started.map { time($0.at) }
            case .blocked: o["status"] = .string(keptStatus(.blocked) ?? "blocked")
            case .done:
                o["status"] = .string("closed")
                o["closed_at"] = time(t.completion?.at ?? t.updated.at)
                o["close_reason"] = t.completion?.note.map(JSONValue.string)
            case .cancelled:
                o["status"] = .string(kept == "tombstone" ? "tombstone" : "closed")
                if kept != "tombstone" {
                    if o["close_reason"] == nil { o["close_reason"] = .string("cancelled") }
                    if o["closed_at"] == nil { o["closed_at"] = time(t.updated.at) }
                }
            }
            o["labels"] = t.labels.isEmpty ? nil : .strings(t.labels)
            var deps: [JSONValue] = []
            func dep(_ target: String, _ type: String) {
                deps.append(
                    .object([
                        "issue_id": .string(id), "depends_on_id": .string(target), "type": .string(type),
                        "created_at": time(t.created.at), "created_by": .string(t.created.actor),
                    ]))
            }
            if let p = t.parent { dep(ids[p] ?? p, "parent-child") }
            for d in t.deps { dep(ids[d] ?? d, "blocks") }
            for l in t.links ?? [] { dep(ids[l.target] ?? l.target, l.kind) }
            o["dependencies"] = deps.isEmpty ? nil : .array(deps)
            o["comments"] =
                t.notes.isEmpty
                ? nil
                : .array(
                    t.notes.enumerated().map { i, n in
                        .object([
                            "id": .integer(i + 1), "issue_id": .string(id), "author": .string(n.actor),
                            "text": .string(n.text), "created_at": time(n.at),
                        ])
                    })
            records.append((id, .object(o.filter { !$0.value.isNull })))
        }
        records.sort { $0.0 < $1.0 }
        return ExportResult(bytes: lines(records.map(\.1)), tasks: records.count, notCarried: lost)
    }

    // MARK: - Task Master

    static func taskMaster(_ input: ExportInput) -> ExportResult {
        var lost: [String: Int] = [:]
        let byID = Dictionary(uniqueKeysWithValues: input.tasks.map { ($0.id, $0) })
        /// tag and id path ("3" or "3.2") of a task imported from Task Master.
        func origin(_ t: TaskRecord) -> (tag: String, path: [String])? {
            guard let s = t.source?.id, s.hasPrefix("taskmaster:") else { return nil }
            let rest = s.dropFirst("taskmaster:".count)
            guard let colon = rest.lastIndex(of: ":") else { return nil }
            return (String(rest[..<colon]), rest[rest.index(after: colon)...].split(separator: ".").map(String.init))
        }
        // Top-level tasks: no parent (or a parent not exported); subtasks: a top-level parent.
        var tagOf: [String: String] = [:]
        var pathOf: [String: [String]] = [:]
        var used: [String: Set<String>] = [:]
        for t in input.tasks {
            if let o = origin(t) {
                tagOf[t.id] = o.tag
                pathOf[t.id] = o.path
                used[o.tag + "/" + o.path.dropLast().joined(separator: "."), default: []].insert(o.path.last ?? "")
            }
        }
        func depth(_ t: TaskRecord) -> Int {
            var d = 0
            var p = t.parent
            while let pid = p, let pt = byID[pid], d < 64 {
                d += 1
                p = pt.parent
            }
            return d
        }
        let sorted = input.tasks.sorted { (depth($0), $0.created.at, $0.id) < (depth($1), $1.created.at, $1.id) }
        for t in sorted where pathOf[t.id] == nil {
            let parentTask = t.parent.flatMap { byID[$0] }
            let topParent = parentTask.flatMap { pathOf[$0.id]?.count == 1 ? $0 : nil }
            if t.parent != nil && topParent == nil {
                lost["nesting below subtasks (written as a top-level task)", default: 0] += 1
            }
            let tag = topParent.flatMap { tagOf[$0.id] } ?? "master"
            let prefix = topParent.flatMap { pathOf[$0.id] } ?? []
            let key = tag + "/" + prefix.joined(separator: ".")
            let taken = used[key] ?? []
            let next = (taken.compactMap(Int.init).max() ?? 0) + 1
            tagOf[t.id] = tag
            pathOf[t.id] = prefix + [String(next)]
            used[key, default: []].insert(String(next))
        }
        func idValue(_ s: String) -> JSONValue { Int(s).map { .integer($0) } ?? .string(s) }
        var tags: [String: (tasks: [(path: [String], value: [String: JSONValue])], done: Int)] = [:]
        for t in input.tasks {
            guard let tag = tagOf[t.id], let path = pathOf[t.id] else { continue }
            count(t, into: &lost, milestone: true, graph: false, format: "taskmaster:")
            if !t.notes.isEmpty { lost["notes", default: 0] += 1 }
            if t.links != nil { lost["links", default: 0] += 1 }
            if t.priority == 4 { lost["priority 4 (written as low)", default: 0] += 1 }
            var o = fields(t, "taskmaster:")
            let kept = o["status"]?.stringValue
            o["status"] = nil
            o["id"] = idValue(path.last ?? "")
            o["title"] = .string(t.title)
            o["description"] = .string(t.body ?? "")
            var status = TaskMaster.status(of: t.status)
            if let k = kept, TaskMaster.statuses[k]?.0 == t.status { status = k }
            o["status"] = .string(status)
            if o["priority"] == nil || t.priority != 2 { o["priority"] = .string(TaskMaster.priority(of: t.priority)) }
            if o["details"] == nil { o["details"] = .string("") }
            o["testStrategy"] = .string(TextList.join(t.acceptance) ?? "")
            if !t.labels.isEmpty { o["tags"] = .strings(t.labels) }
            o["createdAt"] = time(t.created.at)
            if o["updatedAt"] != nil { o["updatedAt"] = updated(t, o["updatedAt"]) }
            var deps: [JSONValue] = []
            for d in t.deps {
                guard let dp = pathOf[d], tagOf[d] == tag else {
                    lost["dependencies across tags", default: 0] += 1
                    continue
                }
                if path.count == 2, dp.count == 2, dp[0] == path[0] {
                    deps.append(idValue(dp[1]))  // a sibling subtask, by number
                } else if path.count == 2 {
                    deps.append(.string(dp.joined(separator: ".")))
                } else {
                    deps.append(dp.count == 1 ? idValue(dp[0]) : .string(dp.joined(separator: ".")))
                }
            }
            o["dependencies"] = .array(deps)
            if path.count == 2 {
                o["parentId"] = .string(path[0])
            } else {
                o["subtasks"] = .array([])
            }
            var entry = tags[tag] ?? ([], 0)
            entry.tasks.append((path, o))
            if t.status == .done { entry.done += 1 }
            tags[tag] = entry
        }
        var top: [String: JSONValue] = [:]
        var total = 0
        for (tag, entry) in tags {
            func order(_ a: [String], _ b: [String]) -> Bool {
                for (x, y) in zip(a, b) where x != y {
                    if let i = Int(x), let j = Int(y) { return i < j }
                    return x < y
                }
                return a.count < b.count
            }
            let sortedTasks = entry.tasks.sorted { order($0.path, $1.path) }
            var list: [JSONValue] = []
            var index: [String: Int] = [:]
            for (path, value) in sortedTasks where path.count == 1 {
                index[path[0]] = list.count
                list.append(.object(value))
            }
            for (path, value) in sortedTasks where path.count == 2 {
                guard let i = index[path[0]], case .object(var parent) = list[i] else { continue }
                parent["subtasks"] = .array((parent["subtasks"]?.arrayValue ?? []) + [.object(value)])
                list[i] = .object(parent)
            }
            total += entry.tasks.count
            top[tag] = .object([
                "tasks": .array(list),
                "metadata": .object([
                    "taskCount": .integer(list.count), "completedCount": .integer(entry.done),
                    "tags": .strings([tag]),
                ]),
            ])
        }
        return ExportResult(bytes: JSONValue.object(top).json(.canonical) + [0x0A], tasks: total, notCarried: lost)
    }

    // MARK: - GitHub

    static func github(_ input: ExportInput) -> ExportResult {
        var lost: [String: Int] = [:]
        let milestones = Dictionary(uniqueKeysWithValues: input.milestones.map { ($0.id, $0) })
        var records: [(Int?, String, JSONValue)] = []
        for t in input.tasks {
            count(t, into: &lost, milestone: false, graph: true, format: "github:")
            if t.priority != 2 { lost["priority", default: 0] += 1 }
            if !t.acceptance.isEmpty { lost["acceptance", default: 0] += 1 }
            if t.status == .inProgress || t.status == .blocked {
                lost["status \(t.status.rawValue) (written as OPEN)", default: 0] += 1
            }
            let f = fields(t, "github:")
            var o: [String: JSONValue] = [:]
            let number = t.source.flatMap { s -> Int? in s.id.hasPrefix("github:#") ? Int(s.id.dropFirst(8)) : nil }
            if number == nil { lost["issue number (not on GitHub)", default: 0] += 1 }
            o["number"] = number.map { .integer($0) }
            o["title"] = .string(t.title)
            o["body"] = .string(t.body ?? "")
            let closed = t.status == .done || t.status == .cancelled
            o["state"] = .string(closed ? "CLOSED" : "OPEN")
            // The reason GitHub gave, while it still says what the status does; a cancelled task
            // is closed as not planned.
            let reason = f["state_reason"]?.stringValue
            if t.status == .cancelled {
                o["stateReason"] = .string(reason?.lowercased() == "not_planned" ? reason ?? "" : "NOT_PLANNED")
            } else if let reason, closed == (reason.lowercased() != "reopened"), reason.lowercased() != "not_planned" {
                o["stateReason"] = .string(reason)
            }
            o["labels"] = .array(t.labels.map { .object(["name": .string($0)]) })
            o["assignees"] = .array(
                (f["assignees"]?.arrayValue ?? []).compactMap(\.stringValue).map { .object(["login": .string($0)]) })
            if let m = t.milestone.flatMap({ milestones[$0] }) {
                o["milestone"] = .object([
                    "title": .string(m.title), "dueOn": m.due.map { .string($0 + "T00:00:00Z") } ?? .null,
                ])
            } else {
                o["milestone"] = .null
            }
            o["createdAt"] = time(t.created.at)
            if o["updatedAt"] != nil { o["updatedAt"] = updated(t, o["updatedAt"]) }
            o["closed_at"] = nil
            if closed, let at = t.completion.map({ time($0.at) }) ?? f["closed_at"] { o["closedAt"] = at }
            if let author = f["author"]?.stringValue { o["author"] = .object(["login": .string(author)]) }
            if let url = f["url"] { o["url"] = url }
            if let locked = f["locked"] { o["locked"] = locked }
            o["comments"] = .array(
                t.notes.map {
                    .object([
                        "author": .object(["login": .string($0.actor)]), "body": .string($0.text),
                        "createdAt": time($0.at),
                    ])
                })
            records.append((number, t.id, .object(o)))
        }
        records.sort { a, b in
            switch (a.0, b.0) {
            case (let x?, let y?): return x < y
            case (.some, nil): return true
            case (nil, .some): return false
            default: return a.1 < b.1
            }
        }
        return ExportResult(
            bytes: JSONValue.array(records.map(\.2)).json(.canonical) + [0x0A], tasks: records.count, notCarried: lost)
    }

    // MARK: - JSON

    /// This tool's own records, whole (nothing is left out), with each task's effective status.
    static func json(_ input: ExportInput) throws -> ExportResult {
        var tasks: [JSONValue] = []
        for t in input.tasks.sorted(by: { $0.id < $1.id }) {
            guard case .object(var o) = try JSONValue(encoding: t) else { continue }
            o["effective_status"] = .string(input.statusText[t.id] ?? t.status.rawValue)
            tasks.append(.object(o))
        }
        let value: JSONValue = .object([
            "format": .string("codex-state-export"), "schema": .integer(1), "project": .string(input.project),
            "head": .object(["branch": .optional(input.branch), "commit": .optional(input.commit)]),
            "milestones": .array(try input.milestones.sorted { $0.id < $1.id }.map { try JSONValue(encoding: $0) }),
            "goals": .array(try input.goals.sorted { $0.id < $1.id }.map { try JSONValue(encoding: $0) }),
            "tasks": .array(tasks),
        ])
        return ExportResult(bytes: value.json(.canonical) + [0x0A], tasks: tasks.count, notCarried: [:])
    }
}
