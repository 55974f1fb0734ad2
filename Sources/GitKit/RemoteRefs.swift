import CLibGit2

/// References on a remote, read and changed by running the `git` program.
///
/// Why git and not libgit2 here: libgit2 1.5 cannot push with a lease (`--force-with-lease`:
/// the compare-and-swap every claim rests on), cannot fetch an object by its id, and reaches a
/// remote through its own transports, which ignore what the user set up for git — credential
/// helpers, `~/.ssh/config` and `core.sshCommand`, `http.*` settings — so a remote `git push`
/// reaches could be unreachable to it. The remote is the user's: it is reached exactly as their
/// `git push` reaches it. Objects are read and written in this clone through libgit2.
///
/// Every run is bounded by ``GitRemote/timeout`` and can never wait on a prompt
/// (``GitProcess``). A push or fetch starts no hook of this clone (`--no-verify`, no reference
/// is updated here), signs nothing, pushes no tags or submodules, and writes no `FETCH_HEAD`.
public struct GitRemote: Sendable {
    /// As the configuration names it (`origin`).
    public let name: String
    /// The URL, without any user name or password it holds: for messages.
    public let displayURL: String
    let gitDir: String
    let directory: String
    let environment: [String: String]
    /// Seconds one operation may take, connection and transfer included.
    public var timeout: Double

    /// The most a listing of references may print (about 80,000 references).
    static let listingLimit = 8 << 20
}

/// Where codex-state keeps its claims on a remote: one reference per task (docs/claims.md).
public enum ClaimRefs {
    public static let prefix = "refs/codex-state/claims/"

    /// The reference of the claim on `task`.
    public static func name(of task: String) -> String { prefix + task }

    /// The last component of a claim reference (what should be a task id); nil outside the
    /// namespace or deeper in it.
    public static func key(of ref: String) -> String? {
        guard ref.hasPrefix(prefix) else { return nil }
        let key = ref.dropFirst(prefix.count)
        return key.isEmpty || key.contains("/") ? nil : String(key)
    }
}

/// How a compare-and-swap of a remote reference ended.
public enum RemoteRefUpdate: Sendable, Equatable {
    /// The reference now holds the new value (or is gone, for a delete).
    case updated
    /// The reference did not hold the expected value: another update came first.
    case lost
    /// The server would not change the reference at all (a hook, `receive.hideRefs`, a rule
    /// against the namespace): its reason.
    case refused(String)
}

/// One compare-and-swap of ``GitRemote/compareAndSwap(_:atomic:)``: `ref` becomes `new` (nil:
/// deleted) if it holds `expected` (nil: if it does not exist).
public struct RemoteRefChange: Sendable, Hashable {
    public let ref: String
    public let expected: ObjectID?
    public let new: ObjectID?
    public init(ref: String, expected: ObjectID?, new: ObjectID?) {
        self.ref = ref
        self.expected = expected
        self.new = new
    }
}

/// One reference a remote lists.
public struct RemoteRef: Sendable, Hashable {
    public let name: String
    public let object: ObjectID
}

/// A remote's references under one prefix, and the lines of the listing that were not
/// references git could have written (a broken or hostile server's), cut to a harmless length.
public struct RemoteRefListing: Sendable {
    public var refs: [RemoteRef] = []
    public var malformed: [String] = []
}

extension Repository {
    /// The remote `name` of the configuration. Refused unless git would accept the name and the
    /// configuration gives it a URL: a name is never taken for a URL or an option.
    public func remote(_ name: String, timeout: Double) throws -> GitRemote {
        if let problem = Self.remoteNameProblem(name) { throw RemoteError.unknownRemote(name: name, reason: problem) }
        guard let url = try configString("remote.\(name).url"), !url.isEmpty else {
            throw RemoteError.unknownRemote(
                name: name, reason: "no such remote (git config remote.\(name).url is not set)")
        }
        return GitRemote(
            name: name, displayURL: Self.withoutCredentials(url), gitDir: gitDir, directory: workdir ?? gitDir,
            environment: environment, timeout: timeout)
    }

    /// Why `name` cannot name a remote (nil when git would accept it): never taken for a URL or
    /// an option.
    public static func remoteNameProblem(_ name: String) -> String? {
        guard !name.isEmpty, !name.hasPrefix("-"), !name.contains("/"),
            RepoFiles.isValidRefName("refs/remotes/" + name + "/HEAD")
        else { return "not a valid remote name" }
        return nil
    }

