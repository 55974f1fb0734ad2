import GitKit
import Reports
import StateModel
import StateStore

/// What `codex-state check` found, with the facts the report shows beside the findings.
public struct CheckResult: Sendable {
    public var findings: [CheckFinding]
    public var head: HeadInfo
    /// The clone has truncated history (`git clone --depth`).
    public var shallow: Bool
    /// `CI` was set: findings about this clone's setup were skipped.
    public var inCI: Bool
    /// How many of HEAD's newest commits were read for `Codex-Task:` trailers.
    public var trailerCommitsScanned: Int
    /// Tasks in the state file (0 when it could not be read).
    public var tasks: Int
    /// `--fix` rewrote the file canonically before the check.
    public var fixed: Bool
}

/// The drift check: the state file judged by `StateCheck` against what git says about HEAD, the
/// history and this clone.
extension Workspace {
    /// How many of HEAD's newest commits the check reads for `Codex-Task:` trailers. Bounded, so
    /// a cold check costs the same on 1,000 commits as on 1,000,000; the same window as anchor
    /// recovery.
    public static let checkTrailerWindow = 1000

    /// Whether the environment says this is a CI run (`CI` set to `true`, `1` or `yes`, as
    /// GitHub Actions, GitLab CI and most others do).
    public var inCI: Bool {
        guard let v = environment["CI"]?.lowercased() else { return false }
        return v == "true" || v == "1" || v == "yes"
    }

    /// Runs every check. Throws only when the check cannot run at all (no state file, an
    /// unreadable file, a git failure): what is wrong with the state is in the findings.
    ///
    /// With `fix`, a state file whose only finding is its formatting is first rewritten
    /// canonically (under the lock; the content, and so the journal, does not change).
    public func check(fix: Bool = false) throws -> CheckResult {
        let head = try head()
        let shallow = try repository.isShallow
        var findings: [CheckFinding] = []

        let driver = try mergeDriverStatus()
        findings += StateCheck.cloneFindings(
            mergeDriver: MergeDriverFacts(
                configured: driver.configured, gitattributesLine: driver.gitattributesLine,
                detail: Self.driverGap(driver)),
            inCI: inCI)

        // The clone's own records: lines that cannot be read are skipped by every reader.
        for (path, what) in [(paths.journalFile, "operation journal"), (paths.rewritesFile, "rewrite map")] {
            let bad =
                path == paths.journalFile
                ? try Journal(path: path).read().badLines : try RewriteMap(path: path).read().badLines
            guard bad > 0 else { continue }
            findings.append(
                CheckFinding(
                    .localRecordsDamaged, file: nil, line: nil,
                    message: "\(path): \(bad) line(s) of the \(what) cannot be read; they are skipped",
                    fix:
                        "look at the lines (a hand edit or a disk error); delete them, or keep a copy and remove the file"
                ))
        }

        func result(tasks: Int, scanned: Int = 0, fixed: Bool = false) -> CheckResult {
            CheckResult(
                findings: findings, head: head, shallow: shallow, inCI: inCI, trailerCommitsScanned: scanned,
                tasks: tasks, fixed: fixed)
        }

        if try repository.isUnmerged(StateFileName.relative) {
            findings.append(StateCheck.unmergedFinding(file: StateFileName.relative))
            return result(tasks: 0)
        }
        guard store.isInitialized else {
            throw explainingMissingState(StoreError.notInitialized(stateFile: paths.stateFile))
        }
        var bytes = try Files.read(paths.stateFile)
        var file = StateCheck.checkFile(bytes, file: StateFileName.relative)
        var fixed = false
        if fix, file.state != nil, !file.findings.isEmpty, file.findings.allSatisfy({ $0.code == .nonCanonical }) {
            fixed = try rewriteCanonically()
            bytes = try Files.read(paths.stateFile)
            file = StateCheck.checkFile(bytes, file: StateFileName.relative)
        }
        findings += file.findings
        guard let state = file.state else { return result(tasks: 0, fixed: fixed) }

        // The rows every other view answers from (made from this very content: the index is
        // brought current with the file, or they are made in memory).
        let model: ReadModel
        do {
            model = try readModel()
        } catch StoreError.invalidStateFile {
            // What no other command reads (a key twice, which the check reports itself): the
            // rows of what the check decoded, made in memory.
            model = try readModel(of: state, hash: ContentHash.sha256(bytes))
        }
        let rows = try model.allRows()
        if !model.complete {
            // Some answer git owed the evaluation (which branch holds a completion, where one was
            // anchored) could not be read: what the comparisons below would find is not known.
            findings.append(
                StateCheck.notRun(
                    "the comparison with the other copies and the history",
                    because: "git could not answer every question this time (see the warnings)"))
        }
        var facts = AnchorFacts(head: head.commit, shallow: shallow)
        if let headHex = head.commit, let headID = ObjectID(hex: headHex) {
            let (matches, scanned) = try repository.recentCommits(
                from: headID, limit: Self.checkTrailerWindow, containing: TaskTrailer.key)
            facts.trailerWindow = scanned
            facts.trailerCommits = matches.compactMap { m in
                let ids = TaskTrailer.taskIDs(in: m.message)
                guard !ids.isEmpty else { return nil }
                return TrailerCommit(
                    commit: m.info.id.hex, summary: m.info.summary, time: Timestamp(seconds: m.info.time), taskIDs: ids)
            }
        }
        findings += StateCheck.checkContent(state, bytes: bytes, rows: rows, facts: facts, file: StateFileName.relative)
        if !shallow {
            findings += StateCheck.copyFindings(
                unreadable: model.copyProblems.map { ($0.copy.label, $0.location, $0.reason) },
                disagreements: rows.values.filter(\.isHere).compactMap { row in
                    row.disagreement.map { Disagreement(task: row.id, message: $0) }
                })
        }
        findings += claimCheckFindings()
        findings += try memoryCheckFindings(state, bytes: bytes)  // MemoryReview.swift
        return result(tasks: state.tasks.count, scanned: facts.trailerWindow, fixed: fixed)
    }

    /// Rewrites the state file in canonical form, under the lock. Refuses (as every write does)
    /// a file with fields this version does not know. Returns whether anything changed.
    func rewriteCanonically() throws -> Bool {
        if try repository.isUnmerged(StateFileName.relative) { throw WorkspaceError.unmergedState(paths.stateFile) }
        let lock = try writeLock()
        defer { withExtendedLifetime(lock) {} }
        let before = try store.readCurrent(index: try fileIndex(openIndex())).content.hash
        // The write path's canonical rewrite (journaled, the content unchanged).
        return try canonicalFile(command: "codex-state check --fix").content.hash != before
    }

    /// What keeps the driver from running, in words.
    static func driverGap(_ s: MergeDriverStatus) -> String {
        if s.driverCommand == nil { return "merge.codex-state.driver is not set" }
        if !s.driverValid { return "merge.codex-state.driver does not run 'codex-state merge-driver %O %A %B'" }
        switch s.attribute {
        case .value(let v) where v == MergeDriverSetup.driverName: return "configured"
        case .value(let v): return "git applies merge=\(v) to the state file"
        case .set: return "git applies merge (text) to the state file"
        case .unset: return "git applies -merge to the state file"
        case .unspecified: return "no merge attribute applies to the state file"
        }
    }
}
