import ArgumentParser
import Foundation
import Workspace

extension GraphFormat: ExpressibleByArgument {}

struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph", abstract: "Draw the task graph: Mermaid, Graphviz DOT, SVG or plain text.",
        discussion: """
            Parents are drawn as clusters around their children, dependencies as edges (A -> B: B \
            waits on A), each task coloured by its effective status at HEAD (done, done@branch, \
            in_progress, in_progress@copy, stale, ready, waiting, blocked, cancelled). The \
            longest chain of unfinished tasks into each open milestone (its critical path) is \
            drawn in red; ready tasks get a heavy border. Tasks done here and cancelled ones are \
            left out unless --all. The same state, HEAD and options give the same bytes. --format \
            svg runs Graphviz's dot (Debian: apt-get install graphviz); the other formats need \
            nothing. --json prints the graph's data instead (docs/cli.md).
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var output: JSONFlag
    @Option(help: "mermaid, dot, svg or ascii.") var format: GraphFormat = .mermaid
    @Option(help: ArgumentHelp("Draw the graph at this revision instead of HEAD.", valueName: "rev")) var rev: String?
    @Option(help: ArgumentHelp("Draw it for this local branch (its tip, or --rev).", valueName: "branch"))
    var branch: String?
    @Flag(help: "Include tasks done here and cancelled tasks.") var all = false
    @Option(help: "Only this milestone (id, unique prefix or title), what its tasks wait on, and their parents.")
    var milestone: String?

    func validate() throws {
        if let r = rev, r.isEmpty { throw ValidationError("--rev must not be empty") }
        if let b = branch, b.isEmpty { throw ValidationError("--branch must not be empty") }
        if output.json && format == .svg { throw ValidationError("--json conflicts with --format svg") }
    }

    func run() throws {
        let ws = try common.workspace()
        let input = try ws.graphInput(Workspace.PictureTarget(revision: rev, branch: branch))
        var options = GraphOptions(all: all)
        if let m = milestone {
            options.milestone = try Identifiers.resolve(
                m, kind: .milestone,
                titles: Dictionary(input.milestones.map { ($0.id, $0.title) }, uniquingKeysWith: { a, _ in a }))
        }
        let model = GraphModel(input, options: options)
        Output.warnings(ws)
        if output.json {
            try Output.json(GraphRender.json(model))
            return
        }
        switch format {
        case .mermaid: Output.emit(Array(GraphRender.mermaid(model).utf8))
        case .dot: Output.emit(Array(GraphRender.dot(model).utf8))
        case .svg: Output.emit(try Graphviz.svg(GraphRender.dot(model)))
        case .ascii:
            let hint = all ? nil : "finished tasks hidden; --all shows them"
            for line in GraphRender.ascii(model, hint: hint).split(separator: "\n", omittingEmptySubsequences: false)
                .dropLast()
            {
                Output.line(String(line))
            }
        }
    }
}

/// Graphviz's `dot`, run to turn DOT text into SVG.
enum Graphviz {
    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "--format svg needs Graphviz's dot on PATH (Debian: apt-get install graphviz); --format dot or mermaid need nothing"
        }
    }

    struct Failed: Error, CustomStringConvertible {
        var status: Int32
        var stderr: String
        var description: String {
            "dot -Tsvg failed (exit \(status)): " + stderr.split(whereSeparator: \.isNewline).prefix(1).joined()
        }
    }

    /// The first executable `dot` on PATH.
    static func executable() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = String(dir) + "/dot"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    static func svg(_ dot: String) throws -> [UInt8] {
        guard let exe = executable() else { throw Missing() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: exe)
        process.arguments = ["-Tsvg"]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Fed from another thread: dot may fill its output pipe before it has read all its input.
        let writer = Thread {
            input.fileHandleForWriting.write(Data(dot.utf8))
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let svg = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failed(status: process.terminationStatus, stderr: String(decoding: err, as: UTF8.self))
        }
        return Array(svg)
    }
}
