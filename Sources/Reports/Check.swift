import Foundation
import StateModel

/// The drift check (`codex-state check`): what is wrong with a state file, as findings with stable
/// codes. Pure: the workspace reads the bytes and asks git; this file only judges.
///
/// The codes are a contract (CI configurations and people grep for them): a code keeps its meaning
/// forever, and a retired code is never reused. The table with severities and fixes is in
/// docs/check.md.

/// How much a finding matters: errors fail the check (exit 1), warnings only with `--strict`.
public enum CheckSeverity: String, Sendable, Codable, CaseIterable {
    case error
    case warning
}

/// Every finding `check` can report.
public enum CheckCode: String, Sendable, Codable, CaseIterable {
    // The file itself.
    case invalidJSON = "CS001"
    case conflictMarkers = "CS002"
    case schemaVersion = "CS003"
    case schemaInvalid = "CS004"
    case unknownField = "CS005"
    case unmerged = "CS006"
    case nonCanonical = "CS010"
    // References between entities.
    case duplicateKey = "CS020"
    case duplicateDependency = "CS021"
    case danglingDependency = "CS022"
    case danglingParent = "CS023"
    case danglingMilestone = "CS024"
    case dependencyCycle = "CS025"
    case parentCycle = "CS026"
    // Completions and HEAD.
    case completionCommitUnknown = "CS030"
    case completionNotOnHead = "CS031"
    case completionRecovered = "CS032"
    case doneWithoutCompletion = "CS033"
    case statusInvariant = "CS034"
    case malformedCommit = "CS035"
    case trailerTaskOpen = "CS040"
    case trailerTaskUnknown = "CS041"
    // Merges.
    case conflictRecords = "CS050"
    // This clone.
    case mergeDriverMissing = "CS060"
    case gitattributesLineMissing = "CS061"
    case shallowClone = "CS062"
    case localRecordsDamaged = "CS063"
    // Other copies of the state (other branches, remote-tracking branches, worktrees).
    case copyUnreadable = "CS070"
    case copiesDisagree = "CS071"
    // The check itself.
    case checkIncomplete = "CS090"
    // Memories.
    case memoryTextChanged = "CS080"
    // Claims published on the claims remote (docs/claims.md).
    case claimRefStale = "CS095"
    case claimRefUnreadable = "CS096"
    // Memories that may be stale (Check+Memory.swift): for a person to review.
    case memoryPathMissing = "CS081"
    case memoryIdentifierMissing = "CS082"
    case memoriesContradict = "CS083"
    case memorySupersededElsewhere = "CS084"
    case semanticModelUnavailable = "CS085"

    /// A short, stable name (the title of a GitHub annotation).
    public var name: String {
        switch self {
        case .invalidJSON: return "invalid-json"
        case .conflictMarkers: return "conflict-markers"
        case .schemaVersion: return "schema-version"
        case .schemaInvalid: return "schema-invalid"
        case .unknownField: return "unknown-field"
        case .unmerged: return "unmerged"
        case .nonCanonical: return "non-canonical"
        case .duplicateKey: return "duplicate-key"
        case .duplicateDependency: return "duplicate-dependency"
        case .danglingDependency: return "dangling-dependency"
        case .danglingParent: return "dangling-parent"
        case .danglingMilestone: return "dangling-milestone"
        case .dependencyCycle: return "dependency-cycle"
        case .parentCycle: return "parent-cycle"
        case .completionCommitUnknown: return "completion-commit-unknown"
        case .completionNotOnHead: return "completion-not-on-head"
        case .completionRecovered: return "completion-recovered"
        case .doneWithoutCompletion: return "done-without-completion"
        case .statusInvariant: return "status-invariant"
        case .malformedCommit: return "malformed-commit"
        case .trailerTaskOpen: return "trailer-task-open"
        case .trailerTaskUnknown: return "trailer-task-unknown"
        case .conflictRecords: return "conflict-records"
        case .mergeDriverMissing: return "merge-driver-missing"
        case .gitattributesLineMissing: return "gitattributes-line-missing"
        case .shallowClone: return "shallow-clone"
        case .localRecordsDamaged: return "local-records-damaged"
        case .copyUnreadable: return "copy-unreadable"
        case .copiesDisagree: return "copies-disagree"
        case .checkIncomplete: return "check-incomplete"
        case .memoryTextChanged: return "memory-text-changed"
        case .claimRefStale: return "claim-ref-stale"
        case .claimRefUnreadable: return "claim-ref-unreadable"
        case .memoryPathMissing: return "memory-path-missing"
        case .memoryIdentifierMissing: return "memory-identifier-missing"
        case .memoriesContradict: return "memories-contradict"
        case .memorySupersededElsewhere: return "memory-superseded-elsewhere"
        case .semanticModelUnavailable: return "semantic-model-unavailable"
        }
    }

