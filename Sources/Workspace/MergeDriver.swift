import GitKit
import StateModel
import StateStore

#if canImport(Glibc)
    import Glibc
#endif

/// Why the merge driver declined to merge. Each message is one line naming the file git is
/// merging and the side at fault; declining leaves ours untouched, so git marks the file
/// conflicted as it would without a driver.
public enum MergeDriverError: Error, Sendable, CustomStringConvertible {
    case unreadable(target: String, side: String, path: String, reason: String)
    case invalid(target: String, side: String, path: String, reason: StateDecodeError)
    case failed(target: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let target, let side, let path, let reason):
            return "cannot merge \(target): \(side) (\(path)) is unreadable: \(reason); left to git as a conflict"
        case .invalid(let target, let side, let path, let reason):
            return "cannot merge \(target): \(side) (\(path)): \(reason); left to git as a conflict"
        case .failed(let target, let reason):
            return "cannot merge \(target): \(reason); left to git as a conflict"
        }
    }
}

/// `codex-state merge-driver %O %A %B %P`: git's merge driver for the state file.
///
/// It needs no repository (git hands it three temporary files), so it never initialises
/// libgit2. It reads and validates all three sides before writing anything, and writes the
/// merged state canonically and atomically over ours (`%A`), which is what git takes as the
/// result. If any side cannot be used it throws, leaving `%A` untouched.
public enum MergeDriver {
    public struct Outcome: Sendable, Equatable {
        /// The conflict records this merge added, by entity.
        public var conflicts: [EntityConflicts]
        /// False when the merged bytes equal ours' bytes, so ours was not rewritten.
        public var wroteOurs: Bool
        /// The file git is merging (`%P`), for messages.
        public var target: String

        public var conflictCount: Int { conflicts.reduce(0) { $0 + $1.conflicts.count } }
    }

    public static func run(
        base: String, ours: String, theirs: String, target: String?, environment: [String: String]
    ) throws -> Outcome {
        let name = target ?? StateFileName.relative
        func load(_ side: String, _ path: String) throws -> [UInt8] {
            do {
                return try Files.read(path)
            } catch let StoreError.io(_, _, reason), let StoreError.unsafePath(_, reason) {
                throw MergeDriverError.unreadable(target: name, side: side, path: path, reason: reason)
            }
        }
        func decode(_ side: String, _ path: String, _ bytes: [UInt8], strict: Bool) throws -> ProjectState {
            do {
                let state = try StateCodec.decode(bytes)
                // A field this version does not know would be lost in the merged file.
                if strict { try StateCodec.checkNothingDropped(bytes, decoded: state) }
                return state
            } catch let e as StateDecodeError {
                throw MergeDriverError.invalid(target: name, side: side, path: path, reason: e)
            }
        }
        let baseBytes = try load("base", base)
        let oursBytes = try load("ours", ours)
        let theirsBytes = try load("theirs", theirs)
        let oursState = try decode("ours", ours, oursBytes, strict: true)
        let theirsState = try decode("theirs", theirs, theirsBytes, strict: true)
        // git passes an empty base when the file has none: both sides added it.
        let baseState = baseBytes.isEmpty ? nil : try decode("base", base, baseBytes, strict: false)

        let report: MergeReport
        let merged: [UInt8]
        do {
            report = try StateMerge.merge(
                base: baseState, ours: oursState, theirs: theirsState, at: try now(environment),
                replay: isReplay(base: baseState, baseBytes: baseBytes, ours: oursState, theirs: theirsState))
            merged = try StateCodec.encode(report.state)
        } catch let e as MergeDriverError {
            throw e
        } catch {
            throw MergeDriverError.failed(target: name, reason: "\(error)")
        }
        guard merged != oursBytes else { return Outcome(conflicts: report.added, wroteOurs: false, target: name) }
        do {
            try GitFiles.writeMergeResult(merged, to: ours)
        } catch {
            throw MergeDriverError.failed(target: name, reason: "\(error)")
        }
        return Outcome(conflicts: report.added, wroteOurs: true, target: name)
    }

    /// Whether this merge replays a commit (a cherry-pick) rather than joins two histories: git
    /// tells a merge driver neither, but in a merge the base is a version of the file on ours'
    /// history, and in a cherry-pick it is the picked commit's parent's. Asked only when it
    /// matters — theirs changed an entity ours does not have — and answered from HEAD's newest
    /// 1,000 commits; when the repository cannot be read, it is a merge (records are kept).
    static func isReplay(base: ProjectState?, baseBytes: [UInt8], ours: ProjectState, theirs: ProjectState) -> Bool {
        guard let base else { return false }
        func missingOnOurs<E: Equatable>(_ b: [String: E], _ o: [String: E], _ t: [String: E]) -> Bool {
            t.contains { id, value in o[id] == nil && b[id] != nil && b[id] != value }
        }
        guard
            missingOnOurs(base.tasks, ours.tasks, theirs.tasks)
                || missingOnOurs(base.milestones, ours.milestones, theirs.milestones)
                || missingOnOurs(base.goals, ours.goals, theirs.goals)
        else { return false }
        guard let repo = try? Repository.discover(from: "."), let head = try? repo.resolveCommit("HEAD"),
            let blob = try? repo.blobID(of: baseBytes),
            let held = try? repo.historyHolds(StateFileName.relative, blob: blob, from: head, limit: 1_000)
        else { return false }
        return !held
    }

