#!/bin/sh
# local-tools.sh — install what checks the CI examples here (make test-slow), when missing:
# the npm packages pinned in tools/ci/package.json into build/ci-tools (npm from the npm
# registry; reinstalled when package.json changes), and the Debian packages they need
# (npm when there is none; rsync and git for gitlab-ci-local's shell executor), through
# tools/ci/install-pkgs.sh. Prints the directory of their commands (gitlab-ci-local,
# action-validator). Exit status: 0 ready, 1 not (the reason on stderr).
set -u
say() { echo "local-tools: $*" >&2; }
here=$(cd "$(dirname "$0")" && pwd) || exit 1
dir=$here/../../build/ci-tools
pkgs="rsync git"
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
# shellcheck disable=SC2086
sh "$here/install-pkgs.sh" $pkgs || { say "cannot install$pkgs"; exit 1; }
mkdir -p "$dir" || exit 1
dir=$(cd "$dir" && pwd)
if ! cmp -s "$here/package.json" "$dir/package.json.installed" ||
	[ ! -x "$dir/node_modules/.bin/gitlab-ci-local" ] || [ ! -x "$dir/node_modules/.bin/action-validator" ]; then
	say "npm install of tools/ci/package.json into $dir"
	cp "$here/package.json" "$dir/package.json" || exit 1
	t=${NPM_TIMEOUT:-600}
	(cd "$dir" && timeout "$t" npm install --no-audit --no-fund --no-save --loglevel=error >&2) ||
		{ say "npm install failed (or took over $t s): the npm registry unreachable?"; exit 1; }
	cp "$here/package.json" "$dir/package.json.installed"
fi
echo "$dir/node_modules/.bin"