    /// The severity before `--strict`.
    public var severity: CheckSeverity {
        switch self {
        case .completionRecovered, .trailerTaskUnknown, .conflictRecords, .mergeDriverMissing,
            .gitattributesLineMissing, .shallowClone, .localRecordsDamaged, .copyUnreadable, .copiesDisagree,
            .checkIncomplete, .claimRefStale, .claimRefUnreadable, .memoryPathMissing, .memoryIdentifierMissing,
            .memoriesContradict, .memorySupersededElsewhere, .semanticModelUnavailable:
            return .warning
        default: return .error
        }
    }
}

/// One thing `check` found. `file` is relative to the repository root; nil (with `line`) for
/// findings about the clone rather than a file. `line` is 1-based: the line of the entity or
/// field concerned, or for file-level findings the first line that shows the problem.
public struct CheckFinding: Hashable, Sendable {
    public var code: CheckCode
    public var severity: CheckSeverity
    public var file: String?
    public var line: Int?
    /// The entity concerned (`t-…`, `m-…`, `g-…`, `project`), if any.
    public var entity: String?
    public var message: String
    /// What to do about it, naming commands where there are some.
    public var fix: String

    public init(
        _ code: CheckCode, file: String?, line: Int?, entity: String? = nil, message: String, fix: String
    ) {
        self.code = code
        severity = code.severity
        self.file = file
        self.line = line
        self.entity = entity
        self.message = message
        self.fix = fix
    }
}

/// The findings of one run, in a stable order, and what they mean for the exit status.
public struct CheckReport: Sendable {
    public let findings: [CheckFinding]

    /// With `strict`, warnings count (and are shown) as errors.
    public init(_ findings: [CheckFinding], strict: Bool) {
        var all = findings
        if strict { for i in all.indices { all[i].severity = .error } }
        self.findings = all.sorted(by: Self.order)
    }

    public var errors: Int { findings.filter { $0.severity == .error }.count }
    public var warnings: Int { findings.filter { $0.severity == .warning }.count }
    /// Whether the check fails (exit 1).
    public var failed: Bool { errors > 0 }

    /// Clone-level findings first, then by file, line, code and message.
    static func order(_ a: CheckFinding, _ b: CheckFinding) -> Bool {
        if (a.file ?? "") != (b.file ?? "") { return (a.file ?? "") < (b.file ?? "") }
        if (a.line ?? 0) != (b.line ?? 0) { return (a.line ?? 0) < (b.line ?? 0) }
        if a.code != b.code { return a.code.rawValue < b.code.rawValue }
        return a.message < b.message
    }
}

/// A commit on HEAD that names tasks in `Codex-Task:` trailers.
public struct TrailerCommit: Hashable, Sendable {
    public var commit: String
    public var summary: String
    /// Committer time.
    public var time: Timestamp
    public var taskIDs: [String]
    public init(commit: String, summary: String, time: Timestamp, taskIDs: [String]) {
        self.commit = commit
        self.summary = summary
        self.time = time
        self.taskIDs = taskIDs
    }
}

/// What git knows that the check needs about the anchors, gathered by the workspace.
public struct AnchorFacts: Sendable {
    /// HEAD's commit; nil on an unborn branch.
    public var head: String?
    /// A shallow clone: an anchor that is not found reachable cannot be called drift.
    public var shallow: Bool
    /// HEAD's newest commits carrying `Codex-Task:` trailers, newest first.
    public var trailerCommits: [TrailerCommit]
    /// How many of HEAD's newest commits were scanned for trailers.
    public var trailerWindow: Int

    public init(
        head: String?, shallow: Bool = false, trailerCommits: [TrailerCommit] = [], trailerWindow: Int = 0
    ) {
        self.head = head
        self.shallow = shallow
        self.trailerCommits = trailerCommits
        self.trailerWindow = trailerWindow
    }
}

/// Whether this clone merges the state file with the driver, as far as the check cares.
public struct MergeDriverFacts: Sendable {
    /// git will run `codex-state merge-driver` for the state file.
    public var configured: Bool
    /// The committed top-level `.gitattributes` has the driver's line.
    public var gitattributesLine: Bool
    /// What is missing, for the message ("merge.codex-state.driver is not set", …).
    public var detail: String
    public init(configured: Bool, gitattributesLine: Bool, detail: String) {
        self.configured = configured
        self.gitattributesLine = gitattributesLine
        self.detail = detail
    }
}

public enum StateCheck {
    /// The state file, relative to the repository root, as findings name it.
    public static let stateFile = StateFileName.relative

    /// The file-level outcome: the decoded state when the file is usable, and what is wrong
    /// with its bytes.
    public struct FileResult: Sendable {
        public var state: ProjectState?
        public var findings: [CheckFinding]
    }

    // MARK: - The file