    /// The time recorded in new conflict records: `CODEX_STATE_NOW` when set (as everywhere
    /// else), the clock otherwise.
    static func now(_ environment: [String: String]) throws -> Timestamp {
        if let fixed = environment["CODEX_STATE_NOW"], !fixed.isEmpty {
            guard let t = Timestamp(iso8601: fixed) else {
                throw WorkspaceError.invalidEnvironment(
                    name: "CODEX_STATE_NOW", value: fixed, reason: "expected a UTC time like 2026-01-31T12:00:00Z")
            }
            return t
        }
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(seconds: Int64(ts.tv_sec))
    }
}

/// Whether this clone will merge the state file with the driver.
public struct MergeDriverStatus: Sendable, Equatable {
    /// `merge.codex-state.driver` as git reads it (any configuration level); nil when unset.
    public var driverCommand: String?
    /// Whether that command runs `codex-state merge-driver` with git's `%O %A %B` (and `%P`).
    public var driverValid: Bool
    /// The `merge` attribute git applies to the state file (`codex-state` when it will use the driver).
    public var attribute: AttributeValue
    /// Whether the top-level `.gitattributes` has the line `init` adds.
    public var gitattributesLine: Bool

    /// The attribute names the driver, and the driver is defined in this clone.
    public var configured: Bool { driverValid && attribute == .value(MergeDriverSetup.driverName) }

    /// The attribute as `--json` names it: the driver's name (or any other), `set`, `unset`, or
    /// nil when unspecified.
    public var attributeText: String? {
        switch attribute {
        case .unspecified: return nil
        case .set: return "set"
        case .unset: return "unset"
        case .value(let v): return v
        }
    }
}

/// What configuring the driver changed.
public struct MergeDriverSetup: Sendable, Equatable {
    public static let driverName = "codex-state"
    public static let driverCommand = "codex-state merge-driver %O %A %B %P"
    public static let driverDescription = "codex-state: field-wise three-way merge of the project state"
    public static let attributeLine = "\(StateFileName.relative) merge=\(driverName)"

    /// Config keys this call set.
    public var setConfig: [String]
    /// Whether the `.gitattributes` line was added (false when it was there).
    public var addedAttributeLine: Bool
    public var status: MergeDriverStatus
}

/// What removing the driver changed.
public struct MergeDriverRemoval: Sendable, Equatable {
    public var removedConfig: [String]
    public var removedAttributeLines: Int
    /// True when `.gitattributes` held nothing else and was deleted.
    public var deletedGitattributes: Bool
}

extension Workspace {
    var gitattributesPath: String { paths.workdir + "/.gitattributes" }

    /// Whether a configured command is one that runs this driver with the placeholders it needs
    /// (a full path to the binary is fine: some git clients run with a bare `PATH`).
    static func isDriverCommand(_ command: String?) -> Bool {
        guard let command else { return false }
        let words = command.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let k = words.firstIndex(of: "merge-driver"), k > 0,
            words[k - 1].split(separator: "/").last == "codex-state"
        else { return false }
        let rest = Array(words[(k + 1)...])
        return rest == ["%O", "%A", "%B", "%P"] || rest == ["%O", "%A", "%B"]
    }

    /// Whether a `.gitattributes` line gives the state file this driver.
    static func isDriverAttributeLine(_ line: Substring) -> Bool {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
        guard let pattern = words.first, pattern == StateFileName.relative || pattern == "/" + StateFileName.relative
        else { return false }
        return words.dropFirst().contains { $0 == "merge=" + MergeDriverSetup.driverName }
    }

    public func mergeDriverStatus() throws -> MergeDriverStatus {
        let command = try repository.configString("merge.\(MergeDriverSetup.driverName).driver")
        let lines = Files.exists(gitattributesPath) ? try Files.read(gitattributesPath).split(separator: 0x0A) : []
        return MergeDriverStatus(
            driverCommand: command, driverValid: Self.isDriverCommand(command),
            attribute: try repository.attribute("merge", forPath: StateFileName.relative),
            gitattributesLine: lines.contains { Self.isDriverAttributeLine(Substring(decoding: $0, as: UTF8.self)) })
    }

