import StateModel

/// Everything the store can fail at. Each case names the file it concerns.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    case notInitialized(stateFile: String)
    case invalidStateFile(path: String, reason: StateDecodeError)
    case io(path: String, operation: String, reason: String)
    case lockTimeout(path: String, seconds: Double)
    case index(path: String, reason: String)
    /// A path codex-state will not read or write through (a link, a device, a huge file).
    case unsafePath(path: String, reason: String)
    /// A file larger than the most codex-state reads of it (``Limits``).
    case tooLarge(path: String, limit: Int)

    public var description: String {
        switch self {
        case .notInitialized(let file): return "\(file) does not exist; run 'codex-state init' first"
        case .invalidStateFile(let path, let reason): return "\(path): \(reason)"
        case .io(let path, let op, let reason): return "\(path): cannot \(op): \(reason)"
        case .lockTimeout(let path, let seconds):
            return "\(path): another codex-state process held the lock for \(seconds) s; try again"
        case .index(let path, let reason): return "\(path): index: \(reason)"
        case .tooLarge(let path, let limit):
            return "\(path) is larger than \(limit >> 20) MiB, the most codex-state reads of it (docs/threat-model.md)"
        case .unsafePath(let path, let reason):
            return
                "\(path) \(reason); codex-state does not follow links or read special files (replace it with a regular file or directory)"
        }
    }
}
