import Foundation
import Testing

/// docs/state.schema.json and docs/session.schema.json accept what the tool writes (issue 19,
/// item 4): a plain `complete` (no commit) failed the shipped schema. The sample is the one CI
/// validates (`.ci/schema-sample.sh`): every entity and field, completions with and without a
/// commit, memories of every kind, conflict records from a real merge, session files.
@Suite struct SchemaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// A python with `jsonschema` (MCP_PYTHON's virtualenv has it; CI installs Debian's
    /// python3-jsonschema), or nil with a loud message.
    static let python: String? = {
        let candidates = [ProcessInfo.processInfo.environment["MCP_PYTHON"], "/usr/bin/python3", "python3"]
            .compactMap { $0 }
        for p in candidates {
            let proc = Process()
            proc.executableURL = URL(fileURLWithPath: p.hasPrefix("/") ? p : "/usr/bin/env")
            proc.arguments = (p.hasPrefix("/") ? [] : [p]) + ["-c", "import jsonschema"]
            proc.standardOutput = FileHandle.nullDevice
            proc.standardError = FileHandle.nullDevice
            guard (try? proc.run()) != nil else { continue }
            proc.waitUntilExit()
            if proc.terminationStatus == 0 { return p }
        }
        FileHandle.standardError.write(
            Data(
                "\n*** SKIPPED: validating against docs/state.schema.json needs python3 with jsonschema (.ci/run installs python3-jsonschema) ***\n\n"
                    .utf8))
        return nil
    }()

    /// Runs docs/validate-schema.py over `files`; the problems it printed (empty: all valid).
    static func validate(_ s: Sandbox, _ files: [String]) throws -> String? {
        guard let python = python else { return nil }
        let r = try s.run(python, [root + "/docs/validate-schema.py"] + files, in: s.root)
        #expect(r.status == 0 || r.status == 1, "validate-schema.py: exit \(r.status): \(r.stderr)")
        return r.stderr
    }

    @Test(.enabled(if: python != nil)) func theSampleOfEveryEntityAndFieldIsValid() throws {
        let s = try Sandbox()
        let r = try s.run("bash", [Self.root + "/.ci/schema-sample.sh", Sandbox.binary, s.path("sample")], in: s.root)
        #expect(r.ok, "schema-sample.sh: \(r.stderr)")
        let files = r.stdout.split(separator: "\n").map(String.init)
        #expect(files.count >= 2, "\(r.stdout)")
        let state = try s.read(files.first ?? "")
        #expect(state.contains("\"conflicts\"") && state.contains("\"forgotten\"") && state.contains("\"claim\""))
        let problems = try Self.validate(s, files)
        #expect(problems == "", "\(problems ?? "")")
    }
}
