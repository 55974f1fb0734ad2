import Foundation
import StateModel

/// One recorded mutation: enough to show who changed what, and to undo it.
public struct JournalRecord: Codable, Sendable, Equatable {
    public var at: Timestamp
    public var actor: String
    /// The command line as the user typed it (or the hook or tool that ran it).
    public var command: String
    public var worktree: String
    public var branch: String?
    public var head: String?
    /// Content hashes of the state file before and after.
    public var stateBefore: String?
    public var stateAfter: String
    public var changes: [EntityChange]
    /// Secrets redacted from the text this operation stored (rule and line, never the secret);
    /// absent when none.
    public var redactions: [Redaction.RuleHit]?
    /// What ran the operation: `cli`, `mcp` or `hook`; absent in records written before it was
    /// recorded.
    public var client: String?
    /// True for an operation on the clone's private memories (the hashes are that file's).
    public var privateStore: Bool?
    /// For a private-memory operation: its command line and changes, sealed with the user's key
    /// (`<key id>:<nonce hex>:<base64>`, PrivateMemoryFile.swift); `command` and `changes` then
    /// hold only what names the memories, never their text.
    public var sealed: String?

    /// A stable id for the operation (`undo OP`, `log`): derived from when, who, what and the
    /// state hashes, so records written before ids existed have one too.
    public var op: String {
        let material = "\(at.iso8601)\u{0}\(actor)\u{0}\(command)\u{0}\(stateBefore ?? "")\u{0}\(stateAfter)"
        return "op-" + SHA256.hex(Array(material.utf8)).prefix(10)
    }

    public init(
        at: Timestamp, actor: String, command: String, worktree: String, branch: String?, head: String?,
        stateBefore: String?, stateAfter: String, changes: [EntityChange]
    ) {
        self.at = at
        self.actor = actor
        self.command = command
        self.worktree = worktree
        self.branch = branch
        self.head = head
        self.stateBefore = stateBefore
        self.stateAfter = stateAfter
        self.changes = changes
    }

    enum CodingKeys: String, CodingKey {
        case at, actor, command, worktree, branch, head, changes, redactions, client, sealed
        case privateStore = "private"
        case stateBefore = "state_before"
        case stateAfter = "state_after"
    }

    enum DerivedKeys: String, CodingKey { case op }

    /// Absent values are written as null, so every record has the same keys.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(at, forKey: .at)
        try c.encode(actor, forKey: .actor)
        try c.encode(command, forKey: .command)
        try c.encode(worktree, forKey: .worktree)
        try c.encode(branch, forKey: .branch)
        try c.encode(head, forKey: .head)
        try c.encode(stateBefore, forKey: .stateBefore)
        try c.encode(stateAfter, forKey: .stateAfter)
        try c.encode(changes, forKey: .changes)
        try c.encodeIfPresent(redactions, forKey: .redactions)
        try c.encodeIfPresent(client, forKey: .client)
        try c.encodeIfPresent(privateStore, forKey: .privateStore)
        try c.encodeIfPresent(sealed, forKey: .sealed)
        // The derived id is written for readers of the file; decoding ignores it.
        var derived = encoder.container(keyedBy: DerivedKeys.self)
        try derived.encode(op, forKey: .op)
    }
}

/// The operation journal: one JSON line per mutation, local to the clone (under the git common
/// directory), never committed.
public struct Journal: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public func append(_ record: JournalRecord) throws {
        try Files.makeDirectory(Files.directory(of: path))
        try Files.appendLine(try CanonicalJSON.encodeCompact(record), to: path)
    }

    /// All records, oldest first. A line torn by a crash (the last one) is skipped.
    public func records() throws -> [JournalRecord] { try read().records }

    /// All records, oldest first, and how many lines could not be read (not counting a last line
    /// torn by a crash): those are skipped, and the caller says so.
    public func read() throws -> (records: [JournalRecord], badLines: Int) {
        let decoder = JSONDecoder()
        return try Files.readRecords(path) { try? decoder.decode(JournalRecord.self, from: Data($0)) }
    }
}

extension StateStore {
    /// Appends the record of an operation that did not replace the state file (a session end,
    /// a change to the private memories). The caller holds the worktree lock; a state write
    /// journals itself (``write(_:replacing:changes:journal:)``).
    public func appendJournal(_ record: JournalRecord) throws {
        try Journal(path: paths.journalFile).append(record)
    }
}
