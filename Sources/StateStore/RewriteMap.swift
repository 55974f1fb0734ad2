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
    public func load() throws -> [String: String] { try read().map }

    /// The map, and how many lines could not be read (not counting a last line torn by a crash).
    public func read() throws -> (map: [String: String], badLines: Int) {
        let decoder = JSONDecoder()
        let (lines, bad) = try Files.readRecords(path) { try? decoder.decode(Line.self, from: Data($0)) }
        var map: [String: String] = [:]
        for l in lines where l.old != l.new { map[l.old] = l.new }
        return (map, bad)
    }
}