    /// Judges the bytes: conflict markers, JSON syntax, the schema, unknown fields, duplicate
    /// keys and canonical form. A file with a finding here that leaves `state` nil is unusable
    /// and the other checks do not run.
    public static func checkFile(_ bytes: [UInt8], file: String = stateFile) -> FileResult {
        let state: ProjectState
        do {
            state = try StateCodec.decode(bytes, allowingDuplicates: true)
        } catch let error as StateDecodeError {
            return FileResult(state: nil, findings: [decodeFinding(error, bytes: bytes, file: file)])
        } catch {
            return FileResult(
                state: nil,
                findings: [
                    CheckFinding(
                        .schemaInvalid, file: file, line: 1, message: "cannot be decoded: \(error)",
                        fix: "restore the file from git (git checkout -- \(file)) and redo the edit with codex-state")
                ])
        }
        return FileResult(state: state, findings: formatFindings(bytes, state: state, file: file))
    }

    static func decodeFinding(_ error: StateDecodeError, bytes: [UInt8], file: String) -> CheckFinding {
        let restore =
            "restore the last good version (git checkout -- \(file), or git show HEAD:\(file)) and redo the edit"
        switch error {
        case .conflictMarkers(let line):
            return CheckFinding(
                .conflictMarkers, file: file, line: line,
                message: "unresolved git conflict markers (first at line \(line))",
                fix:
                    "resolve the conflict (git checkout --ours/--theirs \(file), or edit it), then run 'codex-state init' so the merge driver merges this file next time"
            )
        case .malformedJSON(let reason):
            let line = syntaxErrorLine(reason, bytes: bytes)
            return CheckFinding(
                .invalidJSON, file: file, line: line, message: "not valid JSON: \(reason)",
                fix: "fix the syntax near line \(line), or \(restore)")
        case .unsupportedSchema(let found, let supported):
            let newer = found > supported
            return CheckFinding(
                .schemaVersion, file: file, line: lines(of: [[.key("schema")]], in: bytes)[[.key("schema")]] ?? 1,
                message: error.description,
                fix: newer
                    ? "upgrade codex-state to a version that reads schema \(found)"
                    : "set \"schema\": \(supported), or \(restore)")
        case .schema(let reason):
            return CheckFinding(
                .schemaInvalid, file: file, line: schemaErrorLine(reason, bytes: bytes),
                message: "does not match schema 1: \(reason)", fix: "correct the field, or \(restore)")
        case .duplicateKey(_, _, let line):
            return CheckFinding(
                .duplicateKey, file: file, line: line, message: error.description,
                fix: "merge the copies by hand and delete one")
        case .limit(let reason):
            let line = reason.hasPrefix("line ") ? Int(reason.dropFirst(5).prefix { $0.isNumber }) ?? 1 : 1
            return CheckFinding(
                .schemaInvalid, file: file, line: line, message: reason,
                fix: "shorten it (keep the material in a file and refer to it), or \(restore)")
        }
    }

    /// The decoder names a syntax error's line as "… (line N)"; nil-safe.
    static func syntaxErrorLine(_ reason: String, bytes: [UInt8]) -> Int {
        guard let range = reason.range(of: "(line ", options: .backwards) else { return 1 }
        return Int(reason[range.upperBound...].prefix { $0.isNumber }) ?? 1
    }

    /// A schema error names a path like `tasks.t-abc.priority`: the line of the deepest part of
    /// it that exists in the file.
    static func schemaErrorLine(_ reason: String, bytes: [UInt8]) -> Int {
        guard let pathText = reason.split(separator: ":").first else { return 1 }
        let keys = pathText.split(separator: ".").map(String.init)
        guard !keys.isEmpty, !pathText.contains(" ") else { return 1 }
        var prefixes: [[JSONPathComponent]] = []
        for n in 1...keys.count { prefixes.append(keys.prefix(n).map { .key($0) }) }
        let found = lines(of: Set(prefixes), in: bytes)
        for p in prefixes.reversed() { if let l = found[p] { return l } }
        return 1
    }

    /// Unknown fields, duplicate keys, and the canonical form: the file must be byte-identical
    /// to what codex-state writes for its content. Duplicates and unknown fields make a file
    /// non-canonical too; they are reported instead of (not besides) `CS010`, which follows
    /// once they are gone.
    static func formatFindings(_ bytes: [UInt8], state: ProjectState, file: String) -> [CheckFinding] {
        let canonical: [UInt8]
        do {
            canonical = try CanonicalJSON.encode(state)
        } catch {
            // Not a finding about the file: the check could not run, and says so.
            return [notRun("the format check (canonical form, unknown fields)", because: "\(error)")]
        }
        if canonical == bytes { return [] }  // the common case, and then nothing below can be wrong

        let duplicates = JSONScanner.duplicateKeys(in: bytes)
        if !duplicates.isEmpty {
            return duplicates.map { d in
                let what = entityDescription(d.path)
                return CheckFinding(
                    .duplicateKey, file: file, line: d.line, entity: entityID(d.path),
                    message:
                        "\(what) appears more than once (lines \(d.firstLine) and \(d.line)); JSON readers keep only one of them",
                    fix:
                        "merge the copies by hand and delete one (a text merge without the merge driver does this; run 'codex-state init' in every clone)"
                )
            }
        }

        guard let unknown = JSONScanner.unknownKeys(in: bytes, known: canonical) else {
            return [notRun("the unknown-field check", because: "its rewrite is not JSON")]
        }
        if !unknown.isEmpty {
            let located = lines(of: Set(unknown), in: bytes)
            return unknown.map { path in
                CheckFinding(
                    .unknownField, file: file, line: located[path] ?? 1, entity: entityID(path),
                    message:
                        "unknown field '\(JSONPathComponent.render(path))'; this codex-state does not know it and any write would drop it",
                    fix: "remove the field, or upgrade codex-state if a newer version wrote it")
            }
        }

        let line = firstDifferingLine(bytes, canonical)
        return [
            CheckFinding(
                .nonCanonical, file: file, line: line,
                message:
                    "not in canonical form (first difference at line \(line)): keys sorted, two-space indent, \"key\": value, no null fields, a trailing newline",
                fix: "run 'codex-state check --fix' to rewrite it canonically (content unchanged), and commit it")
        ]
    }

