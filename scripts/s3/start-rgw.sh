#!/usr/bin/env bash
# Starts a single-host Ceph cluster with a RADOS Gateway (S3) under DIR:
# one monitor, one memstore OSD (RAM only) and radosgw (beast frontend) on
# free loopback ports, then creates an S3 user with known keys and a bucket.
# Nothing is written outside DIR (no /etc/ceph, no systemd).
#
# Usage: scripts/s3/start-rgw.sh DIR [--access-key K] [--secret-key S]
#                                    [--bucket B] [--memory-mib M] [--owner-pid P]
# With --owner-pid, a watchdog stops the cluster when process P ends, so a
# test binary that is killed (or dies on SIGPIPE) leaves no daemons behind.
# On success prints (and writes to DIR/env) shell assignments:
#   FMI_S3_ENDPOINT=http://127.0.0.1:PORT  FMI_S3_REGION=us-east-1
#   FMI_S3_BUCKET=...  FMI_S3_ACCESS_KEY_ID=...  FMI_S3_SECRET_ACCESS_KEY=...
#   FMI_S3_DNS_NAME=localhost   (virtual-hosted: http://BUCKET.localhost:PORT)
# Stop with scripts/s3/stop-rgw.sh DIR. See docs/channels/s3.md.
set -euo pipefail

die() { echo "start-rgw: $*" >&2; exit 1; }

[ $# -ge 1 ] || die "usage: $0 DIR [--access-key K] [--secret-key S] [--bucket B] [--memory-mib M] [--owner-pid P]"
DIR=$(mkdir -p "$1" && cd "$1" && pwd)
shift
ACCESS_KEY=fmitestaccesskey
SECRET_KEY=fmitestsecretkey0123456789
BUCKET=fmi-test
MEMORY_MIB=4096   # a cap on the OSD's RAM, not an allocation
OWNER_PID=""
while [ $# -gt 0 ]; do
  case "$1" in
    --access-key) ACCESS_KEY=$2; shift 2 ;;
    --secret-key) SECRET_KEY=$2; shift 2 ;;
    --bucket) BUCKET=$2; shift 2 ;;
    --memory-mib) MEMORY_MIB=$2; shift 2 ;;
    --owner-pid) OWNER_PID=$2; shift 2 ;;
    *) die "unknown option '$1'" ;;
  esac
done

for tool in ceph-authtool monmaptool ceph-mon ceph-osd radosgw radosgw-admin ceph uuidgen python3 curl; do
  command -v "$tool" >/dev/null || die "'$tool' not found: run scripts/install-deps.sh s3"
done
[ ! -e "$DIR/ceph.conf" ] || die "$DIR already holds a cluster (stop it with stop-rgw.sh first)"

# A free TCP port on 127.0.0.1 (the kernel picks; a tiny race with other
# processes is possible, start-up then fails and the caller may retry).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
MON_PORT=$(free_port)
RGW_PORT=$(free_port)
while [ "$RGW_PORT" = "$MON_PORT" ]; do RGW_PORT=$(free_port); done
FSID=$(uuidgen)
OSD_UUID=$(uuidgen)
CONF="$DIR/ceph.conf"
mkdir -p "$DIR/mon/a" "$DIR/osd/0" "$DIR/run" "$DIR/log" "$DIR/rgw"

cat > "$CONF" <<CONF
[global]
fsid = $FSID
mon host = v1:127.0.0.1:$MON_PORT
mon initial members = a
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $DIR/keyring
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
pid file = $DIR/run/\$name.pid
ms bind msgr2 = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
# each RGW pool creation otherwise waits ~2 s for a paxos round
paxos propose interval = 0.1
mon data avail warn = 1
mon data avail crit = 0
# no coredumps or syslog from a test cluster
log to stderr = false
err to stderr = false
log to syslog = false

[mon.a]
mon data = $DIR/mon/a

[osd.0]
osd data = $DIR/osd/0
osd objectstore = memstore
memstore device bytes = $((MEMORY_MIB * 1024 * 1024))
osd max object size = 1073741824

[client.rgw.fmi]
# tcp_nodelay: without it every reply waits ~40 ms for a delayed ACK
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
rgw data = $DIR/rgw
rgw dns name = localhost
# Small parts let tests reach the multipart path with small payloads
# (AWS's minimum is 5 MiB).
rgw multipart min part size = 4096
rgw enable usage log = false
# A throwaway gateway: no lifecycle or quota threads (they make SIGTERM wait
# for their sleeps, up to ~10 s). Garbage collection stays, quick: the data
# of deleted large objects must leave the RAM-backed OSD.
rgw enable lc threads = false
rgw enable quota threads = false
rgw gc obj min wait = 1
rgw gc processor period = 2
rgw gc processor max time = 2
CONF

