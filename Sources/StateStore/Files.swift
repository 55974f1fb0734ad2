#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Identity and version of a file as `stat` reports it. When all of it is unchanged the content
/// is taken as unchanged (git's index makes the same bet), so warm commands skip hashing.
public struct FileStamp: Hashable, Sendable {
    public var size: Int64
    public var mtimeNanos: Int64
    public var ctimeNanos: Int64
    public var inode: UInt64

    public var encoded: String { "\(size):\(mtimeNanos):\(ctimeNanos):\(inode)" }
}

func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

/// The file primitives. Reads are public; the writing primitives are internal to the store,
/// which wraps each in an API named for the file it writes (``StateStore``, ``GitFiles``,
/// ``CodexFiles``, ``ProjectFiles``): nothing above the store writes a file itself.
public enum Files {
    public static func stamp(_ path: String) -> FileStamp? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return FileStamp(
            size: Int64(st.st_size),
            mtimeNanos: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
            ctimeNanos: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec),
            inode: UInt64(st.st_ino))
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// The most `read` takes from one file: far above any real state (a 10,000-task state is
    /// about 9 MB), far below what would exhaust memory.
    public static let readLimit = 256 << 20

    /// Reads a whole regular file. A symbolic link is refused, not followed (a committed link
    /// could point anywhere: `/dev/zero`, a file outside the repository), and so is anything
    /// that is not a regular file or is larger than `limit` bytes.
    /// From `offset` on, only the bytes after it are read (a journal's tail).
    public static func read(_ path: String, from offset: Int64 = 0, limit: Int = readLimit) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else {
            if errno == ELOOP { throw StoreError.unsafePath(path: path, reason: "is a symbolic link") }
            throw StoreError.io(path: path, operation: "read", reason: errnoText())
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw StoreError.io(path: path, operation: "read", reason: errnoText()) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw StoreError.unsafePath(path: path, reason: "is not a regular file")
        }
        guard Int(st.st_size) <= limit else {
            throw StoreError.tooLarge(path: path, limit: limit)
        }
        if offset > 0, lseek(fd, off_t(offset), SEEK_SET) < 0 {
            throw StoreError.io(path: path, operation: "read", reason: errnoText())
        }
        // One spare page past the size: a file that did not grow is read with one more call that
        // returns 0, without growing (and copying) the buffer. Nothing is zero-filled first.
        var capacity = max(Int(st.st_size) - Int(offset), 0) + 4096
        var out: [UInt8] = []
        while true {
            var failure: Int32 = 0
            var grown = false
            let start = out
            out = try [UInt8](unsafeUninitializedCapacity: capacity) { buf, count in
                guard let base = buf.baseAddress else { return }
                start.withUnsafeBufferPointer { old in
                    if let o = old.baseAddress { base.update(from: o, count: old.count) }
                }
                count = start.count
                while true {
                    if count == buf.count {
                        grown = true
                        return
                    }
                    let n = Glibc.read(fd, base + count, buf.count - count)
                    if n < 0 {
                        if errno == EINTR { continue }
                        failure = errno
                        return
                    }
                    if n == 0 { return }
                    count += n
                    // The file grew while being read: stop at the limit rather than chase it.
                    if count > limit { return }
                }
            }
            if failure != 0 {
                errno = failure
                throw StoreError.io(path: path, operation: "read", reason: errnoText())
            }
            if out.count > limit {
                throw StoreError.tooLarge(path: path, limit: limit)
            }
            guard grown else { return out }
            capacity *= 2
        }
    }

    /// Creates a directory and its parents (mode 0755 before umask, unless told).
    static func makeDirectory(_ path: String, mode: mode_t = 0o755) throws {
        if isDirectory(path) { return }
        let parent = (path as String).split(separator: "/", omittingEmptySubsequences: false).dropLast()
            .joined(separator: "/")
        if !parent.isEmpty, !isDirectory(parent) { try makeDirectory(parent, mode: mode) }
        if mkdir(path, mode) != 0, errno != EEXIST {
            throw StoreError.io(path: path, operation: "create directory", reason: errnoText())
        }
    }

    /// Replaces `path` atomically: the bytes go to a temporary file in the same directory, which
    /// is flushed to disk and then renamed over the target, and the directory is flushed too. A
    /// crash at any moment leaves either the old file or the new one, never a mix.
    static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        try bytes.withUnsafeBytes { try writeAtomically(buffers: [$0], to: path, mode: mode) }
    }

    /// As ``writeAtomically(_:to:mode:)`` for the concatenation of `buffers`, written where they
    /// lie (`writev`), so a spliced file is never copied into one buffer first.
    static func writeAtomically(buffers: [UnsafeRawBufferPointer], to path: String, mode: mode_t = 0o644) throws {
        let dir = directory(of: path)
        let name = String(path.split(separator: "/").last ?? "file")
        let temp = "\(dir)/.\(name).tmp.\(getpid())"
        // Never write through whatever is already at the temporary name (a link, say).
        unlink(temp)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw StoreError.io(path: path, operation: "write", reason: errnoText()) }
        var ok = false
        defer {
            if !ok { unlink(temp) }
        }
        do {
            defer { close(fd) }
            // What is left to write: a partial writev continues inside the buffer it stopped in.
            var pending = buffers.filter { $0.count > 0 }[...]
            while !pending.isEmpty {
                let batch = pending.prefix(512).map {
                    iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count)
                }
                let n = batch.withUnsafeBufferPointer { writev(fd, $0.baseAddress, Int32($0.count)) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw StoreError.io(path: path, operation: "write", reason: errnoText())
                }
                var written = n
                while written > 0, let first = pending.first {
                    if written >= first.count {
                        written -= first.count
                        pending = pending.dropFirst()
                    } else {
                        pending[pending.startIndex] = UnsafeRawBufferPointer(rebasing: first[written...])
                        written = 0
                    }
                }
            }
            guard fsync(fd) == 0 else { throw StoreError.io(path: path, operation: "flush", reason: errnoText()) }
            // The umask may have narrowed the mode given to open(); hooks must be executable.
            if mode != 0o644 { _ = fchmod(fd, mode) }
        }
        guard rename(temp, path) == 0 else {
            throw StoreError.io(path: path, operation: "replace", reason: errnoText())
        }
        ok = true
        syncDirectory(dir)
    }

    /// Flushes a directory's entries to disk (a rename or link in it is then durable).
    static func syncDirectory(_ dir: String) {
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }

    /// The names in a directory (without `.` and `..`), unsorted.
    public static func list(_ dir: String) throws -> [String] {
        guard let d = opendir(dir) else { throw StoreError.io(path: dir, operation: "list", reason: errnoText()) }
        defer { closedir(d) }
        var out: [String] = []
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != ".", name != ".." { out.append(name) }
        }
        return out
    }

    /// The lines of a line-per-record file, each decoded by `decode`. A last line without its
    /// newline that does not decode was torn by a crash and is skipped silently; any other line
    /// that does not decode is skipped and counted, so the caller can say so.
    public static func readRecords<T>(_ path: String, _ decode: (ArraySlice<UInt8>) -> T?) throws -> (
        records: [T], badLines: Int
    ) {
        guard entryExists(path) else { return ([], 0) }
        let bytes = try read(path)
        let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        var out: [T] = []
        var bad = 0
        for (i, line) in lines.enumerated() where !line.isEmpty {
            if let r = decode(line) {
                out.append(r)
            } else if !(i == lines.count - 1 && bytes.last != 0x0A) {
                bad += 1
            }
        }
        return (out, bad)
    }

    /// Removes temporary files a killed writer left beside `path`.
    static func removeStaleTemporaries(besides path: String) {
        let dir = directory(of: path)
        let prefix = ".\(path.split(separator: "/").last ?? "").tmp."
        guard let d = opendir(dir) else { return }
        defer { closedir(d) }
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(prefix) { unlink("\(dir)/\(name)") }
        }
    }

    /// Appends one line with a single `write` on an `O_APPEND` descriptor, then flushes it. If
    /// the file does not end with a newline (a line torn by a crash), the new line starts on a
    /// line of its own rather than being glued to the torn one.
    static func appendLine(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw StoreError.io(path: path, operation: "append", reason: errnoText()) }
        defer { close(fd) }
        var line = bytes + [0x0A]
        var st = stat()
        if fstat(fd, &st) == 0, st.st_size > 0 {
            var last: UInt8 = 0
            if pread(fd, &last, 1, off_t(st.st_size - 1)) == 1, last != 0x0A { line.insert(0x0A, at: 0) }
        }
        let n = line.withUnsafeBytes { buf -> Int in
            guard let base = buf.baseAddress else { return 0 }
            return write(fd, base, buf.count)
        }
        guard n == line.count else { throw StoreError.io(path: path, operation: "append", reason: errnoText()) }
        _ = fsync(fd)
    }

    /// Throws unless every component of `path` below `root` is a real directory: a committed
    /// symbolic link (`.codex-state -> /somewhere`) would otherwise take reads and writes out of
    /// the working tree. Components that do not exist yet are fine (they will be created). The
    /// working tree's one check (``WorkingTree/check(_:directory:)``).
    public static func requireRealDirectory(_ path: String, under root: String) throws {
        try WorkingTree(root: root, gitDirs: []).check(path, directory: true)
    }

    /// True for a symbolic link (not followed).
    public static func isSymlink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }

    /// True if anything (a file, a directory, a dangling link) is at `path`.
    public static func entryExists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// Renames an entry; a symbolic link is moved as a link, never followed.
    static func move(_ from: String, to: String) throws {
        guard rename(from, to) == 0 else { throw StoreError.io(path: from, operation: "rename", reason: errnoText()) }
    }

    static func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else {
            throw StoreError.io(path: path, operation: "remove", reason: errnoText())
        }
    }

    /// Whether the current user may create files in `dir`.
    public static func isWritableDirectory(_ dir: String) -> Bool { access(dir, W_OK | X_OK) == 0 }

    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

/// An exclusive advisory lock (`flock`) on a file, held until the value is released or the
/// process dies (the kernel drops it then, so a `kill -9` never leaves a stale lock).
public final class FileLock {
    private let fd: Int32
    public let path: String

    public init(path: String, timeout: Double) throws {
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io(path: path, operation: "open lock", reason: errnoText()) }
        let deadline = Self.now() + timeout
        var delay: UInt32 = 500
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                let reason = errnoText()
                close(fd)
                throw StoreError.io(path: path, operation: "lock", reason: reason)
            }
            if Self.now() >= deadline {
                close(fd)
                throw StoreError.lockTimeout(path: path, seconds: timeout)
            }
            usleep(delay)
            delay = min(delay * 2, 20_000)
        }
        self.fd = fd
    }

    deinit { close(fd) }

    private static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
