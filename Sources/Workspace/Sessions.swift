import Foundation
import GitKit
import StateModel
import StateStore

/// What the session commands can refuse.
public enum SessionError: Error, Sendable, CustomStringConvertible {
    case alreadyOpen(OpenSession)
    case noneOpen
    case stillOpen(OpenSession)
    case notFound(String)
    case ambiguous(prefix: String, candidates: [String])
    case unreadable(path: String, reason: String)
    case exists(path: String)

    public var description: String {
        switch self {
        case .alreadyOpen(let s):
            return
                "session \(s.id) is already open (\(s.branch ?? "detached HEAD"), since \(s.started), source \(s.source)); end it with 'codex-state session end', or pass --replace"
        case .noneOpen:
            return "no session is open in this worktree; start one with 'codex-state session start'"
        case .stillOpen(let s):
            return "session \(s.id) is still open (since \(s.started)); it is written when it ends"
        case .notFound(let what): return "no session '\(what)' in \(StateFileName.sessions)/"
        case .ambiguous(let prefix, let candidates):
            let shown = candidates.prefix(5).joined(separator: ", ")
            return "session id prefix '\(prefix)' is ambiguous: matches \(shown)\(candidates.count > 5 ? ", …" : "")"
        case .unreadable(let path, let reason): return "\(path): not a readable session: \(reason)"
        case .exists(let path): return "\(path) already exists; session files are never overwritten"
        }
    }
}

/// An ended session and the file it was read from or written to.
public struct SessionEntry: Sendable, Equatable {
    public var record: SessionRecord
    /// Relative to the worktree root: `.codex-state/sessions/<name>.json`.
    public var file: String
}

/// What happened to the session that was open.
public enum SessionClose: Sendable, Equatable {
    /// It saw activity (or was ended explicitly) and was written.
    case written(SessionEntry)
    /// The checkout hook opened it and it saw no activity: nothing was written.
    case discarded(OpenSession)
}

public struct SessionStart: Sendable {
    public var session: OpenSession
    /// The session this one replaced, if one was open.
    public var closed: SessionClose?
    public var warnings: [String]
}

public struct SessionEnd: Sendable {
    public var entry: SessionEntry
    public var warnings: [String]
}

/// What ``Workspace/switchSession(fromBranch:toBranch:head:previousHead:command:)`` did.
public struct SessionSwitch: Sendable {
    /// The session that was closed, if any.
    public var closed: SessionClose?
    /// The session open now.
    public var session: OpenSession
    /// True when the open session already belonged to the new branch and was left alone.
    public var kept: Bool
    public var warnings: [String]
}

/// Which ended sessions to list.
public enum SessionFilter: Sendable, Equatable {
    case all
    /// Sessions that started on this branch (nil: on a detached HEAD).
    case branch(String?)
}

public struct SessionList: Sendable {
    /// Newest first.
    public var entries: [SessionEntry]
    /// This worktree's open session, if any (whatever its branch).
    public var open: OpenSession?
    /// Files that could not be read (session files, or the open-session file), with the reason.
    public var skipped: [String]
}

/// Sessions: one open session per worktree (under its git dir), and one immutable file per ended
/// session in `.codex-state/sessions/`. Sessions never change the state file; ending one appends
/// a journal record with no entity changes. docs/sessions.md has the formats and rules.
extension Workspace {
    // MARK: - Commands

    /// This worktree's open session, or nil.
    public func openSession() throws -> OpenSession? { try readOpenSession() }

