import CLibCrypto
import Foundation
import StateModel

#if canImport(Glibc)
    import Glibc
#endif

/// Why private memories could not be read or written with the keys at hand.
public enum PrivateKeyError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The private file was sealed with a key that is not among ours.
    case missingKey(id: String, source: String)
    /// Our key with that id does not open it: a different key under the same id is impossible
    /// (ids are hashes of the keys), so the file was damaged or altered.
    case cannotOpen(id: String, source: String)
    case badKeyFile(path: String, reason: String)
    case badEnvironment(String)
    case crypto(String)

    public var description: String {
        switch self {
        case .missingKey(let id, let source):
            return "sealed with key \(id), which is not in \(source) (a missing or different key)"
        case .cannotOpen(let id, let source):
            return "key \(id) from \(source) does not open it: the file is damaged or was altered"
        case .badKeyFile(let path, let reason): return "\(path): \(reason)"
        case .badEnvironment(let reason): return "CODEX_STATE_PRIVATE_KEY: \(reason)"
        case .crypto(let what): return "libcrypto: \(what) failed"
        }
    }
}

/// AES-256-GCM, HMAC-SHA-256 and random bytes from OpenSSL's libcrypto (already linked for
/// SHA-256).
public enum Crypto {
    nonisolated(unsafe) private static let gcm: OpaquePointer? = {
        _ = codex_state_crypto_init()
        return EVP_CIPHER_fetch(nil, "AES-256-GCM", nil)
    }()

    public static let nonceSize = 12
    public static let tagSize = 16

    /// `count` bytes from the operating system's generator (through libcrypto's DRBG).
    public static func random(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&out, Int32(count)) == 1 else { throw PrivateKeyError.crypto("RAND_bytes") }
        return out
    }

    /// Ciphertext followed by the 16-byte tag.
    public static func seal(_ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        guard key.count == 32, nonce.count == nonceSize, let ctx = EVP_CIPHER_CTX_new() else {
            throw PrivateKeyError.crypto("AES-256-GCM setup")
        }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: plaintext.count + tagSize)
        let ok = out.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            var length: Int32 = 0
            guard EVP_EncryptInit_ex2(ctx, gcm, key, nonce, nil) == 1,
                aad.isEmpty || EVP_EncryptUpdate(ctx, nil, &length, aad, Int32(aad.count)) == 1
            else { return false }
            var total = 0
            if !plaintext.isEmpty {
                guard EVP_EncryptUpdate(ctx, base, &length, plaintext, Int32(plaintext.count)) == 1 else {
                    return false
                }
                total = Int(length)
            }
            guard EVP_EncryptFinal_ex(ctx, base + total, &length) == 1 else { return false }
            total += Int(length)
            return total == plaintext.count
                && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Int32(tagSize), base + total) == 1
        }
        guard ok else { throw PrivateKeyError.crypto("AES-256-GCM encryption") }
        return out
    }

    /// The plaintext, or nil when the tag does not verify (wrong key, altered bytes).
    public static func open(_ sealed: [UInt8], key: [UInt8], nonce: [UInt8], aad: [UInt8]) -> [UInt8]? {
        guard key.count == 32, nonce.count == nonceSize, sealed.count >= tagSize, let ctx = EVP_CIPHER_CTX_new()
        else { return nil }
        defer { EVP_CIPHER_CTX_free(ctx) }
        let body = Array(sealed.prefix(sealed.count - tagSize))
        var tag = Array(sealed.suffix(tagSize))
        var out = [UInt8](repeating: 0, count: body.count + tagSize)
        var total = 0
        let ok = out.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            var length: Int32 = 0
            guard EVP_DecryptInit_ex2(ctx, gcm, key, nonce, nil) == 1,
                aad.isEmpty || EVP_DecryptUpdate(ctx, nil, &length, aad, Int32(aad.count)) == 1
            else { return false }
            if !body.isEmpty {
                guard EVP_DecryptUpdate(ctx, base, &length, body, Int32(body.count)) == 1 else { return false }
                total = Int(length)
            }
            guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Int32(tagSize), &tag) == 1,
                EVP_DecryptFinal_ex(ctx, base + total, &length) == 1
            else { return false }
            total += Int(length)
            return true
        }
        return ok ? Array(out.prefix(total)) : nil
    }

    public static func hmac(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = HMAC(EVP_sha256(), key, Int32(key.count), data, data.count, &out, &length)
        return out
    }
}

/// The keys private memories are sealed with: from `CODEX_STATE_PRIVATE_KEY` (one or more keys
/// of 64 hex digits, newest first, separated by commas or spaces: for CI), else from the user's
/// key file, `$XDG_CONFIG_HOME/codex-state/private-memory.key` (else `~/.config/…`), mode 0600,
/// created with one random key the first time a private memory is written. The newest key seals;
/// every key opens what it sealed, so a clone not yet re-sealed after a rotation stays readable.
/// Keys never enter the repository or the git directory.
public struct PrivateKeyring: Sendable {
    public struct Key: Sendable, Equatable {
        /// The first 8 hex digits of a SHA-256 of the key: names it in sealed files.
        public var id: String
        public var bytes: [UInt8]

        public init(_ bytes: [UInt8]) {
            self.bytes = bytes
            id = String(SHA256.hex(Array("codex-state private-memory key\u{0}".utf8) + bytes).prefix(8))
        }
    }

    /// Newest first.
    public var keys: [Key]
    /// Where they come from: the key file's path or `CODEX_STATE_PRIVATE_KEY`.
    public var source: String
    public var fromEnvironment: Bool

    public static let variable = "CODEX_STATE_PRIVATE_KEY"

