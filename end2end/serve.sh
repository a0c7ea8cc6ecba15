#!/bin/sh
# Starts the server for the browser tests: a fresh data dir with the demo mesh deployed.
# E2E_ATRIUM_BIN and E2E_SITE_ROOT point at the build (the Makefile sets them).
set -eu
port=$1
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${E2E_ATRIUM_BIN:-$root/target/debug/atrium}
site=${E2E_SITE_ROOT:-$root/target/site}
data=$(mktemp -d "${TMPDIR:-/tmp}/atrium-e2e.XXXXXX")
# The tests run the CLI on this data dir as its operator would (atrium grant add …).
mkdir -p "$root/end2end/.auth" && printf '%s\n' "$data" > "$root/end2end/.auth/data-dir"
[ -f "$root/examples/mesh/sales/data/lineitem.csv" ] || "$bin" demo-data --mesh --out "$root/examples/mesh" > /dev/null
"$bin" --data-dir "$data" deploy --no-run "$root/examples/mesh" > /dev/null
# Every demo account signs in with the same password in the tests.
DEMO_ACCOUNTS_PASSWORD=demo-password "$root/examples/mesh/access.sh" "$bin" "$data"
# Two demo products do not run yet (no stream rows, no S3 store): `run --all` exits 1 for them.
"$bin" --data-dir "$data" run --all > /dev/null 2>&1 || true
# The New-product test serves its sample on loopback, which the data fence refuses by default.
export ATRIUM_FENCE__ALLOWED_ADDRESSES=127.0.0.1
# The tests move the server's clock by writing seconds into this file (grant expiries).
rm -f "$root/end2end/.auth/clock-offset"
export ATRIUM_TESTING__CLOCK_OFFSET_FILE="$root/end2end/.auth/clock-offset"
# The OpenID Connect provider the sign-in test starts (oidc/provider.mjs).
export ATRIUM_AUTH__OIDC__ISSUER="http://127.0.0.1:${E2E_OIDC_PORT:-3920}"
export ATRIUM_AUTH__OIDC__CLIENT_ID=atrium
export ATRIUM_AUTH__OIDC__CLIENT_SECRET=atrium-test-secret
export ATRIUM_AUTH__OIDC__REDIRECT_URL="http://127.0.0.1:$port/auth/oidc/callback"
export ATRIUM_AUTH__OIDC__SCOPES=openid,profile,email,groups
export ATRIUM_AUTH__OIDC__LABEL="the test provider"
exec "$bin" --data-dir "$data" serve --addr "127.0.0.1:$port" --site-root "$site"
