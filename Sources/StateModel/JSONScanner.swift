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

/// A minimal JSON tokenizer over bytes that knows lines: where a key or element is, and which
/// keys repeat. It assumes syntactically valid JSON (the decoder has accepted it).
public enum JSONScanner {
    /// A trie of wanted paths, so the scan follows only the branches that lead somewhere.
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
        var out: [[JSONPathComponent]: Int] = [:]
        var scanner = Scanner(bytes: bytes)
        scanner.visit = { component, nodeAbove, line in
            guard let node = nodeAbove?.children[component] else { return nil }
            if let w = node.wanted, out[w] == nil { out[w] = line }
            return node.children.isEmpty ? nil : node
        }
        scanner.run(root: root)
        return out
    }

    public struct Duplicate: Sendable {
        public var path: [JSONPathComponent]
        public var firstLine: Int
        public var line: Int
    }

    /// Every key that appears again in the same object, at any depth, with both lines.
    public static func duplicateKeys(in bytes: [UInt8]) -> [Duplicate] {
        var scanner = Scanner(bytes: bytes)
        scanner.trackKeys = true
        scanner.run(root: nil)
        return scanner.duplicates
    }

    struct Scanner {
        let bytes: [UInt8]
        var i = 0
        var line = 1
        /// Called for each object member (with its key) and array element (with its index):
        /// given the trie node of the container, returns the node for the value, if any.
        var visit: ((JSONPathComponent, Node?, Int) -> Node?)?
        var trackKeys = false
        var duplicates: [Duplicate] = []
        var path: [JSONPathComponent] = []

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func run(root: Node?) {
            skipSpace()
            value(node: root)
        }

        mutating func skipSpace() {
            while i < bytes.count {
                switch bytes[i] {
                case 0x0A:
                    line += 1
                    i += 1
                case 0x20, 0x09, 0x0D: i += 1
                default: return
                }
            }
        }

        mutating func value(node: Node?) {
            guard i < bytes.count else { return }
            switch bytes[i] {
            case 0x7B: object(node: node)
            case 0x5B: array(node: node)
            case 0x22: _ = string(decode: false)
            default:
                while i < bytes.count {
                    let c = bytes[i]
                    if c == 0x2C || c == 0x7D || c == 0x5D || c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 {
                        break
                    }
                    i += 1
                }
            }
        }

        mutating func object(node: Node?) {
            i += 1  // {
            var seen: [String: Int] = [:]
            skipSpace()
            if i < bytes.count, bytes[i] == 0x7D {
                i += 1
                return
            }
            while i < bytes.count {
                skipSpace()
                let keyLine = line
                let wantKey = trackKeys || (node.map { !$0.children.isEmpty } ?? false)
                let key = string(decode: wantKey) ?? ""
                skipSpace()
                if i < bytes.count, bytes[i] == 0x3A { i += 1 }
                skipSpace()
                let child: Node? = wantKey ? visit?(.key(key), node, keyLine) ?? nil : nil
                if trackKeys {
                    if let first = seen[key] {
                        duplicates.append(Duplicate(path: path + [.key(key)], firstLine: first, line: keyLine))
                    } else {
                        seen[key] = keyLine
                    }
                    path.append(.key(key))
                }
                value(node: child)
                if trackKeys { path.removeLast() }
                skipSpace()
                guard i < bytes.count else { return }
                if bytes[i] == 0x2C {
                    i += 1
                    continue
                }
                i += 1  // }
                return
            }
        }

        mutating func array(node: Node?) {
            i += 1  // [
            skipSpace()
            if i < bytes.count, bytes[i] == 0x5D {
                i += 1
                return
            }
            var index = 0
            while i < bytes.count {
                skipSpace()
                let child: Node? = node != nil ? visit?(.index(index), node, line) ?? nil : nil
                if trackKeys { path.append(.index(index)) }
                value(node: child)
                if trackKeys { path.removeLast() }
                index += 1
                skipSpace()
                guard i < bytes.count else { return }
                if bytes[i] == 0x2C {
                    i += 1
                    continue
                }
                i += 1  // ]
                return
            }
        }

        /// Skips a string (at its opening quote); decodes it when asked.
        mutating func string(decode: Bool) -> String? {
            i += 1
            let start = i
            var escaped = false
            while i < bytes.count {
                let c = bytes[i]
                if c == 0x0A { line += 1 }
                if c == 0x5C {
                    escaped = true
                    i += 2
                    continue
                }
                if c == 0x22 { break }
                i += 1
            }
            let end = min(i, bytes.count)
            i += 1
            guard decode else { return nil }
            let raw = Array(bytes[start..<end])
            if !escaped { return String(decoding: raw, as: UTF8.self) }
            let quoted = [0x22] + raw + [0x22]
            return (try? JSONDecoder().decode(String.self, from: Data(quoted))) ?? String(decoding: raw, as: UTF8.self)
        }
    }
}
