import Foundation
import StateModel

/// The clone's private memories: `<git common dir>/codex-state/private-memories.json`, shared by
/// the clone's worktrees and never committed (it is not in the working tree). Same canonical
/// JSON and atomic replace as the state file.
public struct PrivateMemoryFile: Sendable {
    public let path: String

    public init(paths: StorePaths) { path = StorePaths.join(paths.shared, "private-memories.json") }

    /// The memories and the file's content hash ("" when there is no file yet).
    public func read() throws -> (memories: PrivateMemories, hash: String) {
        guard Files.exists(path) else { return (PrivateMemories(), "") }
        let bytes = try Files.read(path)
        do {
            return (try JSONDecoder().decode(PrivateMemories.self, from: Data(bytes)), ContentHash.sha256(bytes))
        } catch {
            throw StoreError.io(path: path, operation: "read private memories", reason: "\(error)")
        }
    }

    /// Replaces the file (the caller holds the lock); returns the new content hash.
    public func write(_ memories: PrivateMemories) throws -> String {
        let bytes: [UInt8]
        do {
            bytes = try CanonicalJSON.encode(memories)
        } catch {
            throw StoreError.io(path: path, operation: "encode", reason: "\(error)")
        }
        try Files.makeDirectory(Files.directory(of: path))
        try Files.writeAtomically(bytes, to: path, mode: 0o600)
        return ContentHash.sha256(bytes)
    }
}
