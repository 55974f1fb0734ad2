import Foundation
import Workspace

enum Output {
    static func emit(_ bytes: [UInt8]) {
        FileHandle.standardOutput.write(Data(bytes))
    }

    /// Prints one line of human-readable text. Every text renderer prints through here, so text
    /// from the state file, sessions or the journal (titles, labels, actors, branches, ids) can
    /// never reach the terminal as control codes or start a forged row (see ``clean(_:)``).
    /// JSON output does not come here: it stays exact.
    static func line(_ s: String) {
        emit(Array((clean(s) + "\n").utf8))
    }

    /// `-q`/`--quiet`: no confirmations and no warnings; what a command was asked for (a
    /// listing, an id, `--json`) and errors are still printed.
    nonisolated(unsafe) static var quiet = false

    /// A confirmation of a change ("completed t-…"): left out with `--quiet`.
    static func confirm(_ s: String) {
        if !quiet { line(s) }
    }

    /// Prints a multi-line text this tool wrote itself (a shell function for `eval`), line breaks
    /// kept: every line is cleaned as ``line(_:)`` cleans it.
    static func script(_ s: String) {
        for l in s.split(separator: "\n", omittingEmptySubsequences: false) { line(String(l)) }
    }

    /// A warning of the command's own (not the workspace's), on stderr; left out with `--quiet`.
    static func warning(_ s: String) {
        if quiet { return }
        FileHandle.standardError.write(Data(("codex-state: warning: " + clean(s) + "\n").utf8))
    }

    /// A hint on stderr (what to run next); left out with `--quiet`.
    static func hint(_ s: String) {
        if quiet { return }
        FileHandle.standardError.write(Data(("codex-state: hint: " + clean(s) + "\n").utf8))
    }

    /// A clone where `init` never ran (a fresh clone of a repository that has the state) has no
    /// merge driver and no hooks: the state merges as text and rewrites are not followed. A
    /// configuration that cannot be read gives no hint (nothing is claimed either way).
    static func hintIfNotSetUp(_ ws: Workspace) {
        do {
            guard try !ws.mergeDriverIsSet() else { return }
        } catch {
            return
        }
        hint(
            "this clone is not set up for codex-state (no merge driver, no hooks): run codex-state init once (it keeps the state file as it is)"
        )
    }

    static func error(_ s: String) {
        FileHandle.standardError.write(Data(("codex-state: error: " + clean(s) + "\n").utf8))
    }

    /// How many of the workspace's warnings were printed already: a command may print them at
    /// several points, each warning once.
    nonisolated(unsafe) private static var warningsPrinted = 0

    static func warnings(_ ws: Workspace) {
        let fresh = ws.warnings.dropFirst(warningsPrinted)
        warningsPrinted = ws.warnings.count
        if quiet { return }
        for w in fresh { FileHandle.standardError.write(Data(("codex-state: " + clean(w) + "\n").utf8)) }
    }

    /// JSON in the same canonical form as the state file: sorted keys, two-space indent.
    static func json<T: Encodable>(_ value: T) throws {
        emit(try CanonicalJSON.encode(value))
    }

    /// Makes text safe for one terminal line: line breaks and tabs become spaces; C0 and C1
    /// control characters (ESC, CSI, BEL, …), DEL and bidirectional overrides are dropped.
    static func clean(_ s: String) -> String {
        // The common case has none of them: no copy.
        guard s.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 || $0 == 0xE2 }) else { return s }
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            switch u.value {
            case 0x0A, 0x0B, 0x0C, 0x0D, 0x09, 0x85, 0x2028, 0x2029: out.append(" ")
            case 0..<0x20, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: continue
            default: out.append(u)
            }
        }
        return String(out)
    }
}

/// What a render function returns: the bytes of its output, built the way ``Output`` prints
/// (every text line cleaned, JSON exact), so the render cache stores exactly what is printed.
struct Rendered {
    var bytes: [UInt8] = []

    mutating func line(_ s: String) {
        bytes += Array((Output.clean(s) + "\n").utf8)
    }

    mutating func json<T: Encodable>(_ value: T) throws {
        bytes += try CanonicalJSON.encode(value)
    }
}