    /// A check that could not run: a warning (so `--strict` fails), never silence.
    public static func notRun(_ what: String, because reason: String) -> CheckFinding {
        CheckFinding(
            .checkIncomplete, file: nil, line: nil, message: "\(what) could not run: \(reason)",
            fix: "run codex-state check again; if it persists, report it with this message")
    }

    /// The 1-based line (in `a`) holding the first byte where `a` and `b` differ.
    static func firstDifferingLine(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var i = 0
        let n = min(a.count, b.count)
        while i < n, a[i] == b[i] { i += 1 }
        return lineNumber(atOffset: i, in: a)
    }

    static func lineNumber(atOffset offset: Int, in bytes: [UInt8]) -> Int {
        var line = 1
        for b in bytes.prefix(max(0, min(offset, bytes.count))) where b == 0x0A { line += 1 }
        // A difference right after the final newline is on the last line, not a new one.
        if offset >= bytes.count, bytes.last == 0x0A, line > 1 { line -= 1 }
        return line
    }

    // MARK: - The content

    /// Everything about a usable state at HEAD: references, cycles, anchors, trailers and
    /// conflict records. `rows` are the read model's rows of the tasks at HEAD (over every copy,
    /// reachability and anchor recovery included: what every other view shows); `bytes` is only
    /// used to find the line of each entity.
    public static func checkContent(
        _ state: ProjectState, bytes: [UInt8], rows: [String: EvaluatedTask], facts: AnchorFacts,
        file: String = stateFile
    ) -> [CheckFinding] {
        var pending: [PendingFinding] = []
        pending += referenceFindings(state)
        pending += cycleFindings(state)
        let (anchors, undecided) = anchorFindings(state, rows: rows, facts: facts)
        pending += anchors
        pending += trailerFindings(state, rows: rows, facts: facts)
        pending += conflictFindings(state)
        pending += memoryFindings(state)
        pending += invariantFindings(state)

        let located = lines(of: Set(pending.compactMap(\.path)), in: bytes)
        var out = pending.map { p in
            CheckFinding(
                p.code, file: p.path == nil ? nil : file, line: p.path.map { located[$0] ?? 1 }, entity: p.entity,
                message: p.message, fix: p.fix)
        }
        if !undecided.isEmpty {
            let shown = undecided.prefix(5).joined(separator: ", ") + (undecided.count > 5 ? ", …" : "")
            out.append(
                CheckFinding(
                    .shallowClone, file: nil, line: nil,
                    message:
                        "shallow clone: cannot decide whether the completions of \(undecided.count) task(s) are on HEAD (\(shown)); not reported as drift",
                    fix:
                        "fetch full history: 'git fetch --unshallow' (GitHub Actions: actions/checkout with fetch-depth: 0)"
                ))
        }
        return out
    }

    /// A finding before its line is known: `path` is where it sits in the JSON.
    /// What docs/state.schema.json requires of a task's fields together, and of commit ids
    /// (the decoder takes these on trust; the schema does not): a claim only in progress, a
    /// completion only on a done or cancelled task, a task in progress records where it started,
    /// a blocker only on a blocked task, commits as 40 lower-case hex digits.
    static func invariantFindings(_ state: ProjectState) -> [PendingFinding] {
        var out: [PendingFinding] = []
        for t in state.tasks.values.sorted(by: { $0.id < $1.id }) {
            func invariant(_ field: String, _ message: String, _ fix: String) {
                out.append(
                    PendingFinding(
                        code: .statusInvariant, path: taskPath(t.id, .key(field)), entity: t.id,
                        message: "task \(t.id) is \(t.status.rawValue) but \(message)", fix: fix))
            }
            if t.claim != nil, t.status != .inProgress {
                invariant(
                    "claim", "holds a claim (only a task in progress is claimed)",
                    "codex-state task reopen \(t.id), or remove the claim")
            }
            if t.completion != nil, t.status != .done, t.status != .cancelled {
                invariant(
                    "completion", "records a completion (only a done or cancelled task does)",
                    "codex-state complete \(t.id) if it is finished, else remove the completion")
            }
            if t.status == .inProgress, t.started == nil {
                invariant(
                    "status", "records no start (branch and commit where work began)",
                    "codex-state task start \(t.id) --force")
            }
            if t.blocker != nil, t.status != .blocked {
                invariant(
                    "blocker", "records a blocker (only a blocked task does)", "remove the blocker, or block the task")
            }
            for (field, commit) in [("completion", t.completion?.commit), ("started", t.started?.commit)] {
                guard let commit, !Identifiers.isCommitID(commit) else { continue }
                out.append(
                    PendingFinding(
                        code: .malformedCommit, path: taskPath(t.id, .key(field), .key("commit")), entity: t.id,
                        message:
                            "task \(t.id): \(field).commit \(Identifiers.quoted(commit)) is not a full commit id (40 of 0-9a-f)",
                        fix: "write the full commit id (git rev-parse REV)"))
            }
        }
        return out
    }

