import Glibc

/// Files another program wrote that a command takes as input (`import FILE`, a Codex memories
/// folder): read only, never written, followed through links (the user named them, as `cat`
/// would), refused when they are directories. `-` is standard input. Large inputs are streamed:
/// ``forEachLine(_:maxLine:_:)`` holds one chunk and one line at a time.
public enum InputFiles {
    public static let standardInput = "-"

    /// The longest line ``forEachLine(_:maxLine:_:)`` takes by default.
    public static let defaultMaxLine = 64 << 20

    /// A line longer than the limit: named by its number.
    public struct LineTooLong: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var line: Int
        public var limit: Int
        public var description: String { "\(path):\(line): the line is longer than \(limit >> 20) MiB" }
    }

    static func open(_ path: String) throws -> Int32 {
        if path == standardInput { return 0 }
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io(path: path, operation: "read", reason: errnoText()) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            throw StoreError.io(path: path, operation: "read", reason: errnoText())
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw StoreError.io(path: path, operation: "read", reason: "is a directory")
        }
        return fd
    }

    /// Reads `path` in 1 MiB chunks and calls `body` with each line (without its newline), its
    /// number (from 1) and whether it ended with a newline (a last line may not).
    public static func forEachLine(
        _ path: String, maxLine: Int = defaultMaxLine,
        _ body: (ArraySlice<UInt8>, _ number: Int, _ terminated: Bool) throws -> Void
    ) throws {
        let fd = try open(path)
        defer { if fd != 0 { close(fd) } }
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        var pending: [UInt8] = []
        var number = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                while true {
                    let r = Glibc.read(fd, base, chunk)
                    if r < 0 && errno == EINTR { continue }
                    return r
                }
            }
            if n < 0 { throw StoreError.io(path: path, operation: "read", reason: errnoText()) }
            if n == 0 { break }
            var start = 0
            let slice = buffer[0..<n]
            while let nl = slice[start...].firstIndex(of: 0x0A) {
                number += 1
                if pending.isEmpty {
                    try body(buffer[start..<nl], number, true)
                } else {
                    pending += buffer[start..<nl]
                    if pending.count > maxLine { throw LineTooLong(path: path, line: number, limit: maxLine) }
                    try body(pending[...], number, true)
                    pending.removeAll(keepingCapacity: true)
                }
                start = nl + 1
            }
            pending += buffer[start..<n]
            if pending.count > maxLine { throw LineTooLong(path: path, line: number + 1, limit: maxLine) }
        }
        if !pending.isEmpty { try body(pending[...], number + 1, false) }
    }

    /// The whole of `path` (at most `limit` bytes).
    public static func read(_ path: String, limit: Int = Files.readLimit) throws -> [UInt8] {
        let fd = try open(path)
        defer { if fd != 0 { close(fd) } }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                while true {
                    let r = Glibc.read(fd, base, raw.count)
                    if r < 0 && errno == EINTR { continue }
                    return r
                }
            }
            if n < 0 { throw StoreError.io(path: path, operation: "read", reason: errnoText()) }
            if n == 0 { return out }
            out += buffer[0..<n]
            if out.count > limit {
                throw StoreError.unsafePath(path: path, reason: "is larger than \(limit >> 20) MiB")
            }
        }
    }

    /// Whether `path` is a directory (links followed).
    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// The regular files under `dir` whose names end in one of `suffixes`, as paths relative to
    /// it, sorted; `depth` 0 lists `dir` alone, 1 also its subdirectories. Links below `dir` are
    /// not followed.
    public static func files(in dir: String, suffixes: [String], depth: Int = 1) throws -> [String] {
        var out: [String] = []
        func walk(_ rel: String, _ level: Int) throws {
            let full = rel.isEmpty ? dir : dir + "/" + rel
            for name in try Files.list(full) {
                let path = rel.isEmpty ? name : rel + "/" + name
                var st = stat()
                guard lstat(dir + "/" + path, &st) == 0 else { continue }
                switch st.st_mode & S_IFMT {
                case S_IFREG where suffixes.contains(where: { name.hasSuffix($0) }): out.append(path)
                case S_IFDIR where level < depth: try walk(path, level + 1)
                default: continue
                }
            }
        }
        try walk("", 0)
        return out.sorted()
    }
}
