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

# redis-server processes started from this checkout's venv (the embedded Redis): none may outlive a round.
REDIS_BIN_PATTERN="$(cd "$VENV" && pwd)/.*redis-server"
redis_pids() { pgrep -f "$REDIS_BIN_PATTERN" | sort; }
before_redis=$(redis_pids)
check_no_redis_left() {
  local left
  left=$(comm -13 <(echo "$before_redis") <(redis_pids) | sed '/^$/d')
  if [ -n "$left" ]; then
    echo "redis-server processes left running by round $1:" >&2
    for pid in $left; do ps -o pid=,args= -p "$pid" >&2; done
    summary+=("round $1 left redis-server running: $(echo $left)")
    status=1
  fi
}

echo "== round 1: embedded defaults (SQLite + embedded Redis)"
QIAOBOT_TEST_BACKEND=embedded "$PY" -m pytest "$@"
rc=$?
summary+=("embedded (SQLite + embedded Redis): $([ $rc -eq 0 ] && echo passed || echo "FAILED (exit $rc)")")
[ $rc -eq 0 ] || status=$rc
check_no_redis_left 1

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
  check_no_redis_left 2
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
