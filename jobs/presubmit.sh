#!/usr/bin/env bash
# Presubmit of a catalog change: needs no credentials, so it runs for pull requests from forks.
# Runs, on the head commit: validate, check-change (against the base), the offline policy check,
# sync-manifests (dry run), the write-access changes against the base; then the plan of the base
# and of the head, their diff and the pull-request markdown (the checks, the Promotions of the
# changed images.yaml files, the Write access changes, the plan's changes).
# Writes <out>/plan.md (the comment to post), <out>/plan.txt (the diff) and <out>/summary.txt.
# Exit: 0 when every check passes; otherwise the first failing check's code
# (1 catalog errors, change-rule violations or manifests out of sync, 2 usage, 3 a protected deletion, 4 policy violations).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
USAGE="npm run presubmit -- --catalog DIR --base REF --head REF [--stack NAME] [--out DIR]"

CATALOG="" BASE="" HEAD="" STACK="prod" OUT="${ARTIFACTS:-_artifacts}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --catalog) need_value "$@"; CATALOG="$2"; shift 2 ;;
    --base) need_value "$@"; BASE="$2"; shift 2 ;;
    --head) need_value "$@"; HEAD="$2"; shift 2 ;;
    --stack) need_value "$@"; STACK="$2"; shift 2 ;;
    --out) need_value "$@"; OUT="$2"; shift 2 ;;
    -h|--help) echo "usage: $USAGE"; exit 0 ;;
    *) die_usage "unexpected argument \"$1\"" ;;
  esac
done
[[ -n "$CATALOG" && -n "$BASE" && -n "$HEAD" ]] || die_usage "--catalog, --base and --head are required"
[[ -d "$CATALOG" ]] || die_usage "--catalog $CATALOG is not a folder"
CATALOG="$(cd "$CATALOG" && pwd -P)"
TOP="$(git -C "$CATALOG" rev-parse --show-toplevel 2>/dev/null)" || die_usage "--catalog $CATALOG is not in a git checkout"
TOP="$(cd "$TOP" && pwd -P)"
REL="${CATALOG#"$TOP"}"
REL="${REL#/}"
for ref in "$BASE" "$HEAD"; do
  git -C "$TOP" rev-parse --verify --quiet "$ref^{commit}" >/dev/null || die_usage "$ref is not a commit of $TOP (fetch it first)"
done
mkdir -p "$OUT" || die_usage "cannot create $OUT"
OUT="$(cd "$OUT" && pwd -P)"

# Both commits as worktrees of their own: the checkout the job was given is never changed.
WORK="$(mktemp -d)"
cleanup() {
  git -C "$TOP" worktree remove --force "$WORK/base" >/dev/null 2>&1
  git -C "$TOP" worktree remove --force "$WORK/head" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
git -C "$TOP" worktree add --quiet --detach "$WORK/base" "$BASE" || die_usage "cannot check out $BASE"
git -C "$TOP" worktree add --quiet --detach "$WORK/head" "$HEAD" || die_usage "cannot check out $HEAD"
BASE_CATALOG="$WORK/base/$REL"
HEAD_CATALOG="$WORK/head/$REL"

STATUS=0
ROWS=()
: >"$OUT/summary.txt"
# step NAME COMMAND...: runs one check, keeps its output, records the first failure's exit code.
step() {
  local name="$1"
  shift
  "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  local code=$?
  {
    echo "== $name (exit $code)"
    cat "$WORK/$name.err" "$WORK/$name.out"
  } >>"$OUT/summary.txt"
  local last
  last="$(grep -v '^\s*$' "$WORK/$name.out" | tail -n 1)"
  if [[ $code -eq 0 ]]; then
    ROWS+=("| $name | passed | ${last//|/\\|} |")
  else
    ROWS+=("| $name | **failed** (exit $code) | ${last//|/\\|} |")
    [[ $STATUS -ne 0 ]] || STATUS=$code
  fi
  return $code
}

step validate program validate --catalog "$HEAD_CATALOG" --stack "$STACK"
# check-change diffs BASE...HEAD in the head worktree (its HEAD is the head commit).
# It also writes the Promotions section (what each changed images.yaml promotes) for the comment.
step check-change program check-change --base "$BASE" --catalog "$HEAD_CATALOG" --stack "$STACK" --markdown "$WORK/promotions.md"
step policy program policy --catalog "$HEAD_CATALOG" --stack "$STACK"
# Every manifest sends each path to every production root exactly once (a dry run: exit 1 when not).
step sync-manifests program sync-manifests --catalog "$HEAD_CATALOG" --stack "$STACK"
# Who gains or loses a push to each registry: the Write access section of the comment.
step access program access --catalog "$HEAD_CATALOG" --stack "$STACK" --changes "$BASE_CATALOG" --markdown "$WORK/access.md"
# One comment holds the checks (a few rows), the Promotions and the plan: the plan gets what is left.
PROMOTIONS_BYTES=0
[[ -f "$WORK/promotions.md" ]] && PROMOTIONS_BYTES="$(wc -c <"$WORK/promotions.md")"
ACCESS_BYTES=0
[[ -f "$WORK/access.md" ]] && ACCESS_BYTES="$(wc -c <"$WORK/access.md")"
PLAN_LIMIT=$((65536 - 4000 - PROMOTIONS_BYTES - ACCESS_BYTES))
if step plan-base program plan --catalog "$BASE_CATALOG" --stack "$STACK" --json "$WORK/base.json"; then
  step plan program plan --catalog "$HEAD_CATALOG" --stack "$STACK" --diff "$WORK/base.json" --markdown "$WORK/plan.md" --markdown-limit "$PLAN_LIMIT"
  cp "$WORK/plan.out" "$OUT/plan.txt"
else
  # A base that does not plan (it had errors before this change): show the head's full plan.
  step plan program plan --catalog "$HEAD_CATALOG" --stack "$STACK" --json "$WORK/head.json" --markdown "$WORK/plan.md" --markdown-limit "$PLAN_LIMIT"
fi

{
  echo "### Catalog checks"
  echo
  echo "| check | result | last line |"
  echo "|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  echo
  if [[ $STATUS -ne 0 ]]; then
    echo "The job's log (and \`summary.txt\` beside this file) has every message, with file and line."
    echo
  fi
  [[ -s "$WORK/promotions.md" ]] && cat "$WORK/promotions.md"
  [[ -s "$WORK/access.md" ]] && cat "$WORK/access.md"
  [[ -f "$WORK/plan.md" ]] && cat "$WORK/plan.md"
} >"$OUT/plan.md"

cat "$OUT/summary.txt"
echo "presubmit: $([[ $STATUS -eq 0 ]] && echo "every check passed" || echo "failed (exit $STATUS)"); the markdown is $OUT/plan.md"
exit "$STATUS"
