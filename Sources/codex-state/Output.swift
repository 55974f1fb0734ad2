import Foundation
import StateModel
import Workspace

enum Output {
    /// While a read command renders into the render cache, output is collected here instead.
    nonisolated(unsafe) private static var captured: [UInt8]?

    /// Runs `body`, returning what it printed to standard output instead of printing it.
    static func capture(_ body: () throws -> Void) rethrows -> [UInt8] {
        let outer = captured
        captured = []
        defer { captured = outer }
        try body()
        return captured ?? []
    }

    static func emit(_ bytes: [UInt8]) {
        if captured != nil {
            captured?.append(contentsOf: bytes)
        } else {
            FileHandle.standardOutput.write(Data(bytes))
        }
    }

    static func line(_ s: String) {
        emit(Array((s + "\n").utf8))
    }

    static func error(_ s: String) {
        FileHandle.standardError.write(Data(("codex-state: error: " + s + "\n").utf8))
    }

    static func warnings(_ ws: Workspace) {
        for w in ws.warnings { FileHandle.standardError.write(Data(("codex-state: " + w + "\n").utf8)) }
    }

    /// JSON in the same canonical form as the state file: sorted keys, two-space indent.
    static func json<T: Encodable>(_ value: T) throws {
        emit(try CanonicalJSON.encode(value))
    }

    /// Makes text from the state file safe for one terminal line.
    static func clean(_ s: String) -> String {
        String(s.map { $0.isNewline || $0 == "\t" ? " " : $0 }).filter { c in
            !c.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
        }
    }
}
