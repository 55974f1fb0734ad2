import Foundation
import MCP
import Workspace

/// One MCP tool: its definition and what it does. Adding a tool is one entry in ``ToolTable/all``.
struct ToolEntry: Sendable {
    let tool: Tool
    let run: @Sendable (Arguments, Workspace) throws -> String

    init(
        _ name: String, _ description: String, readOnly: Bool, _ properties: [String: Value] = [:],
        required: [String] = [], run: @escaping @Sendable (Arguments, Workspace) throws -> String
    ) {
        var schema: [String: Value] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { schema["required"] = .array(required.map { .string($0) }) }
        tool = Tool(
            name: name, description: description, inputSchema: .object(schema),
            annotations: .init(readOnlyHint: readOnly, openWorldHint: false))
        self.run = run
    }

    var allowed: Set<String> {
        Set(tool.inputSchema.objectValue?["properties"]?.objectValue?.keys.map { $0 } ?? [])
    }
}

private func str(_ d: String? = nil) -> Value { prop("string", d) }
private func int(_ d: String? = nil) -> Value { prop("integer", d) }
private func bool(_ d: String? = nil) -> Value { prop("boolean", d) }
private func list(_ d: String? = nil) -> Value {
    var p: [String: Value] = ["type": "array", "items": ["type": "string"]]
    if let d { p["description"] = .string(d) }
    return .object(p)
}
private func prop(_ type: String, _ d: String?) -> Value {
    var p: [String: Value] = ["type": .string(type)]
    if let d { p["description"] = .string(d) }
    return .object(p)
}

private func json<T: Encodable>(_ value: T) throws -> String {
    String(decoding: try CanonicalJSON.encode(value), as: UTF8.self)
}

/// The tools, in the order `tools/list` shows them.
enum ToolTable {
    static let idHint = "task id or unique prefix"

