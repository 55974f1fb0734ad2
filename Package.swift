// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "codex-state",
    products: [
        .executable(name: "codex-state", targets: ["codex-state"]),
        // The MCP server, apart: the MCP SDK links FoundationNetworking (libcurl and its ~30
        // libraries), which would slow every codex-state command's start. `codex-state mcp` runs it.
        .executable(name: "codex-state-mcp", targets: ["codex-state-mcp"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", exact: "0.12.1"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
    ],
    targets: [
        // The C library, reached only through GitKit.
        .systemLibrary(
            name: "CLibGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        // SHA-256 from libmbedcrypto, which libgit2 already links (libmbedtls-dev comes with libgit2-dev).
        .systemLibrary(name: "CMbedCrypto", providers: [.apt(["libmbedtls-dev"])]),
        // Streaming zstd decompression for Codex rollouts (.jsonl.zst).
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // Pure: entities, ids, DAG, readiness, ranking, canonical JSON. No I/O, clock or randomness.
        .target(name: "StateModel", dependencies: ["CMbedCrypto"]),
        // Pure reports over the model: the drift check, the preamble, the daily journal.
        .target(name: "Reports", dependencies: ["StateModel"]),
        // The only importer of CLibGit2.
        .target(name: "GitKit", dependencies: ["CLibGit2"]),
        // Files on disk: atomic writes, the lock, the SQLite index, the journal.
        .target(
            name: "StateStore",
            dependencies: [
                "StateModel",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // The application layer: one transaction path for the CLI, hooks and (later) MCP.
        .target(name: "Workspace", dependencies: ["StateModel", "Reports", "StateStore", "GitKit", "CZstd"]),
        // The stdio MCP server: tools over the same Workspace transaction path as the CLI.
        .target(
            name: "MCPServer",
            dependencies: [
                "Workspace", "Reports", "StateModel", .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "codex-state",
            dependencies: [
                "Workspace",
                "Reports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // A position-dependent executable: the dynamic loader then has no 88,000 relative
            // relocations to apply at every start (10 M cycles, ~1 ms of each command's CPU);
            // the libraries, stack and heap are still placed at random.
            linkerSettings: [.unsafeFlags(["-Xlinker", "-no-pie"], .when(configuration: .release))]
        ),
        .executableTarget(
            name: "codex-state-mcp",
            dependencies: [
                "MCPServer", "Workspace", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "StateModelTests", dependencies: ["StateModel"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "StateModel"], exclude: ["Goldens"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["Workspace", "GitKit", "Reports", "StateModel", "StateStore"]
        ),
    ]
)
