#!/usr/bin/env bash
# bench/run-all.sh: one command, one report. Installs the benchmark packages,
# builds fmi-bench and the comparison programs, runs every system side by
# side (fmi direct, Open MPI over TCP and over shared memory, Gloo, raw TCP,
# memcpy; fmi over Redis against the Redis floor), alternating the systems
# and repeating the rounds, and writes docs/performance.md with its plots in
# docs/performance/. About 12 minutes on an idle 2-core machine (31 under a
# load of ~9 from other work).
#
# Usage: bench/run-all.sh [options]
#   --rounds N        rounds of every system (default 3)
#   --peers "2 4 8"   peer counts of the collectives (default "2 4 8")
#   --quick           a smoke run: few sizes and iterations, 1 round (the
#                     report then goes to the results directory, not docs/)
#   --build-dir DIR   build directory (default: build-bench in the checkout)
#   --results DIR     where the JSON results and logs go (default:
#                     BUILD/bench-results/<UTC time>); kept, not committed
#   --report FILE     the markdown report (default docs/performance.md)
#   --no-install      do not run scripts/install-deps.sh build bench
#   --no-redis        skip the Redis channel (run when redis-server exists)
#   --s3 / --no-s3    measure the S3 channel against a local Ceph RGW
#                     (scripts/s3/start-rgw.sh); default: when radosgw is
#                     installed (--s3 installs it: install-deps.sh s3)
#   --report-only     rebuild the report from --results DIR, run nothing
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="$REPO/build-bench"
ROUNDS=3
PEERS="2 4 8"
QUICK=0
INSTALL=1
REDIS=1
S3=auto
RESULTS=""
REPORT=""
REPORT_ONLY=0
PYTHON=/usr/bin/python3  # Debian's, which has matplotlib

die() { echo "run-all: $*" >&2; exit 2; }
log() { echo "[run-all $(date +%H:%M:%S)] $*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --peers) PEERS=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --build-dir) BUILD=$2; shift 2 ;;
    --results) RESULTS=$2; shift 2 ;;
    --report) REPORT=$2; shift 2 ;;
    --no-install) INSTALL=0; shift ;;
    --no-redis) REDIS=0; shift ;;
    --s3) S3=1; shift ;;
    --no-s3) S3=0; shift ;;
    --report-only) REPORT_ONLY=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "--rounds: expected a positive number, got '$ROUNDS'"
