import Foundation
import Workspace

/// What the transport does with one line a client sent, decided before the SDK sees it.
///
/// The SDK answers some malformed messages wrongly or not at all: a request whose id is an
/// object decodes as a notification and gets no answer; `arguments` that are not an object fail
/// inside the handler as an internal error; a parse error is answered with a random id. JSON-RPC
/// 2.0 wants an error for each (and `id: null` when the id could not be read), so those are
/// answered here and never forwarded.
struct GateVerdict: Equatable {
    /// The answer the client gets from the transport itself (an error, or an array of errors).
    var reply: Data?
    /// What goes on to the SDK.
    var forward: Data?
    /// The ids of the `tools/call` requests forwarded: the server waits for their answers
    /// before exiting.
    var callIDs: [String] = []

    /// Nothing to do (a blank line, a malformed notification: JSON-RPC answers no notification).
    static let ignore = GateVerdict()
    static func reply(_ data: Data) -> GateVerdict { GateVerdict(reply: data) }
}

enum MessageGate {
    /// JSON-RPC 2.0's error codes.
    enum Code: Int64 {
        case parseError = -32700
        case invalidRequest = -32600
        case invalidParams = -32602
    }

    /// The error message `id` gets (`nil`: JSON-RPC's `null`).
    static func error(_ code: Code, _ message: String, id: JSONValue = .null) -> Data {
        let value = JSONValue.object([
            "jsonrpc": .string("2.0"), "id": id,
            "error": .object(["code": .int(code.rawValue), "message": .string(message)]),
        ])
        return Data(value.json(.compact))
    }

    /// The answer to a request line longer than the limit (its id was never read).
    static func oversized(limit: Int) -> Data {
        error(
            .invalidRequest,
            "request larger than \(limit >> 20) MiB (\(limit) bytes); nothing was read of it (docs/threat-model.md)")
    }

