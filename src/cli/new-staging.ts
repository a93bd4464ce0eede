import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadCatalog } from "../catalog/catalog";
import { NewStagingUsage, planNewStaging, summarise } from "../catalog/new-staging";
import { formatProblem, type Problem } from "../catalog/problems";
import { policyOf } from "../config";
import { EXIT, loadForCommand, parseFlags, runCommand, runFromInvocationFolder, UsageError, writeOutputs } from "./common";

const USAGE =
  "npm run new-staging -- NAME [--catalog DIR] [--stack NAME] [--shared] [--writers EMAIL] --approvers a,b [--members a,b] [--sig DIR] [--write]";

const key = (p: Problem) => `${p.file}\0${p.severity}\0${p.message}`;

/** Problems of `after` that `before` does not have (by file, severity and message; lines may move). */
function newProblems(before: Problem[], after: Problem[]): Problem[] {
  const left = new Map<string, number>();
  for (const p of before) left.set(key(p), (left.get(key(p)) ?? 0) + 1);
  return after.filter((p) => {
    const n = left.get(key(p)) ?? 0;
    if (n > 0) {
      left.set(key(p), n - 1);
      return false;
    }
    return true;
  });
}

const commaList = (v: string | undefined) => (v === undefined ? [] : v.split(",").map((s) => s.trim()).filter((s) => s !== ""));

runFromInvocationFolder();
runCommand(USAGE, () => {
  const argv = process.argv.slice(2);
  const name = argv[0] !== undefined && !argv[0].startsWith("--") ? argv[0] : undefined;
  if (name === undefined) throw new UsageError("NAME is required (the repository, e.g. foo for k8s-staging-foo)");
  const flags = parseFlags(argv.slice(1), { values: ["catalog", "stack", "writers", "approvers", "members", "sig"], switches: ["shared", "write"] });
  const approvers = commaList(flags.values.get("approvers"));
  if (approvers.length === 0) throw new UsageError("--approvers is required: the GitHub handles for the OWNERS file");
  const { stack, config, catalogDir, layout, result } = loadForCommand(flags);
  const policy = policyOf(config, stack);
  let plan;
  try {
    plan = planNewStaging(catalogDir, layout, policy, {
      name,
      shared: flags.switches.has("shared"),
      writers: flags.values.get("writers"),
      approvers,
      members: commaList(flags.values.get("members")),
      sig: flags.values.get("sig") ?? "sig-k8s-infra",
    });
  } catch (e) {
    if (e instanceof NewStagingUsage) throw new UsageError(e.message);
    throw e;
  }
  if ("refuse" in plan) {
    process.stdout.write(`new-staging: ${plan.refuse}\n`);
    return EXIT.errors;
  }
  for (const m of plan.messages) process.stdout.write(`${m}\n`);

  // The change set must validate: the same loader as npm run validate, on a copy with it applied.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "new-staging-"));
  let added: Problem[];
  try {
    fs.cpSync(catalogDir, tmp, { recursive: true });
    for (const f of plan.files) {
      fs.mkdirSync(path.dirname(path.join(tmp, f.file)), { recursive: true });
      fs.writeFileSync(path.join(tmp, f.file), f.text);
    }
    added = newProblems(result.problems, loadCatalog(tmp, policy, layout).problems).filter((p) => p.severity === "error");
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (added.length > 0) {
    process.stderr.write(added.map(formatProblem).join("\n") + "\n");
    process.stdout.write(`new-staging: the change set would add ${added.length} validation error${added.length === 1 ? "" : "s"}; nothing is written\n`);
    return EXIT.errors;
  }

  const summary = plan.files.flatMap((f) => summarise(f));
  process.stdout.write(summary.join("\n") + "\n");
  const created = plan.files.filter((f) => f.before === undefined).length;
  const counts = `${created} file${created === 1 ? "" : "s"} to create, ${plan.files.length - created} to modify`;
  if (!flags.switches.has("write")) {
    process.stdout.write(`${counts} for ${plan.dir} (writers ${plan.writers}); validates clean; run again with --write to write them\n`);
    return EXIT.ok;
  }
  for (const f of plan.files) fs.mkdirSync(path.dirname(path.join(catalogDir, f.file)), { recursive: true });
  writeOutputs(plan.files.map((f) => ({ file: path.join(catalogDir, f.file), text: f.text })));
  process.stdout.write(`wrote ${counts.replace(" to create", " created").replace(" to modify", " modified")} for ${plan.dir} (writers ${plan.writers})\n`);
  return EXIT.ok;
});
