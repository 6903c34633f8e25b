#!/usr/bin/env bash
# Runs make targets (the stages of `make test` after the host suite) STAGE_JOBS at a time (default 2:
# two guest boots share this machine's two cores well; more only slows each boot down).
# Each stage's output goes to target/test-logs/<stage>.log and is printed whole when the stage ends,
# so the log of a CI run reads stage by stage. Every stage runs even when an earlier one failed; the
# exit status is 1 if any failed. A table of the stages, results and wall times ends the run.
#
#   scripts/test-stages.sh test-guest test-diff ...
set -uo pipefail
cd "$(dirname "$0")/.."
JOBS="${STAGE_JOBS:-2}"
LOGS=target/test-logs
mkdir -p "$LOGS"
[ $# -gt 0 ] || { echo "usage: $0 make-target..." >&2; exit 2; }

declare -A PID_STAGE START RESULT SECONDS_TAKEN
queue=("$@")
running=0
t0=$(date +%s)

finish() {  # $1 pid, $2 exit status
  local stage="${PID_STAGE[$1]}" took=$(( $(date +%s) - START[${PID_STAGE[$1]}] ))
  SECONDS_TAKEN[$stage]=$took
  if [ "$2" -eq 0 ]; then RESULT[$stage]=passed; else RESULT[$stage]="FAILED (exit $2)"; fi
  echo "::::: [stage] $stage ${RESULT[$stage]} in ${took} s; its output follows"
  cat "$LOGS/$stage.log"
  echo "::::: [stage] end of $stage"
  unset "PID_STAGE[$1]"
  running=$((running - 1))
}

while [ ${#queue[@]} -gt 0 ] || [ $running -gt 0 ]; do
  while [ $running -lt "$JOBS" ] && [ ${#queue[@]} -gt 0 ]; do
    stage="${queue[0]}"; queue=("${queue[@]:1}")
    START[$stage]=$(date +%s)
    # Surefire's fork arguments live in target/<tempDir>, which a Maven run deletes when it ends: two
    # stages sharing the default dir lost a fork's arguments ("Error occurred in starting fork").
    MVN_FLAGS="${MVN_FLAGS:--B -q -ntp} -DtempDir=surefire-$stage" \
      make --no-print-directory "$stage" </dev/null >"$LOGS/$stage.log" 2>&1 &
    PID_STAGE[$!]=$stage
    running=$((running + 1))
    echo "[stage] $stage started ($(date -u +%H:%M:%S); output: $LOGS/$stage.log)"
  done
  wait -n -p done_pid; rc=$?
  [ -n "${done_pid:-}" ] && [ -n "${PID_STAGE[$done_pid]:-}" ] && finish "$done_pid" "$rc"
done

failed=0
echo "[stage] summary ($JOBS at a time, $(( $(date +%s) - t0 )) s in all):"
for stage in "$@"; do
  printf '  %-22s %-18s %5s s\n' "$stage" "${RESULT[$stage]}" "${SECONDS_TAKEN[$stage]}"
  [ "${RESULT[$stage]}" = passed ] || failed=1
done
exit $failed
