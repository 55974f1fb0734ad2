import CLibGit2

#if canImport(Glibc)
    import Glibc
#endif

/// git's commit-graph file (`objects/info/commit-graph`, or a chain under
/// `objects/info/commit-graphs/`), read directly.
///
/// libgit2 1.5 ignores graphs written with generation data v2 (git 2.39's default), so its walks
/// inflate every commit object: ~1 s for an ancestry question 100,000 commits deep, where git
/// answers from the graph in ~70 ms. The graph lists every commit's parents by position, so a
/// walk over it reads no objects at all. Format: git's Documentation/gitformat-commit-graph.txt.
/// Only what ancestry needs is read: the OID fanout and lookup, the parents and topological
/// levels in the commit data chunk, and the extra-edge chunk. The files are mapped, not read:
/// a question about a recent commit touches a few pages of a 6 MB graph.
final class CommitGraph {
    /// One file of the graph (a chain has several, base first; positions continue across them).
    private struct Layer {
        let bytes: UnsafeRawBufferPointer
        let fanout: Int  // offsets into `bytes`
        let lookup: Int
        let data: Int
        let edges: Int?
        let count: Int
        let first: Int  // the global position of this layer's first commit
    }

    private let layers: [Layer]
    let count: Int
    /// Every commit has its topological level (files written by git ≥ 2.18): a walk may stop
    /// below the lowest level it looks for.
    let hasLevels: Bool

    private static let hashLength = 20
    private static let noParent: UInt32 = 0x7000_0000
    private static let extraEdges: UInt32 = 0x8000_0000

    private init(layers: [Layer]) {
        self.layers = layers
        count = layers.reduce(0) { $0 + $1.count }
        hasLevels = layers.allSatisfy { layer in
            layer.count == 0 || Self.be32(layer.bytes, layer.data + Self.hashLength + 8) >> 2 != 0
        }
    }

    deinit {
        for layer in layers { munmap(UnsafeMutableRawPointer(mutating: layer.bytes.baseAddress), layer.bytes.count) }
    }

    /// The graph in `objectsDir`, or nil when there is none or it cannot be trusted (any
    /// structural problem: the caller then walks with libgit2).
    static func load(objectsDir: String) -> CommitGraph? {
        let dir = objectsDir.hasSuffix("/") ? objectsDir : objectsDir + "/"
        if let bytes = map(dir + "info/commit-graph") {
            guard let layer = parse(bytes, first: 0) else {
                unmap(bytes)
                return nil
            }
            return CommitGraph(layers: [layer])
        }
        guard let chain = map(dir + "info/commit-graphs/commit-graph-chain") else { return nil }
        defer { unmap(chain) }
        var layers: [Layer] = []
        var first = 0
        for line in chain.split(separator: 0x0A) where !line.isEmpty {
            let name = String(decoding: line, as: UTF8.self)
            guard name.utf8.count == 40, let bytes = map(dir + "info/commit-graphs/graph-\(name).graph") else {
                for layer in layers { unmap(layer.bytes) }
                return nil
            }
            guard let layer = parse(bytes, first: first) else {
                unmap(bytes)
                for layer in layers { unmap(layer.bytes) }
                return nil
            }
            layers.append(layer)
            first += layer.count
        }
        return layers.isEmpty ? nil : CommitGraph(layers: layers)
    }

