import Foundation
import StateModel

/// Codex's hook events this tool installs or reads, with the labels trust keys use.
public enum CodexHookEvent: String, CaseIterable, Sendable {
    case sessionStart = "SessionStart"
    case sessionEnd = "SessionEnd"
    case stop = "Stop"
    case userPromptSubmit = "UserPromptSubmit"
    case preToolUse = "PreToolUse"
    case postToolUse = "PostToolUse"
    case preCompact = "PreCompact"
    case postCompact = "PostCompact"

    /// The snake_case label of trust keys and hashes.
    public var label: String {
        var out = ""
        for (i, c) in rawValue.enumerated() {
            if c.isUppercase, i > 0 { out += "_" }
            out += c.lowercased()
        }
        return out
    }
}

/// One command handler of a hook group, as Codex normalises it for its trust hash.
public struct CodexHookHandler: Equatable, Sendable {
    public var type: String
    public var command: String
    public var timeout: Int?
    public var statusMessage: String?

    public init(command: String, timeout: Int?, statusMessage: String? = nil, type: String = "command") {
        self.type = type
        self.command = command
        self.timeout = timeout
        self.statusMessage = statusMessage
    }
}

public enum CodexTrust {
    /// Codex's default hook timeout in seconds, for every event but SessionEnd.
    public static let defaultTimeout = 600

    /// The timeout Codex 0.163 gives a handler of `event` that sets none: SessionEnd runs as
    /// the session closes and gets 1 s; every other event 600 s. The trust hash holds this
    /// effective value, so a hash computed with another default names a hook Codex skips.
    public static func defaultTimeout(for event: CodexHookEvent) -> Int {
        event == .sessionEnd ? 1 : defaultTimeout
    }

    /// `sha256:<hex>` of the compact, key-sorted JSON of `{event_name, matcher?, hooks: [handler]}`.
    public static func hash(event: CodexHookEvent, matcher: String?, handler: CodexHookHandler) -> String {
        var h: [(String, String)] = [
            ("async", "false"), ("command", quote(handler.command)),
            ("timeout", String(handler.timeout ?? defaultTimeout(for: event))), ("type", quote(handler.type)),
        ]
        if let s = handler.statusMessage { h.append(("statusMessage", quote(s))) }
        let handlerJSON = object(h)
        var top: [(String, String)] = [("event_name", quote(event.label)), ("hooks", "[" + handlerJSON + "]")]
        if let m = matcher { top.append(("matcher", quote(m))) }
        return "sha256:" + ContentHash.sha256(Array(object(top).utf8))
    }

    /// The `[hooks.state]` key of handler `handler` of group `group`, defined in `file` (a real path).
    public static func key(file: String, event: CodexHookEvent, group: Int, handler: Int) -> String {
        "\(file):\(event.label):\(group):\(handler)"
    }

    static func object(_ pairs: [(String, String)]) -> String {
        "{" + pairs.sorted { $0.0 < $1.0 }.map { quote($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    /// A JSON string as serde_json writes it (no escaped slashes, non-ASCII as is).
    static func quote(_ s: String) -> String { quotedString(s, escapingDelete: false) }
}

/// Where Codex keeps its configuration.
public struct CodexPaths: Sendable {
    /// `$CODEX_HOME` (default `~/.codex`) as given.
    public var home: String
    /// Its real path: Codex matches trust keys against it.
    public var realHome: String
    public var config: String { realHome + "/config.toml" }
    public var hooksFile: String { realHome + "/hooks.json" }

    public init(environment: [String: String]) {
        let given =
            environment["CODEX_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.codex")
        home = given
        realHome = realPath(given) ?? given
    }
}

/// The resolved path, or nil when it does not exist.
public func realPath(_ path: String) -> String? {
    guard let r = realpath(path, nil) else { return nil }
    defer { free(r) }
    return String(cString: r)
}

/// A group of a hooks file or of config.toml's `[hooks]`, with where it was defined.
public struct CodexHookGroup: Sendable, Equatable {
    public var event: CodexHookEvent
    public var index: Int
    public var matcher: String?
    public var handlers: [CodexHookHandler]
}

/// Reads the hook groups of a hooks.json text (`{"hooks": {"SessionStart": [{"hooks": [...]}]}}`).
public func codexHookGroups(json: [String: Any]) -> [CodexHookGroup] {
    guard let events = json["hooks"] as? [String: Any] else { return [] }
    var out: [CodexHookGroup] = []
    for event in CodexHookEvent.allCases {
        for (i, g) in (events[event.rawValue] as? [Any] ?? []).enumerated() {
            let group = g as? [String: Any] ?? [:]
            let handlers = (group["hooks"] as? [Any] ?? []).compactMap { h -> CodexHookHandler? in
                guard let h = h as? [String: Any], let c = h["command"] as? String else { return nil }
                return CodexHookHandler(
                    command: c,
                    timeout: (h["timeout"] as? NSNumber)?.intValue ?? (h["timeoutSec"] as? NSNumber)?.intValue,
                    statusMessage: h["statusMessage"] as? String, type: h["type"] as? String ?? "command")
            }
            out.append(CodexHookGroup(event: event, index: i, matcher: group["matcher"] as? String, handlers: handlers))
        }
    }
    return out
}

/// Reads the hook groups of config.toml's `[[hooks.<Event>]]` tables.
public func codexHookGroups(toml root: TOMLValue) -> [CodexHookGroup] {
    var out: [CodexHookGroup] = []
    for event in CodexHookEvent.allCases {
        for (i, g) in (root.lookup(["hooks", event.rawValue])?.array ?? []).enumerated() {
            let handlers = (g.table?["hooks"]?.array ?? []).compactMap { h -> CodexHookHandler? in
                guard let t = h.table, let c = t["command"]?.string else { return nil }
                var timeout: Int?
                if case .integer(let n)? = t["timeout"] ?? t["timeoutSec"] { timeout = Int(n) }
                return CodexHookHandler(
                    command: c, timeout: timeout, statusMessage: t["statusMessage"]?.string,
                    type: t["type"]?.string ?? "command")
            }
            out.append(
                CodexHookGroup(event: event, index: i, matcher: g.table?["matcher"]?.string, handlers: handlers))
        }
    }
    return out
}
