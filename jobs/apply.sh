#!/usr/bin/env bash
# Postsubmit: applies a merged catalog change. The offline checks run again on the merged commit
# (validate, the offline policy check), then `pulumi up` on the stack, with the policy pack.
# The program starts without a type check (Pulumi.yaml's tsconfig.pulumi.json); `npm test` checked it.
# A failed apply is not retried: the one case that could call for it, a grant to a group created in
# the same run, waits for the group instead (a time.Sleep per new group; README "A group created in
# the same run"). Run it again after fixing the cause; re-running converges.
# Exit: 0 applied; 1 catalog errors; 2 usage or no backend; 4 policy violations; pulumi's own code otherwise.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
USAGE="npm run apply -- [--stack NAME] [--catalog DIR]   (the catalog is the stack's catalogRoot; state: PULUMI_BACKEND_URL)"

stack_job_setup "$@"
echo "apply: stack $STACK, catalog $CATALOG at $(git -C "$CATALOG" rev-parse --short HEAD 2>/dev/null || echo "(not a git checkout)")"

program validate --stack "$STACK" || { code=$?; echo "apply: the catalog does not validate (exit $code); nothing applied"; exit "$code"; }
program policy --stack "$STACK" || { code=$?; echo "apply: the offline policy check failed (exit $code); nothing applied"; exit "$code"; }

start=$(date +%s)
(cd "$ROOT" && pulumi up --yes --non-interactive --stack "$STACK" --policy-pack "$ROOT/policy" --diff)
code=$?
elapsed=$(($(date +%s) - start))
if [[ $code -eq 0 ]]; then
  echo "apply: pulumi up on stack $STACK succeeded in ${elapsed}s"
else
  echo "apply: pulumi up on stack $STACK FAILED (exit $code) after ${elapsed}s; no retry. Read the first error above, fix its cause, and run the job again (re-running converges)"
fi
exit "$code"