    /// Opens a session on the current branch and HEAD.
    ///
    /// A session the checkout hook opened is closed first (and discarded if it saw nothing). One
    /// started by hand is an error unless `replace`, which ends it as `session end` would.
    public func startSession(summary: String?, source: String, replace: Bool, command: String) throws -> SessionStart {
        try requireSessionsEnabled()
        let summary = try Self.sessionText(summary, field: "summary")
        guard let source = try Self.sessionText(source, field: "source"), !source.contains(where: \.isNewline) else {
            throw ModelError.invalidValue(field: "source", value: source, reason: "must be one non-empty line")
        }
        let now = try now()
        let head = try headRef()
        let lock = try writeLock()
        defer { withExtendedLifetime(lock) {} }
        var warnings: [String] = []
        var closed: SessionClose?
        if let old = try readOpenSession(setAsideIfBroken: replace, warnings: &warnings) {
            let byHook = old.source == SessionSource.checkoutHook
            guard byHook || replace else { throw SessionError.alreadyOpen(old) }
            closed = try closeSession(
                old, headEnd: closingHead(of: old, branch: head.branch, head: head.commit),
                closedBy: SessionSource.sessionStart, notes: SessionNotes(), discardIfIdle: byHook, now: now,
                command: command, warnings: &warnings)
        }
        let session = newOpenSession(branch: head.branch, head: head.commit, source: source, summary: summary, now: now)
        try writeOpenSession(session)
        return SessionStart(session: session, closed: closed, warnings: warnings)
    }

    /// Ends this worktree's open session and writes its file, whatever it saw.
    public func endSession(summary: String?, decisions: [String], followUps: [String], command: String) throws
        -> SessionEnd
    {
        let notes = SessionNotes(
            summary: try Self.sessionText(summary, field: "summary"),
            decisions: try decisions.compactMap { try Self.sessionText($0, field: "decision") },
            followUps: try followUps.compactMap { try Self.sessionText($0, field: "follow-up") })
        let now = try now()
        let head = try headRef()
        let lock = try writeLock()
        defer { withExtendedLifetime(lock) {} }
        var warnings: [String] = []
        guard let open = try readOpenSession() else { throw SessionError.noneOpen }
        let closed = try closeSession(
            open, headEnd: closingHead(of: open, branch: head.branch, head: head.commit),
            closedBy: SessionSource.sessionEnd, notes: notes, discardIfIdle: false, now: now, command: command,
            warnings: &warnings)
        guard case .written(let entry) = closed else { throw SessionError.noneOpen }
        return SessionEnd(entry: entry, warnings: warnings)
    }

    /// What the post-checkout hook calls on a branch switch: closes this worktree's open session
    /// and opens one on `toBranch` at `head` with source `checkout-hook`.
    ///
    /// - An open session already on `toBranch` is kept (a checkout of the current branch).
    /// - Any other open session ends: normally the one on `fromBranch`, but one left on a third
    ///   branch (a switch made while hooks were not installed) ends too, since the worktree is no
    ///   longer on it. It ends at its branch's tip (`previousHead` for `fromBranch`).
    /// - A session the hook opened that saw no activity (``SessionRecord/hadActivity``) is
    ///   discarded, writing nothing. With equal heads and an untouched journal that is decided
    ///   from two `stat`s and the small open-session file: no state-file parse, no history walk.
    ///
    /// Takes the worktree lock itself; call it without holding the lock. An unreadable
    /// open-session file is set aside (`open-session.json.broken`) with a warning, so a damaged
    /// file never blocks checkouts. It does not require `.codex-state/` in the working tree (the
    /// branch checked out may predate `init`); a session written then creates
    /// `.codex-state/sessions/`. post-checkout runs after the switch, so a session of the old
    /// branch goes to the clone's archive only; the new branch's archived sessions are delivered
    /// into its working tree.
    @discardableResult
    public func switchSession(
        fromBranch: String?, toBranch: String?, head: String?, previousHead: String? = nil,
        command: String = "codex-state hook post-checkout"
    ) throws -> SessionSwitch {
        let now = try now()
        let lock = try writeLock()
        defer { withExtendedLifetime(lock) {} }
        var warnings: [String] = []
        let old = try readOpenSession(setAsideIfBroken: true, warnings: &warnings)
        if let old, old.branch == toBranch {
            try withdrawForeignSessions()
            try deliverSessions()
            return SessionSwitch(closed: nil, session: old, kept: true, warnings: warnings)
        }
        var closed: SessionClose?
        if let old {
            closed = try closeSession(
                old, headEnd: closingHead(of: old, branch: fromBranch, head: previousHead),
                closedBy: SessionSource.checkoutHook, notes: SessionNotes(),
                discardIfIdle: old.source == SessionSource.checkoutHook, now: now, command: command,
                warnings: &warnings)
        }
        let session = newOpenSession(
            branch: toBranch, head: head, source: SessionSource.checkoutHook, summary: nil, now: now)
        try writeOpenSession(session)
        try withdrawForeignSessions()
        try deliverSessions()
        return SessionSwitch(closed: closed, session: session, kept: false, warnings: warnings)
    }