    static let all: [ToolEntry] = [
        ToolEntry(
            "preamble", "Session briefing for this branch and HEAD: in progress, next ready, last session. Call first.",
            readOnly: true, ["budget": int("max tokens, 300+")]
        ) { args, ws in
            let budget = try args.int("budget", in: Preamble.minimumBudget...Preamble.maximumBudget)
            let request = PreambleRequest(budget: budget ?? Preamble.defaultBudget, format: .markdown)
            return String(decoding: try ws.preamble(request), as: UTF8.self)
        },
        ToolEntry(
            "tasks",
            "List tasks with their status at HEAD (done and cancelled hidden unless all). Repeated status, milestone, by: any; label, search: all.",
            readOnly: true,
            [
                "status": list("ready|waiting|open|in_progress|blocked|done|done_elsewhere|cancelled"),
                "label": list(), "milestone": list("id or title"), "search": list("in title, body, notes"),
                "by": list("actor who started it"), "all": bool(), "stale": bool(), "everywhere": bool(),
            ]
        ) { args, ws in
            let status = try args.strings("status")
            for s in status { if let problem = TaskFilter.statusProblem(s) { throw ArgumentError(problem) } }
            let filter = TaskFilter(
                status: status, label: try args.strings("label"), milestone: try args.strings("milestone"),
                search: try args.strings("search"), by: try args.strings("by"), all: try args.bool("all") ?? false,
                stale: try args.bool("stale") ?? false, everywhere: try args.bool("everywhere") ?? false)
            let model = try ws.readModel()
            let rows = try model.tasks(filter)
            return try json(TasksJSON(head: model.head, rows: rows, anchors: try ws.listAnchors(rows, model)))
        },
        ToolEntry(
            "next", "The best task(s) to do now. claim=true starts the top ready task for you (a lease).",
            readOnly: false, ["n": int(), "claim": bool(), "lease_minutes": int()]
        ) { args, ws in
            let n = try args.int("n", in: 1...50) ?? 1
            let lease = try args.int("lease_minutes", in: 1...10_080) ?? 120
            var claimed: String?
            var claimedTerms: RankTerms?
            if try args.bool("claim") == true {
                (claimed, claimedTerms) = try ws.claimNext(leaseSeconds: Int64(lease) * 60, command: command(args))
            }
            let model = try ws.readModel()
            let top = try model.next(n: n, claimed: claimed, claimedTerms: claimedTerms)
            return try json(NextJSON(model, top, claimed: claimed))
        },
        ToolEntry("task_show", "One task in full.", readOnly: true, ["id": str(idHint)], required: ["id"]) {
            args, ws in
            return try json(TaskShowJSON(try ws.show(try args.requiredString("id"))))
        },
        ToolEntry(
            "task_add", "Add a task; returns its id.", readOnly: false,
            [
                "title": str(), "body": str(), "parent": str(), "deps": list("tasks it waits on"),
                "priority": int("0 most urgent to 4, default 2"), "labels": list(), "milestone": str(),
                "acceptance": list("acceptance criteria"),
            ], required: ["title"]
        ) { args, ws in
            let new = NewTask(
                title: try args.requiredString("title"), body: try args.string("body"),
                parent: try args.string("parent"), deps: try args.strings("deps"),
                priority: try args.int("priority", in: 0...4) ?? 2, labels: try args.strings("labels"),
                milestone: try args.string("milestone"), acceptance: try args.strings("acceptance"))
            return try json(["id": try ws.addTask(new, command: command(args))])
        },
        ToolEntry(
            "task_update", "Change a task: status, fields, deps, a note. Done is the complete tool.",
            readOnly: false,
            [
                "id": str(idHint), "status": str("open|in_progress|blocked|cancelled"),
                "reason": str("why blocked or cancelled"), "title": str(), "body": str(),
                "priority": int(), "parent": str("'none' clears"), "milestone": str("'none' clears"),
                "add_deps": list(), "remove_deps": list(), "add_labels": list(), "remove_labels": list(),
                "acceptance": list("criteria to add"), "note": str("appended"),
            ], required: ["id"]
        ) { args, ws in
            var u = TaskUpdate()
            if let s = try args.string("status") {
                guard let change = StatusChange(rawValue: s) else {
                    throw ArgumentError(
                        "task_update: unknown status '\(s)'; use one of: "
                            + StatusChange.allCases.map(\.rawValue).joined(separator: ", ")
                            + " (done is the complete tool)")
                }
                u.status = change
            }
            u.reason = try args.string("reason")
            u.edit.title = try args.string("title")
            if let b = try args.string("body") { u.edit.body = .some(b.isEmpty ? nil : b) }
            u.edit.priority = try args.int("priority", in: 0...4)
            if let p = try args.string("parent") { u.edit.parent = .some(p == "none" ? nil : p) }
            if let m = try args.string("milestone") { u.edit.milestone = .some(m == "none" ? nil : m) }
            u.addDeps = try args.strings("add_deps")
            u.removeDeps = try args.strings("remove_deps")
            u.edit.addLabels = try args.strings("add_labels")
            u.edit.removeLabels = try args.strings("remove_labels")
            u.edit.addAcceptance = try args.strings("acceptance")
            u.edit.note = try args.string("note")
            let id = try ws.updateTask(try args.requiredString("id"), u, command: command(args))
            let detail = try ws.show(id)
            return try json(TaskListJSON(detail.row, anchor: detail.anchor))
        },
        ToolEntry(
            "complete",
            "Mark a task done once its edits are; then commit them with .codex-state/ (that commit anchors it).",
            readOnly: false, ["id": str(idHint), "commit": str(), "note": str()], required: ["id"]
        ) { args, ws in
            let r = try ws.complete(
                try args.requiredString("id"), revision: try args.string("commit"), note: try args.string("note"),
                command: command(args))
            return try json(CompleteJSON(r))
        },
        ToolEntry(
            "remember", "Record a project decision, constraint (kept verbatim) or note; secrets are redacted.",
            readOnly: false,
            [
                "text": str("exactly as it should be recalled"), "kind": str("decision|constraint|note"),
                "why": str(), "tasks": list(), "paths": list(), "supersedes": list("memory ids it replaces"),
            ], required: ["text", "kind"]
        ) { args, ws in
            let raw = try args.requiredString("kind")
            guard let kind = MemoryKind(rawValue: raw) else {
                throw ArgumentError("remember: kind must be decision, constraint or note, not '\(raw)'")
            }
            let (item, hits) = try ws.remember(
                NewMemory(
                    kind: kind, text: try args.requiredString("text"), why: try args.string("why"),
                    tasks: try args.strings("tasks"), paths: try args.strings("paths"),
                    supersedes: try args.strings("supersedes")),
                isPrivate: false, command: command(args))
            return try json(RememberJSON(item, redactions: hits))
        },
        ToolEntry(
            "recall", "Search project memory (decisions, constraints, notes); best first, with what matched.",
            readOnly: true, ["query": str(), "limit": int("default 5")], required: ["query"]
        ) { args, ws in
            let query = try args.requiredString("query")
            let hits = try ws.recall(query, limit: try args.int("limit", in: 1...50) ?? 5)
            return try json(RecallJSON(query: query, hits: hits, model: ws.recallModel))
        },
    ]

    /// The journal's command line for a tool call.
    static func command(_ args: Arguments) -> String {
        let encoded =
            (try? CanonicalJSON.encodeCompact(args.values)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "codex-state mcp \(args.tool) \(encoded)"
    }
}

private func command(_ args: Arguments) -> String { ToolTable.command(args) }
