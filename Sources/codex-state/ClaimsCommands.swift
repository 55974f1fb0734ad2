import ArgumentParser
import Workspace

/// `--remote NAME`: the claims remote for one command.
struct RemoteOption: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Publish and read claims on this remote (default: git config codex-state.claimsRemote).",
            valueName: "name"))
    var remote: String?

    /// A name given on the command line that git would not take for a remote is an error of the
    /// command (a setting in git config is warned about by the reads instead).
    func validate() throws {
        if let remote, let problem = Workspace.claimsRemoteNameProblem(remote) {
            throw ValidationError("--remote '\(remote)': \(problem)")
        }
    }

    func apply(to ws: Workspace) {
        if let remote { ws.claims.remoteOverride = remote }
    }
}

struct ClaimsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "claims",
        abstract: "List the claims published on the claims remote (\(Workspace.claimRefPrefix)*).",
        discussion: """
            With a claims remote (git config codex-state.claimsRemote origin), next --claim and \
            task start publish each claim as a reference on it, so clones that share the remote \
            never claim the same task; complete, cancel and block release it. See docs/claims.md.
            """,
        subcommands: [ClaimsPrune.self])

    @OptionGroup var common: CommonOptions
    @OptionGroup var remote: RemoteOption
    @OptionGroup var output: JSONFlag
    @Flag(help: "List the remote's references now, not from the listing cached for a few seconds.")
    var refresh = false

    func run() throws {
        let ws = try common.workspace()
        remote.apply(to: ws)
        let report = try ws.claimsReport(refresh: refresh)
        Output.warnings(ws)
        if output.json {
            try Output.json(report)
            return
        }
        var heading = "Claims on \(report.remote) (\(report.url))"
        if let listed = report.listed { heading += report.current ? ", listed \(listed)" : ", as listed \(listed)" }
        Output.line(heading + ":")
        if let refused = report.refused {
            Output.line(
                "  the remote refused a claim reference at \(refused.at) (\(refused.reason)): claims stay in this clone"
            )
        }
        if report.claims.isEmpty && report.skipped.isEmpty { Output.line("  none") }
        for c in report.claims {
            let who = c.mine ? "this clone" : "clone \(c.record.clone)"
            let lease = c.live ? "until \(c.record.expires)" : "expired \(c.record.expires)"
            let task = c.taskStatus.map { "task \($0.rawValue)" } ?? "task unknown here"
            let prune = c.prunable.map { "  [prunable: \($0.rawValue)]" } ?? ""
            Output.line("  \(c.record.task)  \(c.record.actor)  \(lease)  \(who)  \(task)\(prune)")
        }
        for s in report.skipped {
            Output.line("  skipped \(s.ref): \(s.problem)\(s.prunable ? "  [prunable]" : "")")
        }
        if !report.malformed.isEmpty {
            Output.line("  skipped \(report.malformed.count) line(s) that are not references")
        }
    }
}

struct ClaimsPrune: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete claim references that hold nothing: done, cancelled, expired, gone or unreadable.",
        discussion: """
            Each reference is deleted only if it still holds what was just listed, so a claim \
            renewed or taken over meanwhile stays. A claim on a task no copy here has is deleted \
            only once it expired (its clone may not have pushed the task yet).
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var remote: RemoteOption
    @OptionGroup var output: JSONFlag
    @Flag(help: "Only say which references would be deleted.") var dryRun = false

    func run() throws {
        let ws = try common.workspace()
        remote.apply(to: ws)
        let (name, pruned) = try ws.pruneClaims(dryRun: dryRun)
        Output.warnings(ws)
        if output.json {
            try Output.json(PruneJSON(remote: name, pruned: pruned, dryRun: dryRun))
            return
        }
        if pruned.isEmpty { Output.line("No claim reference on \(name) to prune.") }
        for p in pruned {
            let what: String
            switch p.result {
            case .deleted: what = "deleted"
            case .wouldDelete: what = "would delete"
            case .changed: what = "kept (changed since listed)"
            case .refused(let why): what = "refused by \(name) (\(why))"
            }
            Output.line("\(what) \(p.ref) (\(p.reason.rawValue))")
        }
    }
}
