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

    func send(_ data: Data) async throws { try await inner.send(data) }

    func receive() -> AsyncThrowingStream<Data, Swift.Error> {
        let upstream = inner
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await data in await upstream.receive() { continuation.yield(Self.repair(data)) }
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