for n in $PEERS; do [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "--peers: '$n' is not a peer count"; done

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=${RESULTS:-$BUILD/bench-results/$STAMP}
PLOTS="$REPO/docs/performance"
if [ -z "$REPORT" ]; then
  if [ $QUICK = 1 ]; then REPORT="$RESULTS/performance.md"; PLOTS="$RESULTS/plots"; else REPORT="$REPO/docs/performance.md"; fi
else
  PLOTS="$(dirname "$REPORT")/performance"
fi

# ---- what is measured --------------------------------------------------------
# Sizes: the issue's (8 B .. 64 MiB) plus an odd one; fewer iterations for big
# messages come from the harness's byte budget. Point-to-point at 2 peers only.
MAIN_SIZES="8,1K,64K,99999,1M,16M,64M"
EXTRA_SIZES="8,64K,1M"            # the other collectives, for the full tables
STORE_SIZES="8,64K,1M,16M"
# At most ~1 s of timed iterations per size (estimated from the warm-up), so
# slow systems (Gloo, oversubscribed spinning) do not stretch the run.
ITERATIONS=(--iterations 1000 --budget 128M --max-time 1)
STORE_ITERATIONS=(--iterations 100 --budget 32M --min-iterations 3 --max-time 1)
S3_ITERATIONS=(--iterations 20 --budget 32M --min-iterations 3 --max-time 1)  # S3 requests take milliseconds
if [ $QUICK = 1 ]; then
  ROUNDS=1
  MAIN_SIZES="8,64K,1M"; EXTRA_SIZES="8"; STORE_SIZES="8,64K"
  ITERATIONS=(--iterations 50 --budget 8M --min-iterations 2)
  STORE_ITERATIONS=(--iterations 10 --budget 1M --min-iterations 2)
  S3_ITERATIONS=(--iterations 5 --budget 1M --min-iterations 2)
fi
main_ops() { if [ "$1" -eq 2 ]; then echo pingpong,bandwidth,barrier,bcast,allreduce; else echo barrier,bcast,allreduce; fi; }
EXTRA_OPS=gather,scatter,allgather,reduce,scan

report() {
  log "writing $REPORT"
  mkdir -p "$PLOTS" "$(dirname "$REPORT")"
  rm -f "$PLOTS"/*.png
  local command="bench/run-all.sh"
  [ $QUICK = 0 ] || command+=" --quick"
  "$PYTHON" "$REPO/bench/report.py" --out "$REPORT" --plots "$PLOTS" --rounds "$ROUNDS" --command "$command" \
    --analysis "$REPO/bench/analysis.md" "$RESULTS"
}

if [ $REPORT_ONLY = 1 ]; then
  [ -d "$RESULTS" ] || die "--report-only needs --results DIR with the JSON results"
  report
  exit 0
fi

# ---- packages and build --------------------------------------------------------
if [ $INSTALL = 1 ]; then
  groups=(build bench)
  [ "$S3" != 1 ] || groups+=(s3)
  log "installing the packages (scripts/install-deps.sh ${groups[*]})"
  "$REPO/scripts/install-deps.sh" "${groups[@]}"
fi
if [ "$S3" = auto ]; then if command -v radosgw >/dev/null; then S3=1; else S3=0; fi; fi
"$PYTHON" -c "import matplotlib" 2>/dev/null || die "$PYTHON has no matplotlib: run scripts/install-deps.sh bench"

log "configuring $BUILD"
# A fresh build directory gets only what the benchmarks need; an existing
# one keeps its settings (its tests, say) and only gains the benchmarks.
cmake_args=(-DFMI_BUILD_BENCH=ON)
[ -f "$BUILD/CMakeCache.txt" ] || cmake_args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DFMI_BUILD_TESTS=OFF
                                               -DFMI_BUILD_EXAMPLES=OFF -DFMI_BUILD_PYTHON=OFF)
cmake -S "$REPO" -B "$BUILD" "${cmake_args[@]}" >"$BUILD.cmake.log" 2>&1 ||
  { cat "$BUILD.cmake.log" >&2; die "cmake failed"; }
available_targets=$(cmake --build "$BUILD" --target help | sed -n 's/^\.\.\. \([^ ]*\).*/\1/p')
has_target() { grep -qx "$1" <<<"$available_targets"; }
targets=(fmirun fmi-bench bench-tcp bench-memcpy)
for t in bench-openmpi bench-gloo bench-redis-floor bench-s3-floor; do
  if has_target "$t"; then targets+=("$t"); else log "$t is not built (its package is missing): skipped"; fi
done
log "building ${targets[*]}"
cmake --build "$BUILD" -j2 --target "${targets[@]}" >"$BUILD.build.log" 2>&1 ||
  { tail -40 "$BUILD.build.log" >&2; die "the build failed (log: $BUILD.build.log)"; }

FMIRUN="$BUILD/tools/fmirun/fmirun"
FMI_BENCH="$BUILD/tools/fmi-bench/fmi-bench"
COMPARE="$BUILD/bench/compare"

# ---- servers and scratch -----------------------------------------------------
mkdir -p "$RESULTS/logs"
SCRATCH=$(mktemp -d /tmp/fmi-run-all.XXXXXX)
REDIS_PID=""
S3_DIR=""
cleanup() {
  if [ -n "$REDIS_PID" ]; then kill "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" 2>/dev/null || true; fi
  if [ -n "$S3_DIR" ]; then "$REPO/scripts/s3/stop-rgw.sh" "$S3_DIR" >/dev/null 2>&1 || true; fi
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

if [ $REDIS = 1 ] && command -v redis-server >/dev/null; then
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$SCRATCH" \
    --logfile "$RESULTS/logs/redis-server.log" &
  REDIS_PID=$!
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 || die "redis-server did not start on port $REDIS_PORT"
  log "redis-server on 127.0.0.1:$REDIS_PORT"
else
  REDIS=0
fi
if [ $S3 = 1 ]; then
  S3_DIR="$SCRATCH/rgw"
  log "starting a Ceph RGW (scripts/s3/start-rgw.sh)"
  "$REPO/scripts/s3/start-rgw.sh" "$S3_DIR" --owner-pid $$ >"$RESULTS/logs/rgw.log" 2>&1 ||
    { tail -20 "$RESULTS/logs/rgw.log" >&2; die "the RGW did not start"; }
fi

# ---- one run of one system -------------------------------------------------------
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIRUN=(mpirun --allow-run-as-root --oversubscribe --bind-to none --mca pml ob1)
TIMEOUT=900  # seconds; a hung run fails instead of stalling the report

# run NAME ROUND PEERS PART -- COMMAND...: runs one benchmark program, its
# table to the log, its JSON to RESULTS/rROUND-NAME-npPEERS-PART.json.
run() {
  local name=$1 round=$2 peers=$3 part=$4; shift 5
  local base="r$round-$name-np$peers-$part"
  log "round $round: $name, $peers peer(s), $part (load $(cut -d' ' -f1 /proc/loadavg))"
  if ! timeout --kill-after=10 $TIMEOUT "$@" --json "$RESULTS/$base.json" --label "round $round" \
       >"$RESULTS/logs/$base.txt" 2>&1; then
    log "FAILED: $name, $peers peers, $part (log: $RESULTS/logs/$base.txt)"
    tail -5 "$RESULTS/logs/$base.txt" >&2
    rm -f "$RESULTS/$base.json"
  fi
}

# run_system SYSTEM ROUND PEERS: the main operations of one system, and in the
# first round the other collectives (for the full tables, not the targets).
run_system() {
  local system=$1 round=$2 peers=$3
  local parts=("main:--op $(main_ops "$peers") --sizes $MAIN_SIZES")
  [ "$round" -ne 1 ] || parts+=("extra:--op $EXTRA_OPS --sizes $EXTRA_SIZES")
  for entry in "${parts[@]}"; do
    local part=${entry%%:*}; read -r -a args <<<"${entry#*:}"
    args+=("${ITERATIONS[@]}")
    case "$system" in
      fmi-direct)
        run fmi-direct "$round" "$peers" "$part" -- "$FMIRUN" -n "$peers" --no-prefix -- "$FMI_BENCH" --channel direct "${args[@]}" ;;
      openmpi-tcp)
        run openmpi-tcp "$round" "$peers" "$part" -- "${MPIRUN[@]}" -n "$peers" --mca btl tcp,self "$COMPARE/bench-openmpi" "${args[@]}" ;;
      openmpi-shm)
        run openmpi-shm "$round" "$peers" "$part" -- "${MPIRUN[@]}" -n "$peers" --mca btl vader,self "$COMPARE/bench-openmpi" "${args[@]}" ;;
      gloo)
        run gloo "$round" "$peers" "$part" -- "$FMIRUN" -n "$peers" --no-prefix -- "$COMPARE/bench-gloo" \
          --store "$SCRATCH/gloo-store" "${args[@]}" ;;
      tcp-blocking|tcp-busy-poll)
        [ "$peers" -eq 2 ] && [ "$part" = main ] || continue
        run "$system" "$round" 2 main -- "$COMPARE/bench-tcp" --mode "${system#tcp-}" \
          --op pingpong,bandwidth --sizes "$MAIN_SIZES" "${ITERATIONS[@]}" ;;
      memcpy)
        [ "$peers" -eq 2 ] && [ "$part" = main ] || continue
        run memcpy "$round" 1 main -- "$COMPARE/bench-memcpy" --sizes "$MAIN_SIZES" "${ITERATIONS[@]}" ;;
    esac
  done
}

