import Foundation
import StateModel

/// The clone's private memories: `<git common dir>/codex-state/private-memories.json`, shared by
/// the clone's worktrees and never committed (it is not in the working tree), mode 0600.
///
/// Sealed at rest with AES-256-GCM under the user's newest key (``PrivateKeyring``): the file
/// is a small JSON envelope naming the key by id, the nonce and the sealed canonical JSON of the
/// memories. A file written before sealing existed (the memories in clear) is still read, and
/// sealed by the next private change (or `private-key rotate`). A file no key at hand opens is
/// reported unreadable — its memories are left out, nothing else fails — and is never
/// overwritten.
public struct PrivateMemoryFile: Sendable {
    public let path: String
    let environment: [String: String]

    public init(paths: StorePaths, environment: [String: String] = [:]) {
        path = StorePaths.join(paths.shared, "private-memories.json")
        self.environment = environment
    }

    /// What was read.
    public struct Contents: Sendable {
        public var memories: PrivateMemories
        /// The file's content hash ("" when there is no file yet).
        public var hash: String
        /// Why the memories could not be read (nil: they were, or there are none).
        public var unreadable: String?
        /// The id of the key it is sealed with; nil for a file in clear or no file.
        public var keyID: String?
        /// The file holds its memories in clear (written before sealing existed).
        public var inClear: Bool
    }

    /// The envelope of a sealed file.
    struct Envelope: Codable {
        var format: String
        var cipher: String
        var key: String
        var nonce: String
        var sealed: String
    }

    static let format = "codex-state private memories v1"

    static func aad(_ keyID: String) -> [UInt8] { Array((format + "\u{0}" + keyID).utf8) }

    /// The memories, opened with the keys at hand.
    public func read() throws -> Contents {
        guard Files.exists(path) else {
            return Contents(memories: PrivateMemories(), hash: "", unreadable: nil, keyID: nil, inClear: false)
        }
        let bytes = try Files.read(path)
        let hash = ContentHash.sha256(bytes)
        if let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(bytes)), envelope.format == Self.format {
            var out = Contents(
                memories: PrivateMemories(), hash: hash, unreadable: nil, keyID: envelope.key, inClear: false)
            do {
                let plain = try open(envelope)
                out.memories = try JSONDecoder().decode(PrivateMemories.self, from: Data(plain))
            } catch let e as PrivateKeyError {
                out.unreadable = "\(path): \(e)"
            } catch {
                out.unreadable = "\(path): the opened memories do not decode: \(error)"
            }
            return out
        }
        do {
            let memories = try JSONDecoder().decode(PrivateMemories.self, from: Data(bytes))
            return Contents(memories: memories, hash: hash, unreadable: nil, keyID: nil, inClear: true)
        } catch {
            throw StoreError.io(path: path, operation: "read private memories", reason: "\(error)")
        }
    }

    func open(_ envelope: Envelope) throws -> [UInt8] {
        guard let ring = try PrivateKeyring.load(environment: environment) else {
            throw PrivateKeyError.missingKey(
                id: envelope.key,
                source: (PrivateKeyring.keyFile(environment: environment) ?? "the key file")
                    + " (it does not exist) or "
                    + PrivateKeyring.variable)
        }
        guard let key = ring.key(id: envelope.key) else {
            throw PrivateKeyError.missingKey(id: envelope.key, source: ring.source)
        }
        guard let nonce = PrivateKeyring.hexBytes(envelope.nonce), let sealed = Data(base64Encoded: envelope.sealed),
            let plain = Crypto.open(Array(sealed), key: key.bytes, nonce: nonce, aad: Self.aad(key.id))
        else {
            throw PrivateKeyError.cannotOpen(id: envelope.key, source: ring.source)
        }
        return plain
    }

    /// Seals the memories with the newest key (creating the key file on first use) and replaces
    /// the file (the caller holds the lock); returns the new content hash.
    public func write(_ memories: PrivateMemories) throws -> String {
        let ring = try PrivateKeyring.loadOrCreate(environment: environment)
        guard let key = ring.newest else { throw PrivateKeyError.badKeyFile(path: ring.source, reason: "no key in it") }
        let plain: [UInt8]
        do {
            plain = try CanonicalJSON.encodeCompact(memories)
        } catch {
            throw StoreError.io(path: path, operation: "encode", reason: "\(error)")
        }
        let nonce = try Crypto.random(Crypto.nonceSize)
        let sealed = try Crypto.seal(plain, key: key.bytes, nonce: nonce, aad: Self.aad(key.id))
        let envelope = Envelope(
            format: Self.format, cipher: "AES-256-GCM", key: key.id, nonce: Identifiers.hex(nonce),
            sealed: Data(sealed).base64EncodedString())
        let bytes: [UInt8]
        do {
            bytes = try CanonicalJSON.encode(envelope)
        } catch {
            throw StoreError.io(path: path, operation: "encode", reason: "\(error)")
        }
        try Files.makeDirectory(Files.directory(of: path))
        try Files.writeAtomically(bytes, to: path, mode: 0o600)
        return ContentHash.sha256(bytes)
    }
}

/// The sealed part of a private operation's journal record: its command line and its changes
/// (the memories before and after), sealed like the file, as `<key id>:<nonce hex>:<base64>`.
public enum PrivateJournal {
    struct Payload: Codable {
        var command: String
        var changes: [EntityChange]
    }

    static let aadPrefix = "codex-state private journal v1"

    public static func seal(command: String, changes: [EntityChange], keys: PrivateKeyring) throws -> String {
        guard let key = keys.newest else { throw PrivateKeyError.badKeyFile(path: keys.source, reason: "no key in it") }
        let plain = try CanonicalJSON.encodeCompact(Payload(command: command, changes: changes))
        let nonce = try Crypto.random(Crypto.nonceSize)
        let sealed = try Crypto.seal(
            plain, key: key.bytes, nonce: nonce, aad: Array((aadPrefix + "\u{0}" + key.id).utf8))
        return key.id + ":" + Identifiers.hex(nonce) + ":" + Data(sealed).base64EncodedString()
    }

    /// The command line and changes, or nil when no key at hand opens them.
    public static func open(_ sealed: String, keys: PrivateKeyring) -> (command: String, changes: [EntityChange])? {
        let parts = sealed.split(separator: ":", maxSplits: 2).map(String.init)
        guard parts.count == 3, let key = keys.key(id: parts[0]), let nonce = PrivateKeyring.hexBytes(parts[1]),
            let bytes = Data(base64Encoded: parts[2]),
            let plain = Crypto.open(
                Array(bytes), key: key.bytes, nonce: nonce, aad: Array((aadPrefix + "\u{0}" + key.id).utf8)),
            let payload = try? JSONDecoder().decode(Payload.self, from: Data(plain))
        else { return nil }
        return (payload.command, payload.changes)
    }
}
