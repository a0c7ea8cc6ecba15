#!/usr/bin/env bash
# Holds the REST API to its OpenAPI document with an outside checker: schemathesis, against the
# real server on a fresh data dir with the demo mesh, signed in as the demo admin (a bearer token).
# Checks: no 5xx, every status and content type documented, every body matching its schema. Any
# finding fails. Usage: scripts/api-check.sh ATRIUM_BIN SCHEMATHESIS_BIN [SEED]
set -euo pipefail
bin=$1
st=$2
seed=${3:-20261202}
root=$(cd "$(dirname "$0")/.." && pwd)
data=$(mktemp -d "${TMPDIR:-/tmp}/atrium-api-check.XXXXXX")
report=$data/report
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2> /dev/null && wait "$server_pid" 2> /dev/null
  rm -rf "$data"
}
trap cleanup EXIT

[ -f "$root/examples/mesh/sales/data/lineitem.csv" ] || "$bin" demo-data --mesh --out "$root/examples/mesh" > /dev/null
"$bin" --data-dir "$data/atrium" deploy --no-run "$root/examples/mesh" > /dev/null
"$root/examples/mesh/access.sh" "$bin" "$data/atrium" > /dev/null
"$bin" --data-dir "$data/atrium" run --all > /dev/null 2>&1 || true
token=$("$bin" --data-dir "$data/atrium" token create --user admin --name api-check | grep -o 'atr_[0-9a-f]*_[0-9a-f]*' | head -1)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ATRIUM_ENGINE__QUERY_TIMEOUT_SECS=5 ATRIUM_ENGINE__STREAM_BATCH_SECS=0 RUST_LOG=warn \
  "$bin" --data-dir "$data/atrium" serve --addr "127.0.0.1:$port" > "$data/server.log" 2>&1 &
server_pid=$!
base=http://127.0.0.1:$port
for _ in $(seq 1 100); do curl -sf "$base/healthz" > /dev/null && break; sleep 0.1; done

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
# One worker: with two threads, hypothesis' `ast.parse` of its own filters sometimes dies inside
# CPython 3.11 ("AST constructor recursion depth mismatch", a thread-safety bug of the parser).
run() {
  "$st" run "$base/api/v1/openapi.yaml" --url "$base" -H "Authorization: Bearer $token" \
    --checks "$checks" --seed "$seed" --max-examples 40 --workers 1 --no-color \
    --suppress-health-check too_slow,filter_too_much --warnings off --request-timeout 30 "$@"
}
status=0
# Every operation without the stateful phase; then the stateful phase (links between
# operations), except revoking a token: it would find the checker's own and sign it out.
run --phases examples,coverage,fuzzing || status=$?
run --phases stateful --exclude-path '/api/v1/tokens/{id}' || status=$?
if [ "$status" != 0 ]; then
  echo "api-check: schemathesis found problems (seed $seed); the server's log:"
  grep -E "ERROR|WARN" "$data/server.log" | tail -20 || true
  exit 1
fi
if grep -q "ERROR" "$data/server.log"; then
  echo "api-check: the server logged errors:"
  grep "ERROR" "$data/server.log" | tail -20
  exit 1
fi
echo "api-check: the API holds to its OpenAPI document (seed $seed)"
