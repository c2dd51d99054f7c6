#!/usr/bin/env bash
# A count on N ClusterCount silo processes, first undisturbed, then with silos killed at random (kill -9) and started
# again: prints both times (wall, client start included, and the count's own, submission to last result), their
# ratios, the load average, and whether both counts agree with each other.
#
#   examples/ClusterCount/random-kills.sh MODEL.json [count options…]
#
# Settings (environment): SILOS (default 3), KILLS (default 1), GAP (seconds between kills, default 30), WORKERS per
# silo (default 1), VICTIM (always kill this silo instead of a random one), VICTIMS ("1 2": the silos of the first,
# second… kill), CLUSTER (localhost or adonet), CONNECTION (adonet), CLUSTERCOUNT (the command; default: dotnet on
# the Release build). With localhost clustering silo 0 is the primary, a single point of failure by design, so only
# the others are killed; with adonet any silo is. The silos use membership settings for a few silos
# (ClusterCounting.UseMembershipForFewSilos): a killed silo is declared dead within seconds, also when two of three die
# together. GAP=5 KILLS=2 kills two silos 5 to 15 s apart.
# Run from the repository after `dotnet build examples/ClusterCount -c Release`.
set -euo pipefail

model=${1:?usage: random-kills.sh MODEL.json [count options…]}
shift
silos=${SILOS:-3}
kills=${KILLS:-1}
gap=${GAP:-30}
workers=${WORKERS:-1}
cluster=${CLUSTER:-localhost}
here=$(cd "$(dirname "$0")" && pwd)
read -r -a program <<< "${CLUSTERCOUNT:-dotnet $here/bin/Release/net10.0/ClusterCount.dll}"
log=$(mktemp -d)
membership=(--cluster "$cluster")
if [[ $cluster == adonet ]]; then
  membership+=(--connection "${CONNECTION:?CLUSTER=adonet needs CONNECTION}")
fi

# Each run has its own cluster and service id: a durable storage would otherwise hand the second run the first one's
# finished count.
declare -a pids
start_silo() { # index cluster-id [first index of the cluster: its primary with localhost clustering]
  "${program[@]}" silo --index "$1" --primary-port $((11111 + ${3:-0})) --workers "$workers" --cluster-id "$2" --service-id "$2" "${membership[@]}" >> "$log/silo$1.log" 2>&1 &
  pids[$1]=$!
}

wait_up() { # index
  for _ in $(seq 1 900); do
    grep -q "silo $1 up" "$log/silo$1.log" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "silo $1 did not start:" >&2; cat "$log/silo$1.log" >&2; return 1
}

stop_all() { # SIGTERM to every silo: prints each exit code and how long they took
  local t0 codes="" code
  t0=$(date +%s.%N)
  for i in "${!pids[@]}"; do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
  for i in "${!pids[@]}"; do
    code=0
    wait "${pids[$i]}" || code=$?
    codes+=" $code"
  done
  echo "  SIGTERM to every silo: exit codes$codes, all stopped in $(echo "$(date +%s.%N) - $t0" | bc | xargs printf '%.1f') s"
  pids=()
}

stamp() { # t0: each line with the seconds since t0
  while IFS= read -r line; do printf '%7.1f s  %s\n' "$(echo "$(date +%s.%N) - $1" | bc)" "$line"; done
}

start_cluster() { # cluster-id [first index]
  local b=${2:-0}
  start_silo "$b" "$1" "$b"; wait_up "$b"
  for ((i = b + 1; i < b + silos; i++)); do start_silo "$i" "$1" "$b"; done
  for ((i = b + 1; i < b + silos; i++)); do wait_up "$i"; done
}

own_time() { # client log: the count's own time from its last status line "…, finished: … in 12.3 s"
  sed -n 's/.*finished: .* in \([0-9.]*\) s\(;.*\)\{0,1\}$/\1/p' "$1" | head -n1
}

