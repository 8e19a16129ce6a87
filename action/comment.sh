#!/usr/bin/env bash
# Post the plan as ONE sticky pull-request comment: the comment that starts with the marker is
# updated in place, else a new one is made (GitHub REST API, with curl). A failure to comment,
# such as the read-only token of a pull request from a fork, is a warning and not a failure: the
# plan's outcome decides the step. The token goes to curl in a file, never on a command line.
set -euo pipefail

readonly marker='<!-- orsync-plan -->'
body=${COMMENT_FILE:?the comment file from the plan step}
api=${API_URL:-https://api.github.com}
repository=${REPOSITORY:?owner/name}
pull_request=${PR_NUMBER:?the pull request number}

if [[ -z ${GH_TOKEN:-} ]]; then
  echo "No github-token: the plan is not commented."
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(
  umask 077
  printf 'Authorization: Bearer %s\n' "$GH_TOKEN" >"$work/headers"
)
printf '%s\n' "Accept: application/vnd.github+json" "X-GitHub-Api-Version: 2022-11-28" \
  >>"$work/headers"

# request METHOD URL [BODY_FILE]: the answer's body on stdout; fails on an HTTP error.
request() {
  local data=()
  if [[ $# -ge 3 ]]; then
    data=(--header "Content-Type: application/json" --data-binary "@$3")
  fi
  curl --silent --show-error --fail-with-body --max-time 60 --retry 2 \
    --header "@$work/headers" --request "$1" "${data[@]}" "$2"
}

warn() {
  echo "::warning title=orsync::could not comment the plan on pull request #$pull_request: $1"
  exit 0
}

# The id of the first comment that starts with the marker, or nothing.
find_comment() {
  local page=1 answer found
  while true; do
    answer=$(request GET "$api/repos/$repository/issues/$pull_request/comments?per_page=100&page=$page") ||
      return 1
    found=$(jq -r --arg marker "$marker" \
      'map(select((.body // "") | startswith($marker))) | first | .id // empty' <<<"$answer")
    if [[ -n $found ]]; then
      echo "$found"
      return 0
    fi
    if [[ $(jq length <<<"$answer") -lt 100 ]]; then
      return 0
    fi
    page=$((page + 1))
  done
}

jq -n --rawfile body "$body" '{body: $body}' >"$work/payload.json"
existing=$(find_comment) || warn "listing its comments failed"
if [[ -n $existing ]]; then
  request PATCH "$api/repos/$repository/issues/comments/$existing" "$work/payload.json" \
    >/dev/null || warn "updating comment $existing failed"
  echo "Updated the plan comment on pull request #$pull_request."
else
  request POST "$api/repos/$repository/issues/$pull_request/comments" "$work/payload.json" \
    >/dev/null || warn "posting the comment failed"
  echo "Commented the plan on pull request #$pull_request."
fi
