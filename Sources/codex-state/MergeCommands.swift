import ArgumentParser
import Foundation
import Workspace

struct MergeDriverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge-driver",
        abstract: "Git's merge driver for the state file (git runs it; init configures it).",
        discussion: """
            Git runs 'codex-state merge-driver %O %A %B %P' when a merge, rebase or cherry-pick \
            changes .codex-state/project_state.json on both sides. It merges per entity and per \
            field, writes the result canonically over %A and exits 0; fields both sides changed \
            differently keep the losing value in a conflict record ('codex-state conflicts'). If \
            a side is unreadable, not valid JSON, conflicted or of a newer schema it exits 1 and \
            leaves %A untouched, so git reports a conflict. The rules: docs/git-integration.md.
            """)

    @Argument(
        help: ArgumentHelp(
            "BASE OURS THEIRS PATH, as git passes them (%O %A %B %P); PATH is optional.", valueName: "file"))
    var files: [String] = []
    @Flag(help: "Say whether this clone merges the state file with the driver.") var status = false
    @Flag(help: "Configure the driver in this clone (init does this).") var install = false
    @Flag(help: "Remove the driver's git configuration and .gitattributes line.") var uninstall = false
    @OptionGroup var common: CommonOptions
    @OptionGroup var output: JSONFlag

    func validate() throws {
        let modes = [status, install, uninstall].filter { $0 }.count
        if modes > 1 { throw ValidationError("pass only one of --status, --install, --uninstall") }
        if modes == 1 {
            guard files.isEmpty else { throw ValidationError("--status, --install and --uninstall take no files") }
            return
        }
        guard files.count == 3 || files.count == 4 else {
            throw ValidationError(
                "expected BASE OURS THEIRS PATH (git's %O %A %B %P), got \(files.count) argument(s)")
        }
    }

    func run() throws {
        if status || install || uninstall {
            try manage()
            return
        }
        let outcome = try MergeDriver.run(
            base: files[0], ours: files[1], theirs: files[2], target: files.count > 3 ? files[3] : nil,
            environment: ProcessInfo.processInfo.environment)
        let n = outcome.conflictCount
        if n > 0 {
            // git shows the driver's stderr under "Auto-merging …": one line that says what to review.
            FileHandle.standardError.write(
                Data(
                    ("codex-state: merged \(outcome.target); \(n) field conflict\(n == 1 ? "" : "s") kept for review "
                        + "(codex-state conflicts)\n").utf8))
        }
    }

    func manage() throws {
        let ws = try common.workspace()
        if status {
            let st = try ws.mergeDriverStatus()
            if output.json { return try Output.json(MergeDriverStatusJSON(st)) }
            Output.line(st.configured ? "merge driver: configured" : "merge driver: NOT configured in this clone")
            Output.line("  driver:          \(st.driverCommand.map { Output.clean($0) } ?? "(not set)")")
            Output.line(
                "  attribute:       merge=\(st.attributeText ?? "(unspecified)")")
            Output.line(
                "  .gitattributes:  \(st.gitattributesLine ? "has" : "lacks") '\(MergeDriverSetup.attributeLine)'")
            if !st.configured {
                Output.line("Run 'codex-state init' (or 'codex-state merge-driver --install') to fix.")
            }
        } else if install {
            let r = try ws.configureMergeDriver()
            if output.json { return try Output.json(MergeDriverSetupJSON(r)) }
            if r.setConfig.isEmpty && !r.addedAttributeLine {
                Output.line("merge driver: already configured")
            } else {
                for k in r.setConfig { Output.line("set \(k)") }
                if r.addedAttributeLine { Output.line("added '\(MergeDriverSetup.attributeLine)' to .gitattributes") }
            }
            if !r.status.configured {
                Output.line(
                    "warning: git still applies merge=\(r.status.attributeText ?? "(unspecified)") to the state file; check .git/info/attributes"
                )
            }
        } else {
            let r = try ws.removeMergeDriver()
            if output.json { return try Output.json(MergeDriverRemovalJSON(r)) }
            for k in r.removedConfig { Output.line("removed \(k)") }
            if r.deletedGitattributes {
                Output.line(
                    "deleted .gitattributes (it held only the driver's line); commit that to remove it for everyone")
            } else if r.removedAttributeLines > 0 {
                Output.line("removed the driver's line from .gitattributes; commit that to remove it for everyone")
            }
            if r.removedConfig.isEmpty && r.removedAttributeLines == 0 {
                Output.line("merge driver: nothing to remove")
            }
        }
    }
}