trap 'for p in "${pids[@]}" $(pgrep -f -- "--cluster-id rk-(base|kill)-$$ " || true); do kill -9 "$p" 2>/dev/null || true; done' EXIT
echo "model $model, $silos silos × $workers counting loop(s), $cluster clustering; logs in $log"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ ${SIDE_BY_SIDE:-0} == 1 ]]; then
  # Both clusters at once, so that both counts see the same load from the rest of the machine: the undisturbed one
  # on silos 0…N−1, the disturbed one on silos N…2N−1. The first kill comes when the disturbed count has done a random
  # 15–60 % of its sub-cubes, each later one GAP to GAP + 10 s after the one before.
  base="rk-base-$$"; shaken="rk-kill-$$"
  start_cluster "$base" 0 & start_cluster "$shaken" "$silos" & wait
  t0=$(date +%s.%N)
  ("${program[@]}" count --model "$model" --silos "$silos" --gateway-port 30000 --cluster-id "$base" --service-id "$base" "${membership[@]}" --timeout 120 "$@" 2>&1 | stamp "$t0" > "$log/undisturbed.txt") &
  calm=$!
  ("${program[@]}" count --model "$model" --silos "$silos" --gateway-port $((30000 + silos)) --cluster-id "$shaken" --service-id "$shaken" "${membership[@]}" --timeout 120 "$@" 2>&1 | stamp "$t0" > "$log/disturbed.txt") &
  client=$!
  echo "  both counts start, load $(cut -d' ' -f1-3 /proc/loadavg)"
  first=$([[ $cluster == adonet ]] && echo 0 || echo 1)
  killed=0
  at=$((RANDOM % 46 + 15))
  while ((killed < kills)) && kill -0 "$client" 2>/dev/null; do
    if ((killed == 0)); then
      done_pct=$(grep -o '[0-9,]*/[0-9,]* sub-cubes on' "$log/disturbed.txt" | tail -n1 | tr -d ',' | awk -F'[/ ]' '$2 > 0 { print int(100 * $1 / $2) }' || true)
      if ((${done_pct:-0} < at)); then sleep 0.5; continue; fi
    else
      sleep $((gap + RANDOM % 11))
      kill -0 "$client" 2>/dev/null || break
    fi
    read -r -a chosen <<< "${VICTIMS:-}"
    victim=$((silos + ${chosen[$killed]:-${VICTIM:-$((first + RANDOM % (silos - first)))}}))
    pid=$(pgrep -f -- "silo --index $victim --primary-port" | head -n1 || true)
    [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null || true
    killed=$((killed + 1))
    echo "  $(echo "$(date +%s.%N) - $t0" | bc | xargs printf '%.1f') s: killed silo $victim (its cluster's silo $((victim - silos)), kill -9) at ${done_pct:-?} % of the sub-cubes, starting it again"
    start_silo "$victim" "$shaken" "$silos"
  done
  code=0; wait "$client" || code=$?
  wait "$calm" || true
  echo "  both counts done, load $(cut -d' ' -f1-3 /proc/loadavg)"
  for i in $(seq 0 $((2 * silos - 1))); do
    pid=$(pgrep -f -- "silo --index $i --primary-port" | head -n1 || true)
    [[ -n $pid ]] && pids[$i]=$pid
  done
  t1=$(date +%s.%N)
  for i in "${!pids[@]}"; do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
  while pgrep -f -- "--cluster-id rk-(base|kill)-$$ " > /dev/null; do sleep 0.1; done
  echo "  SIGTERM to every silo: all stopped in $(echo "$(date +%s.%N) - $t1" | bc | xargs printf '%.1f') s; $(grep -h 'stopped (' "$log"/silo*.log | sed 's/.*stopped (\([0-9.]*\) s.*/\1/' | sort -n | tail -n1) s at most by the silos' own clocks"
  pids=()
  a=$(own_time "$log/undisturbed.txt"); b=$(own_time "$log/disturbed.txt")
  echo "undisturbed: the count itself ${a:-?} s; $(grep -m1 'EXACT' "$log/undisturbed.txt" | sed 's/.*): //')"
  echo "with $killed kill(s): the count itself ${b:-?} s (client exit $code); $(grep -m1 'EXACT' "$log/disturbed.txt" | sed 's/.*): //')"
  echo "ratio (the count itself): $(echo "scale=2; ${b:-0} / ${a:-1}" | bc)"
  [[ -n $a && $(grep -m1 'EXACT' "$log/undisturbed.txt" | sed 's/.*): //') == "$(grep -m1 'EXACT' "$log/disturbed.txt" | sed 's/.*): //')" ]] \
    && echo "the counts agree" || { echo "the counts DIFFER or one did not finish (see $log)"; exit 1; }
  exit 0
fi

base="rk-base-$$"
start_cluster "$base"
t0=$(date +%s.%N)
"${program[@]}" count --model "$model" --silos "$silos" --cluster-id "$base" --service-id "$base" "${membership[@]}" --timeout 120 "$@" 2>&1 | stamp "$t0" > "$log/undisturbed.txt"
undisturbed=$(echo "$(date +%s.%N) - $t0" | bc)
echo "  undisturbed count done, load $(cut -d' ' -f1-3 /proc/loadavg)"
stop_all

shaken="rk-kill-$$"
start_cluster "$shaken"
t0=$(date +%s.%N)
echo "  disturbed count starts, load $(cut -d' ' -f1-3 /proc/loadavg)"
("${program[@]}" count --model "$model" --silos "$silos" --cluster-id "$shaken" --service-id "$shaken" "${membership[@]}" --timeout 120 "$@" 2>&1 | stamp "$t0" > "$log/disturbed.txt") &
client=$!
first=$([[ $cluster == adonet ]] && echo 0 || echo 1)
# The kills are timed from the count's first status line (the client's start, slow on a loaded machine, is not the
# count), against the undisturbed count's own time.
while kill -0 "$client" 2>/dev/null && ! grep -q 'sub-cubes on' "$log/disturbed.txt"; do sleep 0.2; done
own=$(own_time "$log/undisturbed.txt")
killed=0
while ((killed < kills)) && kill -0 "$client" 2>/dev/null; do
  # The first kill at 15–60 % of the undisturbed count's time, each later one GAP to GAP + 10 s after the one before; the silo
  # is started again at once. ($RANDOM is drawn here: inside $(…) a subshell would draw the same number each time.)
  if ((killed == 0)); then
    pause=$(echo "scale=2; ${own:-$undisturbed} * $((RANDOM % 46 + 15)) / 100" | bc)
  else
    pause=$((gap + RANDOM % 11))
  fi
  sleep "$pause"
  kill -0 "$client" 2>/dev/null || break
  read -r -a chosen <<< "${VICTIMS:-}"
  victim=${chosen[$killed]:-${VICTIM:-$((first + RANDOM % (silos - first)))}}
  kill -9 "${pids[$victim]}" 2>/dev/null || true
  wait "${pids[$victim]}" 2>/dev/null || true
  killed=$((killed + 1))
  echo "  $(echo "$(date +%s.%N) - $t0" | bc | xargs printf '%.1f') s: killed silo $victim (kill -9), starting it again"
  start_silo "$victim" "$shaken"
done
# A count that has not finished in ten times the undisturbed time plus two minutes has stalled: say so and stop.
limit=$(echo "$undisturbed * 10 + 120" | bc | cut -d. -f1)
while kill -0 "$client" 2>/dev/null && (( $(echo "$(date +%s.%N) - $t0" | bc | cut -d. -f1) < limit )); do sleep 1; done
if kill -0 "$client" 2>/dev/null; then
  echo "  the disturbed count did not finish within $limit s: stalled (last lines of $log/disturbed.txt below)"
  kill -TERM "$client" 2>/dev/null || true
fi
code=0
wait "$client" || code=$?
disturbed=$(echo "$(date +%s.%N) - $t0" | bc)
echo "  disturbed count done, load $(cut -d' ' -f1-3 /proc/loadavg)"
stop_all

# The certificate's line "EXACT (enumeration on … silos …): 1,234 of 5,678 = …": the numbers after the colon; the
# last status line "…, finished: … in 12.3 s": the count's own time, from submission to the last result (the client's
# start, slow on a loaded machine, is not in it).
exact_undisturbed=$(grep -m1 'EXACT' "$log/undisturbed.txt" | sed 's/.*): //' || true)
exact_disturbed=$(grep -m1 'EXACT' "$log/disturbed.txt" | sed 's/.*): //' || true)
count_undisturbed=$(own_time "$log/undisturbed.txt")
count_disturbed=$(own_time "$log/disturbed.txt")
echo "undisturbed: $(printf '%.1f' "$undisturbed") s, the count itself ${count_undisturbed:-?} s; $exact_undisturbed"
echo "with $killed kill(s): $(printf '%.1f' "$disturbed") s, the count itself ${count_disturbed:-?} s (client exit $code); $exact_disturbed"
grep -vE '^[ 0-9.]*s  \s*(preference|Certificate|MET|NOT MET)' "$log/disturbed.txt" | sed 's/^/  client: /' | tail -n 14 || true
echo "ratio: $(echo "scale=2; $disturbed / $undisturbed" | bc) (wall), $(echo "scale=2; ${count_disturbed:-0} / ${count_undisturbed:-1}" | bc) (the count itself)"
if [[ -n $exact_undisturbed && $exact_undisturbed == "$exact_disturbed" ]]; then
  echo "the counts agree"
else
  echo "the counts DIFFER or one did not finish (see $log)"; exit 1
fi
