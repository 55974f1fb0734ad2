import StateModel

/// Memories that may no longer be true (issue 20): `check` reports them as warnings, and
/// `memories --review` lists them for a person to confirm, supersede or forget. Pure: Workspace
/// asks git what exists at HEAD and on the other branches; the decisions are made here.
public enum MemoryCheck {
    /// What git says about the memories at HEAD.
    public struct Facts: Sendable {
        /// For each path a current memory names (its scope, and files in its text): whether
        /// HEAD's tree has it.
        public var pathExists: [String: Bool]
        /// The identifiers current memories name that were found in HEAD's files; nil when the
        /// search could not finish within its budget (nothing is reported then).
        public var identifiersFound: Set<String>?
        /// Memories current here that a memory on another branch supersedes: (memory, successor,
        /// branch).
        public var supersededElsewhere: [(id: String, by: String, branch: String)]

        public init(
            pathExists: [String: Bool], identifiersFound: Set<String>?,
            supersededElsewhere: [(id: String, by: String, branch: String)]
        ) {
            self.pathExists = pathExists
            self.identifiersFound = identifiersFound
            self.supersededElsewhere = supersededElsewhere
        }
    }

    /// One memory that may be stale, and why.
    public struct Stale: Sendable, Equatable {
        public var code: CheckCode
        public var id: String
        /// The other memory concerned (a contradiction, a successor elsewhere).
        public var other: String?
        public var detail: String
    }

    /// The paths a memory names: its scope and the files in its text.
    public static func paths(_ m: Memory) -> [String] {
        var out = m.paths.filter { !$0.isEmpty }
        for p in MemoryText.namedFiles(m.text) where !out.contains(p) { out.append(p) }
        return out
    }

    public static func identifiers(_ m: Memory) -> [String] { MemoryText.namedIdentifiers(m.text) }

    /// Everything that may be stale among `memories` (the current ones), in id order.
    public static func stale(_ memories: [Memory], facts: Facts) -> [Stale] {
        let live = memories.filter { !$0.isForgotten }.sorted { $0.id < $1.id }
        var out: [Stale] = []
        for m in live {
            let gone = paths(m).filter { facts.pathExists[$0] == false }
            if !gone.isEmpty {
                out.append(Stale(code: .memoryPathMissing, id: m.id, other: nil, detail: gone.joined(separator: ", ")))
            }
            if let found = facts.identifiersFound {
                let missing = identifiers(m).filter { !found.contains($0) }
                if !missing.isEmpty {
                    out.append(
                        Stale(
                            code: .memoryIdentifierMissing, id: m.id, other: nil,
                            detail: missing.joined(separator: ", ")))
                }
            }
        }
        for (i, a) in live.enumerated() {
            for b in live[(i + 1)...] {
                if let why = MemoryText.contradiction(a.text, b.text) {
                    out.append(Stale(code: .memoriesContradict, id: a.id, other: b.id, detail: why))
                }
            }
        }
        for e in facts.supersededElsewhere.sorted(by: { ($0.id, $0.branch) < ($1.id, $1.branch) })
        where live.contains(where: { $0.id == e.id }) {
            out.append(Stale(code: .memorySupersededElsewhere, id: e.id, other: e.by, detail: e.branch))
        }
        return out
    }

    /// The findings for the state file's memories (line: the memory's `text`).
    public static func findings(
        _ stale: [Stale], memories: [String: Memory], bytes: [UInt8], file: String
    ) -> [CheckFinding] {
        let paths = Set(stale.map { [JSONPathComponent.key("memories"), .key($0.id), .key("text")] })
        let lines = JSONScanner.lines(of: paths, in: bytes)
        return stale.map { s in
            let kind = memories[s.id]?.kind.rawValue ?? "memory"
            let line = lines[[.key("memories"), .key(s.id), .key("text")]]
            return CheckFinding(
                s.code, file: file, line: line, entity: s.id, message: message(s, kind: kind), fix: fix(s, kind: kind))
        }
    }

    public static func message(_ s: Stale, kind: String) -> String {
        switch s.code {
        case .memoryPathMissing: return "\(kind) \(s.id) names \(s.detail), not at HEAD (renamed or removed?)"
        case .memoryIdentifierMissing:
            return "\(kind) \(s.id) names \(s.detail), found in no file at HEAD (renamed or removed?)"
        case .memoriesContradict: return "\(kind) \(s.id) and \(s.other ?? "?") may contradict each other: \(s.detail)"
        case .memorySupersededElsewhere:
            return "\(kind) \(s.id) is current here but superseded by \(s.other ?? "?") on \(s.detail)"
        default: return "\(kind) \(s.id): \(s.detail)"
        }
    }

    public static func fix(_ s: Stale, kind: String) -> String {
        let review = "codex-state memories --review"
        switch s.code {
        case .memoriesContradict:
            return
                "\(review): supersede one (codex-state remember TEXT --kind \(kind) --supersedes ID), forget one, or confirm both"
        case .memorySupersededElsewhere:
            return
                "merge \(s.detail), or supersede it here too (codex-state remember TEXT --kind \(kind) --supersedes \(s.id)); or confirm it"
        default:
            return
                "\(review): supersede it with the new name (codex-state remember TEXT --kind \(kind) --supersedes \(s.id)), forget it, or confirm it"
        }
    }

    /// The finding for a machine where recall is lexical only (not reported in CI: it is about
    /// this machine, not the repository).
    public static func semanticFinding(_ problem: String) -> CheckFinding {
        CheckFinding(
            .semanticModelUnavailable, file: nil, line: nil, message: "recall is lexical only: \(problem)",
            fix:
                "install the model (scripts/install-model.sh, as in README.md), or name one: CODEX_STATE_SEMANTIC_MODEL=DIR or git config codex-state.semanticModel DIR; `none` turns this off"
        )
    }
}
