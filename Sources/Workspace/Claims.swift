import GitKit
import StateModel
import StateStore

/// Claims that hold across clones (docs/claims.md): with a claims remote configured
/// (`git config codex-state.claimsRemote origin`, or `--remote NAME` on a command), a claim is
/// also a reference `<ClaimRefs.prefix><task id>` on that remote, created by a
/// compare-and-swap push, so of two clones claiming at once exactly one wins. Reads see the
/// other clones' live claims through a short-lived listing of those references.
///
/// The remote is never needed: when it cannot be reached or refuses the references, the
/// command says so in one warning line and answers from this clone alone. No remote operation
/// runs under the state file's lock.
public struct ClaimsSession: Sendable {
    /// The command's `--remote NAME`: over `codex-state.claimsRemote`.
    public var remoteOverride: String?
    /// Lines already said in this command (each at most once).
    var said: Set<String> = []
    /// The remote failed in this command: it is not asked again.
    var down = false
    /// The command shows the references a listing skipped (`claims`, `check`): no warning.
    var listsSkipped = false
    /// The listing this command read (or learned into): every later question in the command
    /// gets the same answer, and the remote is listed at most once unless a race was lost.
    var listing: ClaimListing?
    /// The other clones' live claims this command's reads were made with (``Workspace/foreignClaims()``).
    var foreign: [String: ClaimRecord]?

    public init() {}
}

/// How to reach the claims remote, from the configuration and the environment.
public struct ClaimsSettings: Sendable, Equatable {
    public var remote: String
    /// How long a listing answers reads (`codex-state.claimsCacheSeconds`, default 15).
    public var cacheSeconds: Int64
    /// The most one remote operation may take (`CODEX_STATE_REMOTE_TIMEOUT`, default 5).
    public var timeout: Double

    public static let defaultCacheSeconds: Int64 = 15
    public static let defaultTimeout = 5.0
    /// After a failed attempt, how long commands answer without trying the remote again.
    public var backOffSeconds: Int64 { max(cacheSeconds, 30) }
}

/// What publishing a claim came to.
public enum ClaimPublication: Sendable, Equatable {
    /// No claims remote: the claim is this clone's alone, as always.
    case notConfigured
    /// The reference is ours on the remote.
    case published
    /// The remote could not be used (unreachable, refused): said in a warning; the claim is
    /// this clone's alone.
    case local
    /// Another clone holds a live claim (its record when it could be read): the task is not ours.
    case heldElsewhere(ClaimRecord?)
}

/// Failures of the claims layer a command reports.
public enum ClaimsError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidSetting(name: String, value: String, reason: String)
    case noRemote
    /// Another clone's live claim, when its record could be read.
    case heldElsewhere(task: String, by: ClaimRecord?)

    public var description: String {
        switch self {
        case .invalidSetting(let name, let value, let reason): return "\(name)='\(value)': \(reason)"
        case .noRemote:
            return
                "no claims remote: set one with 'git config codex-state.claimsRemote origin' or pass --remote NAME"
        case .heldElsewhere(let task, let by?):
            return
                "\(task) is claimed on the claims remote by \(by.actor) (clone \(by.clone)) until \(by.expires); pass --force to take it over"
        case .heldElsewhere(let task, nil):
            return
                "\(task) is claimed on the claims remote by another clone (its claim changed while this one was pushed); try again, or pass --force to take it over"
        }
    }
}

extension Workspace {
    var claimsFile: RemoteClaimsFile { RemoteClaimsFile(paths: paths) }

    /// Where claims live on the remote (GitKit's ``ClaimRefs``), for the commands' help.
    public static let claimRefPrefix = ClaimRefs.prefix

    /// Why `name` cannot be a claims remote (nil when git would accept it as a remote's name).
    public static func claimsRemoteNameProblem(_ name: String) -> String? { Repository.remoteNameProblem(name) }

    /// The claims remote and its settings; nil when claims stay in this clone.
    public func claimsSettings() throws -> ClaimsSettings? {
        let configured = try repository.configString("codex-state.claimsRemote")
        guard let name = claims.remoteOverride ?? configured, !name.isEmpty else { return nil }
        var settings = ClaimsSettings(
            remote: name, cacheSeconds: ClaimsSettings.defaultCacheSeconds, timeout: ClaimsSettings.defaultTimeout)
        if let raw = try repository.configString("codex-state.claimsCacheSeconds") {
            guard let v = Int64(raw.split(separator: " ").joined()), v >= 0 else {
                throw ClaimsError.invalidSetting(
                    name: "codex-state.claimsCacheSeconds", value: raw, reason: "expected a number of seconds")
            }
            settings.cacheSeconds = v
        }
        settings.timeout = try remoteTimeout()
        return settings
    }