    /// `https://user:token@host/x` → `https://host/x`: what a message or a stored key may show.
    static func withoutCredentials(_ url: String) -> String {
        let b = Array(url.utf8)
        guard let colon = b.firstIndex(of: UInt8(ascii: ":")), b[colon...].starts(with: Array("://".utf8)) else {
            return url
        }
        let hostStart = colon + 3
        let hostEnd = b[hostStart...].firstIndex(of: UInt8(ascii: "/")) ?? b.endIndex
        guard let at = b[hostStart..<hostEnd].lastIndex(of: UInt8(ascii: "@")) else { return url }
        return String(decoding: b[..<hostStart] + b[(at + 1)...], as: UTF8.self)
    }
}

extension GitRemote {
    func git(_ arguments: [String], input: [UInt8] = [], limit: Int = 1 << 20, operation: String) throws
        -> GitOutput
    {
        try GitProcess.run(
            arguments, gitDir: gitDir, directory: directory, environment: environment, input: input,
            timeout: timeout, outputLimit: limit, operation: operation)
    }

    /// The references under `prefix` (`refs/codex-state/claims/`), one `git ls-remote`: one
    /// round trip.
    public func listRefs(under prefix: String) throws -> RemoteRefListing {
        let operation = "list \(prefix)* on \(name)"
        let out = try git(
            ["ls-remote", "--refs", name, prefix + "*"], limit: Self.listingLimit, operation: operation)
        guard out.status == 0 else { throw RemoteError.failed(operation: operation, message: out.complaint) }
        return Self.parseListing(out.stdout, under: prefix)
    }

    /// `<40 hex>\t<name>` lines: the references under `prefix` (git's pattern also matches
    /// longer names ending the same way, which are not ours). Anything else is set aside.
    static func parseListing(_ bytes: [UInt8], under prefix: String) -> RemoteRefListing {
        var listing = RemoteRefListing()
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            let text = String(decoding: line, as: UTF8.self)
            let parts = text.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2, let id = ObjectID(hex: String(parts[0])), parts[0].utf8.count == 40 {
                let ref = String(parts[1])
                if !ref.hasPrefix(prefix) { continue }
                if RepoFiles.isValidRefName(ref) {
                    listing.refs.append(RemoteRef(name: ref, object: id))
                    continue
                }
            }
            listing.malformed.append(String(text.unicodeScalars.prefix(120).map(Character.init)))
        }
        return listing
    }

    /// Brings objects the remote's references name into this clone, by id, without touching a
    /// reference, `FETCH_HEAD` or the commit-graph. No negotiation (`noop`): the objects are
    /// small and stand alone, and listing this clone's history to the server would cost more.
    public func fetch(_ objects: [ObjectID]) throws {
        guard !objects.isEmpty else { return }
        let operation = "fetch \(objects.count) object(s) from \(name)"
        let out = try git(
            [
                "-c", "fetch.negotiationAlgorithm=noop", "fetch", "--quiet", "--no-tags", "--no-write-fetch-head",
                "--no-recurse-submodules", "--no-auto-maintenance", "--no-write-commit-graph", name,
            ] + objects.map(\.hex), operation: operation)
        guard out.status == 0 else { throw RemoteError.failed(operation: operation, message: out.complaint) }
    }

    /// Sets `ref` on the remote to `new` (nil: deletes it) only if it holds `expected` there (nil:
    /// only if it does not exist), in one push: `git push --atomic --force-with-lease`. The
    /// server decides under its reference lock, so of two pushes expecting the same value
    /// exactly one succeeds. `new` must be an object of this clone.
    public func compareAndSwap(_ ref: String, expected: ObjectID?, new: ObjectID?) throws -> RemoteRefUpdate {
        try compareAndSwap([RemoteRefChange(ref: ref, expected: expected, new: new)], atomic: true)[0]
    }

    /// Several compare-and-swaps in one push: all or none with `atomic`, else each on its own
    /// (one lost race does not stop the others). The outcomes, in order.
    ///
    /// A rejection whose reason could be a lost race or a refusal (`atomic transaction failed`
    /// hides which) is settled by reading the references: still the expected value means the
    /// server refused.
    public func compareAndSwap(_ changes: [RemoteRefChange], atomic: Bool) throws -> [RemoteRefUpdate] {
        guard !changes.isEmpty else { return [] }
        for c in changes where !(c.ref.hasPrefix("refs/") && RepoFiles.isValidRefName(c.ref)) {
            throw RemoteError.failed(operation: "update \(c.ref) on \(name)", message: "not a valid reference name")
        }
        let operation =
            changes.count > 1
            ? "update \(changes.count) references on \(name)"
            : "\(changes[0].new == nil ? "delete" : "update") \(changes[0].ref) on \(name)"
        var atomic = atomic
        while true {
            var arguments = [
                "push", "--porcelain", "--no-verify", "--no-signed", "--no-follow-tags", "--no-recurse-submodules",
            ]
            arguments += changes.map { "--force-with-lease=\($0.ref):\($0.expected?.hex ?? "")" }
            if atomic { arguments.append("--atomic") }
            arguments.append(name)
            arguments += changes.map { "\($0.new?.hex ?? ""):\($0.ref)" }
            let out = try git(arguments, operation: operation)
            let statuses = changes.map { Self.pushStatus(out.stdout, ref: $0.ref) }
            if statuses.contains(nil) {
                // Servers without atomic transactions: one reference is compared and swapped
                // under its lock all the same.
                if atomic, changes.count == 1, out.complaint.contains("does not support --atomic") {
                    atomic = false
                    continue
                }
                throw RemoteError.failed(operation: operation, message: out.complaint)
            }
            var now: [String: ObjectID]?
            return try zip(changes, statuses).map { change, status in
                switch status {
                case .some(.ok): return .updated
                case .some(.stale): return .lost
                case .some(.rejected(let reason)): return .refused(reason)
                case .some(.remoteRejected(let reason)):
                    if now == nil { now = try values(of: changes.map(\.ref)) }
                    return now?[change.ref] == change.expected ? .refused(reason) : .lost
                case nil: return .lost
                }
            }
        }
    }

    /// What the remote's references hold now: one listing under the references' common folder.
    private func values(of refs: [String]) throws -> [String: ObjectID] {
        var prefix = refs[0]
        for r in refs.dropFirst() { while !r.hasPrefix(prefix) { prefix.removeLast() } }
        if let slash = prefix.lastIndex(of: "/") { prefix = String(prefix[...slash]) }
        let wanted = Set(refs)
        var out: [String: ObjectID] = [:]
        for r in try listRefs(under: prefix).refs where wanted.contains(r.name) { out[r.name] = r.object }
        return out
    }

    enum PushStatus: Equatable {
        case ok
        case stale
        case remoteRejected(String)
        case rejected(String)
    }

    /// The porcelain line for `ref` (`<flag>\t<from>:<to>\t<summary>`), if git printed one.
    static func pushStatus(_ bytes: [UInt8], ref: String) -> PushStatus? {
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count >= 2, fields[0].count == 1, fields[1].hasSuffix(":" + ref) else { continue }
            let summary = fields.count == 3 ? String(fields[2]) : ""
            let reason: String = {
                guard let open = summary.firstIndex(of: "("), let close = summary.lastIndex(of: ")"), open < close
                else { return summary }
                return String(summary[summary.index(after: open)..<close])
            }()
            switch fields[0] {
            case " ", "+", "-", "*", "=": return .ok
            case "!" where summary.hasPrefix("[remote rejected]"): return .remoteRejected(reason)
            case "!" where reason == "stale info": return .stale
            default: return .rejected(String(reason.prefix(200)))
            }
        }
        return nil
    }
}

