import CZstd
import Foundation
import StateModel

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a Codex rollout line by line, `.jsonl` or `.jsonl.zst`, in fixed-size chunks: a
/// rollout of any size costs at most the memory of one line up to ``Limits/rolloutLineBytes``; a
/// longer line is skipped as it streams past (its bytes are never held) and counted.
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
    private let limit: Int
    /// Whether the last line had no newline at its end (a rollout cut off mid-write).
    public private(set) var lastLineTruncated = false
    /// Lines longer than the limit, skipped.
    public private(set) var oversizedLines = 0

    public init(path: String, limit: Int = Limits.rolloutLineBytes) throws {
        self.path = path
        self.limit = limit
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

    /// The next line without its newline (lines past the limit skipped); nil at the end.
    public func next() throws -> ArraySlice<UInt8>? {
        var scanned = 0  // bytes of this line already searched for its newline
        var skipping = false
        while true {
            if let nl = decoded[(decodedStart + scanned)...].firstIndex(of: 0x0A) {
                if skipping {
                    // The rest of an oversized line: drop it, go on with the next.
                    decodedStart = nl + 1
                    scanned = 0
                    skipping = false
                    continue
                }
                let line = decoded[decodedStart..<nl]
                decodedStart = nl + 1
                return line
            }
            scanned = decoded.count - decodedStart
            if !skipping, scanned > limit {
                skipping = true
                oversizedLines += 1
            }
            if skipping {
                // Nothing of it is kept: only the search for its end goes on.
                decoded.removeAll(keepingCapacity: true)
                decodedStart = 0
                scanned = 0
            }
            if try !fill() {
                guard !skipping, decodedStart < decoded.count else { return nil }
                let line = decoded[decodedStart...]
                decodedStart = decoded.count
                lastLineTruncated = true
                return line
            }
        }
    }
}
