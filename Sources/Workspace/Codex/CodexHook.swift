import Foundation
import GitKit
import StateModel
import StateStore

/// `codex-state codex hook session-start|session-end|stop`: what Codex's hooks run. Reads the
/// hook's JSON on stdin, prints only valid hook JSON or nothing, and never fails the hook: its
/// own failures become one short line of `additionalContext` (SessionStart) or of stderr.
public enum CodexHook {
    public enum Mode: String, CaseIterable, Sendable {
        case sessionStart = "session-start"
        case sessionEnd = "session-end"
        case stop
    }

    public struct Outcome: Sendable {
        /// What to print on stdout (nil: nothing).
        public var stdout: String?
        /// One line for stderr (Codex logs it; the model does not see it).
        public var stderr: String?
    }

    /// The session source that names a Codex thread.
    public static func source(thread: String) -> String { "codex:" + thread }

    public static func run(
        _ mode: Mode, input: [UInt8], directory: String, actor: String?, environment: [String: String]
    ) -> Outcome {
        let obj = (try? JSONSerialization.jsonObject(with: Data(input))) as? [String: Any]
        if obj == nil, mode == .sessionStart, !input.isEmpty {
            return context("codex-state: the SessionStart hook input is not JSON; the preamble is missing")
        }
        let cwd = (obj?["cwd"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? directory
        let thread = obj?["session_id"] as? String
        let ws: Workspace
        do {
            ws = try Workspace(directory: cwd, actor: actor, surface: .hook, environment: environment)
            guard ws.store.isInitialized else { return Outcome() }
        } catch {
            return Outcome()  // not a repository (or a bare one): nothing to say
        }
        switch mode {
        case .stop:
            return Outcome()
        case .sessionEnd:
            guard let thread else { return Outcome() }
            do {
                guard let open = try ws.openSession(), open.source == source(thread: thread) else { return Outcome() }
                _ = try ws.endSession(
                    summary: nil, decisions: [], followUps: [], command: "codex-state codex hook session-end")
                return Outcome()
            } catch {
                return Outcome(stderr: "codex-state: session end: " + oneLine(error))
            }
        case .sessionStart:
            var note: String?
            if let thread {
                do {
                    let src = source(thread: thread)
                    let open = try ws.openSession()
                    if open?.source != src {
                        // A Codex thread whose SessionEnd never ran (killed, crashed) is ended here;
                        // a session someone opened by hand stays open.
                        _ = try ws.startSession(
                            summary: nil, source: src, replace: open?.source.hasPrefix("codex:") == true,
                            command: "codex-state codex hook session-start")
                    }
                } catch SessionError.alreadyOpen {
                    // Someone's own session stays open; this thread's work is journaled into it.
                } catch {
                    note = "codex-state: no session opened: " + oneLine(error)
                }
            }
            do {
                var text = String(decoding: try ws.preamble(PreambleRequest(format: .markdown)), as: UTF8.self)
                if let note { text += "\n" + note + "\n" }
                return context(text)
            } catch {
                return context("codex-state: no preamble: " + oneLine(error) + hint(error))
            }
        }
    }

    static func hint(_ error: Error) -> String {
        if case StoreError.invalidStateFile = error { return " (run codex-state check in a terminal)" }
        return ""
    }

    static func context(_ text: String) -> Outcome {
        let payload = JSONValue.object([
            "hookSpecificOutput": .object([
                "hookEventName": .string("SessionStart"), "additionalContext": .string(text),
            ])
        ])
        return Outcome(stdout: String(decoding: payload.json(.compact), as: UTF8.self) + "\n")
    }

    static func oneLine(_ error: Error) -> String {
        "\(error)".split(whereSeparator: \.isNewline)
            .joined(separator: " ")
    }
}

/// What to do when a write fails because the git directory is read-only (a Codex sandbox).
public func sandboxHint(for error: Error) -> String? {
    guard case StoreError.io(let path, _, let reason) = error, reason.contains("Read-only file system") else {
        return nil
    }
    // The per-clone data lives in <git dir>/codex-state/.
    let dir = path.range(of: "/codex-state/").map { String(path[..<$0.lowerBound]) } ?? "the repository's .git"
    return
        "inside a Codex sandbox \(dir) is read-only: use the codex-state MCP tools (mcp__codex_state), or run 'codex-state codex install' outside the sandbox (it adds \(dir) to sandbox_workspace_write.writable_roots; the read-only sandbox writes nothing)"
}
