import Foundation
import GitKit
import StateModel
import StateStore

/// What one hook file looks like to codex-state.
public struct HookStatus: Sendable, Equatable {
    public var name: HookName
    public var path: String
    /// Our shim is installed, at this version.
    public var version: Int?
    /// A hook that was there before ours, kept and run first.
    public var chained: String?
    /// A hook that is not ours occupies the name (ours is not installed).
    public var foreign: Bool
    public var installed: Bool { version != nil }
    public var current: Bool { version == HookShim.version }
}

public enum HookChange: Sendable, Equatable {
    case installed(HookName, chained: Bool)
    case upgraded(HookName, from: Int)
    case unchanged(HookName)
    case removed(HookName, restored: Bool)
    case absent(HookName)
}

public enum HookError: Error, Sendable, CustomStringConvertible {
    case notWritable(String)
    case bothOccupied(name: String, path: String)

    public var description: String {
        switch self {
        case .notWritable(let dir): return "\(dir): hooks directory is not writable"
        case .bothOccupied(let name, let path):
            return
                "\(path): a \(name) hook and \(name)\(HookShim.chainedSuffix) both exist and neither is codex-state's; move one away and retry"
        }
    }
}

extension Workspace {
    public func hooksDirectory() throws -> String {
        try repository.hooksDirectory(home: environment["HOME"])
    }

    public func hookStatus() throws -> [HookStatus] {
        let dir = try hooksDirectory()
        return HookName.allCases.map { name in
            let path = dir + "/" + name.rawValue
            let chained = path + HookShim.chainedSuffix
            let text = (try? Files.read(path)).map { String(decoding: $0, as: UTF8.self) }
            let version = text.flatMap(HookShim.version(of:))
            return HookStatus(
                name: name, path: path, version: version,
                chained: Files.entryExists(chained) ? chained : nil,
                foreign: version == nil && Files.entryExists(path))
        }
    }

    /// Installs the shims for `names` into the hooks directory git uses. A hook already there is
    /// kept as `<name>.codex-state-chained` and run first by the shim; our own older shim is
    /// replaced; a current one is left alone, so installing twice changes nothing.
    ///
    /// The hooks directory is the clone's, shared by its worktrees: the install holds the
    /// clone-wide lock (``StateStore/claimLock(timeout:)``) while it moves and writes hooks.
    public func installHooks(_ names: [HookName], binary: String) throws -> [HookChange] {
        let dir = try hooksDirectory()
        let lock = try store.claimLock(timeout: try lockTimeout())
        defer { withExtendedLifetime(lock) {} }
        // A hooks path inside the working tree that git tracks: installing changes tracked files
        // (shown as modified, committed by the next `git commit -a`).
        let root = paths.workdir + "/"
        if dir.hasPrefix(root), try repository.tracksFiles(under: String(dir.dropFirst(root.count))) {
            warnings.append(
                "warning: core.hooksPath is \(dir), a folder git tracks: installing the hooks changes tracked files there (see git status); remove them with codex-state hooks uninstall"
            )
        }
        try GitFiles.makeHooksDirectory(dir)
        guard Files.isWritableDirectory(dir) else { throw HookError.notWritable(dir) }
        let script = Array(HookShim.script(binary: binary).utf8)
        var changes: [HookChange] = []
        for name in names {
            let path = dir + "/" + name.rawValue
            // An install killed mid-write leaves `.<name>.tmp.<pid>` behind: clear it.
            GitFiles.removeStaleTemporaries(besidesHook: path)
            let chained = path + HookShim.chainedSuffix
            let existing = Files.entryExists(path)
            let text = Files.isSymlink(path) ? nil : (try? Files.read(path)).map { String(decoding: $0, as: UTF8.self) }
            if let version = text.flatMap(HookShim.version(of:)) {
                if version == HookShim.version, (try? Files.read(path)) == script {
                    changes.append(.unchanged(name))
                } else {
                    try GitFiles.writeHookShim(script, to: path)
                    changes.append(.upgraded(name, from: version))
                }
                continue
            }
            var didChain = false
            if existing {
                // Someone else's hook (a file or a symlink, moved as it is): keep it and chain it.
                if Files.entryExists(chained) { throw HookError.bothOccupied(name: name.rawValue, path: path) }
                try GitFiles.moveHook(path, to: chained)
                didChain = true
            }
            try GitFiles.writeHookShim(script, to: path)
            changes.append(.installed(name, chained: didChain))
        }
        return changes
    }

    /// Removes our shims and puts chained hooks back exactly as they were (under the clone-wide
    /// lock, as ``installHooks(_:binary:)``).
    public func uninstallHooks() throws -> [HookChange] {
        let dir = try hooksDirectory()
        let lock = try store.claimLock(timeout: try lockTimeout())
        defer { withExtendedLifetime(lock) {} }
        var changes: [HookChange] = []
        for status in try hookStatus() {
            guard status.installed else {
                changes.append(.absent(status.name))
                continue
            }
            guard Files.isWritableDirectory(dir) else { throw HookError.notWritable(dir) }
            try GitFiles.removeHook(status.path)
            if let chained = status.chained {
                try GitFiles.moveHook(chained, to: status.path)
                changes.append(.removed(status.name, restored: true))
            } else {
                changes.append(.removed(status.name, restored: false))
            }
        }
        return changes
    }

