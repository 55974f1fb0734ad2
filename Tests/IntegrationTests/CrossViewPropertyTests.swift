import Foundation
import Testing

/// Issue 17, item 2: every view answers from the same rows. Random histories over a clone with
/// several branches, a linked worktree and a fetched remote — cherry-picks of work with and
/// without the state file, squash merges, rebases, amends, deleted branches — and after every few
/// steps, in each worktree, every view gives every task the same effective status: `tasks` and its
/// `--status` filters, `task show`, `next`, `check`'s findings, and the rows made from scratch
/// (the index thrown away: the full evaluation the incremental rows are held to). Tasks that exist
/// only in another copy included.
@Suite struct CrossViewPropertyTests {
    final class World {
        let s: Sandbox
        let origin: String
        let repo: String
        let wt: String
        var rng: SeededRandom
        var branches: Set<String> = ["main"]
        var step = 0

        init(seed: UInt64) throws {
            s = try Sandbox()
            rng = SeededRandom(seed: seed)
            origin = try s.repo("origin")
            try s.ok("init", "--no-hooks", in: origin)
            for i in 0..<3 { try s.ok("task", "add", "Shared \(i)", "--label", "shared", in: origin) }
            try s.git("add", "-A", in: origin)
            try s.git("commit", "-q", "-m", "plan", in: origin)
            repo = s.path("clone")
            try s.git("clone", "-q", "--no-local", origin, repo, in: s.root)
            try s.ok("init", "--no-hooks", in: repo)
            wt = s.path("wt")
            try s.git("worktree", "add", "-q", "-b", "side", wt, in: repo)
            branches.insert("side")
        }

        func ids(_ dir: String) throws -> [String] {
            (s.json(try s.ok("tasks", "--all", "--json", in: dir))["tasks"] as? [[String: Any]] ?? [])
                .compactMap { $0["id"] as? String }
        }

        func commitAll(_ dir: String, _ message: String) throws {
            try s.git("add", "-A", in: dir)
            _ = try s.run("git", ["commit", "-q", "-m", message], in: dir)
        }

        /// One random step of the kinds people and agents make.
        func randomStep() throws -> String {
            step += 1
            let dir = rng.below(3) == 0 ? wt : repo
            let actor = rng.pick(["ann", "bob"])
            let env = ["CODEX_STATE_ACTOR": actor]
            let tasks = try ids(dir)
            switch rng.below(14) {
            case 0, 1:
                var args = ["task", "add", "Task \(step)", "--label", rng.pick(["ui", "db"])]
                if let d = tasks.randomElement(using: &rng), rng.below(2) == 0 { args += ["--dep", d] }
                _ = try s.run(Sandbox.binary, args, in: dir, env: env)
                try commitAll(dir, "plan \(step)")
                return "add in \(dir == wt ? "wt" : "repo")"
            case 2:
                guard let t = tasks.randomElement(using: &rng) else { return "nothing" }
                _ = try s.run(Sandbox.binary, ["task", "start", t], in: dir, env: env)
                if rng.below(2) == 0 { try commitAll(dir, "start \(step)") }
                return "start \(t)"
            case 3, 4:
                // Work with a trailer naming a task, then the completion (with or without a
                // commit named), committed with the work or on its own.
                guard let t = tasks.randomElement(using: &rng) else { return "nothing" }
                try s.write(dir + "/work-\(step).c", "int w\(step);\n")
                try s.git("add", "work-\(step).c", in: dir)
                try s.git("commit", "-q", "-m", "Work \(step)\n\nCodex-Task: \(t)", in: dir)
                let named = rng.below(2) == 0 ? ["--commit", "HEAD"] : []
                _ = try s.run(Sandbox.binary, ["complete", t] + named, in: dir, env: env)
                try commitAll(dir, "state: \(t) done")
                return "complete \(t)"
            case 5:
                let name = "b\(step)"
                try s.git("checkout", "-q", "-b", name, in: repo)
                branches.insert(name)
                return "branch \(name)"
            case 6:
                let target = rng.pick(Array(branches.subtracting(["side"])).sorted())
                _ = try s.run("git", ["checkout", "-q", target], in: repo)
                return "checkout \(target)"
            case 7:
                // A cherry-pick of another branch's tip: the work alone, or the state commit.
                let from = rng.pick(Array(branches).sorted())
                let pick = try s.git("rev-parse", from + (rng.below(2) == 0 ? "~1" : ""), in: repo)
                if try s.run("git", ["cherry-pick", "--allow-empty", pick], in: repo).ok {
                    return "cherry-pick \(from)"
                }
                _ = try s.run("git", ["cherry-pick", "--abort"], in: repo)
                return "cherry-pick refused"
            case 8:
                let from = rng.pick(Array(branches.subtracting(["main"])).sorted())
                if try s.run("git", ["merge", "-q", "--squash", from], in: repo).ok {
                    _ = try s.run("git", ["commit", "-q", "--no-edit", "-m", "squash \(from)"], in: repo)
                    return "squash \(from)"
                }
                _ = try s.run("git", ["reset", "-q", "--hard"], in: repo)
                return "squash refused"
            case 9:
                if try s.run("git", ["rebase", "-q", "main"], in: repo).ok { return "rebase onto main" }
                _ = try s.run("git", ["rebase", "--abort"], in: repo)
                return "rebase refused"
            case 10:
                try s.write(repo + "/amend-\(step).c", "int a;\n")
                try s.git("add", "-A", in: repo)
                _ = try s.run("git", ["commit", "-q", "--amend", "--no-edit"], in: repo)
                return "amend"
            case 11:
                let current = try s.git("rev-parse", "--abbrev-ref", "HEAD", in: repo)
                let gone = Array(branches.subtracting(["main", "side", current])).sorted()
                guard let b = gone.first else { return "nothing to delete" }
                try s.git("branch", "-q", "-D", b, in: repo)
                branches.remove(b)
                return "delete \(b)"
            case 12:
                // Another clone's work arrives by fetch: a task done and a task only there.
                try s.ok("task", "add", "Remote \(step)", "--label", "remote", in: origin)
                let shared = try ids(origin).first ?? ""
                _ = try s.run(Sandbox.binary, ["complete", shared, "--commit", "HEAD"], in: origin)
                try commitAll(origin, "remote \(step)")
                try s.git("fetch", "-q", "origin", in: dir)
                return "fetch"
            default:
                guard let t = tasks.randomElement(using: &rng) else { return "nothing" }
                _ = try s.run(Sandbox.binary, ["task", "block", t, "--reason", "why"], in: dir, env: env)
                return "block \(t)"
            }
        }

