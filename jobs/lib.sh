# Shared by the job scripts: where the program is, how its commands run, and argument errors.
# The job scripts are the only place the jobs' logic lives; Prow and GitHub Actions call them.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TSX="$ROOT/node_modules/.bin/tsx"
export NO_COLOR=1
# Never ask: a job has no terminal.
export PULUMI_SKIP_UPDATE_CHECK=true

die_usage() {
  echo "error: $1" >&2
  echo "usage: $USAGE" >&2
  exit 2
}

need_value() {
  [[ $# -ge 2 && -n "$2" && "$2" != --* ]] || die_usage "$1 needs a value"
}

# An offline command of the program (src/cli/<name>.ts), run from the program's folder.
program() {
  local name="$1"
  shift
  [[ -x "$TSX" ]] || { echo "error: $ROOT/node_modules is missing; run npm ci in $ROOT first" >&2; exit 2; }
  (cd "$ROOT" && "$TSX" "src/cli/$name.ts" "$@")
}

# The stack's catalog root (Pulumi.<stack>.yaml's catalogRoot, relative to Pulumi.yaml), as the program resolves it.
stack_catalog_root() {
  local stack="$1"
  (cd "$ROOT" && "$TSX" -e '
    const { readStackConfigFile, PROJECT_DIR } = require("./src/config");
    const path = require("node:path");
    try { process.stdout.write(path.resolve(PROJECT_DIR, readStackConfigFile(PROJECT_DIR, process.argv[1]).catalogRoot)); }
    catch (e) { process.stderr.write(String(e.message) + "\n"); process.exit(2); }
  ' "$stack")
}

# apply and drift talk to the state backend: refuse to start (rather than prompt) without one.
require_backend() {
  if [[ -z "${PULUMI_BACKEND_URL:-}" && -z "${PULUMI_ACCESS_TOKEN:-}" ]]; then
    echo "error: no state backend: set PULUMI_BACKEND_URL (gs://<state bucket>) or PULUMI_ACCESS_TOKEN; a job never logs in interactively" >&2
    exit 2
  fi
  command -v pulumi >/dev/null || { echo "error: the pulumi CLI is not on PATH" >&2; exit 2; }
}

# apply and drift: `[--stack NAME] [--catalog DIR]` (default prod), a backend, and the stack's
# catalog checked out. pulumi reads the catalog at the stack's catalogRoot, so a --catalog must be
# that folder (a check that the job checked out the catalog where the stack reads it). Sets STACK and CATALOG.
stack_job_setup() {
  STACK="prod"
  local given=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --stack) need_value "$@"; STACK="$2"; shift 2 ;;
      --catalog) need_value "$@"; given="$2"; shift 2 ;;
      -h|--help) echo "usage: $USAGE"; exit 0 ;;
      *) die_usage "unexpected argument \"$1\"" ;;
    esac
  done
  require_backend
  CATALOG="$(stack_catalog_root "$STACK")" || exit 2
  [[ -d "$CATALOG" ]] || { echo "error: the catalog of stack $STACK, $CATALOG, is not checked out" >&2; exit 2; }
  if [[ -n "$given" ]]; then
    [[ -d "$given" && "$(cd "$given" && pwd -P)" == "$(cd "$CATALOG" && pwd -P)" ]] ||
      die_usage "--catalog $given is not the folder stack $STACK reads ($CATALOG, its catalogRoot); check the catalog out there"
  fi
}
