import Foundation
import StateModel

/// What a Codex rollout says about one session, read line by line. Unknown line types and
/// fields are ignored; a line that is not JSON (a cut-off last line, invalid UTF-8) is counted
/// and skipped. Every text is redacted as it is read.
public struct Rollout: Sendable {
    public var file: String
    public var thread: String?
    public var cwd: String?
    public var branch: String?
    public var commit: String?
    public var originator: String?
    public var cliVersion: String?
    public var started: Timestamp?
    public var ended: Timestamp?
    /// What the user typed (not the context Codex injected).
    public var prompts: [String] = []
    /// Shell commands the agent ran.
    public var commands: [String] = []
    /// Paths the agent changed with apply_patch, sorted.
    public var files: [String] = []
    /// codex-state tool calls and commands, in order (`next`, `complete t-…`).
    public var stateCalls: [String] = []
    /// Task ids (or prefixes) completed through codex-state during the session.
    public var completed: [String] = []
    /// The last plan written with update_plan: (step, status).
    public var plan: [(step: String, status: String)] = []
    public var skippedLines = 0
    /// Lines longer than ``Limits/rolloutLineBytes``, skipped unread.
    public var oversizedLines = 0
    public var truncatedLastLine = false

    /// Reads the rollout at `path`. `headerOnly` stops after `session_meta`.
    public static func read(_ path: String, headerOnly: Bool = false) throws -> Rollout {
        var r = Rollout(file: path)
        let reader = try RolloutLineReader(path: path)
        var files = Set<String>()
        var pendingCompletes: [String: String] = [:]  // call id -> task id
        var shellCompletes: [String: String] = [:]
        var failedCalls = Set<String>()
        var legacyPrompts: [String] = []
        var sawKinds = false
        while let line = try reader.next() {
            guard !line.isEmpty else { continue }
            guard let obj = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
                r.skippedLines += 1
                continue
            }
            if let t = (obj["timestamp"] as? String).flatMap(Self.timestamp) {
                if r.started == nil { r.started = t }
                r.ended = t
            }
            let payload = obj["payload"] as? [String: Any] ?? [:]
            switch obj["type"] as? String {
            case "session_meta":
                r.thread = (payload["id"] as? String) ?? (payload["session_id"] as? String)
                r.cwd = payload["cwd"] as? String
                let git = payload["git"] as? [String: Any]
                r.branch = git?["branch"] as? String
                r.commit = git?["commit_hash"] as? String
                r.originator = payload["originator"] as? String
                r.cliVersion = payload["cli_version"] as? String
                if headerOnly { return r }
            case "response_item":
                switch payload["type"] as? String {
                case "message" where payload["role"] as? String == "user":
                    let text = (payload["content"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
                        .joined(separator: "\n")
                    let kinds =
                        (payload["internal_chat_message_metadata_passthrough"] as? [String: Any])?[
                            "content_item_kinds"] as? [String]
                    if let kinds {
                        sawKinds = true
                        if kinds.contains("user.text") { r.prompts.append(clean(text)) }
                    } else if !Self.isInjected(text) {
                        legacyPrompts.append(clean(text))
                    }
                case "function_call":
                    let name = payload["name"] as? String ?? ""
                    let ns = payload["namespace"] as? String
                    let callID = payload["call_id"] as? String ?? ""
                    let args =
                        (payload["arguments"] as? String).flatMap {
                            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                        } ?? [:]
                    if ns == "mcp__codex_state" || name.hasPrefix("mcp__codex_state__") {
                        let tool = ns == nil ? String(name.dropFirst("mcp__codex_state__".count)) : name
                        let id = args["id"] as? String
                        r.stateCalls.append(clean(tool + (id.map { " " + $0 } ?? "")))
                        if tool == "complete", let id { pendingCompletes[callID] = id }
                    } else if ["exec_command", "shell", "shell_command", "local_shell"].contains(name) {
                        let cmd: String?
                        if let c = args["cmd"] as? String {
                            cmd = c
                        } else if let c = args["command"] as? [String] {
                            cmd = c.joined(separator: " ")
                        } else {
                            cmd = args["command"] as? String
                        }
                        if let cmd {
                            r.commands.append(clean(cmd))
                            if let call = Self.stateCommand(cmd) {
                                r.stateCalls.append(clean(call))
                                if call.hasPrefix("complete "), let id = call.split(separator: " ").dropFirst().first {
                                    shellCompletes[callID] = String(id)
                                }
                            }
                        }
                    } else if name == "update_plan" {
                        let steps = args["plan"] as? [[String: Any]] ?? []
                        r.plan = steps.compactMap { s in
                            (s["step"] as? String).map { (clean($0), s["status"] as? String ?? "pending") }
                        }
                    }
                case "function_call_output":
                    let callID = payload["call_id"] as? String ?? ""
                    if let id = shellCompletes.removeValue(forKey: callID) {
                        // A shell complete counts when codex-state said it did.
                        if Self.outputText(payload["output"]).contains("completed ") { pendingCompletes[callID] = id }
                    }
                case "custom_tool_call" where payload["name"] as? String == "apply_patch":
                    for path in Self.patchedFiles(payload["input"] as? String ?? "") { files.insert(path) }
                default: break
                }
            case "event_msg":
                guard payload["type"] as? String == "item_completed", let item = payload["item"] as? [String: Any]
                else { break }
                switch item["type"] as? String {
                case "McpToolCall" where item["status"] as? String == "failed":
                    if let id = item["id"] as? String { failedCalls.insert(id) }
                case "FileChange":
                    for c in item["changes"] as? [[String: Any]] ?? [] {
                        if let p = c["path"] as? String { files.insert(p) }
                    }
                default: break
                }
            default:
                break  // turn_context, world_state, token usage, compacted, and types to come
            }
        }
        if !sawKinds { r.prompts = legacyPrompts }
        r.completed = pendingCompletes.filter { !failedCalls.contains($0.key) }.sorted { $0.key < $1.key }.map(\.value)
        r.files = files.map { path in
            guard let cwd = r.cwd, path.hasPrefix(cwd + "/") else { return path }
            return String(path.dropFirst(cwd.count + 1))
        }.sorted()
        r.truncatedLastLine = reader.lastLineTruncated && r.skippedLines > 0
        r.oversizedLines = reader.oversizedLines
        return r
    }

    /// The longest text of a rollout a snapshot keeps (a quarter of ``Limits/fieldBytes``: a
    /// follow-up adds its prefix, the summary quotes several).
    static let textBytes = Limits.fieldBytes / 4

    /// A rollout's text as a snapshot stores it: redacted, without U+0000 (which no stored field
    /// may hold: ``Limits/StringProblem/nul``), cut to ``textBytes``.
    static func clean(_ text: String) -> String {
        var t = Redaction.redact(text).text
        if t.utf8.contains(0) { t = t.replacingOccurrences(of: "\u{0}", with: "") }
        if t.utf8.count > textBytes {
            t = String(decoding: t.utf8.prefix(textBytes - 4), as: UTF8.self)
            while t.utf8.count > textBytes - 4 { t.removeLast() }
            t += " …"
        }
        return t
    }

    /// Codex 0.163 timestamps carry milliseconds; the state keeps whole seconds.
    static func timestamp(_ text: String) -> Timestamp? {
        guard text.count >= 19 else { return nil }
        return Timestamp(iso8601: String(text.prefix(19)) + "Z")
    }

    /// Context Codex injects as user messages in rollouts without content kinds.
    static func isInjected(_ text: String) -> Bool {
        ["# AGENTS.md instructions", "<environment_context>", "<user_instructions>", "<permissions instructions>"]
            .contains { text.hasPrefix($0) }
    }

    /// `codex-state complete X` (any path to the binary) in a shell command → `complete X`.
    static func stateCommand(_ cmd: String) -> String? {
        let words = cmd.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "'" || $0 == "\"" }).map(String.init)
        guard let i = words.firstIndex(where: { $0 == "codex-state" || $0.hasSuffix("/codex-state") }),
            i + 1 < words.count
        else { return nil }
        return words[(i + 1)...].prefix(3).joined(separator: " ")
    }

    static func outputText(_ output: Any?) -> String {
        if let s = output as? String { return s }
        if let items = output as? [[String: Any]] { return items.compactMap { $0["text"] as? String }.joined() }
        return ""
    }

    static func patchedFiles(_ patch: String) -> [String] {
        patch.split(separator: "\n").compactMap { line in
            for prefix in ["*** Update File: ", "*** Add File: ", "*** Delete File: ", "*** Move to: "]
            where line.hasPrefix(prefix) {
                return String(line.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
            }
            return nil
        }
    }

    /// A summary computed from the rollout alone (no model): the same rollout, the same text.
    public var summary: String {
        var parts = ["Codex thread \(thread ?? "?")"]
        parts.append(
            "\(prompts.count) prompt(s), \(commands.count) command(s), \(files.count) file(s) changed")
        if !stateCalls.isEmpty {
            let calls = stateCalls.prefix(8).map { $0.count > 200 ? String($0.prefix(200)) + "…" : $0 }
            parts.append("codex-state: " + calls.joined(separator: ", "))
        }
        var text = parts.joined(separator: "; ") + "."
        for (i, p) in prompts.prefix(5).enumerated() {
            let one = p.split(whereSeparator: \.isNewline).joined(separator: " ")
            text += "\nPrompt \(i + 1): " + (one.count > 300 ? String(one.prefix(300)) + "…" : one)
        }
        if prompts.count > 5 { text += "\n(\(prompts.count - 5) more prompt(s))" }
        return text
    }
}
