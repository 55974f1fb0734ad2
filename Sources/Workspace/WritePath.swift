import GitKit
import StateModel
import StateStore

/// The one write path. Every operation (the CLI's, the hooks', the MCP tools') declares its
/// ``Footprint`` and runs as one transaction: under the worktree lock, the state file is read as
/// this tool writes it (a file that is not — a hand edit, a merge — is made canonical first, once,
/// and that rewrite journaled), the declared tasks are decoded from their own lines, the
/// operation runs on a ``StateSlice`` holding only them (asking it for anything else throws), and
/// what changed is spliced into the file, journaled and applied to the index. Questions about the
/// rest of the graph (does an edge close a cycle, does an id exist) are answered by the index.
extension Workspace {
    public func transaction<T>(
        command: String, footprint: Footprint, _ body: (inout StateSlice, MutationContext) throws -> T
    ) throws -> T {
        let ctx = try mutationContext()
        if !store.isInitialized { throw explainingMissingState(StoreError.notInitialized(stateFile: paths.stateFile)) }
        let lock = try writeLock()
        defer { withExtendedLifetime(lock) {} }
        // A merge the driver declined leaves ours in the working tree as valid JSON: writing it
        // and adding it would silently drop theirs.
        if try repository.operationInProgress, try repository.isUnmerged(StateFileName.relative) {
            // Conflict markers or broken JSON are the more useful thing to name.
            _ = try store.readState()
            throw WorkspaceError.unmergedState(paths.stateFile)
        }
        let file = try canonicalFile(command: command)
        let before = try slice(footprint, in: file)
        var slice = before
        let result = try body(&slice, ctx)
        let redactions = slice.redactions + warnAbout(slice.redactChangedText(since: before))
        let changes = slice.changes(since: before)
        guard !changes.isEmpty else { return result }
        guard let spliced = try CanonicalSplice.splice(changes, in: file.content.bytes) else {
            throw StoreError.io(
                path: paths.stateFile, operation: "write", reason: "its layout changed under the lock; try again")
        }
        try write(
            .splice(spliced, changes: changes, project: slice.project), over: file, command: command,
            redactions: redactions)
        return result
    }

    /// The state file as this tool writes it, and the index current with it (under the lock). A
    /// file that is not canonical (a hand edit, a merge, another tool) is rewritten canonically
    /// once, journaled; one with fields this version does not know is refused (a rewrite would
    /// drop them).
    func canonicalFile(command: String) throws -> CanonicalFile {
        let index = try fileIndex(openIndex())
        let read = try store.readCurrent(index: index)
        guard !read.canonical else { return CanonicalFile(content: read.content, index: index) }
        guard let state = try store.canonicalForm(of: read.content, index: index) else {
            return CanonicalFile(content: read.content, index: index)
        }
        let file = CanonicalFile(content: read.content, index: index)
        let content = try write(.whole(state), over: file, command: "codex-state canonicalise (before: \(command))")
        return CanonicalFile(content: content, index: index)
    }

