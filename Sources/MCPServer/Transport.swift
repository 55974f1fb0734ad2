import Dispatch
import Foundation
import Logging
import MCP
import Workspace

#if canImport(Glibc)
    import Glibc
#endif

/// The MCP server's stdio: one reader thread and one writer, instead of the SDK's
/// `StdioTransport`, for three reasons measured on it (issue 19):
///
/// - **Whole messages.** The SDK's `send` sleeps inside the actor when the pipe is full
///   (non-blocking descriptor, `EAGAIN`), and the actor lets another `send` run meanwhile: two
///   replies above the pipe's 64 KiB came out interleaved (26 of 80 lines unparseable with 150
///   tasks). Here every message is written whole, in the order sent, by one serial queue that
///   blocks on the descriptor.
/// - **Linear reading with a limit.** The SDK searches the whole pending buffer for a newline at
///   every 4 KiB read and copies what follows (1 MB: 1.4 s; 10 MB: 160 s), with no bound. Here
///   only the new bytes are searched, and a line longer than ``Limits/mcpMessageBytes`` is
///   dropped as it arrives and answered with one error.
/// - **An answer to every request.** Each line passes ``MessageGate`` first, which answers what
///   the SDK would drop or misreport (an object id, array arguments, unparseable JSON).
actor StdioLineTransport: Transport {
    nonisolated let logger = Logger(label: "codex-state.mcp.stdio", factory: { _ in SwiftLogNoOpLogHandler() })

    private let writer = LineWriter(fd: STDOUT_FILENO)
    private let pending = PendingCalls()
    private let limit: Int
    private var started = false
    private let stream: AsyncThrowingStream<Data, Swift.Error>
    private let continuation: AsyncThrowingStream<Data, Swift.Error>.Continuation

    init(limit: Int = Limits.mcpMessageBytes) {
        self.limit = limit
        (stream, continuation) = AsyncThrowingStream.makeStream(of: Data.self, throwing: Swift.Error.self)
    }

    func connect() async throws {
        guard !started else { return }
        started = true
        // Blocking descriptors: the reader waits in read(2), the writer in write(2). A parent
        // that left O_NONBLOCK set would otherwise turn a full pipe into a busy loop.
        for fd in [STDIN_FILENO, STDOUT_FILENO] {
            let flags = fcntl(fd, F_GETFL)
            if flags >= 0, flags & O_NONBLOCK != 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
        }
        let reader = LineReader(
            fd: STDIN_FILENO, limit: limit, writer: writer, pending: pending, continuation: continuation)
        let thread = Thread { reader.run() }
        thread.name = "codex-state mcp stdin"
        thread.start()
    }

    func disconnect() async { continuation.finish() }

    func send(_ data: Data) async throws {
        let id = MessageGate.responseID(data)
        defer { if let id { pending.remove(id) } }
        try await writer.write(data)
    }

    func receive() -> AsyncThrowingStream<Data, Swift.Error> { stream }

    /// Waits until every tool call received has been answered and written (at most `timeout`
    /// seconds): the client hung up, and a transaction still running must not be torn down with
    /// the process.
    func drain(timeout: Double = 60) async {
        let deadline = Date().addingTimeInterval(timeout)
        while !pending.isEmpty, Date() < deadline {
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        writer.flush()
    }
}

/// The ids of the tool calls received and not answered yet.
final class PendingCalls: @unchecked Sendable {
    private let lock = NSLock()
    private var ids: [String: Int] = [:]

    func insert(_ id: String) { lock.withLock { ids[id, default: 0] += 1 } }

    func remove(_ id: String) {
        lock.withLock {
            guard let n = ids[id] else { return }
            if n > 1 { ids[id] = n - 1 } else { ids.removeValue(forKey: id) }
        }
    }

    var isEmpty: Bool { lock.withLock { ids.isEmpty } }
}

/// The one writer of standard output: a serial queue writing each message and its newline in
/// full before the next begins.
final class LineWriter: @unchecked Sendable {
    private let fd: Int32
    private let queue = DispatchQueue(label: "codex-state.mcp.stdout")

    init(fd: Int32) { self.fd = fd }

    func write(_ message: Data) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, Swift.Error>) in
            queue.async {
                do {
                    try self.writeWhole(message)
                    done.resume()
                } catch {
                    done.resume(throwing: error)
                }
            }
        }
    }

    /// Queues a message without waiting (the reader's own answers).
    func enqueue(_ message: Data) {
        queue.async { try? self.writeWhole(message) }
    }

    /// Returns once everything queued so far is written.
    func flush() { queue.sync {} }

    private func writeWhole(_ message: Data) throws {
        var bytes = message
        bytes.append(0x0A)
        try bytes.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, base + offset, buffer.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0, errno == EINTR {
                    continue
                } else if n < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                    // Someone made the descriptor non-blocking again: wait until it can be written.
                    var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&p, 1, 1000)
                } else {
                    throw StdoutClosed(reason: String(cString: strerror(n < 0 ? errno : EIO)))
                }
            }
        }
    }
}

/// Reads standard input on its own thread, in fixed chunks, and cuts it into lines: each newline
/// is searched for once, and a line's bytes are copied once into the message handed on. A line
/// longer than `limit` is dropped as it arrives (memory stays at the limit) and answered with one
/// error. An unterminated last line (a client that died mid-write) is not a message.
final class LineReader: @unchecked Sendable {
    let fd: Int32
    let limit: Int
    let writer: LineWriter
    let pending: PendingCalls
    let continuation: AsyncThrowingStream<Data, Swift.Error>.Continuation

    init(
        fd: Int32, limit: Int, writer: LineWriter, pending: PendingCalls,
        continuation: AsyncThrowingStream<Data, Swift.Error>.Continuation
    ) {
        self.fd = fd
        self.limit = limit
        self.writer = writer
        self.pending = pending
        self.continuation = continuation
    }

    func run() {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var line: [UInt8] = []
        var discarding = false
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&p, 1, 1000)
                continue
            }
            if n <= 0 { break }
            var start = 0
            while start < n {
                let newline = chunk[start..<n].firstIndex(of: 0x0A)
                let end = newline ?? n
                if !discarding {
                    if line.count + (end - start) > limit {
                        discarding = true
                        line = []
                    } else {
                        line.append(contentsOf: chunk[start..<end])
                    }
                }
                guard newline != nil else { break }
                if discarding {
                    writer.enqueue(MessageGate.oversized(limit: limit))
                    discarding = false
                } else {
                    deliver(Data(line))
                }
                line.removeAll(keepingCapacity: line.count <= 1 << 16)
                start = end + 1
            }
        }
        continuation.finish()
    }

    private func deliver(_ line: Data) {
        let verdict = MessageGate.inspect(line)
        if let reply = verdict.reply { writer.enqueue(reply) }
        if let message = verdict.forward {
            for id in verdict.callIDs { pending.insert(id) }
            continuation.yield(message)
        }
    }
}

/// Standard output cannot be written (the client went away).
struct StdoutClosed: Error, CustomStringConvertible {
    let reason: String
    var description: String { "cannot write to the MCP client: \(reason)" }
}
