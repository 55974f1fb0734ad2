import StateModel

/// Task Master's `.taskmaster/tasks/tasks.json` (learnt from claude-task-master's `tm-core`
/// types and file-storage format handler): plain `{"tasks": [...], "metadata": {...}}` or tagged
/// `{"<tag>": {"tasks": [...], "metadata": {...}}, ...}`. Tasks have subtasks one level deep; a
/// subtask's numeric dependency names a sibling, a `"3.2"` string a subtask elsewhere.
public enum TaskMaster {
    static let statuses: [String: (TaskStatus, String?)] = [
        "pending": (.open, nil), "in-progress": (.inProgress, nil), "review": (.inProgress, nil),
        "done": (.done, nil), "completed": (.done, nil), "cancelled": (.cancelled, nil),
        "blocked": (.blocked, "blocked in Task Master"), "deferred": (.blocked, "deferred in Task Master"),
    ]
    /// The status each status of ours is written as.
    static func status(of t: TaskStatus) -> String {
        switch t {
        case .open: return "pending"
        case .inProgress: return "in-progress"
        case .blocked: return "blocked"
        case .done: return "done"
        case .cancelled: return "cancelled"
        }
    }
    static let priorities: [String: Int] = ["critical": 0, "high": 1, "medium": 2, "low": 3]
    static func priority(of p: Int) -> String {
        switch p {
        case 0: return "critical"
        case 1: return "high"
        case 2: return "medium"
        default: return "low"
        }
    }
    /// Fields mapped onto the task itself; the rest are kept in its source fields.
    static let mapped: Set<String> = [
        "id", "title", "description", "status", "priority", "dependencies", "testStrategy", "subtasks", "tags",
        "createdAt", "parentId",
    ]

    /// Reads a whole tasks.json. Every problem is named by tag and task id.
    public static func read(_ bytes: [UInt8], file: String) throws -> ImportBatch {
        if let bad = ForeignJSON.firstInvalidUTF8(bytes[...]) {
            throw ImportError(["\(file): not valid UTF-8 (byte \(bad + 1))"])
        }
        let root: JSONValue
        do {
            root = try ForeignJSON.parse(bytes[...])
        } catch {
            throw ImportError(["\(file): not valid JSON (\(error))"])
        }
        guard let top = root.objectValue else { throw ImportError(["\(file): expected a JSON object"]) }
        var tags: [(String, [String: JSONValue])] = []
        if Set(top.keys).isSubset(of: ["tasks", "metadata"]) {
            tags = [("master", top)]
        } else {
            for key in top.keys.sorted() {
                guard let o = top[key]?.objectValue else {
                    throw ImportError(["\(file): tag '\(key)' is not an object with \"tasks\""])
                }
                tags.append((key, o))
            }
        }
        var batch = ImportBatch(format: .taskmaster)
        var problems: [String] = []
        for (tag, body) in tags {
            guard let list = body["tasks"]?.arrayValue else {
                problems.append("\(file): tag '\(tag)' has no \"tasks\" list")
                continue
            }
            for (i, v) in list.enumerated() {
                let origin = "\(file): \(tag) task [\(i)]"
                guard let o = v.objectValue else {
                    problems.append("\(origin): not an object")
                    continue
                }
                guard let id = idText(o["id"]) else {
                    problems.append("\(origin): no id")
                    continue
                }
                let source = "taskmaster:\(tag):\(id)"
                guard
                    let task = mapTask(
                        o, v, source: source, origin: "\(file): \(tag) \(id)", parent: nil, problems: &problems,
                        warnings: &batch.warnings,
                        dependency: { dep in
                            guard let d = idText(dep) else { return nil }
                            return "taskmaster:\(tag):\(d)"
                        })
                else { continue }
                batch.tasks.append(task)
                for (k, sv) in (o["subtasks"]?.arrayValue ?? []).enumerated() {
                    let subOrigin = "\(file): \(tag) \(id) subtask [\(k)]"
                    guard let so = sv.objectValue, let sid = idText(so["id"]) else {
                        problems.append("\(subOrigin): not an object with an id")
                        continue
                    }
                    let subSource = "taskmaster:\(tag):\(id).\(sid)"
                    if let sub = mapTask(
                        so, sv, source: subSource, origin: "\(file): \(tag) \(id).\(sid)", parent: source,
                        problems: &problems, warnings: &batch.warnings,
                        dependency: { dep in
                            // A number names a sibling; a string "3.2" a subtask, "3" a task.
                            if case .int(let n) = dep { return "taskmaster:\(tag):\(id).\(n)" }
                            guard let d = idText(dep) else { return nil }
                            return "taskmaster:\(tag):\(d)"
                        })
                    {
                        batch.tasks.append(sub)
                    }
                }
            }
        }
        guard problems.isEmpty else { throw ImportError(problems) }
        return batch
    }

