import Foundation
import StateModel

/// The clone's record of rewritten commits (from post-rewrite), so anchors that immutable
/// session files or other branches still name can be followed to their new commits. Local to
/// the clone, under the common git dir; appended to, never rewritten.
public struct RewriteMap: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    struct Line: Codable {
        var old: String
        var new: String
        var kind: String
        var at: Timestamp
    }

    public func append(_ rewrites: [Rewrite], kind: String, at: Timestamp) throws {
        guard !rewrites.isEmpty else { return }
        try Files.makeDirectory(Files.directory(of: path))
        var bytes: [UInt8] = []
        for (i, r) in rewrites.enumerated() {
            if i > 0 { bytes.append(0x0A) }
            bytes += try CanonicalJSON.encodeCompact(Line(old: r.old, new: r.new, kind: kind, at: at))
        }
        try Files.appendLine(bytes, to: path)
    }

    /// old → new for every recorded rewrite (a later rewrite of the same commit wins).
    public func load() throws -> [String: String] {
        guard Files.exists(path) else { return [:] }
        let decoder = JSONDecoder()
        var map: [String: String] = [:]
        for line in try Files.read(path).split(separator: 0x0A) where !line.isEmpty {
            if let l = try? decoder.decode(Line.self, from: Data(line)), l.old != l.new { map[l.old] = l.new }
        }
        return map
    }
}
