#!/bin/sh
# codex-state hook shim, version 1
# Installed by `codex-state hooks install`; removed by `codex-state hooks uninstall`.
# It never fails or blocks git: every problem is a warning. A hook that was here before is
# kept beside this file as <name>.codex-state-chained; it runs first and its exit status
# is this hook's exit status.
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
if [ -n "$bin" ]; then
    if [ -n "$input" ]; then
        "$bin" hook "$hook" "$@" <"$input" || :
    else
        "$bin" hook "$hook" "$@" </dev/null || :
    fi
fi
[ -n "$input" ] && rm -f "$input"
exit $status
