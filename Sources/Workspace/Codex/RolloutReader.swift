import CZstd
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a Codex rollout line by line, `.jsonl` or `.jsonl.zst`, in fixed-size chunks: a
/// rollout of any size costs the memory of its longest line.
public final class RolloutLineReader {
    public let path: String
    private let fd: Int32
    private var zstd: OpaquePointer?
    private var raw = [UInt8](repeating: 0, count: 1 << 16)
    private var rawStart = 0
    private var rawEnd = 0
    private var decoded: [UInt8] = []
    private var decodedStart = 0
    private var eof = false
    /// Whether the last line had no newline at its end (a rollout cut off mid-write).
    public private(set) var lastLineTruncated = false

    public init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CodexSetupError("\(path): cannot read: \(String(cString: strerror(errno)))")
        }
        if path.hasSuffix(".zst") {
            zstd = ZSTD_createDStream()
            ZSTD_initDStream(zstd)
        }
    }

    deinit {
        if let zstd { ZSTD_freeDStream(zstd) }
        close(fd)
    }

    /// Fills `decoded` with more bytes; false at the end of the file.
    private func fill() throws -> Bool {
        if decodedStart > 0 {
            decoded.removeFirst(decodedStart)
            decodedStart = 0
        }
        while true {
            if rawStart == rawEnd {
                if eof { return false }
                let n = raw.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw CodexSetupError("\(path): cannot read: \(String(cString: strerror(errno)))")
                }
                if n == 0 {
                    eof = true
                    return false
                }
                rawStart = 0
                rawEnd = n
            }
            guard let zstd else {
                decoded.append(contentsOf: raw[rawStart..<rawEnd])
                rawStart = rawEnd
                return true
            }
            var out = [UInt8](repeating: 0, count: 1 << 17)
            var produced = 0
            let consumed = try raw.withUnsafeBytes { inBuf -> Int in
                try out.withUnsafeMutableBytes { outBuf -> Int in
                    var input = ZSTD_inBuffer(
                        src: inBuf.baseAddress.map { $0 + rawStart }, size: rawEnd - rawStart, pos: 0)
                    var output = ZSTD_outBuffer(dst: outBuf.baseAddress, size: outBuf.count, pos: 0)
                    let r = ZSTD_decompressStream(zstd, &output, &input)
                    if ZSTD_isError(r) != 0 {
                        throw CodexSetupError("\(path): not valid zstd: \(String(cString: ZSTD_getErrorName(r)))")
                    }
                    produced = output.pos
                    return input.pos
                }
            }
            rawStart += consumed
            if produced > 0 {
                decoded.append(contentsOf: out[0..<produced])
                return true
            }
        }
    }

    /// The next line without its newline; nil at the end.
    public func next() throws -> ArraySlice<UInt8>? {
        var scanned = 0  // bytes of this line already searched for its newline
        while true {
            if let nl = decoded[(decodedStart + scanned)...].firstIndex(of: 0x0A) {
                let line = decoded[decodedStart..<nl]
                decodedStart = nl + 1
                return line
            }
            scanned = decoded.count - decodedStart
            if try !fill() {
                guard decodedStart < decoded.count else { return nil }
                let line = decoded[decodedStart...]
                decodedStart = decoded.count
                lastLineTruncated = true
                return line
            }
        }
    }
}
