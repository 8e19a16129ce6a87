#!/usr/bin/env bash
# `orsync plan` for the action. Writes, in PLAN_DIR: plan.json (the JSON plan; its exit code is
# the outcome), comment.md (the markdown plan under the sticky-comment marker, or the error), and
# the markdown to the job summary; prints the plan in INPUT_FORMAT to the log. Sets the outputs
# exit-code, in-sync, plan-json and comment-file. The plan's outcome never fails this step (the
# outcome step decides); a bad input does.
#
# Each format is one run of `orsync plan`, so live is read twice (three times with `text`). No
# secret reaches the log: orsync masks every secret it prints, and this script prints no
# variable of the environment.
set -uo pipefail # not -e: orsync's exit codes are results here

readonly marker='<!-- orsync-plan -->'
# GitHub refuses comments over 65,536 characters. orsync keeps the markdown plan within 60,000
# (it leaves out whole parts and says which), and what this script adds is short, so the comment
# is the report as it is. Should it still pass the limit, it is cut after a whole line, sizes
# counted in bytes (never fewer than characters), so no row or character is cut in two.
readonly comment_limit=65000

orsync=${ORSYNC_BIN:-orsync}
config=${INPUT_CONFIG:-orsync.yaml}
format=${INPUT_FORMAT:-text}
fail_on_drift=${INPUT_FAIL_ON_DRIFT:-true}
dir=${PLAN_DIR:?the directory for the plan files}

fail_input() {
  echo "::error title=orsync::$1"
  exit 1
}

case $format in
  text | markdown | json) ;;
  *) fail_input "format must be text, markdown or json, got '$format'" ;;
esac
case $fail_on_drift in
  true | false) ;;
  *) fail_input "fail-on-drift must be true or false, got '$fail_on_drift'" ;;
esac

args=(plan --config "$config")
# Workspace ids, separated by spaces, tabs or newlines.
while read -r workspace; do
  if [[ -n $workspace ]]; then
    args+=(--workspace "$workspace")
  fi
done < <(printf '%s\n' "${INPUT_WORKSPACES:-}" | tr -s '[:space:]' '\n')

mkdir -p "$dir"
json=$dir/plan.json
markdown=$dir/plan.md
errors=$dir/errors.txt
comment=$dir/comment.md

code=0
"$orsync" "${args[@]}" --format json >"$json" 2>"$errors" || code=$?
# orsync's own message (redacted by orsync), for the log and the comment.
cat "$errors" >&2

: >"$markdown"
if [[ $code != 1 ]]; then
  again=0
  "$orsync" "${args[@]}" --format markdown >"$markdown" 2>/dev/null || again=$?
  if [[ $again != "$code" ]]; then
    echo "::warning title=orsync::live destinations changed while planning" \
      "(exit code $code, then $again): the comment shows the second reading"
  fi
fi

case $format in
  json) cat "$json" ;;
  markdown) cat "$markdown" ;;
  text) if [[ $code != 1 ]]; then "$orsync" "${args[@]}" --format text || true; fi ;;
esac

describe() {
  case $code in
    0) echo "Live destinations match \`$config\`." ;;
    2) echo "Drift: live destinations differ from \`$config\`." ;;
    3) echo "**A policy or safety rule forbids this plan** (the config's \`policy\`, \`protect\` or \`--max-deletes\`):" ;;
    *) echo "**orsync plan failed** (exit code $code):" ;;
  esac
}

{
  echo "### orsync plan"
  echo
  if [[ -s $markdown ]]; then
    cat "$markdown"
  fi
  echo
  describe
  if [[ -s $errors ]]; then
    echo
    echo '````'
    cat "$errors"
    echo '````'
  fi
  if [[ -n ${GITHUB_RUN_ID:-} ]]; then
    echo
    echo "<sub>orsync plan, exit code $code, in [this run](${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/actions/runs/$GITHUB_RUN_ID).</sub>"
  fi
} >"$dir/report.md"

if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
  cat "$dir/report.md" >>"$GITHUB_STEP_SUMMARY"
fi

{
  echo "$marker"
  if [[ $(wc -c <"$dir/report.md") -gt $comment_limit ]]; then
    LC_ALL=C awk -v limit="$comment_limit" \
      '{ size += length($0) + 1; if (size > limit) exit; print }' "$dir/report.md"
    echo
    echo "*The plan is cut here: the whole plan is in the job summary.*"
  else
    cat "$dir/report.md"
  fi
} >"$comment"

in_sync=false
if [[ $code == 0 ]]; then
  in_sync=true
fi
if [[ -n ${GITHUB_OUTPUT:-} ]]; then
  {
    echo "exit-code=$code"
    echo "in-sync=$in_sync"
    echo "plan-json=$json"
    echo "comment-file=$comment"
  } >>"$GITHUB_OUTPUT"
fi
exit 0