    /// The most one remote operation may take (`CODEX_STATE_REMOTE_TIMEOUT`).
    func remoteTimeout() throws -> Double {
        guard let raw = environment["CODEX_STATE_REMOTE_TIMEOUT"], !raw.isEmpty else {
            return ClaimsSettings.defaultTimeout
        }
        guard let v = Double(raw), v > 0, v.isFinite else {
            throw ClaimsError.invalidSetting(
                name: "CODEX_STATE_REMOTE_TIMEOUT", value: raw, reason: "expected a positive number of seconds")
        }
        return v
    }

    /// Says `line` once in this command.
    func sayOnce(_ line: String) {
        if claims.said.insert(line).inserted { warnings.append(line) }
    }

    /// How reads ask for the listing.
    public enum ClaimsListingRead: Sendable {
        /// The cached listing while it is fresh, else a new one.
        case cached
        /// A new listing, whatever the cache holds (`claims --refresh`, after a lost race).
        case refreshed
    }

    /// The claims remote's listing for this command: the cached one while it is fresh, else one
    /// `git ls-remote` (and, for references whose objects this clone has not read, one fetch).
    /// nil when no claims remote is set, or when it cannot be reached (then said once: reads
    /// answer from this clone alone). Never throws: a read must not fail on the network.
    public func claimListing(_ read: ClaimsListingRead = .cached) -> (settings: ClaimsSettings, listing: ClaimListing)?
    {
        let settings: ClaimsSettings
        do {
            guard let s = try claimsSettings() else { return nil }
            settings = s
        } catch {
            sayOnce("warning: claims: \(error)")
            return nil
        }
        let now: Timestamp
        let remote: GitRemote
        do {
            now = try self.now()
            remote = try repository.remote(settings.remote, timeout: settings.timeout)
        } catch {
            sayOnce("warning: claims: \(error); showing this clone's claims only")
            return nil
        }
        if read == .cached, let memo = claims.listing { return (settings, memo) }
        let cache = claimsFile.read()
        let cached = cache.remotes[settings.remote].flatMap { $0.url == remote.displayURL ? $0 : nil }
        if let cached,
            (read == .cached && cached.isFresh(at: now, ttl: settings.cacheSeconds)) || !surface.mayUseNetwork
        {
            warnSkipped(cached, remote: settings.remote)
            claims.listing = cached
            return (settings, cached)
        }
        if claims.down || !surface.mayUseNetwork { return nil }
        if read == .cached, let cached, cached.isBackingOff(at: now, for: settings.backOffSeconds),
            let failure = cached.unreachable
        {
            sayOnce(
                "warning: claims: \(settings.remote) could not be reached at \(failure.at) (\(failure.reason)); showing this clone's claims only"
            )
            return nil
        }
        do {
            let listing = try listClaims(remote, startingAt: cache, now: now)
            warnSkipped(listing, remote: settings.remote)
            claims.listing = listing
            return (settings, listing)
        } catch {
            claims.down = true
            let reason = "\(error)"
            sayOnce("warning: claims: \(reason); showing this clone's claims only")
            do {
                try remember(settings.remote, remote.displayURL) { l, _ in
                    l.unreachable = ClaimListing.Failure(at: now, reason: reason)
                }
            } catch {
                // Only the back-off is lost: the next command tries the remote again.
                sayOnce("warning: claims: could not remember the failure (\(error)); the next command tries again")
            }
            return nil
        }
    }

