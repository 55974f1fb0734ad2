import Foundation
import Logging
import MCP

/// Stdio, with one repair on the way in: clients such as Codex send `initialize` capabilities
/// that the SDK cannot decode (`experimental: {"codex/auth-change": {}}`, where it expects string
/// values), which would fail the handshake. The server uses no experimental capability, so that
/// member is dropped before decoding.
actor RepairingStdioTransport: Transport {
    let inner = StdioTransport()

    nonisolated var logger: Logger { inner.logger }

    func connect() async throws { try await inner.connect() }

    func disconnect() async { await inner.disconnect() }

    /// Ids of tool calls received and not answered yet: the server does not exit (and tear the
    /// process down under a transaction still running) before each is answered or has failed.
    private var pendingCalls = Set<String>()

    func send(_ data: Data) async throws {
        defer { if let id = Self.callID(in: data, method: nil) { pendingCalls.remove(id) } }
        try await inner.send(data)
    }

    private func received(_ data: Data) {
        if let id = Self.callID(in: data, method: "tools/call") { pendingCalls.insert(id) }
    }

    /// Waits until every tool call received has been answered (at most `timeout` seconds).
    func drain(timeout: Double = 60) async {
        let deadline = Date().addingTimeInterval(timeout)
        while !pendingCalls.isEmpty, Date() < deadline {
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
    }

    /// The JSON-RPC id of `data` (a request for `method`, or any message when nil), as text.
    static func callID(in data: Data, method: String?) -> String? {
        if let method, data.range(of: Data(method.utf8)) == nil { return nil }
        guard let obj = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], let id = obj["id"] else {
            return nil
        }
        if let method, obj["method"] as? String != method { return nil }
        if method == nil, obj["method"] != nil { return nil }
        return "\(id)"
    }

    func receive() -> AsyncThrowingStream<Data, Swift.Error> {
        let upstream = inner
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await data in await upstream.receive() {
                        await self.received(data)
                        continuation.yield(Self.repair(data))
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    static func repair(_ data: Data) -> Data {
        // Cheap test first: only an initialize request is rewritten.
        guard data.range(of: Data("\"initialize\"".utf8)) != nil,
            var obj = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            obj["method"] as? String == "initialize",
            var params = obj["params"] as? [String: Any],
            var caps = params["capabilities"] as? [String: Any],
            let experimental = caps["experimental"]
        else { return data }
        if experimental is [String: String] { return data }
        caps.removeValue(forKey: "experimental")
        params["capabilities"] = caps
        obj["params"] = params
        return (try? JSONSerialization.data(withJSONObject: obj)) ?? data
    }
}
