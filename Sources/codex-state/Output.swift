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

    /// Prints one line of human-readable text. Every text renderer prints through here, so text
    /// from the state file, sessions or the journal (titles, labels, actors, branches, ids) can
    /// never reach the terminal as control codes or start a forged row (see ``clean(_:)``).
    /// JSON output does not come here: it stays exact.
    static func line(_ s: String) {
        emit(Array((clean(s) + "\n").utf8))
    }

    static func error(_ s: String) {
        FileHandle.standardError.write(Data(("codex-state: error: " + clean(s) + "\n").utf8))
    }

    static func warnings(_ ws: Workspace) {
        for w in ws.warnings { FileHandle.standardError.write(Data(("codex-state: " + clean(w) + "\n").utf8)) }
    }

    /// JSON in the same canonical form as the state file: sorted keys, two-space indent.
    static func json<T: Encodable>(_ value: T) throws {
        emit(try CanonicalJSON.encode(value))
    }

    /// Makes text safe for one terminal line: line breaks and tabs become spaces; C0 and C1
    /// control characters (ESC, CSI, BEL, …), DEL and bidirectional overrides are dropped.
    static func clean(_ s: String) -> String {
        // The common case has none of them: no copy.
        guard s.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 || $0 == 0xE2 }) else { return s }
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            switch u.value {
            case 0x0A, 0x0B, 0x0C, 0x0D, 0x09, 0x85, 0x2028, 0x2029: out.append(" ")
            case 0..<0x20, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: continue
            default: out.append(u)
            }
        }
        return String(out)
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
