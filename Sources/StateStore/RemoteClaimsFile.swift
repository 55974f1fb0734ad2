import Foundation
import StateModel

/// The clone's files for claims published on a remote (docs/claims.md), in the directory every
/// worktree of the clone shares, never committed:
///
/// - `remote-claims.json`: what the clone last learned of each remote's claim references
///   (``ClaimListings``), a cache: absent or unreadable, it is empty and the next listing
///   rebuilds it. Changed only under `remote-claims.lock`, held for the read-modify-write alone
///   (never across a network call), so two commands learning at once both keep what they learned.
/// - `clone-id`: the clone's id, drawn once (``ClaimRecord/cloneID(random:)``); a claim names it
///   so the clone can renew and release its own claims from any worktree.
public struct RemoteClaimsFile: Sendable {
    public let path: String
    let lockPath: String
    public let cloneIDPath: String

    public init(paths: StorePaths) {
        path = StorePaths.join(paths.shared, "remote-claims.json")
        lockPath = StorePaths.join(paths.shared, "remote-claims.lock")
        cloneIDPath = StorePaths.join(paths.shared, "clone-id")
    }

    /// The listings; empty when there is no file or it cannot be read as one (it is a cache).
    public func read() -> ClaimListings {
        guard Files.exists(path), let bytes = try? Files.read(path, limit: 64 << 20),
            let listings = try? JSONDecoder().decode(ClaimListings.self, from: Data(bytes)),
            listings.format == ClaimListings.format
        else { return ClaimListings() }
        return listings
    }

    /// The file's stat data: what a cached answer that used the listings keys on.
    public func stamp() -> FileStamp? { Files.stamp(path) }

    /// Reads the listings, lets `body` change them and writes them back when it did (the
    /// generation moved by one), under the cache's lock.
    public func update<T>(timeout: Double, _ body: (inout ClaimListings) throws -> T) throws -> T {
        try Files.makeDirectory(Files.directory(of: path))
        let lock = try FileLock(path: lockPath, timeout: timeout)
        defer { withExtendedLifetime(lock) {} }
        let before = read()
        var listings = before
        let result = try body(&listings)
        guard listings != before else { return result }
        listings.generation = before.generation + 1
        let bytes: [UInt8]
        do {
            bytes = try CanonicalJSON.encode(listings)
        } catch {
            throw StoreError.io(path: path, operation: "encode the remote claims", reason: "\(error)")
        }
        try Files.writeAtomically(bytes, to: path)
        return result
    }

    /// The clone's id; nil before the first claim published from it. A file that does not hold
    /// one is an error naming it: an id made up instead would disown the clone's claims.
    public func cloneID() throws -> String? {
        guard Files.entryExists(cloneIDPath) else { return nil }
        let text = String(decoding: try Files.read(cloneIDPath, limit: 4096), as: UTF8.self)
        let id = text.hasSuffix("\n") ? String(text.dropLast()) : text
        guard ClaimRecord.isCloneID(id) else {
            throw StoreError.io(
                path: cloneIDPath, operation: "read the clone id", reason: "expected c- and 16 hex digits")
        }
        return id
    }

    /// Writes the clone's id. The caller holds the clone's claim lock, so two commands never
    /// draw two ids.
    public func createCloneID(_ id: String) throws {
        try Files.makeDirectory(Files.directory(of: cloneIDPath))
        try Files.writeAtomically(Array((id + "\n").utf8), to: cloneIDPath)
    }
}
