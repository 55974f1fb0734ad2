import Foundation

/// One step of a path into a JSON document.
public enum JSONPathComponent: Hashable, Sendable {
    case key(String)
    case index(Int)

    /// `tasks.t-abc.deps[2]`.
    public static func render(_ path: [JSONPathComponent]) -> String {
        var out = ""
        for c in path {
            switch c {
            case .key(let k): out += out.isEmpty ? k : "." + k
            case .index(let i): out += "[\(i)]"
            }
        }
        return out
    }
}

/// Where things are in a JSON document, by line: the line of a key or element, and the keys
/// that repeat. Read from the one tokenizer's tape (``TapeParser``); a document that is not JSON
/// has no lines to give (the decoder reports why it is not).
public enum JSONScanner {
    /// A trie of wanted paths, so the walk follows only the branches that lead somewhere.
    final class Node {
        var children: [JSONPathComponent: Node] = [:]
        var wanted: [JSONPathComponent]?
    }

    public static func lines(of paths: Set<[JSONPathComponent]>, in bytes: [UInt8]) -> [[JSONPathComponent]: Int] {
        let root = Node()
        for p in paths {
            var n = root
            for c in p {
                if let next = n.children[c] {
                    n = next
                } else {
                    let next = Node()
                    n.children[c] = next
                    n = next
                }
            }
            n.wanted = p
        }
        var found: [[JSONPathComponent]: Int] = [:]
        withTape(bytes) { tape, _ in
            /// Follows the trie from the value at `at`: each wanted member's offset (its key's).
            func walk(_ at: Int, _ node: Node) {
                let e = tape.entries[at]
                switch e.kind {
                case .object:
                    var k = at + 1
                    for _ in 0..<e.length {
                        if let child = node.children[.key(tape.string(tape.entries[k]))] {
                            if let w = child.wanted, found[w] == nil { found[w] = Int(tape.entries[k].offset) }
                            if !child.children.isEmpty { walk(k + 1, child) }
                        }
                        k = Int(tape.entries[k + 1].next)
                    }
                case .array:
                    var k = at + 1
                    for index in 0..<Int(e.length) {
                        if let child = node.children[.index(index)] {
                            if let w = child.wanted, found[w] == nil { found[w] = Int(tape.entries[k].offset) }
                            if !child.children.isEmpty { walk(k, child) }
                        }
                        k = Int(tape.entries[k].next)
                    }
                default: return
                }
            }
            walk(0, root)
        }
        let lines = lineNumbers(Array(found.values), in: bytes)
        return found.mapValues { lines[$0] ?? 1 }
    }

    public struct Duplicate: Sendable {
        public var path: [JSONPathComponent]
        public var firstLine: Int
        public var line: Int
    }

    /// Every key that appears again in the same object, at any depth, with both lines.
    public static func duplicateKeys(in bytes: [UInt8]) -> [Duplicate] {
        var out: [(path: [JSONPathComponent], first: Int, again: Int)] = []
        withTape(bytes) { tape, duplicates in
            guard !duplicates.isEmpty else { return }
            let firstOf = Dictionary(duplicates.map { ($0.again, $0.first) }, uniquingKeysWith: { a, _ in a })
            var path: [JSONPathComponent] = []
            func walk(_ at: Int) {
                let e = tape.entries[at]
                switch e.kind {
                case .object:
                    var k = at + 1
                    for _ in 0..<e.length {
                        let key = tape.string(tape.entries[k])
                        if let first = firstOf[k] {
                            out.append(
                                (path + [.key(key)], Int(tape.entries[first].offset), Int(tape.entries[k].offset)))
                        }
                        path.append(.key(key))
                        walk(k + 1)
                        path.removeLast()
                        k = Int(tape.entries[k + 1].next)
                    }
                case .array:
                    var k = at + 1
                    for index in 0..<Int(e.length) {
                        path.append(.index(index))
                        walk(k)
                        path.removeLast()
                        k = Int(tape.entries[k].next)
                    }
                default: return
                }
            }
            walk(0)
        }
        let lines = lineNumbers(out.flatMap { [$0.first, $0.again] }, in: bytes)
        return out.map { Duplicate(path: $0.path, firstLine: lines[$0.first] ?? 1, line: lines[$0.again] ?? 1) }
    }

    /// The key paths of `original` that `known` lacks (fields a rewrite as `known` drops),
    /// walking both documents side by side; an explicit null is not counted (it decodes as
    /// absent). Nil when either is not JSON.
    public static func unknownKeys(in original: [UInt8], known: [UInt8]) -> [[JSONPathComponent]]? {
        var out: [[JSONPathComponent]]?
        withTape(original) { a, _ in
            withTape(known) { b, _ in
                var found: [[JSONPathComponent]] = []
                func walk(_ x: Int, _ y: Int, _ path: [JSONPathComponent]) {
                    let ex = a.entries[x]
                    let ey = b.entries[y]
                    switch (ex.kind, ey.kind) {
                    case (.object, .object):
                        var members: [String: Int] = [:]
                        var k = y + 1
                        for _ in 0..<ey.length {
                            members[b.string(b.entries[k])] = k + 1
                            k = Int(b.entries[k + 1].next)
                        }
                        k = x + 1
                        for _ in 0..<ex.length {
                            let key = a.string(a.entries[k])
                            if let other = members[key] {
                                walk(k + 1, other, path + [.key(key)])
                            } else if a.entries[k + 1].kind != .null {
                                found.append(path + [.key(key)])
                            }
                            k = Int(a.entries[k + 1].next)
                        }
                    case (.array, .array) where ex.length == ey.length:
                        var (i, j) = (x + 1, y + 1)
                        for index in 0..<Int(ex.length) {
                            walk(i, j, path + [.index(index)])
                            (i, j) = (Int(a.entries[i].next), Int(b.entries[j].next))
                        }
                    default: return
                    }
                }
                walk(0, 0, [])
                out = found.sorted { JSONPathComponent.render($0) < JSONPathComponent.render($1) }
            }
        }
        return out
    }

    /// Runs `body` over the document's tape and repeated keys; not at all when it is not JSON.
    static func withTape(_ bytes: [UInt8], _ body: (Tape, [(first: Int, again: Int)]) -> Void) {
        bytes.withUnsafeBufferPointer { buffer in
            var parser = TapeParser(buffer)
            guard parser.parseDocument() else { return }
            body(Tape(bytes: buffer, entries: parser.entries), parser.duplicates)
        }
    }

    /// The 1-based line of each byte offset.
    static func lineNumbers(_ offsets: [Int], in bytes: [UInt8]) -> [Int: Int] {
        var out: [Int: Int] = [:]
        var line = 1
        var i = 0
        for offset in Set(offsets).sorted() {
            while i < min(offset, bytes.count) {
                if bytes[i] == 0x0A { line += 1 }
                i += 1
            }
            out[offset] = line
        }
        return out
    }

    /// The 1-based line holding byte `offset`.
    public static func line(atOffset offset: Int, in bytes: [UInt8]) -> Int {
        lineNumbers([offset], in: bytes)[offset] ?? 1
    }
}