    /// A task id as Task Master writes it: a number or a string.
    static func idText(_ v: JSONValue?) -> String? {
        switch v {
        case .int(let n)?: return String(n)
        case .string(let s)? where !s.trimmed.isEmpty: return s.trimmed
        default: return nil
        }
    }

    static func mapTask(
        _ o: [String: JSONValue], _ whole: JSONValue, source: String, origin: String, parent: String?,
        problems: inout [String], warnings: inout [String], dependency: (JSONValue) -> String?
    ) -> ImportedTask? {
        guard let title = o["title"]?.stringValue?.trimmed, !title.isEmpty else {
            problems.append("\(origin): no title")
            return nil
        }
        var fields: [String: JSONValue] = [:]
        for (k, v) in o where !mapped.contains(k) && !v.isNull { fields[k] = v }
        let rawStatus = o["status"]?.stringValue ?? "pending"
        var (status, blocker): (TaskStatus, String?) =
            statuses[rawStatus] ?? (.blocked, "status '\(rawStatus)' in Task Master")
        if statuses[rawStatus] == nil {
            warnings.append("\(origin): unknown status '\(rawStatus)': imported as blocked")
        }
        if status != .blocked { blocker = nil }
        if ["review", "deferred", "completed"].contains(rawStatus) || statuses[rawStatus] == nil {
            fields["status"] = .string(rawStatus)
        }
        var priority = 2
        if let p = o["priority"], !p.isNull {
            if let s = p.stringValue, let n = priorities[s] {
                priority = n
            } else {
                warnings.append("\(origin): unknown priority \(p): imported as medium (2)")
                fields["priority"] = p
            }
        }
        var deps: [String] = []
        if let d = o["dependencies"], !d.isNull {
            guard let list = d.arrayValue else {
                problems.append("\(origin): dependencies is not a list")
                return nil
            }
            for item in list {
                guard let ref = dependency(item) else {
                    problems.append("\(origin): dependency \(item) is not a task id")
                    return nil
                }
                deps.append(ref)
            }
        }
        var labels: [String] = []
        if let t = o["tags"], !t.isNull {
            labels = t.arrayValue?.compactMap(\.stringValue) ?? []
        }
        // Task Master records no people and no start or completion times (its `updatedAt` is kept
        // as it was): those are the import's.
        return ImportedTask(
            source: source, origin: origin, digest: ForeignJSON.digest(subtaskless(whole)), title: title,
            body: o["description"]?.stringValue, status: status, blocker: blocker, priority: priority, labels: labels,
            acceptance: TextList.split(o["testStrategy"]?.stringValue),
            created: ForeignStamp(at: o["createdAt"]?.stringValue.flatMap(ForeignJSON.time)),
            started: ForeignStamp(actor: "taskmaster"), completed: ForeignStamp(actor: "taskmaster"),
            parent: parent, deps: deps, fields: fields)
    }

    /// A task's record without its subtasks: a change to a subtask is the subtask's, not its parent's.
    static func subtaskless(_ v: JSONValue) -> JSONValue {
        guard var o = v.objectValue else { return v }
        o["subtasks"] = nil
        return .object(o)
    }
}