    struct PendingFinding {
        var code: CheckCode
        var path: [JSONPathComponent]?
        var entity: String?
        var message: String
        var fix: String
    }

    static func taskPath(_ id: String, _ rest: JSONPathComponent...) -> [JSONPathComponent] {
        [.key("tasks"), .key(id)] + rest
    }

    static func referenceFindings(_ state: ProjectState) -> [PendingFinding] {
        var out: [PendingFinding] = []
        for t in state.tasks.values.sorted(by: { $0.id < $1.id }) {
            var seen: Set<String> = []
            for (i, d) in t.deps.enumerated() {
                if !seen.insert(d).inserted {
                    out.append(
                        PendingFinding(
                            code: .duplicateDependency, path: taskPath(t.id, .key("deps"), .index(i)), entity: t.id,
                            message: "task \(t.id) lists dependency \(d) more than once",
                            fix: "delete the repeated line from its deps"))
                    continue
                }
                if state.tasks[d] == nil {
                    out.append(
                        PendingFinding(
                            code: .danglingDependency, path: taskPath(t.id, .key("deps"), .index(i)), entity: t.id,
                            message: "task \(t.id) depends on \(d), which does not exist (it never becomes ready)",
                            fix: "codex-state task dep rm \(t.id) \(d)   (or restore task \(d))"))
                }
            }
            if let p = t.parent, state.tasks[p] == nil {
                out.append(
                    PendingFinding(
                        code: .danglingParent, path: taskPath(t.id, .key("parent")), entity: t.id,
                        message: "task \(t.id) has parent \(p), which does not exist",
                        fix: "codex-state task edit \(t.id) --parent none   (or restore task \(p))"))
            }
            if let m = t.milestone, state.milestones[m] == nil {
                out.append(
                    PendingFinding(
                        code: .danglingMilestone, path: taskPath(t.id, .key("milestone")), entity: t.id,
                        message: "task \(t.id) is in milestone \(m), which does not exist",
                        fix: "codex-state task edit \(t.id) --milestone none   (or restore milestone \(m))"))
            }
        }
        return out
    }

    /// One finding per dependency cycle (per strongly connected component of the `deps` graph,
    /// showing its shortest cycle through its smallest id) and one per parent cycle.
    static func cycleFindings(_ state: ProjectState) -> [PendingFinding] {
        var out: [PendingFinding] = []
        for cycle in dependencyCycles(state.tasks) {
            // The edge that closes the cycle: its last task waits on the first.
            let from = cycle[cycle.count - 2]
            let to = cycle[cycle.count - 1]
            let index = state.tasks[from]?.deps.firstIndex(of: to) ?? 0
            out.append(
                PendingFinding(
                    code: .dependencyCycle, path: taskPath(from, .key("deps"), .index(index)), entity: cycle[0],
                    message:
                        "dependency cycle: \(cycle.joined(separator: " -> ")) (none of these tasks can become ready)",
                    fix: "remove one edge of the cycle, e.g. codex-state task dep rm \(from) \(to)"))
        }
        for cycle in parentCycles(state.tasks) {
            out.append(
                PendingFinding(
                    code: .parentCycle, path: taskPath(cycle[0], .key("parent")), entity: cycle[0],
                    message: "parent cycle: \(cycle.joined(separator: " -> ")) (each is its own ancestor)",
                    fix: "codex-state task edit \(cycle[0]) --parent none"))
        }
        return out
    }

