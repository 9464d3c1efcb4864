#!/usr/bin/env bash
# Runs the suite on the embedded defaults, then the storage-backed tests again on PostgreSQL and a Redis
# server when they answer on their standard local ports. QIAOBOT_TEST_REQUIRE_SERVERS=1 (CI) makes a missing
# server an error instead of a skipped round. The last lines say which rounds ran.
set -u
VENV=${VENV:-.venv}
PY="$VENV/bin/python"
cd "$(dirname "$0")/.."

scripts/ensure_chromium.sh || exit 1

summary=()
status=0

echo "== round 1: embedded defaults (SQLite + embedded Redis)"
QIAOBOT_TEST_BACKEND=embedded "$PY" -m pytest "$@"
rc=$?
summary+=("embedded (SQLite + embedded Redis): $([ $rc -eq 0 ] && echo passed || echo "FAILED (exit $rc)")")
[ $rc -eq 0 ] || status=$rc

servers_up() {
  "$PY" - <<'PY'
import socket, sys
for port in (5432, 6379):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        sys.exit(1)
PY
}

if servers_up; then
  echo "== round 2: PostgreSQL 127.0.0.1:5432 + Redis 127.0.0.1:6379 (tests marked backend)"
  QIAOBOT_TEST_BACKEND=server "$PY" -m pytest -m backend "$@"
  rc=$?
  summary+=("servers (PostgreSQL + Redis): $([ $rc -eq 0 ] && echo passed || echo "FAILED (exit $rc)")")
  [ $rc -eq 0 ] || status=$rc
elif [ "${QIAOBOT_TEST_REQUIRE_SERVERS:-0}" = "1" ]; then
  summary+=("servers (PostgreSQL + Redis): REQUIRED but not answering on 127.0.0.1:5432/6379")
  status=1
else
  summary+=("servers (PostgreSQL + Redis): not run — nothing answers on 127.0.0.1:5432/6379")
fi

echo
echo "== qiaobot test summary"
for line in "${summary[@]}"; do echo "   $line"; done
exit $status