    // MARK: - Running hooks

    /// Runs the work behind one git hook. Returns the lines to show the user (on stderr). The
    /// caller turns any thrown error into a single warning and exits 0: hooks never block git.
    public func runHook(_ name: HookName, arguments: [String], input: String) throws -> [String] {
        switch name {
        case .postCheckout: return try postCheckout(arguments)
        case .postMerge: return try postMerge()
        case .postRewrite: return try postRewrite(kind: arguments.first ?? "rebase", input: input)
        case .prepareCommitMsg: return try prepareCommitMessage(arguments)
        case .prePush: return try prePush()
        }
    }

    /// Branch switches only (git passes `1` as the third argument); file checkouts do nothing.
    func postCheckout(_ args: [String]) throws -> [String] {
        // A rebase checks out commit after commit: nothing to say or switch until it is done.
        guard args.count >= 3, args[2] == "1", try !repository.operationInProgress else { return [] }
        var lines: [String] = []
        // The session of the branch left behind ends (or, idle, vanishes); one opens here.
        do {
            let head = try headRef()
            let switched = try switchSession(
                fromBranch: nil, toBranch: head.branch, head: head.commit, previousHead: args[0])
            lines += switched.warnings.map { "codex-state: warning: \($0)" }
        } catch {
            lines.append("codex-state: warning: session: \(error)")
        }
        guard store.isInitialized else { return lines }
        // The summary line is cached like any listing: switching back and forth between two
        // branches renders it once per branch and state.
        let line = try cachedOutput(arguments: ["post-checkout-summary"]) { model in Array(try summaryLine(model).utf8)
        }
        return lines + [String(decoding: line, as: UTF8.self)]
    }

    /// The line post-checkout prints: the work in progress and the ready tasks on this branch,
    /// and the completions that do not count here (the preamble's counts).
    func summaryLine(_ model: ReadModel) throws -> String {
        let totals = model.totals
        let inProgress = try model.startedHere(limit: 0).activeTotal
        var line = "codex-state: \(inProgress) in progress, \(totals.ready) ready"
        line += " on \(model.head.branch ?? "detached HEAD \(model.head.shortCommit ?? "")")"
        var drift: [String] = []
        let elsewhere = totals.statuses[.doneElsewhere] ?? 0
        let unknown = totals.statuses[.doneUnknown] ?? 0
        if elsewhere > 0 { drift.append("\(elsewhere) done on other branches") }
        if unknown > 0 { drift.append("\(unknown) completed by commits this clone lacks") }
        if !drift.isEmpty { line += "; " + drift.joined(separator: ", ") }
        return line
    }

    /// After a merge: the merged state must parse; re-index it, and point at the conflict
    /// records the merge driver left.
    func postMerge() throws -> [String] {
        guard store.isInitialized else { return [] }
        let totals = try readModel().totals
        guard totals.conflictTasks > 0 else { return [] }
        let shown = totals.conflictTaskIDs.prefix(3).joined(separator: ", ") + (totals.conflictTasks > 3 ? ", …" : "")
        return [
            "codex-state: the merge kept \(totals.conflictTasks) task(s) with conflict records (\(shown)); see codex-state conflicts"
        ]
    }

    /// Where mid-rebase amends wait for the end of the rebase, inside git's rebase directory.
    static let pendingRewritesFile = "codex-state-rewrites"

    /// After `commit --amend` and `rebase`: re-point every anchor from old to new commits, record
    /// the map for anchors kept elsewhere, and say which completions a rebase dropped.
    func postRewrite(kind: String, input: String) throws -> [String] {
        var lines: [String] = []
        var (rewrites, malformed) = Rewrite.parse(input)
        if !malformed.isEmpty {
            lines.append("codex-state: warning: post-rewrite: ignored \(malformed.count) malformed input line(s)")
        }
        if let rebaseDir = try repository.rebaseDirectory {
            let pending = rebaseDir + "/" + Self.pendingRewritesFile
            if kind == "amend" {
                // Mid-rebase amends (reword, squash, fixup, an amend at an `edit` stop): touching
                // the working tree now would stop the next pick that changes the state file. They
                // wait in git's own rebase directory, so an aborted rebase leaves nothing behind,
                // and join the final list at the end.
                let text = rewrites.map { "\($0.old) \($0.new)\n" }.joined()
                if !text.isEmpty { try GitFiles.appendPendingRewrites(Array(text.dropLast().utf8), to: pending) }
                return lines
            }
            // git's final list maps originals to what they became when they were last picked; an
            // amend after that (a fixup after an `exec`, an amend at an `edit` stop) is a link
            // in the chain only the pending list has.
            if Files.exists(pending) {
                rewrites = Rewrite.parse(String(decoding: try Files.read(pending), as: UTF8.self)).rewrites + rewrites
            }
        }
        let map = RewriteMap(path: paths.rewritesFile)
        try map.append(rewrites, kind: kind, at: try now())
        let (all, bad) = try map.read()
        if bad > 0 {
            lines.append("codex-state: warning: \(paths.rewritesFile): skipped \(bad) line(s) that cannot be read")
        }
        // The open session started at a commit that may just have been rewritten.
        do {
            try remapOpenSession(all)
        } catch {
            lines.append("codex-state: warning: session: \(error)")
        }
        guard store.isInitialized, !rewrites.isEmpty else { return lines }
        // The tasks anchored at a commit the map rewrites (found through the index).
        let anchored = try fileIndex(openIndex()).tasksAnchored(at: Set(all.keys))
        var remapped: [String] = []
        if !anchored.isEmpty {
            try transaction(command: "codex-state hook post-rewrite \(kind)", footprint: Footprint(tasks: anchored)) {
                state, _ in remapped = try state.remapAnchors(all, of: anchored)
            }
        }
        if !remapped.isEmpty {
            lines.append(
                "codex-state: re-anchored \(remapped.count) task(s) to rewritten commits; commit .codex-state/ to share it"
            )
        }
        if kind == "rebase" { lines += try droppedCompletions(rewritten: Set(rewrites.map(\.old))) }
        return lines
    }