/// An object of this clone read through ``Repository/readSmallBlob(_:limit:)``.
public enum SmallBlob: Sendable, Equatable {
    case bytes([UInt8])
    /// Larger than the limit: not read.
    case tooLarge(Int)
    /// Not a blob (a commit, a tree, a tag).
    case notBlob
    case missing
}

extension Repository {
    /// Writes `bytes` as a blob into this clone's object database.
    public func writeBlob(_ bytes: [UInt8]) throws -> ObjectID {
        var oid = git_oid()
        try bytes.withUnsafeBytes { raw in
            _ = try check(
                git_blob_create_from_buffer(&oid, handle, raw.baseAddress, raw.count), "write a blob")
        }
        return ObjectID(oid)
    }

    /// A blob of this clone, read only when its header says it is a blob of at most `limit`
    /// bytes (something fetched from a remote may be anything).
    public func readSmallBlob(_ id: ObjectID, limit: Int) throws -> SmallBlob {
        var odb: OpaquePointer?
        try check(git_repository_odb(&odb, handle), "open the object database")
        defer { git_odb_free(odb) }
        var oid = id.gitOID
        var size = 0
        var type = GIT_OBJECT_INVALID
        let rc = git_odb_read_header(&size, &type, odb, &oid)
        if rc == GIT_ENOTFOUND.rawValue { return .missing }
        try check(rc, "read the header of object \(id.short)")
        guard type == GIT_OBJECT_BLOB else { return .notBlob }
        guard size <= limit else { return .tooLarge(size) }
        var blob: OpaquePointer?
        try check(git_blob_lookup(&blob, handle, &oid), "read blob \(id.short)")
        defer { git_blob_free(blob) }
        let count = Int(git_blob_rawsize(blob))
        guard count <= limit else { return .tooLarge(count) }
        guard let content = git_blob_rawcontent(blob) else { return .bytes([]) }
        return .bytes(Array(UnsafeRawBufferPointer(start: content, count: count)))
    }
}