    /// What post-rewrite calls after `commit --amend` or a rebase: points the open session's
    /// start at the rewritten commit, so its commits stay those made since it started. Returns
    /// whether anything changed. Takes the worktree lock itself.
    @discardableResult
    public func remapOpenSession(_ rewrites: [String: String]) throws -> Bool {
        guard Files.exists(paths.openSessionFile) else { return false }
        let lock = try writeLock()
        defer { withExtendedLifetime(lock) {} }
        guard var open = try readOpenSession(), let start = open.headStart, let new = rewrites[start], new != start
        else { return false }
        open.headStart = new
        try writeOpenSession(open)
        return true
    }

    /// Ended sessions, newest first, at most `limit`, with this worktree's open session.
    ///
    /// Names are filtered by branch slug before any file is read; a slug shared by two branches
    /// is told apart by the `branch` field.
    public func sessions(_ filter: SessionFilter, limit: Int? = nil) throws -> SessionList {
        var skipped: [String] = []
        let entries = try endedSessions(filter, limit: limit, skipped: &skipped)
        var open: OpenSession?
        do {
            open = try readOpenSession()
        } catch {
            skipped.append("\(error)")
        }
        return SessionList(entries: entries, open: open, skipped: skipped)
    }

    /// One ended session, by id, unique id prefix (with or without `s-`), file name or path.
    public func session(_ idOrFile: String) throws -> SessionEntry {
        if idOrFile.contains("/") || idOrFile.hasSuffix(".json") {
            let name = String(idOrFile.split(separator: "/").last ?? "")
            let candidates = [
                idOrFile, paths.workdir + "/" + idOrFile, paths.sessionsDir + "/" + name,
                sessionArchiveDir + "/" + name,
            ]
            guard let path = candidates.first(where: { Files.exists($0) && !Files.isDirectory($0) }) else {
                throw SessionError.notFound(idOrFile)
            }
            let record = try readSessionFile(path)
            let relative =
                path.hasPrefix(paths.sessionsDir + "/") ? relativeSessionPath(name) : path
            return SessionEntry(record: record, file: relative)
        }
        var byID: [String: (name: String, path: String)] = [:]
        for f in try sessionFiles() { if let p = SessionNaming.parse(fileName: f.name) { byID[p.id] = f } }
        let open = try? readOpenSession()
        switch SessionNaming.resolve(idOrFile, among: Array(byID.keys) + (open.map { [$0.id] } ?? [])) {
        case .notFound: throw SessionError.notFound(idOrFile)
        case .ambiguous(let candidates): throw SessionError.ambiguous(prefix: idOrFile, candidates: candidates)
        case .found(let id):
            guard let file = byID[id] else {
                if let open { throw SessionError.stillOpen(open) }
                throw SessionError.notFound(idOrFile)
            }
            return SessionEntry(record: try readSessionFile(file.path), file: shownPath(file))
        }
    }

    /// The newest ended session on `branch` (nil: detached HEAD), for the preamble.
    ///
    /// A branch with no sessions of its own falls back to the branch it was created from, when
    /// this clone's reflogs tell (``GitKit/Repository/branchOrigin(of:)``); in a fresh clone, or
    /// once the reflog expired, it returns nil. Unreadable files are skipped, never fatal.
    public func lastSession(onBranch branch: String?) -> SessionRecord? {
        var skipped: [String] = []
        if let mine = try? endedSessions(.branch(branch), limit: 1, skipped: &skipped).first { return mine.record }
        guard let branch, let origin = try? repository.branchOrigin(of: branch), origin != branch else { return nil }
        return (try? endedSessions(.branch(origin), limit: 1, skipped: &skipped))?.first?.record
    }