log() { echo "start-rgw: $*" >&2; }
fail() {
  log "$*"
  for f in "$DIR"/log/*.log; do
    [ -f "$f" ] && { echo "---- tail of $f" >&2; tail -n 20 "$f" >&2; }
  done
  "$(dirname "$0")/stop-rgw.sh" "$DIR" ${FMI_RGW_KEEP_ON_FAILURE:+--keep} >/dev/null 2>&1 || true
  exit 1
}

# Keys of every daemon and the admin client in one keyring.
ceph-authtool --create-keyring "$DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool "$DIR/keyring" --gen-key -n client.admin \
  --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
ceph-authtool "$DIR/keyring" --gen-key -n osd.0 --cap mon 'allow profile osd' --cap osd 'allow *' >/dev/null
ceph-authtool "$DIR/keyring" --gen-key -n client.rgw.fmi --cap mon 'allow rw' --cap osd 'allow rwx' >/dev/null

monmaptool --create --fsid "$FSID" --addv a "[v1:127.0.0.1:$MON_PORT]" "$DIR/monmap" >/dev/null
ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" --keyring "$DIR/keyring" >/dev/null 2>&1 \
  || fail "ceph-mon --mkfs failed"
ceph-mon -c "$CONF" -i a || fail "ceph-mon did not start"

CEPH=(ceph -c "$CONF" --connect-timeout 20)
"${CEPH[@]}" osd new "$OSD_UUID" 0 >/dev/null 2>&1 || fail "ceph osd new failed"
ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" >/dev/null 2>&1 || fail "ceph-osd --mkfs failed"
ceph-osd -c "$CONF" -i 0 || fail "ceph-osd did not start"

mkdir -p "$DIR/rgw"
radosgw -c "$CONF" -n client.rgw.fmi || fail "radosgw did not start"

# Wait (bounded, ~30 s) until the gateway answers S3 requests.
ready=""
for _ in $(seq 1 300); do
  if curl -s -m 1 "http://127.0.0.1:$RGW_PORT/" 2>/dev/null | grep -q ListAllMyBucketsResult; then
    ready=1; break
  fi
  sleep 0.1
done
[ -n "$ready" ] || fail "radosgw does not answer on 127.0.0.1:$RGW_PORT"

radosgw-admin -c "$CONF" -n client.admin user create --uid=fmi --display-name=fmi \
  --access-key="$ACCESS_KEY" --secret="$SECRET_KEY" >/dev/null 2>&1 || fail "radosgw-admin user create failed"

# The bucket, with a SigV4-signed CreateBucket. curl's own signer is fine for
# this one request without a query string (fmi's client signs for itself);
# the gateway insists on the payload hash header, which curl 7.88 omits.
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
status=$(curl -s -o "$DIR/log/create-bucket.xml" -w '%{http_code}' -m 10 -X PUT \
  --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ACCESS_KEY:$SECRET_KEY" \
  -H "x-amz-content-sha256: $EMPTY_SHA256" \
  "http://127.0.0.1:$RGW_PORT/$BUCKET")
[ "$status" = 200 ] || fail "creating bucket $BUCKET failed (HTTP $status): $(cat "$DIR/log/create-bucket.xml")"

if [ -n "$OWNER_PID" ]; then
  # Detached from our stdout, so whoever reads this script's output is not
  # kept waiting; exits when the cluster is stopped normally (DIR removed).
  STOP="$(cd "$(dirname "$0")" && pwd)/stop-rgw.sh"
  setsid bash -c "while kill -0 $OWNER_PID 2>/dev/null && [ -e '$DIR/ceph.conf' ]; do sleep 1; done
                  [ -e '$DIR/ceph.conf' ] && '$STOP' '$DIR'" </dev/null >/dev/null 2>&1 &
fi

cat > "$DIR/env" <<ENV
FMI_S3_ENDPOINT=http://127.0.0.1:$RGW_PORT
FMI_S3_REGION=us-east-1
FMI_S3_BUCKET=$BUCKET
FMI_S3_ACCESS_KEY_ID=$ACCESS_KEY
FMI_S3_SECRET_ACCESS_KEY=$SECRET_KEY
FMI_S3_DNS_NAME=localhost
FMI_S3_RGW_DIR=$DIR
ENV
cat "$DIR/env"