    /// Lists the remote's claim references, reads the records this clone has not read before
    /// (by object id: a record never changes) and stores the listing.
    private func listClaims(_ remote: GitRemote, startingAt cache: ClaimListings, now: Timestamp) throws
        -> ClaimListing
    {
        let listed = try remote.listRefs(under: ClaimRefs.prefix)
        // A record never changes: one read before, under the same name, is read for good.
        let known = cache.remotes[remote.name].flatMap { $0.url == remote.displayURL ? $0.entries : nil } ?? [:]
        var entries: [String: ClaimListing.Entry] = [:]
        var unread: [(ref: RemoteRef, task: String)] = []
        for ref in listed.refs {
            guard let task = Self.claimTask(ofRef: ref.name) else {
                entries[ref.name] = ClaimListing.Entry(object: ref.object.hex, record: nil, problem: .badReference)
                continue
            }
            if let e = known[ref.name], e.object == ref.object.hex {
                entries[ref.name] = e
            } else {
                unread.append((ref, task))
            }
        }
        if !unread.isEmpty {
            try remote.fetch(Array(Set(unread.map(\.ref.object))).sorted())
            for (ref, task) in unread {
                let entry: ClaimListing.Entry
                switch try repository.readSmallBlob(ref.object, limit: ClaimRecord.sizeLimit) {
                case .missing: continue
                case .notBlob: entry = ClaimListing.Entry(object: ref.object.hex, record: nil, problem: .notARecord)
                case .tooLarge(let n):
                    entry = ClaimListing.Entry(object: ref.object.hex, record: nil, problem: .tooLarge(n))
                case .bytes(let bytes):
                    do {
                        let record = try ClaimRecord.decode(bytes, task: task)
                        entry = ClaimListing.Entry(object: ref.object.hex, record: record, problem: nil)
                    } catch {
                        entry = ClaimListing.Entry(object: ref.object.hex, record: nil, problem: error)
                    }
                }
                entries[ref.name] = entry
            }
        }
        let malformed = listed.malformed
        return try claimsFile.update(timeout: 2) { listings in
            var l = listings.remotes[remote.name] ?? ClaimListing(url: remote.displayURL)
            if l.url != remote.displayURL { l = ClaimListing(url: remote.displayURL) }
            l.take(
                entries, malformed: malformed, startedAt: cache.generation, generation: listings.generation + 1,
                at: now)
            listings.remotes[remote.name] = l
            return l
        }
    }

    /// One line for the references a listing skipped (hostile, broken or newer records).
    private func warnSkipped(_ listing: ClaimListing, remote: String) {
        guard !claims.listsSkipped else { return }
        let skipped = listing.skipped
        guard !skipped.isEmpty || !listing.malformed.isEmpty else { return }
        var parts = skipped.prefix(3).map { "\(Identifiers.quoted($0.ref)) (\($0.problem))" }
        if skipped.count > 3 { parts.append("and \(skipped.count - 3) more") }
        if !listing.malformed.isEmpty { parts.append("\(listing.malformed.count) line(s) that are not references") }
        sayOnce(
            "warning: claims: skipped \(skipped.count + listing.malformed.count) claim reference(s) on \(remote): \(parts.joined(separator: ", ")); 'codex-state claims prune' removes them"
        )
    }

    /// The task a claim reference names, when its last component is a task id.
    static func claimTask(ofRef ref: String) -> String? {
        ClaimRefs.key(of: ref).flatMap { ClaimRecord.isTask($0) ? $0 : nil }
    }

    /// This clone's id, drawn on first use. The caller holds the claim lock.
    func cloneIDCreating() throws -> String {
        if let id = try claimsFile.cloneID() { return id }
        let id = ClaimRecord.cloneID(random: UInt64.random(in: .min ... .max))
        try claimsFile.createCloneID(id)
        return id
    }

    /// The live claims other clones hold, by task: what reads show as `in_progress@remote:<actor>`
    /// and `next` does not offer. Empty without a claims remote, or when it cannot be read.
    public func foreignClaims() -> [String: ClaimRecord] {
        if let memo = claims.foreign { return memo }
        let found = readForeignClaims()
        claims.foreign = found
        return found
    }

    private func readForeignClaims() -> [String: ClaimRecord] {
        guard let (_, listing) = claimListing() else { return [:] }
        let now: Timestamp
        let mine: String?
        do {
            (now, mine) = (try self.now(), try claimsFile.cloneID())
        } catch {
            // Without the clone's id its own claims would look foreign: none are shown.
            sayOnce("warning: claims: \(error); showing this clone's claims only")
            return [:]
        }
        return listing.foreignLive(mine: mine, at: now)
    }