    /// The key file for this environment.
    public static func keyFile(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            return xdg + "/codex-state/private-memory.key"
        }
        guard let home = environment["HOME"], home.hasPrefix("/") else { return nil }
        return home + "/.config/codex-state/private-memory.key"
    }

    /// The keys at hand, or nil when there are none yet (no variable, no key file).
    public static func load(environment: [String: String]) throws -> PrivateKeyring? {
        if let raw = environment[variable], !raw.isEmpty {
            let list = raw.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" }).joined(separator: "\n")
            let keys = try parse(list, where: { PrivateKeyError.badEnvironment($0) })
            guard !keys.isEmpty else { throw PrivateKeyError.badEnvironment("no key in it") }
            return PrivateKeyring(keys: keys, source: variable, fromEnvironment: true)
        }
        guard let path = keyFile(environment: environment), Files.exists(path) else { return nil }
        let bytes: [UInt8]
        do {
            bytes = try Files.read(path, limit: 1 << 16)
        } catch {
            throw PrivateKeyError.badKeyFile(path: path, reason: "\(error)")
        }
        var st = stat()
        if stat(path, &st) == 0, st.st_mode & 0o077 != 0 {
            throw PrivateKeyError.badKeyFile(
                path: path, reason: "readable by others (mode \(String(st.st_mode & 0o777, radix: 8))); chmod 600 it")
        }
        let keys = try parse(String(decoding: bytes, as: UTF8.self)) {
            PrivateKeyError.badKeyFile(path: path, reason: $0)
        }
        guard !keys.isEmpty else { throw PrivateKeyError.badKeyFile(path: path, reason: "no key in it") }
        return PrivateKeyring(keys: keys, source: path, fromEnvironment: false)
    }

    /// Keys of 64 hex digits, newest first. A file has one per line, after its 8-digit id (which
    /// must match the key), with `#` comments; the variable separates them by commas or spaces.
    static func parse(_ text: String, where fail: (String) -> PrivateKeyError) throws -> [Key] {
        var keys: [Key] = []
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let words = line.split(separator: " ").map(String.init)
            var named: String?
            for word in words {
                if word.count == 8, named == nil {
                    named = word
                    continue
                }
                guard word.count == 64, let bytes = hexBytes(word) else {
                    throw fail("'\(word.prefix(12))…' is not a key of 64 hex digits")
                }
                let key = Key(bytes)
                if let named, named != key.id {
                    throw fail("the key named \(named) is not that key (its id is \(key.id))")
                }
                named = nil
                keys.append(key)
            }
        }
        return keys
    }

    static func hexBytes(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        var high: UInt8?
        for c in s.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return high == nil ? out : nil
    }

    /// The keys at hand, creating the key file with one new random key when there is none.
    public static func loadOrCreate(environment: [String: String]) throws -> PrivateKeyring {
        if let ring = try load(environment: environment) { return ring }
        guard let path = keyFile(environment: environment) else {
            throw PrivateKeyError.badEnvironment("no HOME or XDG_CONFIG_HOME to keep a key file under; set \(variable)")
        }
        let key = Key(try Crypto.random(32))
        try Files.makeDirectory(Files.directory(of: path), mode: 0o700)
        // Made whole under a temporary name, then linked into place: two processes creating the
        // key at once cannot overwrite each other's (the second takes the first's).
        let temporary = path + ".tmp-\(getpid())"
        try Files.writeAtomically(Array(render([key]).utf8), to: temporary, mode: 0o600)
        defer { unlink(temporary) }
        if link(temporary, path) != 0, errno != EEXIST {
            throw PrivateKeyError.badKeyFile(path: path, reason: "cannot create: \(String(cString: strerror(errno)))")
        }
        guard let ring = try load(environment: environment) else {
            throw PrivateKeyError.badKeyFile(path: path, reason: "vanished after it was created")
        }
        return ring
    }

    static func render(_ keys: [Key]) -> String {
        """
        # codex-state private-memory keys, newest first (docs/threat-model.md). The newest seals;
        # every key opens what it sealed. Keep this file private and backed up: without it the
        # private memories sealed with these keys cannot be read.

        """ + keys.map { "\($0.id) \(Identifiers.hex($0.bytes))" }.joined(separator: "\n") + "\n"
    }

    /// Adds a new random key in front of the key file's keys (made if needed); with
    /// `dropOld`, the file keeps the new key alone. Keys from the environment are never changed:
    /// put the new key first in the variable instead.
    public static func rotate(environment: [String: String], dropOld: Bool) throws -> PrivateKeyring {
        if let raw = environment[variable], !raw.isEmpty {
            throw PrivateKeyError.badEnvironment(
                "the keys come from the environment: put a new key first in it (openssl rand -hex 32), then rotate")
        }
        guard let path = keyFile(environment: environment) else {
            throw PrivateKeyError.badEnvironment("no HOME or XDG_CONFIG_HOME to keep a key file under")
        }
        let old = try load(environment: environment)?.keys ?? []
        let keys = [Key(try Crypto.random(32))] + (dropOld ? [] : old)
        try Files.makeDirectory(Files.directory(of: path), mode: 0o700)
        try Files.writeAtomically(Array(render(keys).utf8), to: path, mode: 0o600)
        return PrivateKeyring(keys: keys, source: path, fromEnvironment: false)
    }

    public var newest: Key? { keys.first }

    public func key(id: String) -> Key? { keys.first { $0.id == id } }

    /// The key of the index's private search terms and vector names, derived from the newest
    /// key: a term's token cannot be computed, nor a text confirmed, without it.
    public var indexKey: [UInt8]? {
        newest.map { Crypto.hmac(key: $0.bytes, Array("codex-state private index v1".utf8)) }
    }
}
