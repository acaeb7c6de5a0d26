#!/usr/bin/env bash
# Stops the cluster started by start-rgw.sh under DIR: radosgw, then the OSD,
# then the monitor, one after another (stopped in parallel they can hang), each
# with SIGTERM and, after a bounded wait, SIGKILL. Removes DIR unless --keep.
#
# Usage: scripts/s3/stop-rgw.sh DIR [--keep]
set -uo pipefail

[ $# -ge 1 ] || { echo "usage: $0 DIR [--keep]" >&2; exit 2; }
DIR=$1
KEEP=${2:-}
[ -d "$DIR" ] || exit 0

stop_daemon() {  # pid file, name, seconds to wait after SIGTERM
  local pidfile=$1 name=$2 grace=$3 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile" 2>/dev/null) || return 0
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 $((grace * 20))); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
  # The cluster lives in RAM (memstore) and is thrown away: killing loses nothing.
  echo "stop-rgw: $name ($pid) still running ${grace} s after SIGTERM, killing" >&2
  kill -KILL "$pid" 2>/dev/null
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
}

stop_daemon "$DIR/run/client.rgw.fmi.pid" radosgw 3
stop_daemon "$DIR/run/osd.0.pid" ceph-osd 10
stop_daemon "$DIR/run/mon.a.pid" ceph-mon 10

if [ "$KEEP" != "--keep" ]; then
  rm -rf "$DIR"
fi
