import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Why a model could not be used. Every case names the file (or library) and the problem in one
/// line: the caller says it once and falls back to lexical search.
public enum EmbeddingError: Error, Sendable, CustomStringConvertible, Equatable {
    case missingFile(String)
    case badFile(path: String, reason: String)
    case unsupported(path: String, reason: String)
    case library(String)

    public var description: String {
        switch self {
        case .missingFile(let path): return "\(path): no such file"
        case .badFile(let path, let reason): return "\(path): \(reason)"
        case .unsupported(let path, let reason): return "\(path): not supported: \(reason)"
        case .library(let reason): return reason
        }
    }
}

/// A model file mapped read-only into memory. The weights are 90 MB: mapped, only the pages a
/// forward pass touches are read (and shared with every other process using the model through
/// the page cache); read into an array, every `recall` would copy all of them.
final class MappedFile: @unchecked Sendable {
    let path: String
    let base: UnsafeRawPointer
    let count: Int

    /// The bytes at `path` (a regular file; links are followed, as for any file the user names).
    init(path: String) throws(EmbeddingError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw .missingFile(path) }
            throw .badFile(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .badFile(path: path, reason: String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw .badFile(path: path, reason: "not a regular file") }
        count = Int(st.st_size)
        guard count > 0 else { throw .badFile(path: path, reason: "empty file") }
        guard let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw .badFile(path: path, reason: "cannot map: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), count) }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Maps the pages of `range` in one call (they are in the page cache after the first use):
    /// a query reads every encoder weight, and taking them one page fault at a time (10,000
    /// faults for 43 MB) cost more than the products. Best effort: older kernels lack it.
    func populate(_ range: Range<Int>) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = range.lowerBound / page * page
        guard start < range.upperBound, range.upperBound <= count else { return }
        let madvPopulateRead: Int32 = 22
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), range.upperBound - start, madvPopulateRead)
    }

    /// A small file's bytes (config, tokenizer), read through the same mapping.
    static func contents(_ path: String) throws(EmbeddingError) -> Data {
        let file = try MappedFile(path: path)
        return Data(file.bytes)
    }
}