    /// Each dependency cycle once, as a path `a -> … -> a` starting at the smallest id of its
    /// strongly connected component (Tarjan's algorithm, iterative: a hand-edited file may hold
    /// long chains).
    static func dependencyCycles(_ tasks: [String: TaskRecord]) -> [[String]] {
        // Tasks by their position in id order, so the smallest id is the smallest number.
        let ids = tasks.keys.sorted()
        var number: [String: Int] = [:]
        number.reserveCapacity(ids.count)
        for (i, id) in ids.enumerated() { number[id] = i }
        let edges: [[Int]] = ids.map { id in (tasks[id]?.deps ?? []).compactMap { number[$0] } }
        var index = [Int](repeating: -1, count: ids.count)
        var low = [Int](repeating: 0, count: ids.count)
        var onStack = [Bool](repeating: false, count: ids.count)
        var stack: [Int] = []
        var counter = 0
        var components: [[Int]] = []
        for root in ids.indices where index[root] < 0 {
            var work: [(node: Int, next: Int)] = [(root, 0)]
            index[root] = counter
            low[root] = counter
            counter += 1
            stack.append(root)
            onStack[root] = true
            while let (node, next) = work.last {
                let succ = edges[node]
                if next < succ.count {
                    work[work.count - 1].next += 1
                    let w = succ[next]
                    if index[w] < 0 {
                        index[w] = counter
                        low[w] = counter
                        counter += 1
                        stack.append(w)
                        onStack[w] = true
                        work.append((w, 0))
                    } else if onStack[w] {
                        low[node] = min(low[node], index[w])
                    }
                    continue
                }
                work.removeLast()
                if let parent = work.last?.node { low[parent] = min(low[parent], low[node]) }
                if low[node] == index[node] {
                    var component: [Int] = []
                    while let w = stack.popLast() {
                        onStack[w] = false
                        component.append(w)
                        if w == node { break }
                    }
                    let selfLoop = component.count == 1 && edges[node].contains(node)
                    if component.count > 1 || selfLoop { components.append(component) }
                }
            }
        }
        let cycles: [[Int]] = components.compactMap { component in
            let members = Set(component)
            guard let start = component.min() else { return nil }
            // Shortest way from `start` back to itself inside the component.
            var cameFrom: [Int: Int] = [:]
            var queue = [start]
            var head = 0
            while head < queue.count {
                let node = queue[head]
                head += 1
                for w in edges[node] where members.contains(w) {
                    if w == start {
                        var path = [start]
                        var cur = node
                        while cur != start {
                            path.append(cur)
                            cur = cameFrom[cur] ?? start
                        }
                        return [start] + path.dropFirst().reversed() + [start]
                    }
                    if cameFrom[w] == nil {
                        cameFrom[w] = node
                        queue.append(w)
                    }
                }
            }
            return nil
        }
        return cycles.sorted { $0[0] < $1[0] }.map { $0.map { ids[$0] } }
    }

    /// Each parent cycle once, starting at its smallest id: `a -> parent(a) -> … -> a`.
    static func parentCycles(_ tasks: [String: TaskRecord]) -> [[String]] {
        var settled: Set<String> = []
        var cycles: [[String]] = []
        for id in tasks.keys.sorted() where !settled.contains(id) {
            var path: [String] = []
            var position: [String: Int] = [:]
            var cur: String? = id
            while let c = cur, tasks[c] != nil, !settled.contains(c) {
                if let at = position[c] {
                    let loop = Array(path[at...])
                    if let start = loop.indices.min(by: { loop[$0] < loop[$1] }) {
                        let rotated = Array(loop[start...] + loop[..<start])
                        cycles.append(rotated + [rotated[0]])
                    }
                    break
                }
                position[c] = path.count
                path.append(c)
                cur = tasks[c]?.parent
            }
            settled.formUnion(path)
        }
        return cycles.sorted { $0[0] < $1[0] }
    }

    /// Completions at HEAD. Returns the findings and, in a shallow clone, the tasks whose
    /// anchors could not be decided (reported once, together).
    static func anchorFindings(_ state: ProjectState, rows: [String: EvaluatedTask], facts: AnchorFacts)
        -> ([PendingFinding], [String])
    {
        var out: [PendingFinding] = []
        var undecided: [String] = []
        // Open here, done on HEAD: another copy's completion whose work came over alone (a
        // cherry-pick, a squash merge), found under another commit.
        for t in state.tasks.values.sorted(by: { $0.id < $1.id }) where t.status != .done {
            guard let row = rows[t.id], row.status == .done, let found = row.recovered else { continue }
            out.append(
                PendingFinding(
                    code: .completionRecovered, path: taskPath(t.id, .key("status")), entity: t.id,
                    message:
                        "task \(t.id) is \(t.status.rawValue) here, but another copy records it done and that work is on HEAD as \(found.commit.prefix(7)) (found by \(found.method.rawValue))",
                    fix: "codex-state reanchor \(t.id) records the completion here; then commit .codex-state/"))
        }
        for t in state.tasks.values.sorted(by: { $0.id < $1.id }) where t.status == .done {
            guard let c = t.completion else {
                out.append(
                    PendingFinding(
                        code: .doneWithoutCompletion, path: taskPath(t.id, .key("status")), entity: t.id,
                        message: "task \(t.id) is done but records no completion commit",
                        fix: "codex-state complete \(t.id) --commit REV   (the commit that finished it)"))
                continue
            }
            // Recorded without a commit: the commit that added the record to the file anchors
            // it, and this file has it, so that commit is on HEAD (or not committed yet).
            guard let commit = c.commit else { continue }
            let short = String(commit.prefix(7))
            let path = taskPath(t.id, .key("completion"))
            let row = rows[t.id]
            if let found = row?.recovered {
                out.append(
                    PendingFinding(
                        code: .completionRecovered, path: path, entity: t.id,
                        message:
                            "task \(t.id) records completion commit \(short), which is not on HEAD; its work is on HEAD as \(found.commit.prefix(7)) (found by \(found.method.rawValue))",
                        fix: "codex-state reanchor \(t.id), then commit .codex-state/"))
                continue
            }
            let status = row?.status ?? .doneUnknown
            if status == .done { continue }
            if facts.head == nil { continue }  // an unborn branch has nothing to be on
            if facts.shallow {
                undecided.append(t.id)
                continue
            }
            let recorded = "recorded by \(c.actor) on \(c.branch.map { "branch \($0)" } ?? "a detached HEAD")"
            if status == .doneUnknown {
                let notACommit = !isFullSHA(commit)
                out.append(
                    PendingFinding(
                        code: .completionCommitUnknown, path: path, entity: t.id,
                        message: notACommit
                            ? "task \(t.id) is done by '\(commit)', which is not a full commit id"
                            : "task \(t.id) is done by commit \(short) (\(recorded)), which this clone does not have",
                        fix:
                            "push or fetch the commit that finished it; if it is gone, codex-state complete \(t.id) --commit REV (the commit that has the work), or codex-state task reopen \(t.id)"
                    ))
            } else {
                out.append(
                    PendingFinding(
                        code: .completionNotOnHead, path: path, entity: t.id,
                        message:
                            "task \(t.id) is done by commit \(short) (\(recorded)), which is not on HEAD: that branch is not merged here, or a rebase, amend or reset dropped the commit",
                        fix:
                            "merge the branch that has \(short); if the work is on HEAD under another commit, codex-state complete \(t.id) --commit REV; otherwise codex-state task reopen \(t.id)"
                    ))
            }
        }
        return (out, undecided)
    }

