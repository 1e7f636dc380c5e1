#!/usr/bin/env bash
# A real single-node Slurm cluster on loopback (munged, slurmctld, slurmd from Debian's packages,
# no systemd), for the Slurm test of `widesparse sweep slurm`. CI starts it; you can too, as root:
#
#   scripts/slurm-cluster.sh start    install slurm-wlm and munge if missing, configure, start, wait for the node
#   scripts/slurm-cluster.sh stop     cancel jobs and stop the daemons this script started
#   scripts/slurm-cluster.sh status
#
# State, logs and pid files live in $SLURM_TEST_BASE (default /tmp/widesparse-slurm). The config
# goes to /etc/slurm/slurm.conf; a slurm.conf this script did not write is never replaced.
set -euo pipefail

base=${SLURM_TEST_BASE:-/tmp/widesparse-slurm}
conf=/etc/slurm/slurm.conf
mark="# written by widesparse scripts/slurm-cluster.sh"
node=$(hostname -s)
wait_seconds=60

say() { echo "[slurm-cluster $(date +%H:%M:%S)] $*" >&2; }
fail() { say "error: $*"; exit 1; }

# until_true SECONDS WHAT COMMAND...: poll until COMMAND succeeds, or fail after SECONDS.
until_true() {
  local limit=$1 what=$2; shift 2
  local deadline=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    (( $(date +%s) < deadline )) || { say "gave up after ${limit}s waiting for $what"; return 1; }
    sleep 0.25
  done
}

# ours NAME: the daemon NAME runs with the pid this script recorded.
ours() {
  local file=$base/run/$1.pid
  [[ -s $file ]] && [[ $(cat "/proc/$(cat "$file")/comm" 2>/dev/null) == "$1" ]]
}

install_packages() {
  local missing=()
  for package in slurm-wlm munge; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  (( ${#missing[@]} )) || return 0
  say "installing ${missing[*]}"
  # Their maintainer scripts would try to start services; without systemd that must be refused.
  local policy=/usr/sbin/policy-rc.d made=0
  if [[ ! -e $policy ]]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; made=1; fi
  local status=0
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
    >"$base/apt.log" 2>&1 || status=$?
  (( made )) && rm -f "$policy"
  (( status == 0 )) || { tail -20 "$base/apt.log" >&2; fail "apt-get install failed ($base/apt.log)"; }
}

write_config() {
  [[ -e $conf ]] && ! grep -qF "$mark" "$conf" && fail "$conf exists and was not written by this script"
  # The node exactly as slurmd sees it, with 90 % of its memory.
  local hardware cpus memory
  hardware=$(slurmd -C | head -1)
  cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$hardware")
  memory=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$hardware")
  local topology
  topology=$(grep -o 'Boards=[0-9]* SocketsPerBoard=[0-9]* CoresPerSocket=[0-9]* ThreadsPerCore=[0-9]*' <<<"$hardware" || true)
  mkdir -p /etc/slurm
  cat >"$conf.new" <<EOF
$mark
ClusterName=widesparse-test
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$base/state
SlurmdSpoolDir=$base/spool
SlurmctldPidFile=$base/run/slurmctld.pid
SlurmdPidFile=$base/run/slurmd.pid
SlurmctldLogFile=$base/log/slurmctld.log
SlurmdLogFile=$base/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
MinJobAge=300
NodeName=$node NodeAddr=127.0.0.1 CPUs=${cpus:-$(nproc)} $topology RealMemory=$(( ${memory:-1024} * 9 / 10 )) State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$conf.new" "$conf"
}

munge_works() { munge -n </dev/null | unmunge >/dev/null; }

start() {
  [[ $(id -u) == 0 ]] || fail "run as root"
  mkdir -p "$base"/{state,spool,log,run}
  install_packages
  write_config
  if ! munge_works 2>/dev/null; then
    [[ -s /etc/munge/munge.key ]] || mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null \
      || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    chown munge:munge /etc/munge /etc/munge/munge.key
    chmod 0700 /etc/munge; chmod 0400 /etc/munge/munge.key
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
    runuser -u munge -- /usr/sbin/munged </dev/null >>"$base/log/munged.out" 2>&1 || fail "munged did not start"
    until_true "$wait_seconds" "munge" munge_works || fail "munged does not answer"
    cp /run/munge/munged.pid "$base/run/munged.pid"
  fi
  if ! ours slurmctld; then
    pgrep -x slurmctld >/dev/null && fail "a slurmctld this script did not start is running"
    rm -rf "$base/state" && mkdir -p "$base/state"
    slurmctld </dev/null >>"$base/log/slurmctld.out" 2>&1 || fail "slurmctld did not start ($base/log)"
  fi
  until_true "$wait_seconds" "slurmctld" bash -c 'scontrol ping | grep -q "is UP"' || fail "slurmctld is not up ($base/log)"
  if ! ours slurmd; then
    pgrep -x slurmd >/dev/null && fail "a slurmd this script did not start is running"
    slurmd -N "$node" </dev/null >>"$base/log/slurmd.out" 2>&1 || fail "slurmd did not start ($base/log)"
  fi
  local deadline=$(( $(date +%s) + wait_seconds )) state=""
  while :; do
    state=$(sinfo -h -n "$node" -o %t 2>/dev/null | head -1)
    case $state in
      idle|mix|alloc) break ;;
      drain*|down*) scontrol update nodename="$node" state=resume >/dev/null 2>&1 || true ;;
    esac
    (( $(date +%s) < deadline )) || { tail -20 "$base/log/slurmd.log" >&2; fail "node $node is '$state', not idle"; }
    sleep 0.25
  done
  say "cluster up: node $node is $state"
}

stop_daemon() {
  local name=$1 file=$base/run/$1.pid
  if ours "$name"; then
    local pid; pid=$(cat "$file")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 40); do [[ -d /proc/$pid ]] || break; sleep 0.25; done
    [[ -d /proc/$pid ]] && kill -KILL "$pid" 2>/dev/null || true
    say "stopped $name"
  fi
  rm -f "$file"
}

stop() {
  if ours slurmctld; then
    local jobs; jobs=$(squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ')
    if [[ -n ${jobs// } ]]; then
      # shellcheck disable=SC2086
      scancel $jobs 2>/dev/null || true
      until_true 15 "the queue to empty" bash -c '[ -z "$(squeue -h)" ]' || true
      until_true 15 "job steps to end" bash -c '! pgrep -x slurmstepd' || true
    fi
  fi
  stop_daemon slurmd
  stop_daemon slurmctld
  stop_daemon munged
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) for d in munged slurmctld slurmd; do ours "$d" && echo "$d: running" || echo "$d: not running"; done
          sinfo 2>/dev/null || true; squeue 2>/dev/null || true ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
