import Foundation

/// A `.safetensors` file, memory-mapped: an 8-byte little-endian header length, a JSON header
/// naming each tensor's dtype, shape and byte range, then the raw data. F32 tensors are used in
/// place (no copy); F16 and BF16 tensors are widened to Float when first asked for.
final class SafeTensors: @unchecked Sendable {
    struct Entry: Sendable {
        var dtype: String
        var shape: [Int]
        /// Byte range in the file (already offset past the header).
        var range: Range<Int>
    }

    let file: MappedFile
    let entries: [String: Entry]
    /// The header's bytes: part of the model's identity.
    let header: Data
    private var widened: [String: UnsafeMutableBufferPointer<Float>] = [:]
    private let lock = NSLock()

    init(path: String) throws(EmbeddingError) {
        file = try MappedFile(path: path)
        let bytes = file.bytes
        guard bytes.count >= 8 else { throw .badFile(path: path, reason: "shorter than a safetensors header") }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length <= UInt64(bytes.count - 8), length <= 100_000_000 else {
            throw .badFile(path: path, reason: "header length \(length) exceeds the file")
        }
        let start = 8 + Int(length)
        header = Data(bytes[8..<start])
        guard let obj = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw .badFile(path: path, reason: "the safetensors header is not a JSON object")
        }
        var entries: [String: Entry] = [:]
        for (name, value) in obj where name != "__metadata__" {
            guard let t = value as? [String: Any], let dtype = t["dtype"] as? String,
                let shape = t["shape"] as? [Int], let offsets = t["data_offsets"] as? [Int], offsets.count == 2,
                offsets[0] >= 0, offsets[0] <= offsets[1], start + offsets[1] <= bytes.count
            else {
                throw .badFile(path: path, reason: "tensor '\(name)' has a bad header entry")
            }
            let size = Self.elementSize(dtype)
            let elements = shape.reduce(1, *)
            if let size, elements * size != offsets[1] - offsets[0] {
                throw .badFile(
                    path: path,
                    reason: "tensor '\(name)': \(elements) elements of \(dtype) in \(offsets[1] - offsets[0]) bytes")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, range: (start + offsets[0])..<(start + offsets[1]))
        }
        self.entries = entries
    }

    static func elementSize(_ dtype: String) -> Int? {
        switch dtype {
        case "F32", "I32", "U32": return 4
        case "F16", "BF16", "I16", "U16": return 2
        case "F64", "I64", "U64": return 8
        case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2": return 1
        default: return nil
        }
    }

    /// The tensor `name` as Floats, checked against `shape`.
    func floats(_ name: String, shape: [Int]) throws(EmbeddingError) -> UnsafeBufferPointer<Float> {
        guard let e = entries[name] else { throw .badFile(path: file.path, reason: "no tensor '\(name)'") }
        guard e.shape == shape else {
            throw .badFile(path: file.path, reason: "tensor '\(name)' has shape \(e.shape), expected \(shape)")
        }
        let count = shape.reduce(1, *)
        let raw = file.base + e.range.lowerBound
        switch e.dtype {
        case "F32" where Int(bitPattern: raw) % MemoryLayout<Float>.alignment == 0:
            return UnsafeBufferPointer(start: raw.assumingMemoryBound(to: Float.self), count: count)
        case "F32", "F16", "BF16":
            return widen(name, e, count: count, raw: raw)
        default:
            throw .unsupported(
                path: file.path, reason: "tensor '\(name)' has dtype \(e.dtype) (F32, F16 or BF16 expected)")
        }
    }

    /// A copy as Floats, kept (and freed) with the model: half-precision tensors, and an F32
    /// tensor the file does not align.
    private func widen(_ name: String, _ e: Entry, count: Int, raw: UnsafeRawPointer) -> UnsafeBufferPointer<Float> {
        lock.lock()
        defer { lock.unlock() }
        if let done = widened[name] { return UnsafeBufferPointer(done) }
        let out = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        for i in 0..<count {
            switch e.dtype {
            case "F16":
                out[i] = Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            case "BF16":
                out[i] = Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
            default:
                out[i] = raw.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
            }
        }
        widened[name] = out
        return UnsafeBufferPointer(out)
    }

    deinit { for buffer in widened.values { buffer.deallocate() } }
}