    // MARK: - Closing

    /// Ends `open` at `headEnd`: writes its file (or, with `discardIfIdle`, drops it when it saw
    /// no activity), removes the open-session file and journals the end. The caller holds the lock.
    func closeSession(
        _ open: OpenSession, headEnd: String?, closedBy: String, notes: SessionNotes, discardIfIdle: Bool,
        now: Timestamp, command: String, warnings: inout [String]
    ) throws -> SessionClose {
        if discardIfIdle, notes.isEmpty, open.summary == nil, open.headStart == headEnd,
            (Files.stamp(paths.journalFile)?.size ?? 0) <= open.journalOffset
        {
            // The cheap path of the no-activity rule: nothing journaled since the start, HEAD
            // where it was. Nothing to read, nothing to walk.
            try removeOpenSession()
            return .discarded(open)
        }
        if let existing = try sessionFiles().first(where: { $0.name.hasSuffix("_\(open.id).json") }) {
            // An earlier end wrote the file and was interrupted before removing the open session.
            try removeOpenSession()
            warnings.append("warning: session \(open.id) had already been written to \(shownPath(existing))")
            return .written(SessionEntry(record: try readSessionFile(existing.path), file: shownPath(existing)))
        }
        let activity = SessionActivity(changes: journalChanges(since: open, warnings: &warnings))
        let history = sessionHistory(from: open.headStart, to: headEnd, warnings: &warnings)
        let record = SessionRecord(
            open: open, headEnd: headEnd, ended: now, closedBy: closedBy, summary: notes.summary ?? open.summary,
            decisions: notes.decisions, followUps: notes.followUps, activity: activity,
            commits: history.commits.commits.map { SessionCommit(sha: $0.id.hex, subject: $0.summary) },
            commitsOmitted: history.commits.omitted, files: history.files.paths, filesOmitted: history.files.omitted)
        if discardIfIdle, !record.hadActivity {
            try removeOpenSession()
            return .discarded(open)
        }
        let entry = try writeSessionFile(record)
        try removeOpenSession()
        journalEnd(of: record, command: command, warnings: &warnings)
        return .written(entry)
    }

    /// Where a session ends: the tip of its branch (`head` when that branch is `branch`, the
    /// worktree's branch at the moment), or, for a detached session, HEAD if still detached.
    func closingHead(of open: OpenSession, branch: String?, head: String?) -> String? {
        if let b = open.branch {
            if b == branch, let head { return head }
            if let tip = try? repository.branchTip(b) { return tip.hex }
            return open.headStart  // the branch is gone: nothing can be said about its commits
        }
        return branch == nil ? (head ?? open.headStart) : open.headStart
    }

    /// The task changes this worktree journaled since the session started, oldest first.
    private func journalChanges(since open: OpenSession, warnings: inout [String]) -> [EntityChange] {
        let path = paths.journalFile
        guard let size = Files.stamp(path)?.size, size > 0 else { return [] }
        var lines: [ArraySlice<UInt8>] = []
        var checkTime = false
        do {
            if size >= open.journalOffset {
                guard size > open.journalOffset else { return [] }
                lines = try store.journalBytes(from: open.journalOffset).split(separator: 0x0A)
            } else {
                // The journal was replaced since the session started: fall back to times.
                lines = try Files.read(path).split(separator: 0x0A)
                checkTime = true
            }
        } catch {
            warnings.append("warning: could not read the operation journal \(path): \(error)")
            return []
        }
        let decoder = JSONDecoder()
        var out: [EntityChange] = []
        for line in lines where !line.isEmpty {
            guard let r = try? decoder.decode(JournalRecord.self, from: Data(line)), r.worktree == paths.workdir,
                !checkTime || r.at >= open.started
            else { continue }
            out.append(contentsOf: r.changes)
        }
        return out
    }