run_stores() {
  local round=$1 peers=$2 ops
  if [ "$peers" -eq 2 ]; then ops=pingpong,bandwidth,barrier,bcast,allreduce; else ops=barrier,bcast,allreduce; fi
  if [ $REDIS = 1 ]; then
    FMI_REDIS_HOST=127.0.0.1 FMI_REDIS_PORT=$REDIS_PORT \
      run fmi-redis "$round" "$peers" main -- "$FMIRUN" -n "$peers" --no-prefix -- "$FMI_BENCH" --channel redis \
      --op "$ops" --sizes "$STORE_SIZES" "${STORE_ITERATIONS[@]}"
    if [ "$peers" -eq 2 ] && has_target bench-redis-floor; then
      run redis-floor "$round" 1 main -- "$COMPARE/bench-redis-floor" --port "$REDIS_PORT" --sizes "$STORE_SIZES" \
        "${STORE_ITERATIONS[@]}"
    fi
  fi
  if [ $S3 = 1 ]; then
    # The gateway answers path-style URLs on 127.0.0.1 (virtual-hosted names need DNS).
    (set -a; . "$S3_DIR/env"; FMI_S3_PATH_STYLE=1; set +a
     run fmi-s3 "$round" "$peers" main -- "$FMIRUN" -n "$peers" --no-prefix -- "$FMI_BENCH" --channel s3 \
       --op "$ops" --sizes "$STORE_SIZES" "${S3_ITERATIONS[@]}"
     if [ "$peers" -eq 2 ] && has_target bench-s3-floor; then
       run s3-floor "$round" 1 main -- "$COMPARE/bench-s3-floor" --sizes "$STORE_SIZES" "${S3_ITERATIONS[@]}"
     fi)
  fi
}

# ---- the rounds: every system at every peer count, in a rotated order ----------
SYSTEMS=(fmi-direct openmpi-tcp gloo openmpi-shm tcp-blocking tcp-busy-poll memcpy)
for t in openmpi:bench-openmpi gloo:bench-gloo; do
  if ! has_target "${t#*:}"; then
    SYSTEMS=($(printf '%s\n' "${SYSTEMS[@]}" | grep -v "^${t%%:*}"))
  fi
done
START=$(date +%s)
log "results in $RESULTS; ${ROUNDS} round(s) of: ${SYSTEMS[*]}; peers $PEERS"
for round in $(seq "$ROUNDS"); do
  for peers in $PEERS; do
    count=${#SYSTEMS[@]}
    for i in $(seq 0 $((count - 1))); do
      run_system "${SYSTEMS[$(( (i + round - 1) % count ))]}" "$round" "$peers"
    done
    run_stores "$round" "$peers"
  done
done
log "measured in $(( ($(date +%s) - START) / 60 )) min $(( ($(date +%s) - START) % 60 )) s"
report
