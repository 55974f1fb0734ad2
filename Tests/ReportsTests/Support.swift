import Testing

@testable import StateModel

let t0 = Timestamp(iso8601: "2026-01-15T09:00:00Z")!

func ctx(
    _ actor: String = "alice", at: Timestamp = t0, branch: String? = "main", head: String? = nil, nonce: UInt64 = 1
)
    -> MutationContext
{
    MutationContext(actor: actor, now: at, branch: branch, head: head, nonce: nonce)
}

/// Builds a state with tasks named by their title, so tests can refer to them by name.
struct Fixture {
    var state = ProjectState(projectName: "p")
    var ids: [String: String] = [:]
    var nonce: UInt64 = 100
    var clock = t0

    mutating func add(_ name: String, deps: [String] = []) throws {
        nonce += 1
        clock = clock.adding(seconds: 60)
        ids[name] = try state.addTask(
            NewTask(title: name, deps: deps.map { ids[$0]! }), ctx(at: clock, nonce: nonce))
    }

    subscript(_ name: String) -> String { ids[name]! }
}