    /// Completions whose commit the rebase left out: reachable from the pre-rebase tip
    /// (ORIG_HEAD), not from HEAD, and not rewritten.
    func droppedCompletions(rewritten: Set<String>) throws -> [String] {
        guard let orig = try repository.origHead(), let head = try headRef().commit.flatMap(ObjectID.init(hex:)) else {
            return []
        }
        // The commits the rebase left behind: on the old tip, not on the new one. One bounded
        // walk over the rebased range, not an ancestry query per completion.
        let left = try repository.commits(from: orig, hiding: [head], limit: 10_000)
        let gone = Set(left.map(\.id.hex)).subtracting(rewritten)
        guard !gone.isEmpty else { return [] }
        return try fileIndex(openIndex()).tasksCompleted(by: gone)
            .map { t in
                let short = String((t.completionCommit ?? "").prefix(7))
                return
                    "codex-state: warning: the rebase dropped \(short), which completed \(t.id); it is no longer done here"
            }
    }

    /// Adds a `Codex-Task:` trailer for each task this actor has in progress on this branch; on
    /// a squash merge, turns the squashed commits' quoted trailers into real ones.
    func prepareCommitMessage(_ args: [String]) throws -> [String] {
        guard let file = args.first else { return [] }
        let source = args.count > 1 ? args[1] : ""
        if source == "merge" { return [] }
        let path = file.hasPrefix("/") ? file : (paths.workdir + "/" + file)
        let fullPath = Files.exists(path) ? path : file
        let message = String(decoding: try Files.read(fullPath), as: UTF8.self)
        var ids: [String] = []
        if source == "squash" {
            ids = TaskTrailer.taskIDs(in: message)
        } else if store.isInitialized {
            // What this worktree's file records (the trailer names the work of this checkout).
            ids = try tasksInProgressHere()
        }
        guard !ids.isEmpty else { return [] }
        let updated = TaskTrailer.adding(ids, to: message, commentChar: commentChar(in: message))
        if updated != message { try GitFiles.writeCommitMessage(Array(updated.utf8), to: fullPath) }
        return []
    }

    /// The tasks this worktree's file records in progress for this actor on this branch.
    func tasksInProgressHere() throws -> [String] {
        try fileIndex(openIndex()).tasksInProgress(actor: actor, branch: try headRef().branch)
    }

    /// The character git starts comment lines with in this message: `core.commentChar` (or
    /// `core.commentString`), `#` by default. With `auto` git picks one the message does not
    /// use; the scissors line and comment lines it wrote show which.
    func commentChar(in message: String) -> Character {
        let configured =
            (try? repository.configString("core.commentChar")) ?? (try? repository.configString("core.commentString"))
        if let c = configured, c != "auto", let first = c.first { return first }
        guard configured == "auto" else { return "#" }
        let lines = message.split(separator: "\n")
        if let scissors = lines.first(where: {
            $0.dropFirst() == " ------------------------ >8 ------------------------"
        }),
            let c = scissors.first
        {
            return c
        }
        let candidates: [Character] = ["#", ";", "@", "!", "$", "%", "^", "&", "|", ":"]
        return lines.last(where: { $0.first.map(candidates.contains) == true }).flatMap(\.first) ?? "#"
    }

    /// Before a push: the state must be valid; warn about what would mislead others.
    func prePush() throws -> [String] {
        guard store.isInitialized else { return [] }
        let unknown = try readModel().tasks(TaskFilter(status: [EffectiveStatus.doneUnknown.rawValue])).map(\.id)
            .sorted()
        guard !unknown.isEmpty else { return [] }
        return [
            "codex-state: warning: \(unknown.count) completion(s) name commits this clone does not have: \(unknown.prefix(5).joined(separator: ", "))"
        ]
    }
}