    /// Publishes this clone's claim on `task`, leased until `expires`, with a compare-and-swap
    /// on the value the listing shows: absent, this clone's own earlier claim (a renewal), an
    /// expired claim of another clone (a takeover), a skipped reference, or — with `force` —
    /// another clone's live claim. A lost race reads the listing again and tries once more if
    /// the reference may still be taken. The caller holds the clone's claim lock.
    func publishClaim(_ task: String, expires: Timestamp, force: Bool) throws -> ClaimPublication {
        guard let settings = try claimsSettings() else { return .notConfigured }
        let ref = ClaimRefs.name(of: task)
        guard var (_, listing) = claimListing() else { return .local }
        if let refused = listing.refused {
            sayOnce(refusalLine(settings.remote, refused.reason))
            return .local
        }
        let now = try self.now()
        let head = try headRef()
        let clone = try cloneIDCreating()
        let record = ClaimRecord(
            task: task, actor: actor, clone: clone, claimed: now, expires: expires, branch: head.branch,
            commit: head.commit, nonce: UInt64.random(in: .min ... .max))
        do {
            let remote = try repository.remote(settings.remote, timeout: settings.timeout)
            let object = try repository.writeBlob(record.encoded())
            for _ in 0..<3 {
                let current = listing.entries[ref]
                if let held = current?.record, held.clone != clone, held.isLive(at: now), !force {
                    return .heldElsewhere(held)
                }
                switch try remote.compareAndSwap(
                    ref, expected: current.flatMap { ObjectID(hex: $0.object) }, new: object)
                {
                case .updated:
                    try remember(settings.remote, remote.displayURL) { l, g in
                        l.learn(
                            ref, ClaimListing.Entry(object: object.hex, record: record, problem: nil), generation: g)
                    }
                    return .published
                case .refused(let reason):
                    try remember(settings.remote, remote.displayURL) { l, _ in
                        l.refused = ClaimListing.Failure(at: now, reason: reason)
                    }
                    sayOnce(refusalLine(settings.remote, reason))
                    return .local
                case .lost:
                    guard let (_, fresh) = claimListing(.refreshed) else { return .heldElsewhere(nil) }
                    listing = fresh
                }
            }
            return .heldElsewhere(listing.entries[ref]?.record)
        } catch let error as RemoteError {
            claims.down = true
            sayOnce("warning: claims: \(error); the claim is this clone's only")
            return .local
        }
    }

    private func refusalLine(_ remote: String, _ reason: String) -> String {
        "warning: claims: \(remote) refuses \(ClaimRefs.prefix)* (\(reason)); claims stay in this clone"
    }

    /// Changes this remote's listing in the cache.
    private func remember(_ remote: String, _ url: String, _ body: (inout ClaimListing, Int64) -> Void) throws {
        let l = try claimsFile.update(timeout: 2) { listings in
            var l = listings.remotes[remote] ?? ClaimListing(url: url)
            if l.url != url { l = ClaimListing(url: url) }
            body(&l, listings.generation + 1)
            listings.remotes[remote] = l
            return l
        }
        if claims.listing != nil { claims.listing = l }
    }

    /// Deletes this clone's claim on `task` from the remote, if the listing shows one (after a
    /// completion, a cancel, a block). A claim that moved on (taken over after it expired) is
    /// left alone; a remote that cannot be reached leaves it to expire, said once.
    /// Deletes this clone's claims on `task` from the remotes it published them on, as the cache
    /// knows them (after a completion, a cancel, a block; or a claim whose local write failed):
    /// whatever remote the claim went to (`codex-state.claimsRemote` or `--remote`), a
    /// compare-and-swap on the object this clone pushed. A claim that moved on (taken over
    /// after it expired) is left alone; a remote that cannot be reached leaves it to expire,
    /// said once. Hooks never reach the network: theirs expire (or `claims prune` removes them).
    func releaseClaim(_ task: String) {
        let ref = ClaimRefs.name(of: task)
        let cache = claimsFile.read()
        guard cache.remotes.values.contains(where: { $0.entries[ref] != nil }) else { return }
        let clone: String
        let timeout: Double
        do {
            guard let c = try claimsFile.cloneID() else { return }
            (clone, timeout) = (c, try remoteTimeout())
        } catch {
            sayOnce("warning: claims: \(error); a claim on \(task) on the claims remote stays until it expires")
            return
        }
        for (name, listing) in cache.remotes.sorted(by: { $0.key < $1.key }) {
            guard let entry = listing.entries[ref], entry.record?.clone == clone,
                let object = ObjectID(hex: entry.object)
            else { continue }
            guard surface.mayUseNetwork, !claims.down else {
                sayOnce("warning: claims: the claim on \(task) stays on \(name) until it expires (\(ref))")
                continue
            }
            do {
                let remote = try repository.remote(name, timeout: timeout)
                guard listing.url == remote.displayURL else { continue }
                switch try remote.compareAndSwap(ref, expected: object, new: nil) {
                case .updated:
                    try remember(name, remote.displayURL) { l, g in l.forget(ref, generation: g) }
                case .lost:
                    // Taken over after it expired, or already deleted: not ours any more.
                    try remember(name, remote.displayURL) { l, g in
                        if l.entries[ref]?.object == object.hex { l.forget(ref, generation: g) }
                    }
                case .refused(let reason):
                    sayOnce("warning: claims: \(name) refused to delete \(ref) (\(reason)); it expires with its lease")
                }
            } catch {
                claims.down = true
                sayOnce("warning: claims: \(error); the claim on \(task) stays on \(name) until it expires")
            }
        }
    }
}