    private struct SessionHistory {
        var commits = CommitRange(commits: [], total: 0)
        var files = ChangedPaths(paths: [], total: 0)
    }

    /// Commits and files between the two heads. Equal heads cost nothing; a start commit this
    /// clone does not have records neither (with a warning) rather than the whole history.
    private func sessionHistory(from start: String?, to end: String?, warnings: inout [String]) -> SessionHistory {
        guard let end, start != end, let endID = ObjectID(hex: end) else { return SessionHistory() }
        var base: ObjectID?
        if let start {
            let present: Bool
            do {
                present = try ObjectID(hex: start).map(repository.commitExists) ?? false
            } catch {
                warnings.append("warning: commits and files of the session not recorded: \(error)")
                return SessionHistory()
            }
            guard present, let id = ObjectID(hex: start) else {
                warnings.append(
                    "warning: the session's start commit \(start.prefix(7)) is not in this repository; commits and files not recorded"
                )
                return SessionHistory()
            }
            base = id
        }
        do {
            return SessionHistory(
                commits: try repository.commitRange(from: base, to: endID, limit: SessionRecord.commitLimit),
                files: try repository.changedPaths(from: base, to: endID, limit: SessionRecord.fileLimit))
        } catch {
            warnings.append("warning: commits and files of the session not recorded: \(error)")
            return SessionHistory()
        }
    }

    /// Appends the end to the operation journal: no entity changes, the state hash unchanged.
    private func journalEnd(of record: SessionRecord, command: String, warnings: inout [String]) {
        let hash = currentStateHash()
        let entry = JournalRecord(
            at: record.ended, actor: actor, command: command, worktree: paths.workdir, branch: record.branch,
            head: record.headEnd, stateBefore: hash, stateAfter: hash ?? "", changes: [])
        do {
            try store.appendJournal(entry)
        } catch {
            warnings.append("warning: session saved, but not journaled: \(error)")
        }
    }

    /// The state file's content hash, from the index when it was built from the file as it is
    /// now (no read, no parse), else by hashing the bytes.
    private func currentStateHash() -> String? {
        guard let stamp = Files.stamp(paths.stateFile) else { return nil }
        if Files.exists(paths.indexFile), let index = openIndex(),
            let built = try? index.builtFrom(), built.stamp == stamp.encoded
        {
            return built.hash
        }
        return (try? Files.read(paths.stateFile)).map(ContentHash.sha256)
    }

    // MARK: - Files

    /// Sessions are files in `.codex-state/`: `init` must have run.
    private func requireSessionsEnabled() throws {
        guard Files.isDirectory(paths.stateDir) else { throw StoreError.notInitialized(stateFile: paths.stateFile) }
    }

    private func newOpenSession(branch: String?, head: String?, source: String, summary: String?, now: Timestamp)
        -> OpenSession
    {
        let id = SessionNaming.makeID(branch: branch, actor: actor, at: now, nonce: UInt64.random(in: .min ... .max))
        return OpenSession(
            id: id, branch: branch, headStart: head, actor: actor, started: now, source: source, summary: summary,
            journalOffset: Files.stamp(paths.journalFile)?.size ?? 0)
    }

    private func readOpenSession() throws -> OpenSession? {
        var ignored: [String] = []
        return try readOpenSession(setAsideIfBroken: false, warnings: &ignored)
    }

