import Foundation

/// Reads `tokenizer.json`'s vocabulary (`"model": {"vocab": {"token": id, …}}`, 30,000 entries
/// and most of the file's 466 KB) in one pass over the bytes. Through `JSONSerialization` the
/// whole file took about 20 ms, which every `recall` paid; the rest of the file (normaliser,
/// special tokens, settings: a few KB) is still read with it, with the vocabulary left out.
enum VocabularyReader {
    /// The vocabulary and the file's bytes with the vocabulary object replaced by `{}` (padded
    /// with spaces, so offsets stay); nil when the file has no `model.vocab` object or it is not
    /// well-formed (the caller then reads the file whole).
    static func split(_ data: Data) -> (vocabulary: [String: Int32], rest: Data)? {
        let bytes = [UInt8](data)
        return bytes.withUnsafeBufferPointer { b -> (vocabulary: [String: Int32], rest: Data)? in
            var scanner = Scanner(b: b)
            guard let vocab = scanner.findVocabulary() else { return nil }
            var entries = Scanner(b: b, i: vocab.lowerBound)
            guard let vocabulary = entries.readVocabulary(), entries.i == vocab.upperBound else { return nil }
            var rest = bytes
            rest[vocab.lowerBound] = UInt8(ascii: "{")
            rest[vocab.lowerBound + 1] = UInt8(ascii: "}")
            for k in (vocab.lowerBound + 2)..<vocab.upperBound { rest[k] = UInt8(ascii: " ") }
            return (vocabulary, Data(rest))
        }
    }

    struct Scanner {
        let b: UnsafeBufferPointer<UInt8>
        var i = 0

        mutating func skipSpace() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        }

        mutating func expect(_ c: UInt8) -> Bool {
            skipSpace()
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }

        /// The range of `model.vocab`'s object in a top-level object.
        mutating func findVocabulary() -> Range<Int>? {
            guard expect(UInt8(ascii: "{")) else { return nil }
            return findKey(["model", "vocab"])
        }

        /// Inside an object whose `{` was read: the range of the value at `path`.
        mutating func findKey(_ path: ArraySlice<String>) -> Range<Int>? {
            while true {
                skipSpace()
                guard i < b.count else { return nil }
                if b[i] == UInt8(ascii: "}") { return nil }
                guard let key = readString(), expect(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                let start = i
                if key == path.first {
                    if path.count == 1 {
                        guard skipValue() else { return nil }
                        return start..<i
                    }
                    guard expect(UInt8(ascii: "{")) else { return nil }
                    return findKey(path.dropFirst())
                }
                guard skipValue() else { return nil }
                skipSpace()
                if i < b.count, b[i] == UInt8(ascii: ",") { i += 1 }
            }
        }

        mutating func findKey(_ path: [String]) -> Range<Int>? { findKey(path[...]) }

        /// Past one value of any kind.
        mutating func skipValue() -> Bool {
            skipSpace()
            guard i < b.count else { return false }
            switch b[i] {
            case UInt8(ascii: "\""):
                return skipString()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while i < b.count {
                    switch b[i] {
                    case UInt8(ascii: "\""):
                        guard skipString() else { return false }
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 {
                            i += 1
                            return true
                        }
                    default: break
                    }
                    i += 1
                }
                return false
            default:
                while i < b.count, !",}] \n\r\t".utf8.contains(b[i]) { i += 1 }
                return true
            }
        }

        mutating func skipString() -> Bool {
            i += 1
            while i < b.count {
                if b[i] == UInt8(ascii: "\\") {
                    i += 2
                } else if b[i] == UInt8(ascii: "\"") {
                    i += 1
                    return true
                } else {
                    i += 1
                }
            }
            return false
        }

        /// A JSON string, escapes decoded.
        mutating func readString() -> String? {
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            let start = i
            while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\") { i += 1 }
            guard i < b.count else { return nil }
            if b[i] == UInt8(ascii: "\"") {
                defer { i += 1 }
                return String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
            }
            var out = Array(b[start..<i])
            while i < b.count {
                let c = b[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    return String(decoding: out, as: UTF8.self)
                }
                guard c == UInt8(ascii: "\\") else {
                    out.append(c)
                    i += 1
                    continue
                }
                guard i + 1 < b.count else { return nil }
                let e = b[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    guard var scalar = hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(scalar), i + 1 < b.count, b[i] == UInt8(ascii: "\\"),
                        b[i + 1] == UInt8(ascii: "u")
                    {
                        i += 2
                        guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { return nil }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: out.append(e)
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard i + 4 <= b.count else { return nil }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = b[i]
                let d: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
                default: return nil
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }

        /// `{"token": id, …}` into a dictionary.
        mutating func readVocabulary() -> [String: Int32]? {
            guard expect(UInt8(ascii: "{")) else { return nil }
            var out: [String: Int32] = [:]
            out.reserveCapacity(32_768)
            while true {
                skipSpace()
                guard i < b.count else { return nil }
                if b[i] == UInt8(ascii: "}") {
                    i += 1
                    return out
                }
                guard let token = readString(), expect(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                var n: Int64 = 0
                let start = i
                while i < b.count, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9"), n < Int64(Int32.max) {
                    n = n * 10 + Int64(b[i] - UInt8(ascii: "0"))
                    i += 1
                }
                guard i > start, n <= Int64(Int32.max) else { return nil }
                out[token] = Int32(n)
                skipSpace()
                if i < b.count, b[i] == UInt8(ascii: ",") { i += 1 }
            }
        }
    }
}
