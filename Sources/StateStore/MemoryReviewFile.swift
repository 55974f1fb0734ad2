import Foundation
import StateModel

/// The clone's confirmations of memories `check` reported as possibly stale (`memories --review
/// --confirm ID`): `<git common dir>/codex-state/memory-reviews.json`, never committed. A
/// confirmation holds while the memory's text (its hash) and the finding stay the same.
public struct MemoryReviewFile: Sendable {
    public struct Confirmation: Codable, Sendable, Equatable {
        /// `<memory id> <code> <other memory or ->`.
        public var finding: String
        /// The memory's text hash when it was confirmed.
        public var hash: String
        public var at: Timestamp
        public var actor: String

        public init(finding: String, hash: String, at: Timestamp, actor: String) {
            self.finding = finding
            self.hash = hash
            self.at = at
            self.actor = actor
        }
    }

    struct Contents: Codable {
        var confirmed: [Confirmation]
    }

    public let path: String

    public init(paths: StorePaths) { path = StorePaths.join(paths.shared, "memory-reviews.json") }

    public func read() throws -> [Confirmation] {
        guard Files.exists(path) else { return [] }
        do {
            return try JSONDecoder().decode(Contents.self, from: Data(try Files.read(path))).confirmed
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError.io(path: path, operation: "read memory reviews", reason: "\(error)")
        }
    }

    /// Replaces the file (the caller holds the write lock).
    public func write(_ confirmed: [Confirmation]) throws {
        let bytes: [UInt8]
        do {
            bytes = try CanonicalJSON.encode(Contents(confirmed: confirmed))
        } catch {
            throw StoreError.io(path: path, operation: "encode", reason: "\(error)")
        }
        try Files.makeDirectory(Files.directory(of: path))
        try Files.writeAtomically(bytes, to: path)
    }
}
