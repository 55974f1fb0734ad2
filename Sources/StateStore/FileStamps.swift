import Foundation
import StateModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reading the state file for a write: its stat data, and when that can stand for its content.
extension StateStore {
    /// The state file's bytes with its stamp after reading them (a change during the read shows
    /// as another stamp than the one recorded), and the stamp that may be recorded for them:
    /// nil unless it had settled before the read began and did not change during it.
    func readStamped() throws -> (bytes: [UInt8], current: FileStamp?, settled: FileStamp?) {
        let clock = Self.coarseNanos()
        let before = Files.stamp(paths.stateFile)
        let bytes = try readBytes()
        let after = Files.stamp(paths.stateFile)
        return (bytes, after, Self.settled(before, after: after, clock: clock))
    }

    /// `before` when it can stand for the content read between it and `after` (see
    /// ``settledStamp(_:)``; `clock` was read before `before`).
    static func settled(_ before: FileStamp?, after: FileStamp?, clock: Int64) -> FileStamp? {
        guard let before, before == after, max(before.mtimeNanos, before.ctimeNanos) < clock else { return nil }
        return before
    }

    /// The file's stamp when it can stand for its content: only once every change that could
    /// still carry the same stamp is impossible (git's racy-index rule). The file system stamps
    /// a change with the coarse clock, so when that clock has moved past the file's mtime and
    /// ctime, any later change gets a later time and a different stamp. Nil (record no stamp:
    /// the next reader hashes) when it has not moved past them yet.
    public static func settledStamp(_ path: String) -> FileStamp? {
        let now = coarseNanos()
        guard let stamp = Files.stamp(path), max(stamp.mtimeNanos, stamp.ctimeNanos) < now else { return nil }
        return stamp
    }

    /// As ``settledStamp(_:)`` for a file this process just wrote: waits for the clock's next
    /// tick (a few milliseconds at most, no CPU) rather than leave the next read to hash it.
    static func settledStampAfterWrite(_ path: String) -> FileStamp? {
        for _ in 0..<4 {
            if let s = settledStamp(path) { return s }
            guard let stamp = Files.stamp(path) else { return nil }
            let wait = max(stamp.mtimeNanos, stamp.ctimeNanos) - coarseNanos() + clockResolution()
            guard wait > 0, wait < 50_000_000 else { return nil }
            var ts = timespec(tv_sec: 0, tv_nsec: Int(wait))
            nanosleep(&ts, nil)
        }
        return nil
    }

    /// The clock file times come from, read before the `stat` it is compared with.
    static func coarseNanos() -> Int64 {
        var ts = timespec()
        #if os(Linux)
            clock_gettime(CLOCK_REALTIME_COARSE, &ts)
            return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
        #else
            // No coarse clock to compare with: demand a margin file systems never round beyond.
            clock_gettime(CLOCK_REALTIME, &ts)
            return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec) - 2_000_000_000
        #endif
    }

    static func clockResolution() -> Int64 {
        var ts = timespec()
        #if os(Linux)
            clock_getres(CLOCK_REALTIME_COARSE, &ts)
        #else
            clock_getres(CLOCK_REALTIME, &ts)
        #endif
        return max(Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec), 1_000_000)
    }
}
