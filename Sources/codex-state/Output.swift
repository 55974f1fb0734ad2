import Foundation
import StateModel
import Workspace

enum Output {
    /// While a read command renders into the render cache, output is collected here instead.
    nonisolated(unsafe) private static var captured: [UInt8]?

    /// Runs `body`, returning what it printed to standard output instead of printing it.
    static func capture(_ body: () throws -> Void) rethrows -> [UInt8] {
        let outer = captured
        captured = []
        defer { captured = outer }
        try body()
        return captured ?? []
    }

    static func emit(_ bytes: [UInt8]) {
        if captured != nil {
            captured?.append(contentsOf: bytes)
        } else {
            FileHandle.standardOutput.write(Data(bytes))
        }
    }

    static func line(_ s: String) {
        emit(Array((s + "\n").utf8))
    }

    /// `-q`/`--quiet`: no confirmations and no warnings; what a command was asked for (a
    /// listing, an id, `--json`) and errors are still printed.
    nonisolated(unsafe) static var quiet = false

    /// A confirmation of a change ("completed t-…"): left out with `--quiet`.
    static func confirm(_ s: String) {
        if !quiet { line(s) }
    }

    static func error(_ s: String) {
        FileHandle.standardError.write(Data(("codex-state: error: " + s + "\n").utf8))
    }

    static func warnings(_ ws: Workspace) {
        if quiet { return }
        for w in ws.warnings { FileHandle.standardError.write(Data(("codex-state: " + w + "\n").utf8)) }
    }

    /// JSON in the same canonical form as the state file: sorted keys, two-space indent.
    static func json<T: Encodable>(_ value: T) throws {
        emit(try CanonicalJSON.encode(value))
    }

    /// Makes text from the state file safe for one terminal line.
    static func clean(_ s: String) -> String {
        String(s.map { $0.isNewline || $0 == "\t" ? " " : $0 }).filter { c in
            !c.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
        }
    }
}

// MARK: - JSON shapes (documented in docs/cli.md)

struct HeadJSON: Encodable {
    var branch: String?
    var commit: String?
    var subject: String?
    var detached: Bool
    var unborn: Bool

    init(_ h: HeadInfo) {
        branch = h.branch
        commit = h.commit
        subject = h.subject
        detached = h.detached
        unborn = h.unborn
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: K.self)
        try c.encode(branch, forKey: .branch)
        try c.encode(commit, forKey: .commit)
        try c.encode(subject, forKey: .subject)
        try c.encode(detached, forKey: .detached)
        try c.encode(unborn, forKey: .unborn)
    }
    enum K: String, CodingKey { case branch, commit, subject, detached, unborn }
}

/// The anchor of a completion, as list shapes show it (`task show` has the whole record).
struct CompletionJSON: Encodable {
    var commit: String
    var branch: String?

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(commit, forKey: .commit)
        try c.encode(branch, forKey: .branch)
    }
    enum CodingKeys: String, CodingKey { case commit, branch }
}

/// A completion recognised on HEAD under another commit (see `codex-state reanchor`).
struct AnchorJSON: Encodable {
    var method: String
    var commit: String
}

/// One task as listed by `tasks` and `next`.
struct TaskListJSON: Encodable {
    var id: String
    var title: String
    var status: String
    var effectiveStatus: String
    var ready: Bool
    var priority: Int
    var parent: String?
    var deps: [String]
    var waitingOn: [String]
    var labels: [String]
    var milestone: String?
    var startedBy: String?
    var startedBranch: String?
    var completion: CompletionJSON?
    var recovered: AnchorJSON?
    /// Unresolved merge conflict records on the task.
    var conflicts: Int

    init(_ t: TaskSummary, _ eval: Evaluation) {
        id = t.id
        title = t.title
        status = t.status.rawValue
        effectiveStatus = (eval.status[t.id] ?? .open).rawValue
        ready = eval.ready.contains(t.id)
        priority = t.priority
        parent = t.parent
        deps = t.deps
        let w = eval.waitingOn(t.id)
        waitingOn = (w.deps + w.children).sorted()
        labels = t.labels
        milestone = t.milestone
        startedBy = t.startedActor
        startedBranch = t.startedBranch
        completion = t.completionCommit.map { CompletionJSON(commit: $0, branch: t.completionBranch) }
        recovered = eval.recovered[t.id].map { AnchorJSON(method: $0.method.rawValue, commit: $0.commit) }
        conflicts = t.conflictCount
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: K.self)
        try c.encode(id, forKey: .id)
        try c.encode(title, forKey: .title)
        try c.encode(status, forKey: .status)
        try c.encode(effectiveStatus, forKey: .effectiveStatus)
        try c.encode(ready, forKey: .ready)
        try c.encode(priority, forKey: .priority)
        try c.encode(parent, forKey: .parent)
        try c.encode(deps, forKey: .deps)
        try c.encode(waitingOn, forKey: .waitingOn)
        try c.encode(labels, forKey: .labels)
        try c.encode(milestone, forKey: .milestone)
        try c.encode(startedBy, forKey: .startedBy)
        try c.encode(startedBranch, forKey: .startedBranch)
        try c.encode(completion, forKey: .completion)
        try c.encode(recovered, forKey: .recovered)
        try c.encode(conflicts, forKey: .conflicts)
    }

    enum K: String, CodingKey {
        case id, title, status, ready, priority, parent, deps, labels, milestone, completion, conflicts, recovered
        case effectiveStatus = "effective_status"
        case waitingOn = "waiting_on"
        case startedBy = "started_by"
        case startedBranch = "started_branch"
    }
}

/// How a task's status reads in text output.
func statusText(_ t: TaskSummary, _ eval: Evaluation) -> String {
    let s = eval.status[t.id] ?? .open
    switch s {
    case .open: return eval.ready.contains(t.id) ? "ready" : "waiting"
    case .doneElsewhere: return "done@" + (t.completionBranch ?? "elsewhere")
    case .doneUnknown: return "done?"
    default: return s.rawValue
    }
}
