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
        case at, actor, command, worktree, branch, head, changes
        case stateBefore = "state_before"
        case stateAfter = "state_after"
    }

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
