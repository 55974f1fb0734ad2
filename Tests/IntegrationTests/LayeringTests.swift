import Foundation
import Testing

/// The dependency direction of docs/ARCHITECTURE.md, held by reading every source file's imports:
/// the executables and the MCP server reach the code below through Workspace alone (Package.swift
/// lists only it; this holds them off the modules SwiftPM would let them import anyway), the pure
/// core imports none of the I/O modules, and only GitKit imports libgit2.
@Suite struct LayeringTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The project's modules each target may import (system and package modules are not ours).
    static let allowed: [String: Set<String>] = [
        "StateModel": ["CLibCrypto"],
        "Reports": ["StateModel"],
        "GitKit": ["CLibGit2", "CLibGit2Loader"],
        "StateStore": ["StateModel", "CLibCrypto"],
        "Interchange": ["StateModel"],
        "Embeddings": ["StateModel", "CEmbeddingsCPU"],
        "Workspace": ["StateModel", "Reports", "StateStore", "GitKit", "CZstd", "Interchange", "Embeddings"],
        "MCPServer": ["Workspace"],
        "codex-state": ["Workspace"],
        "codex-state-mcp": ["Workspace", "MCPServer"],
    ]
    static let ours: Set<String> = [
        "StateModel", "Reports", "GitKit", "StateStore", "Workspace", "MCPServer", "CLibGit2", "CLibGit2Loader",
        "CLibCrypto", "CZstd", "Interchange", "Embeddings", "CEmbeddingsCPU",
    ]

    @Test func everyTargetImportsOnlyWhatItsLayerMay() throws {
        let sources = Self.root.appendingPathComponent("Sources")
        let importLine = try NSRegularExpression(
            pattern:
                #"^\s*(?:@_exported\s+|@testable\s+)?import\s+(?:(?:struct|enum|class|func|protocol|typealias|var|let)\s+)?(\w+)"#
        )
        var wrong: [String] = []
        for target in try FileManager.default.contentsOfDirectory(atPath: sources.path).sorted() {
            guard let may = Self.allowed[target] else { continue }
            let files =
                FileManager.default.enumerator(atPath: sources.appendingPathComponent(target).path)?
                .compactMap { $0 as? String } ?? []
            for relative in files.sorted() where relative.hasSuffix(".swift") {
                let text = try String(
                    contentsOf: sources.appendingPathComponent(target).appendingPathComponent(relative), encoding: .utf8
                )
                for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let s = String(line)
                    guard let m = importLine.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)),
                        let r = Range(m.range(at: 1), in: s)
                    else { continue }
                    let module = String(s[r])
                    if Self.ours.contains(module), !may.contains(module), module != target {
                        wrong.append("Sources/\(target)/\(relative):\(n + 1): imports \(module)")
                    }
                }
            }
        }
        #expect(wrong.isEmpty, "imports across the layers:\n\(wrong.joined(separator: "\n"))")
    }
}
