// The executables (the CLI and the MCP server) depend on Workspace alone (Package.swift holds
// them to it): the model's values and the reports are re-exported whole, as the library's
// vocabulary; of the store and GitKit, only the names a command matches on or prints.
@_exported import Reports
@_exported import StateModel

/// No git repository where a command ran (`preamble --if-initialized` stays quiet then).
@_exported import struct GitKit.NotARepository
@_exported import struct Interchange.ImportError
@_exported import struct Interchange.ImportItem
@_exported import struct Interchange.ImportResult
/// The trackers `import` and `export` speak, and what an import did.
@_exported import enum Interchange.InterchangeFormat
/// One operation in the journal (`log`, `undo`).
@_exported import struct StateStore.JournalRecord
/// What the store can fail at (a command tells "not initialised" apart).
@_exported import enum StateStore.StoreError
