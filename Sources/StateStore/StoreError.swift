import StateModel

/// Everything the store can fail at. Each case names the file it concerns.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    case notInitialized(stateFile: String)
    case invalidStateFile(path: String, reason: StateDecodeError)
    case io(path: String, operation: String, reason: String)
    case lockTimeout(path: String, seconds: Double)
    case index(path: String, reason: String)

    public var description: String {
        switch self {
        case let .notInitialized(file): return "\(file) does not exist; run 'codex-state init' first"
        case let .invalidStateFile(path, reason): return "\(path): \(reason)"
        case let .io(path, op, reason): return "\(path): cannot \(op): \(reason)"
        case let .lockTimeout(path, seconds):
            return "\(path): another codex-state process held the lock for \(seconds) s; try again"
        case let .index(path, reason): return "\(path): index: \(reason)"
        }
    }
}
