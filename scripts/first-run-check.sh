#!/usr/bin/env bash
# A newcomer's first run, checked: clones HEAD into a temporary folder, runs `npm install`, `npm start` (stopped once
# the editor is up), `npm test`, `npm run demo` and `npm run test:e2e` there on the Node.js on PATH (24), and fails
# when one fails or leaves `git status` unclean. With an older Node.js given as OLD_NODE (default: /usr/bin/node
# when it is older), `npm install` must stop within seconds, before node_modules exists.
# Usage: scripts/first-run-check.sh [--no-e2e]    Logs stay in the temporary folder it prints.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/psa-first-run-XXXXXX")
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
clean() { local status; status=$(git -C "$work/clone" status --short); [ -z "$status" ] || fail "git status after $1:"$'\n'"$status"; }
run() { # run <name> <timeout s> <command...>
	local name=$1 limit=$2 started=$SECONDS; shift 2
	(cd "$work/clone" && timeout "$limit" "$@") >"$work/$name.log" 2>&1
	local rc=$?
	echo "$name: exit $rc in $((SECONDS - started)) s ($work/$name.log)"
	[ $rc -eq 0 ] || fail "$name exited $rc"
	clean "$name"
}

node "$repo/scripts/check-node.js" || { rm -rf "$work"; exit 2; }
echo "node $(node -v), npm $(npm -v); working in $work"
git clone -q "$repo" "$work/clone"

old=${OLD_NODE:-/usr/bin/node}
if [ -x "$old" ] && [ "$("$old" -p 'process.versions.node.split(".")[0]')" -lt 24 ]; then
	git clone -q "$repo" "$work/old"
	started=$SECONDS
	(cd "$work/old" && PATH="$(dirname "$old"):$PATH" timeout 120 npm install) >"$work/old-node.log" 2>&1
	rc=$?
	echo "npm install on $("$old" -v): exit $rc in $((SECONDS - started)) s, $(wc -l <"$work/old-node.log") lines ($work/old-node.log)"
	[ $rc -ne 0 ] || fail "npm install on $("$old" -v) succeeded"
	grep -q 'Required: {"node":">=24"}' "$work/old-node.log" || fail "npm install on $("$old" -v) did not name the Node.js version required"
	[ ! -e "$work/old/node_modules" ] || fail "npm install on $("$old" -v) created node_modules"
fi

run install 900 npm install
started=$SECONDS
(cd "$work/clone" && exec setsid timeout -s INT 1800 npm start) >"$work/start.log" 2>&1 &
pid=$!
until grep -q 'Ctrl+C stops' "$work/start.log" 2>/dev/null || ! kill -0 "$pid" 2>/dev/null; do sleep 1; done
if grep -q 'Ctrl+C stops' "$work/start.log"; then
	echo "start: editor ready in $((SECONDS - started)) s ($work/start.log)"
	# If this run installed n8n (first run on this machine): the longest gap between the install's progress lines.
	gap=$(grep -E 'installing n8n|installed n8n|waiting for another' "$work/start.log" | grep -o '^\[ *[0-9]* s\]' | tr -dc '0-9\n' |
		awk 'NR > 1 && $1 - p > g { g = $1 - p } { p = $1 } END { print g + 0 }')
	echo "start: longest gap between progress lines ${gap} s"
	[ "$gap" -le 15 ] || fail "npm start printed nothing for ${gap} s"
	kill -INT -- "-$pid" 2>/dev/null
else
	fail "npm start ended before the editor was up"
fi
wait "$pid" 2>/dev/null
clean start
run test 1800 npm test
run demo 600 npm run demo
[ "${1:-}" = "--no-e2e" ] || run e2e 1800 npm run test:e2e

if [ $failures -eq 0 ]; then echo "first run: all checks passed"; rm -rf "$work"; else echo "first run: $failures failed (logs in $work)"; exit 1; fi
