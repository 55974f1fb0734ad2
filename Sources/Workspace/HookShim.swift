import Foundation

/// The git hooks codex-state installs.
public enum HookName: String, CaseIterable, Sendable, Codable {
    case postCheckout = "post-checkout"
    case postMerge = "post-merge"
    case postRewrite = "post-rewrite"
    case prepareCommitMsg = "prepare-commit-msg"
    case prePush = "pre-push"

    /// Installed by `init` and by `hooks install` without options.
    public static let defaults: [HookName] = [.postCheckout, .postMerge, .postRewrite]

    /// Hooks to which git passes data on standard input.
    var readsStdin: Bool { self == .postRewrite || self == .prePush }
}

/// The shim script placed in git's hooks directory. The same text is kept in the repository's
/// `hooks/shim.sh` (a test holds the two equal), so what is installed is reviewable and versioned.
public enum HookShim {
    public static let version = 2
    static let marker = "# codex-state hook shim, version "
    static let binaryPlaceholder = "@CODEX_STATE_BINARY@"
    public static let chainedSuffix = ".codex-state-chained"

    /// The template, with the installing binary's path still a placeholder.
    public static let template = """
        #!/bin/sh
        # codex-state hook shim, version 2
        # Installed by `codex-state hooks install`; removed by `codex-state hooks uninstall`.
        # It never fails or blocks git: every problem is a warning. A hook that was here before is
        # kept beside this file as <name>.codex-state-chained; it runs first and its exit status
        # is this hook's exit status. codex-state itself gets at most CODEX_STATE_HOOK_TIMEOUT
        # seconds (default 10; where timeout(1) exists); past that it is stopped, with one warning,
        # and git goes on.
        hook=${0##*/}
        chained="$0.codex-state-chained"
        input=
        case "$hook" in
        post-rewrite | pre-push) input=$(mktemp 2>/dev/null) && cat >"$input" ;;
        esac
        status=0
        if [ -x "$chained" ]; then
            if [ -n "$input" ]; then "$chained" "$@" <"$input"; else "$chained" "$@"; fi
            status=$?
        fi
        bin=
        for candidate in "${CODEX_STATE_BIN:-}" codex-state '@CODEX_STATE_BINARY@'; do
            if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1; then
                bin=$candidate
                break
            fi
        done
        limit=${CODEX_STATE_HOOK_TIMEOUT:-10}
        case "$limit" in '' | *[!0-9]*) limit=10 ;; esac
        if [ -n "$bin" ]; then
            # timeout(1) (GNU coreutils, BusyBox) bounds it: TERM at the limit, KILL a second later
            # (a caller may have left TERM blocked). Without timeout(1) it runs unbounded, as before.
            if command -v timeout >/dev/null 2>&1; then
                timeout -k 1 "$limit" "$bin" hook "$hook" "$@" <"${input:-/dev/null}"
                case $? in
                124 | 137) echo "codex-state: warning: $hook: stopped codex-state after $limit s (git continues)" >&2 ;;
                esac
            else
                "$bin" hook "$hook" "$@" <"${input:-/dev/null}"
            fi
        fi
        [ -n "$input" ] && rm -f "$input"
        exit $status

        """

    /// The script for a binary installed at `binary`.
    public static func script(binary: String) -> String {
        template.replacingOccurrences(of: binaryPlaceholder, with: binary.replacingOccurrences(of: "'", with: ""))
    }

    /// The shim version of a hook file's text, or nil if it is not ours.
    public static func version(of text: String) -> Int? {
        for line in text.split(separator: "\n").prefix(3) where line.hasPrefix(marker) {
            return Int(line.dropFirst(marker.count).prefix { $0.isNumber })
        }
        return nil
    }
}
