import StateModel
import StateStore

/// What `private-key` shows: where the keys come from and what this clone's private file is
/// sealed with.
public struct PrivateKeyStatus: Sendable {
    /// The key file's path or `CODEX_STATE_PRIVATE_KEY`; nil when there is no key yet.
    public var source: String?
    /// The keys' ids, newest (the one that seals) first.
    public var keys: [String]
    /// This clone's private-memory file.
    public var file: String
    /// The id of the key it is sealed with (nil: no file, or a file in clear).
    public var sealedWith: String?
    /// The file holds its memories in clear (written before sealing existed).
    public var inClear: Bool
    /// How many private memories it holds (nil: unreadable).
    public var memories: Int?
    /// Why it cannot be read.
    public var unreadable: String?
    /// A problem with the keys themselves (a malformed key file, a bad variable).
    public var keyProblem: String?
}

extension Workspace {
    public func privateKeyStatus() throws -> PrivateKeyStatus {
        let file = privateMemoryFile
        let contents = try file.read()
        var keys: PrivateKeyring?
        var problem: String?
        do {
            keys = try PrivateKeyring.load(environment: environment)
        } catch {
            problem = "\(error)"
        }
        return PrivateKeyStatus(
            source: keys?.source, keys: keys?.keys.map(\.id) ?? [], file: file.path, sealedWith: contents.keyID,
            inClear: contents.inClear, memories: contents.unreadable == nil ? contents.memories.memories.count : nil,
            unreadable: contents.unreadable, keyProblem: problem)
    }

    /// Makes a new key the one that seals (in the key file; with `CODEX_STATE_PRIVATE_KEY`, the
    /// first key of the variable) and seals this clone's private memories with it, under the
    /// write lock. The older keys stay in the file to open other clones' files until they are
    /// rotated too, unless `dropOld`. A file no key at hand opens is refused, never rewritten.
    public func rotatePrivateKey(dropOld: Bool) throws -> PrivateKeyStatus {
        let lock = try writeLock()
        defer { withExtendedLifetime(lock) {} }
        let file = privateMemoryFile
        let contents = try file.read()
        if let why = contents.unreadable {
            throw ModelError.invalidState("private memories are unreadable, nothing was rotated: \(why)")
        }
        if environment[PrivateKeyring.variable].map({ !$0.isEmpty }) != true {
            _ = try PrivateKeyring.rotate(environment: environment, dropOld: dropOld)
        } else if dropOld {
            throw ModelError.invalidValue(
                field: "--drop-old", value: PrivateKeyring.variable,
                reason: "the keys come from the environment; remove the old ones from the variable instead")
        }
        if Files.exists(file.path) { _ = try file.write(contents.memories) }
        return try privateKeyStatus()
    }
}
