#!/usr/bin/env bash
# Runs schemathesis (pinned in .ci/requirements-schemathesis.txt, configured by
# .ci/schemathesis.toml) against a `moss serve` this script starts on a throwaway database.
# Usage: .ci/schemathesis.sh sqlite | .ci/schemathesis.sh postgres   (run from .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."

backend="${1:?usage: $0 sqlite|postgres}"
moss="${CARGO_TARGET_DIR:-target}/debug/moss"
venv=target/schemathesis-venv
if ! "$venv/bin/python" -c 'import schemathesis' 2>/dev/null \
    || ! cmp -s .ci/requirements-schemathesis.txt "$venv/requirements-schemathesis.txt"; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r .ci/requirements-schemathesis.txt
    cp .ci/requirements-schemathesis.txt "$venv/requirements-schemathesis.txt"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/moss-schemathesis.XXXXXX")
server_pid=
pg_db=
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ -n "$pg_db" ]; then
        psql "$MOSS_TEST_DATABASE_URL" -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$pg_db\" WITH (FORCE)" >/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

case "$backend" in
sqlite)
    export DATABASE_URL="sqlite://$work/moss.db"
    ;;
postgres)
    : "${MOSS_TEST_DATABASE_URL:?MOSS_TEST_DATABASE_URL must name a Postgres server}"
    pg_db="moss_schemathesis_$$_$(date +%s)"
    psql "$MOSS_TEST_DATABASE_URL" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$pg_db\"" >/dev/null
    # Same server and credentials, the throwaway database instead of the one named in the URL.
    export DATABASE_URL=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$MOSS_TEST_DATABASE_URL" "$pg_db")
    ;;
*)
    echo "unknown backend: $backend (sqlite or postgres)" >&2
    exit 2
    ;;
esac

"$moss" migrate >/dev/null
owner_key=$("$moss" --json workspace create --name "Schemathesis" --slug schemathesis \
    | "$venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["data"]["owner_key"])')

# Limits far above what schemathesis sends, so a 429 never stands in for the real answer.
MOSS_RATE_LIMIT_RPS=1000000 MOSS_RATE_LIMIT_BURST=1000000 MOSS_AUTH_FAILURE_RPS=1000000 \
    "$moss" serve --bind 127.0.0.1:0 >"$work/server.log" 2>&1 &
server_pid=$!
addr=
for _ in $(seq 1 300); do
    addr=$(sed -n 's|.*Moss is serving http://\([^/]*\)/api/v1.*|\1|p' "$work/server.log" | head -n1)
    [ -n "$addr" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        cat "$work/server.log" >&2
        echo "moss serve exited before serving" >&2
        exit 1
    fi
    sleep 0.1
done
if [ -z "$addr" ]; then
    cat "$work/server.log" >&2
    echo "moss serve did not print its address" >&2
    exit 1
fi
echo "moss serve ($backend) at http://$addr"

status=0
"$venv/bin/schemathesis" --config-file .ci/schemathesis.toml run "http://$addr/api/v1/openapi.json" \
    --checks all --no-color \
    --seed "${SCHEMATHESIS_SEED:-20261128}" \
    -H "X-API-Key: $owner_key" \
    --report junit --report-dir "target/schemathesis-report/$backend" \
    "${@:2}" || status=$?
if [ "$status" -ne 0 ]; then
    echo "--- server log (tail)" >&2
    tail -n 50 "$work/server.log" >&2
fi
exit "$status"
