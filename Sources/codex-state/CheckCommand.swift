import ArgumentParser
import Foundation
import Workspace

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Find drift between the state file, HEAD's history and this clone (for CI and pre-push).",
        discussion: """
            Reports invalid or non-canonical state files, dangling and cyclic references, \
            completions whose commit is not on HEAD, commits whose Codex-Task trailer names an \
            open task, unresolved merge conflict records, and a clone without the merge driver \
            (skipped when CI=true). Each finding has a stable code (CS001…); the table with fixes \
            is in docs/check.md. Exit status: 0 clean or only warnings, 1 errors (with --strict, \
            warnings too), 2 the check could not run (usage, no state file, git failure).
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json, github
    }

    @Option(help: "Output: text, json, or github (GitHub Actions annotations).") var format: Format = .text
    @Flag(help: "Same as --format json.") var json = false
    @Flag(help: "Treat warnings as errors.") var strict = false
    @Flag(help: "First rewrite a state file that is only non-canonical in canonical form (content unchanged).")
    var fix = false
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if json && format != .text && format != .json {
            throw ValidationError("--json conflicts with --format \(format.rawValue)")
        }
    }

    func run() throws {
        let result: CheckResult
        do {
            result = try common.workspace().check(fix: fix)
        } catch {
            // The check could not run: that is not a finding, and must not read as one (exit 1).
            Output.error("check: " + Main.oneLine(error))
            throw ExitCode(2)
        }
        let report = CheckReport(result.findings, strict: strict)
        switch json ? .json : format {
        case .json: try Output.json(CheckJSON(report, result, strict: strict))
        case .github:
            for f in report.findings { Output.line(Self.annotation(f)) }
            Output.line(Self.summary(report, result))
        case .text:
            for f in report.findings {
                let place = f.file.map { file in "\(file):\(f.line ?? 1): " } ?? ""
                Output.line(
                    "\(place)\(f.severity.rawValue): \(f.code.rawValue) \(f.code.name): \(Output.clean(f.message))")
                Output.line("  fix: \(Output.clean(f.fix))")
            }
            Output.line(Self.summary(report, result))
        }
        if report.failed { throw ExitCode(1) }
    }

    static func summary(_ report: CheckReport, _ result: CheckResult) -> String {
        let place =
            result.head.commit.map {
                "HEAD \($0.prefix(7))" + (result.head.branch.map { " on \($0)" } ?? " (detached)")
            }
            ?? "unborn branch \(result.head.branch ?? "")"
        var facts = ["\(result.tasks) task\(result.tasks == 1 ? "" : "s")"]
        facts.append(
            "\(result.trailerCommitsScanned) commit\(result.trailerCommitsScanned == 1 ? "" : "s") read for trailers")
        if result.shallow { facts.append("shallow clone") }
        if result.inCI { facts.append("CI: clone setup not checked") }
        if result.fixed { facts.append("rewritten canonically") }
        let counts =
            report.findings.isEmpty
            ? "no findings"
            : "\(report.errors) error\(report.errors == 1 ? "" : "s"), \(report.warnings) warning\(report.warnings == 1 ? "" : "s")"
        return "check: \(counts) (\(place); \(facts.joined(separator: ", ")))"
    }

    /// `::error file=F,line=L,title=T::message`, escaped as the Actions runner expects: data
    /// `%`, CR and LF as `%25`, `%0D`, `%0A`; property values also `:` and `,`.
    static func annotation(_ f: CheckFinding) -> String {
        var props: [String] = []
        if let file = f.file {
            props.append("file=\(escapeProperty(file))")
            props.append("line=\(f.line ?? 1)")
        }
        props.append("title=\(escapeProperty("\(f.code.rawValue) \(f.code.name)"))")
        return "::\(f.severity.rawValue) \(props.joined(separator: ","))::\(escapeData(f.message + "\nfix: " + f.fix))"
    }

    static func escapeData(_ s: String) -> String {
        s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }

    static func escapeProperty(_ s: String) -> String {
        escapeData(s).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }
}

// MARK: - JSON shape (docs/check.md)

struct CheckJSON: Encodable {
    var findings: [FindingJSON]
    var errors: Int
    var warnings: Int
    var head: HeadJSON
    var shallow: Bool
    var ci: Bool
    var strict: Bool
    var fixed: Bool
    var tasks: Int
    var trailerCommits: Int
    var trailerWindow: Int

    init(_ report: CheckReport, _ result: CheckResult, strict: Bool) {
        findings = report.findings.map(FindingJSON.init)
        errors = report.errors
        warnings = report.warnings
        head = HeadJSON(result.head)
        shallow = result.shallow
        ci = result.inCI
        self.strict = strict
        fixed = result.fixed
        tasks = result.tasks
        trailerCommits = result.trailerCommitsScanned
        trailerWindow = Workspace.checkTrailerWindow
    }

    enum CodingKeys: String, CodingKey {
        case findings, errors, warnings, head, shallow, ci, strict, fixed, tasks
        case trailerCommits = "trailer_commits"
        case trailerWindow = "trailer_window"
    }
}

struct FindingJSON: Encodable {
    var code: String
    var name: String
    var severity: String
    var file: String?
    var line: Int?
    var entity: String?
    var message: String
    var fix: String

    init(_ f: CheckFinding) {
        code = f.code.rawValue
        name = f.code.name
        severity = f.severity.rawValue
        file = f.file
        line = f.line
        entity = f.entity
        message = f.message
        fix = f.fix
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(code, forKey: .code)
        try c.encode(name, forKey: .name)
        try c.encode(severity, forKey: .severity)
        try c.encode(file, forKey: .file)
        try c.encode(line, forKey: .line)
        try c.encode(entity, forKey: .entity)
        try c.encode(message, forKey: .message)
        try c.encode(fix, forKey: .fix)
    }

    enum CodingKeys: String, CodingKey { case code, name, severity, file, line, entity, message, fix }
}
