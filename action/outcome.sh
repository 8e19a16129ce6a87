#!/usr/bin/env bash
# The action's outcome from orsync plan's exit code: 0 passes; 2 (drift) fails only when
# fail-on-drift is true; 1 (error) and 3 (a policy or safety rule forbids the plan) always fail.
set -euo pipefail

code=${EXIT_CODE:-}
case $code in
  0)
    echo "In sync: live destinations match the config."
    ;;
  2)
    if [[ ${INPUT_FAIL_ON_DRIFT:-true} == true ]]; then
      echo "::error title=orsync::drift: live destinations differ from the config (exit code 2)"
      exit 2
    fi
    echo "Drift: live destinations differ from the config (exit code 2; fail-on-drift is false)."
    ;;
  3)
    echo "::error title=orsync::a policy or safety rule forbids this plan (the config's policy, protect or --max-deletes; exit code 3)"
    exit 3
    ;;
  *)
    echo "::error title=orsync::orsync plan failed (exit code ${code:-none}); see its message above"
    exit 1
    ;;
esac