    /// Configures the merge driver for this clone; changes nothing that is already right.
    ///
    /// The driver command goes into the local git configuration (shared by linked worktrees)
    /// unless git already sees a valid one (a user may have set a full path globally); the
    /// attribute line goes into the top-level `.gitattributes`, created if missing, other lines
    /// kept as they are.
    /// Takes the worktree lock (``writeLock(timeout:)``): `.gitattributes` is read, changed and
    /// replaced while no other codex-state process of this worktree writes it.
    @discardableResult
    public func configureMergeDriver() throws -> MergeDriverSetup {
        let lock = try writeLock()
        defer { withExtendedLifetime(lock) {} }
        return try configureMergeDriverLocked()
    }

    /// ``configureMergeDriver()`` for a caller that holds the worktree lock (`init`).
    func configureMergeDriverLocked() throws -> MergeDriverSetup {
        let prefix = "merge.\(MergeDriverSetup.driverName)"
        var set: [String] = []
        if try repository.configString(prefix + ".name") == nil {
            try repository.setLocalConfig(prefix + ".name", to: MergeDriverSetup.driverDescription)
            set.append(prefix + ".name")
        }
        if try !Self.isDriverCommand(repository.configString(prefix + ".driver")) {
            try repository.setLocalConfig(prefix + ".driver", to: MergeDriverSetup.driverCommand)
            set.append(prefix + ".driver")
        }
        var added = false
        let existing = Files.exists(gitattributesPath) ? try Files.read(gitattributesPath) : []
        let lines = existing.split(separator: 0x0A)
        if !lines.contains(where: { Self.isDriverAttributeLine(Substring(decoding: $0, as: UTF8.self)) }) {
            // Keep the file's own line ending and make sure the last line is terminated.
            let crlf = lines.first?.last == 0x0D
            let eol: [UInt8] = crlf ? [0x0D, 0x0A] : [0x0A]
            var bytes = existing
            if let last = bytes.last, last != 0x0A { bytes += eol }
            bytes += Array(MergeDriverSetup.attributeLine.utf8) + eol
            try GitFiles.writeGitattributes(bytes, to: gitattributesPath)
            added = true
        }
        return MergeDriverSetup(setConfig: set, addedAttributeLine: added, status: try mergeDriverStatus())
    }

    /// Removes what ``configureMergeDriver()`` added: the local configuration and the
    /// `.gitattributes` line (the file too, if nothing else is left in it). The change to
    /// `.gitattributes` is the user's to commit.
    public func removeMergeDriver() throws -> MergeDriverRemoval {
        let lock = try writeLock()
        defer { withExtendedLifetime(lock) {} }
        let prefix = "merge.\(MergeDriverSetup.driverName)"
        var removed: [String] = []
        for key in [prefix + ".driver", prefix + ".name"] {
            if try repository.removeLocalConfig(key) { removed.append(key) }
        }
        var count = 0
        var deleted = false
        if Files.exists(gitattributesPath) {
            let existing = try Files.read(gitattributesPath)
            var kept: [ArraySlice<UInt8>] = []
            for line in existing.split(separator: 0x0A, omittingEmptySubsequences: false) {
                if Self.isDriverAttributeLine(Substring(decoding: line, as: UTF8.self)) {
                    count += 1
                } else {
                    kept.append(line)
                }
            }
            if count > 0 {
                let rest = Array(kept.joined(separator: [0x0A]))
                if rest.allSatisfy({ $0 == 0x0A || $0 == 0x0D || $0 == 0x20 || $0 == 0x09 }) {
                    try GitFiles.removeGitattributes(gitattributesPath)
                    deleted = true
                } else {
                    try GitFiles.writeGitattributes(rest, to: gitattributesPath)
                }
            }
        }
        return MergeDriverRemoval(removedConfig: removed, removedAttributeLines: count, deletedGitattributes: deleted)
    }

    // MARK: - Conflict records

    /// Every entity with unresolved merge conflict records.
    public func conflicts() throws -> [EntityConflicts] {
        try store.readState().state.unresolvedConflicts
    }

    /// Resolves conflict records on one entity as a normal transaction (journaled, undoable).
    public func resolveConflicts(_ target: String, field: String?, take: ConflictChoice, command: String) throws
        -> ConflictResolution
    {
        // A task named by id or prefix (a milestone, goal, memory or the project otherwise);
        // restoring a parent or dependencies asks about cycles.
        let footprint = Footprint(
            tasks: [target], cycles: true, memories: target.hasPrefix(EntityKind.memory.idPrefix))
        return try transaction(command: command, footprint: footprint) { state, ctx in
            try state.resolveConflicts(target, field: field, take: take, ctx)
        }
    }
}
