#!/usr/bin/env bash
# Periodic drift check: refreshes the stack's state from the cloud and previews; any change means
# the cloud and the catalog differ (someone changed the cloud by hand, or a merged change was not
# applied). Read-only: `pulumi preview` never changes the cloud; --refresh updates only what the
# preview compares against.
# Exit: 0 no drift; 5 drift found (what differs is printed above the last line); 1 catalog errors;
# 2 usage or no backend; pulumi's own code when the preview itself fails.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
USAGE="npm run drift -- [--stack NAME] [--catalog DIR]   (the catalog is the stack's catalogRoot; state: PULUMI_BACKEND_URL)"

stack_job_setup "$@"
program validate --stack "$STACK" || { code=$?; echo "drift: the catalog does not validate (exit $code); no drift check"; exit "$code"; }

OUTPUT="$(mktemp)"
trap 'rm -f "$OUTPUT"' EXIT
(cd "$ROOT" && pulumi preview --refresh --expect-no-changes --non-interactive --diff --stack "$STACK" --policy-pack "$ROOT/policy") 2>&1 | tee "$OUTPUT"
code=${PIPESTATUS[0]}
if [[ $code -eq 0 ]]; then
  echo "drift: none on stack $STACK"
  exit 0
fi
# --expect-no-changes fails with "no changes were expected [for <operation>] but changes were proposed"
# (NoChangesExpectedError in sdk/go/common of pulumi/pulumi; older CLIs: pkg/cmd/pulumi/preview.go).
if grep -Eq "no changes were expected( for [^ ]+)? but changes were proposed" "$OUTPUT"; then
  echo "drift: stack $STACK differs from the cloud; the resources marked ~ + - above are what differs"
  exit 5
fi
echo "drift: pulumi preview failed (exit $code) before it could compare; see above"
exit "$code"