struct ConflictsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts",
        abstract: "List and resolve the fields merges settled while both sides had changed them.",
        subcommands: [List.self, Resolve.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List unresolved conflict records (project, goals, milestones, tasks).")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag

        func run() throws {
            let ws = try common.workspace()
            let all = try ws.conflicts()
            if output.json {
                return try Output.json(
                    ConflictsJSON(
                        count: all.reduce(0) { $0 + $1.conflicts.count }, entities: all.map(EntityConflictsJSON.init)))
            }
            if all.isEmpty { return Output.line("No unresolved merge conflicts.") }
            for e in all {
                Output.line("\(e.kind) \(e.id)  \(Output.clean(e.label))")
                for line in ConflictText.lines(e.conflicts) { Output.line("  " + line) }
            }
            Output.line("Resolve with: codex-state conflicts resolve ID [--field F] [--take kept|other]")
        }
    }

    struct Resolve: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resolve",
            abstract: "Resolve an entity's conflict records: keep what the merge chose, or take the other value.",
            discussion: "ID is a task, milestone (m-…) or goal (g-…) id or unique prefix, or 'project'.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "Task, milestone or goal id (or unique prefix), or 'project'.") var id: String
        @OptionGroup var choice: ResolveOptions

        func validate() throws { try choice.check() }
        func run() throws { try choice.resolve(id, common: common, json: output.json) }
    }
}

extension TaskCommand {
    struct Resolve: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resolve",
            abstract: "Resolve a task's merge conflict records: keep what the merge chose, or take the other value.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "Task id or unique prefix.") var id: String
        @OptionGroup var choice: ResolveOptions

        func validate() throws { try choice.check() }

        func run() throws {
            let target = id.hasPrefix(EntityKind.task.idPrefix) ? id : EntityKind.task.idPrefix + id.lowercased()
            try choice.resolve(target, common: common, json: output.json)
        }
    }
}

struct ResolveOptions: ParsableArguments {
    @Option(help: "Only this field's records (default: all of the entity's).") var field: String?
    @Option(help: "kept: keep what the merge chose (default); other: put the value that lost back.")
    var take: String = ConflictChoice.kept.rawValue

    func check() throws {
        guard ConflictChoice(rawValue: take) != nil else {
            throw ValidationError("--take must be 'kept' or 'other', not '\(take)'")
        }
    }

    func resolve(_ target: String, common: CommonOptions, json: Bool) throws {
        let ws = try common.workspace()
        let r = try ws.resolveConflicts(
            target, field: field, take: ConflictChoice(rawValue: take) ?? .kept, command: common.commandLine)
        Output.warnings(ws)
        if json { return try Output.json(ResolutionJSON(r)) }
        let fields = Array(Set(r.resolved.map(\.field))).sorted().joined(separator: ", ")
        if r.deletedEntity {
            Output.line("deleted \(r.kind) \(r.id), as the other side had")
        } else {
            Output.line(
                "resolved \(r.resolved.count) conflict\(r.resolved.count == 1 ? "" : "s") on \(r.id) (\(fields)): "
                    + (r.take == .other ? "took the other value" : "kept the merged value"))
        }
        if !r.remaining.isEmpty { Output.line("\(r.remaining.count) still unresolved") }
    }
}

/// How conflict records read in text output.
enum ConflictText {
    static func value(_ v: JSONValue) -> String {
        let text = Output.clean(v.description)
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }

    /// The two values as they differ: for objects (a completion, a start), only the keys whose
    /// values differ, and a commit id always in full — cut to 80 characters, two completions
    /// differed in a part of a hash nobody could look up.
    static func values(_ kept: JSONValue, _ other: JSONValue) -> (kept: String, other: String) {
        guard case .object(let k) = kept, case .object(let o) = other else { return (value(kept), value(other)) }
        let keys = Set(k.keys).union(o.keys).filter { k[$0] != o[$0] }.sorted()
        func show(_ object: [String: JSONValue]) -> String {
            let parts = keys.map { key -> String in
                let v = object[key] ?? .null
                if case .string(let s) = v, Rewrite.isCommitID(s) { return "\(key): \(s)" }
                return "\(key): " + value(v)
            }
            return "{" + parts.joined(separator: ", ") + "}"
        }
        return (show(k), show(o))
    }

    static func lines(_ conflicts: [FieldConflict]) -> [String] {
        conflicts.map { c in
            if c.field == FieldConflict.deletedField {
                return
                    "deleted by \(c.winner.other), changed by \(c.winner): kept (--take other deletes it); merged \(c.at)"
            }
            let by = c.otherUpdated.map { " (\(Output.clean($0.actor)), \($0.at))" } ?? ""
            let (kept, other) = values(c.kept, c.other)
            return
                "\(c.field): kept \(kept) from \(c.winner) (\(c.rule.explanation)); other \(other) from \(c.winner.other)\(by); merged \(c.at)"
        }
    }
}

// MARK: - JSON shapes

struct MergeDriverStatusJSON: Encodable {
    var configured: Bool
    var driver: String?
    var driverValid: Bool
    var attribute: String?
    var gitattributesLine: Bool

    init(_ s: MergeDriverStatus) {
        configured = s.configured
        driver = s.driverCommand
        driverValid = s.driverValid
        attribute = s.attributeText
        gitattributesLine = s.gitattributesLine
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(configured, forKey: .configured)
        try c.encode(driver, forKey: .driver)
        try c.encode(driverValid, forKey: .driverValid)
        try c.encode(attribute, forKey: .attribute)
        try c.encode(gitattributesLine, forKey: .gitattributesLine)
    }

    enum CodingKeys: String, CodingKey {
        case configured, driver, attribute
        case driverValid = "driver_valid"
        case gitattributesLine = "gitattributes_line"
    }
}

struct MergeDriverSetupJSON: Encodable {
    var setConfig: [String]
    var addedAttributeLine: Bool
    var status: MergeDriverStatusJSON

    init(_ r: MergeDriverSetup) {
        setConfig = r.setConfig
        addedAttributeLine = r.addedAttributeLine
        status = MergeDriverStatusJSON(r.status)
    }

    enum CodingKeys: String, CodingKey {
        case status
        case setConfig = "set_config"
        case addedAttributeLine = "added_attribute_line"
    }
}

struct MergeDriverRemovalJSON: Encodable {
    var removedConfig: [String]
    var removedAttributeLines: Int
    var deletedGitattributes: Bool

    init(_ r: MergeDriverRemoval) {
        removedConfig = r.removedConfig
        removedAttributeLines = r.removedAttributeLines
        deletedGitattributes = r.deletedGitattributes
    }

    enum CodingKeys: String, CodingKey {
        case removedConfig = "removed_config"
        case removedAttributeLines = "removed_attribute_lines"
        case deletedGitattributes = "deleted_gitattributes"
    }
}

struct EntityConflictsJSON: Encodable {
    var kind: String
    var id: String
    var label: String
    var conflicts: [FieldConflict]

    init(_ e: EntityConflicts) {
        kind = e.kind
        id = e.id
        label = e.label
        conflicts = e.conflicts
    }
}

struct ConflictsJSON: Encodable {
    var count: Int
    var entities: [EntityConflictsJSON]
}

struct ResolutionJSON: Encodable {
    var kind: String
    var id: String
    var take: String
    var resolved: [FieldConflict]
    var remaining: [FieldConflict]
    var deleted: Bool

    init(_ r: ConflictResolution) {
        kind = r.kind
        id = r.id
        take = r.take.rawValue
        resolved = r.resolved
        remaining = r.remaining
        deleted = r.deletedEntity
    }
}
