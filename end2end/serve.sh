#!/bin/sh
# Starts the server for the browser tests: a fresh data dir with the demo mesh deployed.
# E2E_ATRIUM_BIN and E2E_SITE_ROOT point at the build (the Makefile sets them).
set -eu
port=$1
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${E2E_ATRIUM_BIN:-$root/target/debug/atrium}
site=${E2E_SITE_ROOT:-$root/target/site}
data=$(mktemp -d "${TMPDIR:-/tmp}/atrium-e2e.XXXXXX")
[ -f "$root/examples/mesh/sales/data/lineitem.csv" ] || "$bin" demo-data --mesh --out "$root/examples/mesh" > /dev/null
"$bin" --data-dir "$data" deploy "$root/examples/mesh" > /dev/null
exec "$bin" --data-dir "$data" serve --addr "127.0.0.1:$port" --site-root "$site"