    /// The open session; nil when none. A damaged file is an error, or with `setAsideIfBroken`
    /// is renamed to `open-session.json.broken` and reported.
    private func readOpenSession(setAsideIfBroken: Bool, warnings: inout [String]) throws -> OpenSession? {
        let path = paths.openSessionFile
        guard Files.exists(path) else { return nil }
        do {
            return try JSONDecoder().decode(OpenSession.self, from: Data(try Files.read(path)))
        } catch {
            let reason = (error as? DecodingError).map(Self.describe) ?? "\(error)"
            guard setAsideIfBroken else {
                throw SessionError.unreadable(
                    path: path, reason: reason + "; remove it, or pass --replace to set it aside")
            }
            guard store.setAsideOpenSession() else {
                throw SessionError.unreadable(path: path, reason: reason)
            }
            warnings.append("warning: \(path) was not readable (\(reason)); moved it to \(path).broken")
            return nil
        }
    }

    private func writeOpenSession(_ session: OpenSession) throws {
        try store.writeOpenSession(try CanonicalJSON.encode(session))
    }

    private func removeOpenSession() throws { try store.removeOpenSession() }

    /// The clone's copy of every ended session, shared by its worktrees and out of reach of
    /// `git clean`: `<common dir>/codex-state/sessions/`.
    var sessionArchiveDir: String { paths.sessionArchiveDir }

    /// Writes an ended session: always into the clone's archive, and into this working tree's
    /// `.codex-state/sessions/` only when the worktree is on the session's branch. A session of
    /// the branch just left (post-checkout runs after the switch) therefore never lands in
    /// another branch's working tree, where `git add .codex-state` would commit it on the wrong
    /// branch; it waits in the archive until its branch is checked out
    /// (``deliverSessions()``).
    func writeSessionFile(_ record: SessionRecord) throws -> SessionEntry {
        let bytes = try CanonicalJSON.encode(record)
        let archived = try writeOnce(bytes, name: record.fileName, id: record.id, in: sessionArchiveDir)
        guard record.branch == (try headRef()).branch, Files.isDirectory(paths.stateDir) else {
            return SessionEntry(record: record, file: archived)
        }
        if !Files.exists(paths.sessionsDir + "/" + record.fileName) {
            _ = try writeOnce(bytes, name: record.fileName, id: record.id, in: paths.sessionsDir)
        }
        return SessionEntry(record: record, file: relativeSessionPath(record.fileName))
    }

    /// Takes out of the working tree the session files of other branches that git does not
    /// track: untracked files survive a checkout, so a session delivered to its branch and not
    /// committed there would otherwise follow the user to the next branch. Each is in the
    /// archive (copied there first if it is not), so nothing is lost. The caller holds the lock.
    func withdrawForeignSessions() throws {
        let branch = try headRef().branch
        for name in try sessionNames(in: paths.sessionsDir) {
            let path = paths.sessionsDir + "/" + name
            guard let record = try? readSessionFile(path), record.branch != branch,
                try !repository.isInIndex(StateFileName.sessions + "/" + name)
            else { continue }
            let bytes = try Files.read(path)
            let archived = sessionArchiveDir + "/" + name
            if !Files.exists(archived) {
                _ = try writeOnce(bytes, name: name, id: record.id, in: sessionArchiveDir)
            }
            guard (try? Files.read(archived)) == bytes else { continue }  // edited here: leave it
            try store.removeSessionFile(path)
        }
    }

    /// Copies the archived sessions of the branch checked out into the working tree, except
    /// those already there or committed at HEAD: a session ended elsewhere arrives on its own
    /// branch, and one that `git clean` removed before it was committed comes back. Returns the
    /// files written. The caller holds the lock.
    @discardableResult
    func deliverSessions() throws -> [String] {
        let head = try headRef()
        guard Files.isDirectory(paths.stateDir), Files.isDirectory(sessionArchiveDir) else { return [] }
        let slug = SessionNaming.slug(head.branch)
        let waiting = try sessionNames(in: sessionArchiveDir).filter {
            SessionNaming.parse(fileName: $0)?.slug == slug && !Files.exists(paths.sessionsDir + "/" + $0)
        }
        guard !waiting.isEmpty else { return [] }
        let committed = Set(
            try head.commit.flatMap(ObjectID.init(hex:)).map {
                try repository.fileNames(in: StateFileName.sessions, at: $0)
            } ?? [])
        var delivered: [String] = []
        for name in waiting where !committed.contains(name) {
            let path = sessionArchiveDir + "/" + name
            guard let record = try? readSessionFile(path), record.branch == head.branch else { continue }
            _ = try writeOnce(try Files.read(path), name: name, id: record.id, in: paths.sessionsDir)
            delivered.append(relativeSessionPath(name))
        }
        return delivered
    }