    static func inspect(_ line: Data) -> GateVerdict {
        var bytes = line
        if bytes.last == 0x0D { bytes.removeLast() }  // a client writing CRLF
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return .ignore }
        guard let parsed = try? JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed]) else {
            return .reply(error(.parseError, "parse error: not JSON"))
        }
        if let batch = parsed as? [Any] {
            return inspect(batch: batch)
        }
        guard let message = parsed as? [String: Any] else {
            return .reply(error(.invalidRequest, "invalid request: a message must be a JSON object"))
        }
        switch check(message) {
        case .failure(let rejected): return rejected.reply.map { .reply($0) } ?? .ignore
        case .success(let callID):
            return GateVerdict(forward: repaired(message) ?? bytes, callIDs: callID.map { [$0] } ?? [])
        }
    }

    /// A batch: the valid members go on as a batch, each invalid request is answered in one array.
    static func inspect(batch: [Any]) -> GateVerdict {
        guard !batch.isEmpty else { return .reply(error(.invalidRequest, "invalid request: an empty batch")) }
        var kept: [Any] = []
        var replies: [Data] = []
        var callIDs: [String] = []
        for member in batch {
            guard let message = member as? [String: Any] else {
                replies.append(error(.invalidRequest, "invalid request: a batch member must be a JSON object"))
                continue
            }
            switch check(message) {
            case .failure(let rejected): if let r = rejected.reply { replies.append(r) }
            case .success(let callID):
                kept.append(message)
                if let c = callID { callIDs.append(c) }
            }
        }
        // The invalid members are answered here, in one array; the valid ones go on as a batch
        // (the SDK answers them).
        var verdict = GateVerdict(callIDs: callIDs)
        if !replies.isEmpty {
            verdict.reply = Data("[".utf8) + Data(replies.joined(separator: Data(",".utf8))) + Data("]".utf8)
        }
        if !kept.isEmpty { verdict.forward = try? JSONSerialization.data(withJSONObject: kept) }
        return verdict
    }

    /// An id as JSON-RPC allows it and MCP uses it (a string or an integer), or nil.
    static func id(_ value: Any?) -> JSONValue? {
        if let s = value as? String { return .string(s) }
        if let n = value as? NSNumber, String(cString: n.objCType) != "c" {
            let d = n.doubleValue
            if d == d.rounded(), abs(d) < 9.0e15 { return .int(n.int64Value) }
        }
        return nil
    }

    struct Rejected: Error { let reply: Data? }

    /// Success: the message can go to the SDK (with the id of a tools/call); failure: the answer
    /// to send instead (nil for a notification, which gets none).
    static func check(_ message: [String: Any]) -> Result<String?, Rejected> {
        let hasID = message.keys.contains("id")
        let requestID = hasID ? id(message["id"]) : nil
        func reject(_ code: Code, _ text: String) -> Result<String?, Rejected> {
            guard hasID else { return .failure(Rejected(reply: nil)) }
            return .failure(Rejected(reply: error(code, text, id: requestID ?? .null)))
        }
        if hasID, requestID == nil {
            // Not a string or an integer (an object, an array, null, a fraction): unusable as an id.
            return .failure(
                Rejected(
                    reply: error(.invalidRequest, "invalid request: 'id' must be a string or an integer")))
        }
        guard message["jsonrpc"] as? String == "2.0" else {
            return reject(.invalidRequest, "invalid request: 'jsonrpc' must be \"2.0\"")
        }
        guard let rawMethod = message["method"] else {
            // A response to something the server asked: the SDK matches it.
            if hasID, message["result"] != nil || message["error"] != nil { return .success(nil) }
            return reject(.invalidRequest, "invalid request: no 'method'")
        }
        guard let method = rawMethod as? String else {
            return reject(.invalidRequest, "invalid request: 'method' must be a string")
        }
        if let params = message["params"], !(params is [String: Any]) {
            return reject(.invalidParams, "invalid params: 'params' must be an object")
        }
        guard method == "tools/call" else { return .success(nil) }
        guard hasID else { return .failure(Rejected(reply: nil)) }
        let params = message["params"] as? [String: Any] ?? [:]
        guard params["name"] is String else {
            return reject(.invalidParams, "invalid params: tools/call needs 'name', a string")
        }
        if let arguments = params["arguments"], !(arguments is [String: Any]), !(arguments is NSNull) {
            return reject(
                .invalidParams,
                "invalid params: 'arguments' must be an object (name to value), not \(kind(arguments))")
        }
        return .success(requestID.map(text))
    }

    static func kind(_ value: Any) -> String {
        switch value {
        case is [Any]: return "an array"
        case is String: return "a string"
        case let n as NSNumber: return String(cString: n.objCType) == "c" ? "a boolean" : "a number"
        default: return "another type"
        }
    }

    /// The id as text, the form both directions are matched by.
    static func text(_ id: JSONValue) -> String {
        if case .string(let s) = id { return "s:" + s }
        return "n:\(id)"
    }

    /// Clients such as Codex send `initialize` capabilities the SDK cannot decode
    /// (`experimental: {"codex/auth-change": {}}`, where it expects string values), which would
    /// fail the handshake. The server uses no experimental capability: that member is dropped.
    static func repaired(_ message: [String: Any]) -> Data? {
        guard message["method"] as? String == "initialize",
            var params = message["params"] as? [String: Any],
            var caps = params["capabilities"] as? [String: Any],
            let experimental = caps["experimental"], !(experimental is [String: String])
        else { return nil }
        var message = message
        caps.removeValue(forKey: "experimental")
        params["capabilities"] = caps
        message["params"] = params
        return try? JSONSerialization.data(withJSONObject: message)
    }

    /// The id of a response the server sends (to clear it from the calls waiting for one).
    static func responseID(_ data: Data) -> String? {
        guard let obj = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], obj["method"] == nil,
            let id = id(obj["id"])
        else { return nil }
        return text(id)
    }
}