        /// Every view of `dir` against `tasks --all --everywhere --json`.
        func expectViewsAgree(_ dir: String, _ what: String) throws {
            func rows() throws -> [String: [String: Any]] {
                let r = try s.cs("tasks", "--all", "--everywhere", "--json", in: dir)
                var out: [String: [String: Any]] = [:]
                for t in s.json(r.stdout)["tasks"] as? [[String: Any]] ?? [] {
                    if let id = t["id"] as? String { out[id] = t }
                }
                return out
            }
            let base = try rows()
            let status = base.mapValues { $0["effective_status"] as? String ?? "?" }
            // The --status filters list exactly the tasks of that status.
            for want in ["open", "in_progress", "done", "done_elsewhere", "done_unknown", "blocked", "stale"] {
                let r = try s.cs("tasks", "--status", want, "--everywhere", "--json", in: dir)
                let listed = Set(
                    (s.json(r.stdout)["tasks"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String })
                #expect(listed == Set(status.filter { $0.value == want }.keys), "\(what): --status \(want)")
            }
            // task show, for a sample (every task is slow in a debug build).
            for id in base.keys.sorted().prefix(6) {
                let shown = s.json(try s.ok("task", "show", id, "--json", in: dir))
                #expect(shown["effective_status"] as? String == status[id], "\(what): task show \(id)")
            }
            // next offers ready tasks of this worktree only, each as tasks lists it.
            let next = s.json(try s.ok("next", "-n", "500", "--json", in: dir))
            for c in next["candidates"] as? [[String: Any]] ?? [] {
                let task = c["task"] as? [String: Any]
                let id = task?["id"] as? String ?? ""
                #expect(task?["effective_status"] as? String == status[id], "\(what): next \(id)")
                #expect(base[id]?["only_elsewhere"] as? Bool == false, "\(what): next offers \(id) from another copy")
            }
            let offered = Set(
                (next["candidates"] as? [[String: Any]] ?? []).compactMap {
                    ($0["task"] as? [String: Any])?["id"] as? String
                })
            for (id, t) in base where t["ready"] as? Bool == true && t["only_elsewhere"] as? Bool == false {
                #expect(offered.contains(id), "\(what): \(id) is ready but next does not offer it")
            }
            // check judges the tasks as the views show them.
            let check = s.json(try s.cs("check", "--json", in: dir).stdout)
            for f in check["findings"] as? [[String: Any]] ?? [] {
                guard let id = f["entity"] as? String, let code = f["code"] as? String else { continue }
                let want: [String]? =
                    switch code {
                    case "CS040": ["open", "in_progress"]
                    case "CS032": ["done"]
                    case "CS031": ["done_elsewhere"]
                    case "CS030": ["done_unknown"]
                    default: nil
                    }
                if let want {
                    #expect(want.contains(status[id] ?? "?"), "\(what): \(code) for \(id), \(status[id] ?? "?")")
                }
            }
            // The rows made from scratch (no index): the full evaluation.
            for f in ["index.sqlite", "index.sqlite-wal", "index.sqlite-shm"] {
                let gitDir = try s.git("rev-parse", "--absolute-git-dir", in: dir)
                try? FileManager.default.removeItem(atPath: gitDir + "/codex-state/" + f)
            }
            let fresh = try rows().mapValues { $0["effective_status"] as? String ?? "?" }
            #expect(fresh == status, "\(what): the incremental rows differ from a full evaluation")
            seen.formUnion(status.values)
            if base.values.contains(where: { $0["only_elsewhere"] as? Bool == true }) { seen.insert("only elsewhere") }
        }

        /// The statuses the views were compared on, over the whole run.
        var seen = Set<String>()
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func everyViewGivesEveryTaskTheSameStatus(seed: UInt64) throws {
        let w = try World(seed: seed)
        var log: [String] = []
        for i in 0..<30 {
            log.append(try w.randomStep())
            guard i % 6 == 5 else { continue }
            let what = "seed \(seed) after \(log.joined(separator: ", "))"
            try w.expectViewsAgree(w.repo, what + " (clone)")
            try w.expectViewsAgree(w.wt, what + " (worktree)")
        }
        // The histories reach the cases the views once disagreed on.
        #expect(
            w.seen.isSuperset(of: ["open", "done", "only elsewhere"]) && w.seen.count >= 5,
            "seed \(seed): \(w.seen.sorted())")
    }
}