    /// Writes `bytes` as `dir/name` once (``StateStore/createSessionFile(_:name:id:in:)``): a
    /// session file is never overwritten. Returns the path.
    private func writeOnce(_ bytes: [UInt8], name: String, id: String, in dir: String) throws -> String {
        guard let path = try store.createSessionFile(bytes, name: name, id: id, in: dir) else {
            throw SessionError.exists(path: dir + "/" + name)
        }
        return path
    }

    /// Session file names in `dir`, unsorted.
    private func sessionNames(in dir: String) throws -> [String] {
        guard Files.isDirectory(dir) else { return [] }
        return try Files.list(dir).filter { SessionNaming.parse(fileName: $0) != nil }
    }

    /// Every ended session this worktree can see — its working tree's `.codex-state/sessions/`
    /// and the clone's archive — by file name, newest first (names start with the end time); a
    /// file in both is read from the working tree.
    private func sessionFiles() throws -> [(name: String, path: String)] {
        var paths: [String: String] = [:]
        for n in try sessionNames(in: sessionArchiveDir) { paths[n] = sessionArchiveDir + "/" + n }
        for n in try sessionNames(in: self.paths.sessionsDir) { paths[n] = self.paths.sessionsDir + "/" + n }
        return paths.sorted { $0.key > $1.key }.map { (name: $0.key, path: $0.value) }
    }

    /// How a session file is named to the user: relative to the working tree when it is there.
    private func shownPath(_ file: (name: String, path: String)) -> String {
        file.path.hasPrefix(paths.sessionsDir + "/") ? relativeSessionPath(file.name) : file.path
    }

    private func endedSessions(_ filter: SessionFilter, limit: Int?, skipped: inout [String]) throws
        -> [SessionEntry]
    {
        var slug: String?
        if case .branch(let b) = filter { slug = SessionNaming.slug(b) }
        var out: [SessionEntry] = []
        for file in try sessionFiles() {
            if let limit, out.count >= limit { break }
            guard let parts = SessionNaming.parse(fileName: file.name), slug == nil || parts.slug == slug else {
                continue
            }
            let record: SessionRecord
            do {
                record = try readSessionFile(file.path)
            } catch {
                skipped.append("\(shownPath(file)): \(error)")
                continue
            }
            if case .branch(let b) = filter, record.branch != b { continue }
            out.append(SessionEntry(record: record, file: shownPath(file)))
        }
        return out
    }

    private func readSessionFile(_ path: String) throws -> SessionRecord {
        let bytes = try Files.read(path)
        do {
            return try JSONDecoder().decode(SessionRecord.self, from: Data(bytes))
        } catch let e as DecodingError {
            throw SessionError.unreadable(path: path, reason: Self.describe(e))
        } catch {
            throw SessionError.unreadable(path: path, reason: "\(error)")
        }
    }

    private func relativeSessionPath(_ name: String) -> String { StateFileName.sessions + "/" + name }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): return "missing field '\(key.stringValue)'"
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx), .dataCorrupted(let ctx):
            let path = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            return (path.isEmpty ? "" : path + ": ") + ctx.debugDescription
        @unknown default: return "\(error)"
        }
    }

    /// Trims free text; nil stays nil, empty text is refused.
    static func sessionText(_ text: String?, field: String) throws -> String? {
        guard let text else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw ModelError.emptyText(field: field) }
        return trimmed
    }
}

/// The free text a session end may carry.
struct SessionNotes {
    var summary: String?
    var decisions: [String] = []
    var followUps: [String] = []

    var isEmpty: Bool { summary == nil && decisions.isEmpty && followUps.isEmpty }
}
