import Foundation

/// A claim published on a git remote, so clones that share the remote see each other's claims
/// (docs/claims.md): one reference per task on the remote (GitKit's `ClaimRefs`) names a blob
/// holding this record as one line of JSON. Whoever creates the reference holds the claim until `expires`.
///
/// The record is public to everyone who can fetch from the remote: it holds names and times,
/// never text of the state, and the actor and branch pass through ``Redaction`` before they are
/// written. Reading it is strict and bounded: a record from a remote is anyone's bytes.
public struct ClaimRecord: Codable, Hashable, Sendable {
    /// The version of the record's layout. A newer one is left alone (skipped, never pruned).
    public static let format = 1
    /// The most bytes a record may have; a larger object is not read.
    public static let sizeLimit = 4096
    /// The longest actor or branch name a record keeps.
    static let nameLimit = 256

    public var task: String
    public var actor: String
    /// The clone that made the claim (``isCloneID(_:)``): who may renew or release it.
    public var clone: String
    public var claimed: Timestamp
    public var expires: Timestamp
    /// The branch checked out where the claim was made, if any.
    public var branch: String?
    /// HEAD's commit when the claim was made (the state file the claim was decided on); nil on
    /// an unborn branch.
    public var commit: String?
    /// 16 hex digits from the claimer's random source: two claims never share an object, so a
    /// push of one cannot find another already in place and take it for its own.
    public var nonce: String

    public init(
        task: String, actor: String, clone: String, claimed: Timestamp, expires: Timestamp, branch: String?,
        commit: String?, nonce: UInt64
    ) {
        self.task = task
        self.actor = actor
        self.clone = clone
        self.claimed = claimed
        self.expires = expires
        self.branch = branch
        self.commit = commit
        self.nonce = Self.hex16(nonce)
    }

    static func hex16(_ n: UInt64) -> String {
        let s = String(n, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// `c-` and 16 lower-case hex digits: a clone's id, drawn at random once per clone.
    public static func isCloneID(_ text: String) -> Bool {
        let b = Array(text.utf8)
        return b.count == 18 && b.starts(with: Array("c-".utf8)) && b.dropFirst(2).allSatisfy(Identifiers.isLowerHex)
    }

    /// A new clone id from 64 random bits.
    public static func cloneID(random: UInt64) -> String { "c-" + hex16(random) }

    /// Whether the last component of a claim reference names a task: a task id as the state
    /// file writes it, nothing more.
    public static func isTask(_ key: String) -> Bool { Identifiers.isWellFormed(key, kind: .task) }

    /// Whether the claim still holds at `now`.
    public func isLive(at now: Timestamp) -> Bool { expires > now }

    /// The record as published: its fields (actor and branch redacted, cut to ``nameLimit``) as
    /// one line of compact JSON with sorted keys.
    public func encoded() -> [UInt8] {
        func clean(_ s: String) -> String { String(Redaction.redact(s).text.prefix(Self.nameLimit)) }
        let value: JSONValue = .object([
            "format": .integer(Self.format),
            "task": .string(task),
            "actor": .string(clean(actor)),
            "clone": .string(clone),
            "claimed": .string(claimed.iso8601),
            "expires": .string(expires.iso8601),
            "branch": .optional(branch.map(clean)),
            "commit": .optional(commit),
            "nonce": .string(nonce),
        ])
        return value.json(.compact) + [0x0A]
    }

    /// Reads a record fetched for the reference of `task` (its last component): at most
    /// ``sizeLimit`` bytes of one JSON object whose fields are all well formed and whose task is
    /// the one the reference names. Unknown keys are allowed (a later version of format 1 may add
    /// some); a later format is refused as such.
    public static func decode(_ bytes: [UInt8], task: String) throws(ClaimRecordProblem) -> ClaimRecord {
        guard isTask(task) else { throw .badReference }
        guard bytes.count <= sizeLimit else { throw .tooLarge(bytes.count) }
        let object: [String: JSONValue]
        do {
            guard case .object(let o) = try JSONDecoder().decode(JSONValue.self, from: Data(bytes)) else {
                throw ClaimRecordProblem.notJSON
            }
            object = o
        } catch {
            throw .notJSON
        }
        guard case .int(let format) = object["format"] else { throw .badField("format") }
        guard format <= Int64(Self.format) else { throw .newerFormat(Int(clamping: format)) }
        guard format == Int64(Self.format) else { throw .badField("format") }
        func string(_ key: String) throws(ClaimRecordProblem) -> String {
            guard case .string(let s) = object[key] else { throw .badField(key) }
            return s
        }
        func optionalString(_ key: String) throws(ClaimRecordProblem) -> String? {
            switch object[key] {
            case .none, .some(.null): return nil
            case .some(.string(let s)): return s
            default: throw .badField(key)
            }
        }
        func name(_ s: String, _ key: String) throws(ClaimRecordProblem) -> String {
            guard !s.isEmpty, s.unicodeScalars.count <= nameLimit,
                !s.unicodeScalars.contains(where: {
                    $0.value < 0x20 || $0.value == 0x7F || (0x80..<0xA0).contains($0.value)
                })
            else { throw .badField(key) }
            return s
        }
        func time(_ key: String) throws(ClaimRecordProblem) -> Timestamp {
            guard let t = Timestamp(iso8601: try string(key)) else { throw .badField(key) }
            return t
        }
        let recordTask = try string("task")
        guard recordTask == task else { throw .otherTask(recordTask) }
        let clone = try string("clone")
        guard isCloneID(clone) else { throw .badField("clone") }
        let nonce = try string("nonce")
        guard nonce.utf8.count == 16, nonce.utf8.allSatisfy(Identifiers.isLowerHex) else { throw .badField("nonce") }
        let commit = try optionalString("commit")
        if let commit, !Identifiers.isCommitID(commit) { throw .badField("commit") }
        var record = ClaimRecord(
            task: task, actor: try name(try string("actor"), "actor"), clone: clone, claimed: try time("claimed"),
            expires: try time("expires"),
            branch: try optionalString("branch").map { s throws(ClaimRecordProblem) in try name(s, "branch") },
            commit: commit, nonce: 0)
        record.nonce = nonce
        return record
    }
}

/// Why a claim reference of a remote was skipped.
public enum ClaimRecordProblem: Error, Codable, Hashable, Sendable, CustomStringConvertible {
    /// The reference's last component is not a task id.
    case badReference
    case tooLarge(Int)
    /// Not a blob (a commit, a tree), or not one JSON object.
    case notJSON
    case badField(String)
    /// The record names another task than its reference.
    case otherTask(String)
    /// Written by a later version of codex-state.
    case newerFormat(Int)
    /// A commit, tree or tag, not a blob: not read.
    case notARecord

    public var description: String {
        switch self {
        case .badReference: return "its name does not end in a task id"
        case .tooLarge(let n): return "its record is \(n) bytes (at most \(ClaimRecord.sizeLimit))"
        case .notJSON: return "its record is not a JSON object"
        case .badField(let key): return "its record's '\(key)' is missing or malformed"
        case .otherTask(let id): return "its record names another task (\(Identifiers.quoted(id)))"
        case .newerFormat(let n): return "its record is format \(n), newer than this codex-state reads (upgrade it)"
        case .notARecord: return "it names a commit, tree or tag, not a claim record"
        }
    }
}