    /// The slice `footprint` declares: its tasks decoded from their own lines, goals and
    /// milestones (from the index), the project (from its lines), and the memories if declared.
    func slice(_ footprint: Footprint, in file: CanonicalFile) throws -> StateSlice {
        let bytes = file.content.bytes
        if footprint.everyTask {
            // A bulk operation: the whole file, decoded once.
            let state = try StateCodec.decode(bytes)
            return StateSlice(
                project: state.project, goals: state.goals, milestones: state.milestones, tasks: state.tasks,
                names: Dictionary(uniqueKeysWithValues: state.tasks.keys.map { ($0, .success($0)) }),
                memories: state.memoryMap, footprint: footprint, facts: IndexGraphFacts(index: file.index))
        }
        var names: [String: Result<String, any Error>] = [:]
        for ref in footprint.tasks where names[ref] == nil {
            do {
                names[ref] = .success(try resolveForWrite(ref, index: file.index))
            } catch {
                names[ref] = .failure(error)
            }
        }
        var tasks: [String: TaskRecord] = [:]
        for case .success(let id) in names.values where tasks[id] == nil {
            guard let t = StateCodec.decodeEntity(TaskRecord.self, kind: "task", id: id, in: bytes) else {
                throw StoreError.io(
                    path: paths.stateFile, operation: "read task \(id)", reason: "it is not where the index says")
            }
            tasks[id] = t
        }
        guard let project = StateCodec.project(in: bytes) else {
            throw StoreError.io(
                path: paths.stateFile, operation: "read the project", reason: "not laid out canonically")
        }
        let header = try file.index.header()
        return StateSlice(
            project: project, goals: Dictionary(header.goals.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a }),
            milestones: Dictionary(header.milestones.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a }),
            tasks: tasks, names: names,
            memories: footprint.memories ? try StateCodec.memories(in: bytes) : nil, footprint: footprint,
            facts: IndexGraphFacts(index: file.index))
    }

    /// The task `input` names among this worktree's tasks; a task only another copy has is
    /// named as such (it cannot be changed here).
    func resolveForWrite(_ input: String, index: StateIndex) throws -> String {
        do {
            return try Identifiers.resolve(input, kind: .task) { try index.taskIDs(needle: $0, full: $1) }
        } catch ModelError.unknownID(let kind, let id) {
            if let other = try? Identifiers.resolve(
                input, kind: .task,
                lookup: {
                    try index.taskIDs(needle: $0, full: $1, everywhere: true)
                }),
                let row = try? index.rows(ids: [other])[other], let copy = row.onlyIn
            {
                throw WorkspaceError.onlyElsewhere(id: other, copy: copy)
            }
            throw ModelError.unknownID(kind: kind, id: id)
        }
    }

    /// What a write puts in the file.
    enum Change {
        /// The changes of an operation, spliced into the canonical bytes.
        case splice(CanonicalSplice.Splice, changes: [EntityChange], project: ProjectInfo)
        /// A whole state, encoded canonically (`init`'s first file, a canonical rewrite).
        case whole(ProjectState)
    }

    /// Writes the state file and its journal record, with the redactions the operation's text
    /// needed (the caller holds the lock); returns the new content.
    @discardableResult
    func write(_ change: Change, over file: CanonicalFile?, command: String, redactions: [Redaction.RuleHit] = [])
        throws -> FileContent
    {
        let head = try headRef()
        let (at, actor, worktree, client) = (try now(), self.actor, paths.workdir, self.client)
        let changes: [EntityChange]
        let write: StateStore.Write
        switch change {
        case .splice(let s, let c, let project):
            (changes, write) = (c, .splice(s, changes: c, project: project))
        case .whole(let state):
            changes = file == nil ? Self.creation(of: state) : []
            write = .whole(state)
        }
        let (content, journalError) = try store.write(write, over: file?.content, index: file?.index ?? openIndex()) {
            hash in
            var rec = JournalRecord(
                at: at, actor: actor, command: Redaction.redact(command).text, worktree: worktree,
                branch: head.branch, head: head.commit, stateBefore: file?.content.hash, stateAfter: hash,
                changes: changes)
            rec.redactions = redactions.isEmpty ? nil : redactions
            rec.client = client
            return rec
        }
        if let journalError {
            // The state is already written; losing its journal line must not look like failure.
            warnings.append("warning: operation saved, but not journaled yet (retried next time): \(journalError)")
        }
        return content
    }

    /// The changes of a state's creation: the project (what `init` journals).
    static func creation(of state: ProjectState) -> [EntityChange] {
        [EntityChange(kind: "project", id: "project", before: nil, after: .project(state.project))]
    }

    /// Warns about the redactions an operation's text needed; returns them (to be journaled).
    func warnAbout(_ found: [Redaction.RuleHit]) -> [Redaction.RuleHit] {
        if found.contains(where: { !$0.allowed }) {
            let rules = Set(found.filter { !$0.allowed }.map(\.rule)).sorted().joined(separator: ", ")
            warnings.append(
                "redacted \(found.filter { !$0.allowed }.count) secret(s) (\(rules)); to store a fixture verbatim put "
                    + "\(Redaction.allowPragma) on its line")
        }
        return found
    }

    /// Who, when, where HEAD is, and a fresh nonce: the context of one mutation.
    func mutationContext() throws -> MutationContext {
        // Branch and commit only: read from git's files, no libgit2 (``headRef()``).
        let head = try headRef()
        return MutationContext(
            actor: actor, now: try now(), branch: head.branch, head: head.commit, nonce: try idNonce())
    }

    /// The random input to new ids, or `CODEX_STATE_ID_SEED` when set: with it (and
    /// `CODEX_STATE_NOW`) the same commands make the same ids, for reproducible runs and tests.
    func idNonce() throws -> UInt64 {
        guard let text = environment["CODEX_STATE_ID_SEED"], !text.isEmpty else {
            return UInt64.random(in: .min ... .max)
        }
        guard let seed = UInt64(text) else {
            throw WorkspaceError.invalidEnvironment(
                name: "CODEX_STATE_ID_SEED", value: text,
                reason: "expected a whole number from 0 to 18446744073709551615")
        }
        return seed
    }
}

/// The state file read for a write, and the index current with it.
struct CanonicalFile {
    var content: FileContent
    var index: StateIndex
}

/// The graph questions a slice cannot answer from its own tasks, answered by the index.
struct IndexGraphFacts: GraphFacts {
    let index: StateIndex
    func taskExists(_ id: String) throws -> Bool { try index.hasTask(id) }
    func dependencies(of id: String) throws -> [String] { try index.dependencies(of: id) }
    func parent(of id: String) throws -> String? { try index.parent(of: id) }
}
