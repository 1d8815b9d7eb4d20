#!/usr/bin/env bash
# Benchmark: FreeRADIUS (the test peer of tests/freeradius) on our schema
# against FreeRADIUS on its own upstream schema, in the same run.
#
#   bench/radius_auth.sh            # 100,000 subscribers, 10,000,000 radacct rows, 20,000 requests
#   SUBSCRIBERS=2000 RADACCT=20000 REQUESTS=2000 bench/radius_auth.sh   # a quick look
#
# Ours: ispstack's migrated schema, the subscribers synced by ispstack (plans
# as radgroupreply groups, radusergroup, radcheck, radreply for static IPs)
# and a full radacct. Upstream: FreeRADIUS's schema.sql with the same user
# rows copied over and an empty radacct. Each server gets the same files:
# REQUESTS PAP Access-Requests, then REQUESTS Accounting-Start and REQUESTS
# Interim-Update for those sessions. radclient sends them 50 at a time
# (-p 50); a rate is requests / wall seconds of radclient. The two servers
# run one after the other, ROUNDS times alternately; the medians are printed
# with the ratio ours / upstream (target >= 0.9). Twice: first with all
# RADACCT sessions in radacct, then after what ispstack does with history
# (the usage rollup, then `ispstack radius retention` moving closed sessions
# to radacct_archive). The database server is
# DATABASE_URL's (the embedded one when unset). REUSE=1 keeps our database
# of the last run (its setup takes minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
SUBSCRIBERS=${SUBSCRIBERS:-100000}
RADACCT=${RADACCT:-10000000}
REQUESTS=${REQUESTS:-20000}
ROUNDS=${ROUNDS:-3}
UPSTREAM_SCHEMA=/etc/freeradius/3.0/mods-config/sql/main/postgresql/schema.sql
OURS_DB=ispstack_bench_radius
UPSTREAM_DB=ispstack_bench_radius_upstream
WORK=$(mktemp -d /tmp/ispstack-bench-radius.XXXXXX)

cleanup() {
  for dir in "$WORK"/run-*; do
    [ -d "$dir" ] && "$PY" -m tests.freeradius stop "$dir" || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -z "${REUSE:-}" ]; then
  "$PY" bench/radius_data.py ours "$OURS_DB" --subscribers "$SUBSCRIBERS" --radacct "$RADACCT"
fi
"$PY" - "$UPSTREAM_DB" <<'EOF'
import sys
sys.path.insert(0, "bench")
from common import bench_database_url
bench_database_url(sys.argv[1])
EOF
(eval "$("$PY" bench/radius_data.py libpq "$UPSTREAM_DB")"; psql -Xq -v ON_ERROR_STOP=1 -f "$UPSTREAM_SCHEMA")
"$PY" bench/radius_data.py requests "$WORK" --subscribers "$SUBSCRIBERS" --requests "$REQUESTS"

free_port() { "$PY" -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_peer NAME DB -> prints "PID AUTH ACCT"
start_peer() {
  local name=$1 db=$2
  local auth acct coa
  auth=$(free_port); acct=$(free_port); coa=$(free_port)
  (
    eval "$("$PY" bench/radius_data.py libpq "$db")"
    echo "$("$PY" -m tests.freeradius start "$WORK/run-$name" \
      --auth-port "$auth" --acct-port "$acct" --coa-port "$coa" --secret testing123) $auth $acct"
  )
}

read -r OURS_PID OURS_AUTH OURS_ACCT < <(start_peer ours "$OURS_DB")
read -r UP_PID UP_AUTH UP_ACCT < <(start_peer upstream "$UPSTREAM_DB")
"$PY" bench/radius_data.py upstream "$OURS_DB" "$UPSTREAM_DB"

# rate FILE PORT KIND -> requests per second (every request must be accepted, none lost)
rate() {
  local started ended out
  started=$(date +%s.%N)
  out=$(radclient -q -s -c 1 -p 50 -r 3 -t 5 -f "$1" "127.0.0.1:$2" "$3" testing123 2>&1 || true)
  ended=$(date +%s.%N)
  if ! grep -Eq "Accepted +: $REQUESTS$" <<<"$out"; then
    echo "radclient: not every request was answered with an accept: $out" >&2
    exit 1
  fi
  "$PY" -c "print(f'{$REQUESTS / ($ended - $started):.0f}')"
}

# Accounting replays must hit fresh sessions on each round: clear them.
clear_sessions() {
  (eval "$("$PY" bench/radius_data.py libpq "$1")"; psql -qtAc "DELETE FROM radacct WHERE acctsessionid LIKE 'bench-%'" >/dev/null)
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# measure LABEL: ROUNDS alternating rounds on both servers, then the medians.
measure() {
  declare -A R
  for round in $(seq "$ROUNDS"); do
    for side in ours upstream; do
      if [ "$side" = ours ]; then auth=$OURS_AUTH acct=$OURS_ACCT db=$OURS_DB; else auth=$UP_AUTH acct=$UP_ACCT db=$UPSTREAM_DB; fi
      clear_sessions "$db"
      R[$side-auth-$round]=$(rate "$WORK/auth.txt" "$auth" auth)
      R[$side-start-$round]=$(rate "$WORK/start.txt" "$acct" acct)
      R[$side-interim-$round]=$(rate "$WORK/interim.txt" "$acct" acct)
      echo "round $round $side: auth ${R[$side-auth-$round]}/s start ${R[$side-start-$round]}/s interim ${R[$side-interim-$round]}/s"
    done
  done
  echo "== $1"
  echo "subscribers $SUBSCRIBERS, requests $REQUESTS per kind, rounds $ROUNDS"
  for kind in auth start interim; do
    ours=$(median $(for r in $(seq "$ROUNDS"); do echo "${R[ours-$kind-$r]}"; done))
    up=$(median $(for r in $(seq "$ROUNDS"); do echo "${R[upstream-$kind-$r]}"; done))
    ratio=$("$PY" -c "print(f'{$ours / $up:.2f}')")
    printf '%-8s ours %6s req/s   upstream %6s req/s   ratio %s (target >= 0.9)\n' "$kind" "$ours" "$up" "$ratio"
  done
}

measure "ours: $RADACCT sessions in radacct (retention not run yet); upstream: empty radacct"
"$PY" bench/radius_data.py archive "$OURS_DB"
measure "ours after 'ispstack radius retention': the same $RADACCT sessions, closed ones in radacct_archive"
