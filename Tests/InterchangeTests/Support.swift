import Foundation
import Testing

@testable import Interchange
@testable import StateModel

let t0 = Timestamp(iso8601: "2026-02-01T12:00:00Z")!

func ctx(_ actor: String = "importer", at: Timestamp = t0, nonce: UInt64 = 7) -> MutationContext {
    MutationContext(
        actor: actor, now: at, branch: "main", head: "0123456789abcdef0123456789abcdef01234567", nonce: nonce)
}

enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Fixtures")

    static func bytes(_ name: String) -> [UInt8] {
        Array(FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) ?? Data())
    }

    /// Reads beads JSONL the way the workspace streams it: a line at a time.
    static func beads(_ bytes: [UInt8], file: String = "issues.jsonl") throws -> ImportBatch {
        var reader = Beads.Reader(file: file)
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        let terminated = bytes.last == 0x0A
        if terminated { lines.removeLast() }
        for (i, line) in lines.enumerated() {
            reader.line(line, number: i + 1, terminated: terminated || i < lines.count - 1)
        }
        return try reader.finish()
    }

    static func beads(_ text: String) throws -> ImportBatch { try beads(Array(text.utf8)) }

    /// The problems an input is refused with.
    static func problems(_ body: () throws -> ImportBatch) -> [String] {
        do {
            _ = try body()
            return []
        } catch let e as ImportError {
            return e.problems
        } catch {
            return ["\(error)"]
        }
    }
}

extension ProjectState {
    /// The task imported from `source`.
    func task(from source: String) -> TaskRecord? { tasks.values.first { $0.source?.id == source } }
}