    static func isFullSHA(_ s: String) -> Bool {
        s.utf8.count == 40 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// Commits on HEAD whose `Codex-Task:` trailer names a task that is open here: the work
    /// landed, the state does not say so. A task changed after the commit (reopened on purpose,
    /// say) is not reported: the state is newer than the commit's claim. Tasks in progress or
    /// blocked are not reported either: `prepare-commit-msg` puts the trailer on every commit
    /// of work in progress.
    static func trailerFindings(_ state: ProjectState, rows: [String: EvaluatedTask], facts: AnchorFacts)
        -> [PendingFinding]
    {
        var out: [PendingFinding] = []
        var reported: Set<String> = []
        for commit in facts.trailerCommits {
            for id in commit.taskIDs where !reported.contains(id) {
                let short = String(commit.commit.prefix(7))
                let subject = commit.summary.count > 60 ? String(commit.summary.prefix(59)) + "…" : commit.summary
                guard let t = state.tasks[id] else {
                    reported.insert(id)
                    out.append(
                        PendingFinding(
                            code: .trailerTaskUnknown, path: nil, entity: id,
                            message:
                                "commit \(short) (\"\(subject)\") names task \(id) in a Codex-Task trailer, but this state has no such task",
                            fix:
                                "commit the state file of the branch that added \(id) (or ignore this if the task was deleted on purpose)"
                        ))
                    continue
                }
                // Open at HEAD, as every view says it (done through another copy, or started in
                // one, is not open; in progress only because of this trailer is).
                let open = rows[id].map { $0.status == .open || $0.inProgressByTrailer } ?? true
                guard t.status == .open, open, t.updated.at <= commit.time else { continue }
                reported.insert(id)
                out.append(
                    PendingFinding(
                        code: .trailerTaskOpen, path: taskPath(id, .key("status")), entity: id,
                        message:
                            "commit \(short) (\"\(subject)\") names task \(id) in a Codex-Task trailer, but the task is open",
                        fix:
                            "codex-state complete \(id) --commit \(short) if that commit finished it; codex-state task start \(id) if work on it continues"
                    ))
            }
        }
        return out
    }

    static func conflictFindings(_ state: ProjectState) -> [PendingFinding] {
        state.unresolvedConflicts.map { e in
            let fields = Array(Set(e.conflicts.map(\.field))).sorted().joined(separator: ", ")
            let path: [JSONPathComponent]
            let resolve: String
            switch e.kind {
            case "project":
                path = [.key("project"), .key("conflicts")]
                resolve = "codex-state conflicts resolve project"
            case "goal":
                path = [.key("goals"), .key(e.id), .key("conflicts")]
                resolve = "codex-state conflicts resolve \(e.id)"
            case "milestone":
                path = [.key("milestones"), .key(e.id), .key("conflicts")]
                resolve = "codex-state conflicts resolve \(e.id)"
            case "memory":
                path = [.key("memories"), .key(e.id), .key("conflicts")]
                resolve = "codex-state conflicts resolve \(e.id)"
            default:
                path = taskPath(e.id, .key("conflicts"))
                resolve = "codex-state task resolve \(e.id)"
            }
            let n = e.conflicts.count
            return PendingFinding(
                code: .conflictRecords, path: path, entity: e.id,
                message:
                    "\(e.kind == "project" ? "the project" : "\(e.kind) \(e.id)") has \(n) unresolved merge conflict record\(n == 1 ? "" : "s") (\(fields))",
                fix: "review them (codex-state conflicts), then \(resolve) [--take other]")
        }
    }

    /// A memory whose text no longer matches its hash was edited by hand: a constraint is
    /// promised byte-exact, so this is an error for every kind.
    static func memoryFindings(_ state: ProjectState) -> [PendingFinding] {
        state.memoryMap.values.sorted { $0.id < $1.id }.filter { !$0.hashMatches }.map { m in
            PendingFinding(
                code: .memoryTextChanged, path: [.key("memories"), .key(m.id), .key("text")], entity: m.id,
                message: "\(m.kind.rawValue) \(m.id): its text no longer matches its hash (edited by hand)",
                fix:
                    "restore the recorded text (git log -p \(stateFile)), or record the new wording: codex-state remember TEXT --kind \(m.kind.rawValue) --supersedes \(m.id)"
            )
        }
    }

    // MARK: - The clone

    /// The merge driver: whether this clone has it (skipped in CI, where nothing merges), and
    /// whether the committed `.gitattributes` names it (everyone's concern, so also in CI).
    public static func cloneFindings(mergeDriver: MergeDriverFacts, inCI: Bool) -> [CheckFinding] {
        if !mergeDriver.gitattributesLine {
            return [
                CheckFinding(
                    .gitattributesLineMissing, file: ".gitattributes", line: 1,
                    message:
                        ".gitattributes lacks '\(stateFile) merge=codex-state': no clone merges the state file with the driver",
                    fix: "codex-state init (or codex-state merge-driver --install), then commit .gitattributes")
            ]
        }
        if inCI || mergeDriver.configured { return [] }
        return [
            CheckFinding(
                .mergeDriverMissing, file: nil, line: nil,
                message:
                    "this clone does not merge the state file with the merge driver (\(mergeDriver.detail)); git will merge it as text",
                fix: "codex-state init (or codex-state merge-driver --install); each clone needs it once")
        ]
    }

    /// Other copies of the state: one finding per copy every read skips (corrupt, conflicted,
    /// newer schema), and one per task the copies disagree about.
    public static func copyFindings(
        unreadable: [(label: String, location: String, reason: String)], disagreements: [Disagreement]
    ) -> [CheckFinding] {
        var out: [CheckFinding] = []
        for u in unreadable.sorted(by: { $0.location < $1.location }) {
            out.append(
                CheckFinding(
                    .copyUnreadable, file: nil, line: nil,
                    message:
                        "the state of \(u.label) (\(u.location)) cannot be read: \(u.reason); every read skips it, so its completions and claims count nowhere",
                    fix:
                        "check out \(u.label) and fix its \(stateFile) (codex-state check there names the problem), or delete the branch if it is dead"
                ))
        }
        for d in disagreements.sorted(by: { $0.task < $1.task }) {
            out.append(
                CheckFinding(
                    .copiesDisagree, file: nil, line: nil, entity: d.task,
                    message: "task \(d.task): \(d.message)",
                    fix:
                        "merge the branches (the merge driver keeps the completion), or reopen and complete it again where it belongs"
                ))
        }
        return out
    }

    /// The state file is unmerged in git's index: nothing in it can be trusted yet.
    public static func unmergedFinding(file: String = stateFile) -> CheckFinding {
        CheckFinding(
            .unmerged, file: file, line: 1,
            message: "unmerged in git's index: a merge, rebase or cherry-pick left it unresolved",
            fix:
                "resolve it (git checkout --ours/--theirs \(file), or edit it), git add it, and finish the operation; the content is checked after that"
        )
    }

    // MARK: - Lines

    /// The line of each `path` in `bytes` (of the key, for object members; of the value, for
    /// array elements). One pass; paths not found are absent from the result.
    public static func lines(of paths: Set<[JSONPathComponent]>, in bytes: [UInt8]) -> [[JSONPathComponent]: Int] {
        guard !paths.isEmpty else { return [:] }
        return JSONScanner.lines(of: paths, in: bytes)
    }

    static func entityID(_ path: [JSONPathComponent]) -> String? {
        guard path.count >= 2, case .key(let top) = path[0], case .key(let id) = path[1] else {
            if case .key("project")? = path.first { return "project" }
            return nil
        }
        return ["tasks", "milestones", "goals", "memories"].contains(top) ? id : nil
    }

    static func entityDescription(_ path: [JSONPathComponent]) -> String {
        if path.count == 2, case .key(let top) = path[0], case .key(let id) = path[1] {
            switch top {
            case "tasks": return "task \(id)"
            case "milestones": return "milestone \(id)"
            case "goals": return "goal \(id)"
            case "memories": return "memory \(id)"
            default: break
            }
        }
        return "key '\(JSONPathComponent.render(path))'"
    }
}