    /// The file mapped read-only, or nil when it does not exist or is empty.
    private static func map(_ path: String) -> UnsafeRawBufferPointer? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size > 0 else { return nil }
        let size = Int(st.st_size)
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else { return nil }
        return UnsafeRawBufferPointer(start: base, count: size)
    }

    private static func unmap(_ bytes: UnsafeRawBufferPointer) {
        munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
    }

    private static func be32(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
    }

    private static func be64(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        UInt64(be32(b, at)) << 32 | UInt64(be32(b, at + 4))
    }

    private static func parse(_ b: UnsafeRawBufferPointer, first: Int) -> Layer? {
        // Header: "CGPH", version 1, hash version 1 (SHA-1), chunk count, base graph count.
        guard b.count >= 8, b[0] == 0x43, b[1] == 0x47, b[2] == 0x50, b[3] == 0x48, b[4] == 1, b[5] == 1 else {
            return nil
        }
        let chunks = Int(b[6])
        guard b.count >= 8 + (chunks + 1) * 12 else { return nil }
        var offsets: [UInt32: (Int, Int)] = [:]
        for i in 0..<chunks {
            let entry = 8 + i * 12
            let next = entry + 12
            let start = be64(b, entry + 4)
            let end = be64(b, next + 4)
            guard start <= end, end <= UInt64(b.count) else { return nil }
            offsets[be32(b, entry)] = (Int(start), Int(end))
        }
        guard let fanout = offsets[0x4F49_4446],  // OIDF
            let lookup = offsets[0x4F49_444C],  // OIDL
            let data = offsets[0x4344_4154],  // CDAT
            fanout.1 - fanout.0 == 256 * 4
        else { return nil }
        let count = Int(be32(b, fanout.0 + 255 * 4))
        guard lookup.1 - lookup.0 == count * hashLength, data.1 - data.0 == count * (hashLength + 16) else {
            return nil
        }
        return Layer(
            bytes: b, fanout: fanout.0, lookup: lookup.0, data: data.0, edges: offsets[0x4544_4745]?.0, count: count,
            first: first)
    }

    /// The global position of a commit, or nil when the graph does not have it.
    func position(of id: git_oid) -> Int? {
        withUnsafeBytes(of: id.id) { raw -> Int? in
            for layer in layers {
                let b = layer.bytes
                let top = Int(raw[0])
                var lo = top == 0 ? 0 : Int(Self.be32(b, layer.fanout + (top - 1) * 4))
                var hi = Int(Self.be32(b, layer.fanout + top * 4))
                guard lo <= hi, hi <= layer.count else { return nil }
                while lo < hi {
                    let mid = (lo + hi) / 2
                    let at = layer.lookup + mid * Self.hashLength
                    var order = 0
                    for k in 0..<Self.hashLength where b[at + k] != raw[k] {
                        order = b[at + k] < raw[k] ? -1 : 1
                        break
                    }
                    if order == 0 { return layer.first + mid }
                    if order < 0 { lo = mid + 1 } else { hi = mid }
                }
            }
            return nil
        }
    }

    private func layer(of position: Int) -> Layer? {
        guard let layer = layers.last(where: { $0.first <= position }), position - layer.first < layer.count else {
            return nil
        }
        return layer
    }

    /// The topological level of the commit at `position` (1 for a root commit; every parent's
    /// is lower), or nil when the graph does not record it.
    func level(of position: Int) -> UInt32? {
        guard hasLevels, let layer = layer(of: position) else { return nil }
        let at = layer.data + (position - layer.first) * (Self.hashLength + 16) + Self.hashLength + 8
        return Self.be32(layer.bytes, at) >> 2
    }

    /// Calls `body` with the global position of each parent of the commit at `position`; false
    /// when the graph is inconsistent (a position out of range).
    func forEachParent(of position: Int, _ body: (Int) -> Void) -> Bool {
        guard let layer = layer(of: position) else { return false }
        let b = layer.bytes
        let at = layer.data + (position - layer.first) * (Self.hashLength + 16) + Self.hashLength
        let p1 = Self.be32(b, at)
        let p2 = Self.be32(b, at + 4)
        if p1 != Self.noParent {
            guard Int(p1) < count else { return false }
            body(Int(p1))
        }
        if p2 == Self.noParent { return true }
        if p2 & Self.extraEdges == 0 {
            guard Int(p2) < count else { return false }
            body(Int(p2))
            return true
        }
        // An octopus merge: its second and later parents are listed in the extra-edge chunk,
        // the last one flagged with the high bit.
        guard let edges = layer.edges else { return false }
        var e = edges + Int(p2 & ~Self.extraEdges) * 4
        while e + 4 <= b.count {
            let v = Self.be32(b, e)
            let parent = Int(v & ~Self.extraEdges)
            guard parent < count else { return false }
            body(parent)
            if v & Self.extraEdges != 0 { return true }
            e += 4
        }
        return false
    }
}
