import Interchange
import StateModel
import StateStore

/// `import` and `export`: other trackers' files read into one transaction, and the state
/// written in their formats. The formats themselves are pure (Interchange).
extension Workspace {
    /// Reads `path` (a file, `-` for standard input, or for `codex-memories` a folder) as
    /// `format`. Every problem of the input throws, naming the record; nothing is written.
    public func readImport(_ format: InterchangeFormat, from path: String) throws -> ImportBatch {
        let name = path == InputFiles.standardInput ? "<stdin>" : path
        switch format {
        case .beads:
            var reader = Beads.Reader(file: name)
            do {
                try InputFiles.forEachLine(path) { line, number, terminated in
                    reader.line(line, number: number, terminated: terminated)
                }
            } catch let e as InputFiles.LineTooLong {
                throw ImportError(["\(name):\(e.line): the line is longer than \(e.limit >> 20) MiB"])
            }
            return try reader.finish()
        case .taskmaster: return try TaskMaster.read(try InputFiles.read(path), file: name)
        case .github: return try GitHub.read(try InputFiles.read(path), file: name)
        case .codexMemories:
            guard InputFiles.isDirectory(path) else {
                throw ImportError(["\(name): not a folder (a Codex memories folder, like ~/.codex/memories)"])
            }
            var files: [CodexMemories.File] = []
            for rel in try InputFiles.files(in: path, suffixes: [".md"], depth: 1)
            where rel == "memory_summary.md" || rel == "MEMORY.md" || rel.hasPrefix("rollout_summaries/") {
                files.append(CodexMemories.File(name: rel, bytes: try InputFiles.read(path + "/" + rel)))
            }
            let root = realPath(paths.workdir) ?? paths.workdir
            return try CodexMemories.read(files, folder: name, root: root)
        case .json:
            throw ImportError(["import json is not a format: export json is for other programs to read"])
        }
    }

    /// Takes `batch` into the state in one transaction (one journal record: `undo` takes it
    /// back). With `dryRun`, decides the same and writes nothing.
    public func importBatch(_ batch: ImportBatch, overwrite: Bool, dryRun: Bool, command: String) throws
        -> ImportResult
    {
        if dryRun {
            var state = try store.readState().state
            return try state.applyImport(batch, overwrite: overwrite, try mutationContext())
        }
        return try transaction(command: command, footprint: .everything) { slice, ctx in
            var state = try slice.wholeState()
            let result = try state.applyImport(batch, overwrite: overwrite, ctx)
            try slice.take(state)
            return result
        }
    }

    /// The state in `format`.
    public func export(_ format: InterchangeFormat) throws -> ExportResult {
        try Exporter.export(try exportInput(), as: format)
    }

    /// Writes a file the user named (`export -o`, `report --html`): atomically, its folder made.
    public func writeOutputFile(_ bytes: [UInt8], to path: String) throws {
        try ProjectFiles.writeDocument(bytes, to: path)
    }
}
