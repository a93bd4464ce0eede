import * as fs from "node:fs";
import * as path from "node:path";
import { formatProblem, Problems } from "../catalog/problems";
import { specialCases } from "../migrate/special-cases";
import { defaultsOf, toCatalog, type MigrationDefaults } from "../migrate/to-catalog";
import { readTerraform, terraformFiles } from "../migrate/terraform";
import {
  asPlain,
  DEFAULT_LAYOUT,
  InsertionError,
  planFills,
  planInsertion,
  readInfraFile,
  renderEntries,
  renderFills,
  sameValue,
  writeAtomically,
  type Fill,
  type InfraFile,
} from "../migrate/write-infra";
import { ConfigError, readStackConfigFile } from "../config";
import { countLine, EXIT, parseFlags, printProblems, PROJECT_DIR, runFromInvocationFolder, UsageError, wantsHelp } from "./common";

const USAGE =
  "npm run migrate -- --terraform DIR [--infra FILE] [--write] [--stack NAME] [--domain D] [--region R] [--retention N] [--bucket-retention N] " +
  "[--org ID] [--billing ACCOUNT] [--ci-builder EMAIL] [--ci-pool POOL] [--ci-pool-project-number N]";

/** Flag -> the default it overrides. */
const DEFAULT_FLAGS: Record<string, keyof MigrationDefaults> = {
  domain: "domain",
  region: "stagingRegion",
  retention: "repositoryRetentionDays",
  "bucket-retention": "sharedBuildBucketRetentionDays",
  org: "organizationId",
  billing: "billingAccount",
  "ci-builder": "ciBuilderServiceAccount",
  "ci-pool": "ciWorkloadPool",
  "ci-pool-project-number": "ciPoolProjectNumber",
};
const NUMERIC = new Set<keyof MigrationDefaults>(["repositoryRetentionDays", "sharedBuildBucketRetentionDays"]);

/** The stack's defaults (prod unless --stack), each flag overriding one. */
function defaultsFrom(values: Map<string, string>): MigrationDefaults {
  const out: MigrationDefaults = defaultsOf(readStackConfigFile(PROJECT_DIR, values.get("stack") ?? "prod"));
  for (const [flag, key] of Object.entries(DEFAULT_FLAGS)) {
    const v = values.get(flag);
    if (v === undefined) continue;
    if (NUMERIC.has(key)) {
      if (!/^[0-9]+$/.test(v) || Number(v) < 1) throw new UsageError(`--${flag} must be a whole number of days (at least 1), not "${v}"`);
      Object.assign(out, { [key]: Number(v) });
    } else {
      if (v.trim() === "") throw new UsageError(`--${flag} needs a value`);
      Object.assign(out, { [key]: v });
    }
  }
  return out;
}

/** `.../infra/gcp/terraform/<x>` -> `.../infra/gcp/infra.yaml`, named as the user named the folder. */
function defaultInfraPath(dir: string): string | undefined {
  const abs = path.resolve(dir);
  const terraform = path.dirname(abs);
  const gcp = path.dirname(terraform);
  if (path.basename(terraform) !== "terraform" || path.basename(gcp) !== "gcp" || path.basename(path.dirname(gcp)) !== "infra") return undefined;
  return path.join(dir, "..", "..", "infra.yaml");
}

/** One note for the special cases whose project the file does not list. */
function noteAbsent(infra: InfraFile, absent: string[], problems: Problems): void {
  if (absent.length > 0)
    problems.note(infra.name, { line: 1, col: 1 }, `not in infra.staging.projects, so their special cases are not written: ${absent.join(", ")}`);
}

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

async function main(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(`usage: ${USAGE}\n`);
    return EXIT.ok;
  }
  const flags = parseFlags(argv, { values: ["terraform", "infra", "stack", ...Object.keys(DEFAULT_FLAGS)], switches: ["write"] });
  const dir = flags.values.get("terraform");
  if (dir === undefined) throw new UsageError("--terraform DIR is required");
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`Terraform folder ${dir} is not a folder`);
  if (terraformFiles(dir).length === 0) throw new UsageError(`Terraform folder ${dir} has no *.tf files`);
  const write = flags.switches.has("write");
  const infraPath = flags.values.get("infra") ?? defaultInfraPath(dir);
  if (infraPath === undefined && write) throw new UsageError(`--write needs --infra FILE (${dir} is not under infra/gcp/terraform/)`);
  if (infraPath !== undefined && !(fs.existsSync(infraPath) && fs.statSync(infraPath).isFile())) throw new UsageError(`infra file ${infraPath} does not exist`);
  const defaults = defaultsFrom(flags.values);

  const problems = new Problems();
  const config = await readTerraform(dir, problems);
  const migration = config ? toCatalog(config, defaults, problems) : undefined;
  let infra: InfraFile | undefined;
  if (infraPath !== undefined) infra = readInfraFile(infraPath, fs.readFileSync(infraPath, "utf8"), problems);

  const report = () => {
    const sorted = problems.sorted();
    if (sorted.length > 0) process.stderr.write(sorted.map(formatProblem).join("\n") + "\n");
  };
  if (!migration || problems.errorCount > 0) {
    report();
    process.stdout.write(countLine(problems.sorted()) + "; nothing is migrated\n");
    return EXIT.errors;
  }
  // Upstream's special cases of dedicated projects: written into their (empty) entries.
  const cases = specialCases();
  const fills: Fill[] = [...cases].map(([id, c]) => ({ id, entry: c.entry }));
  const summary =
    `${count(migration.projects.length, "project", "projects")}, ${count(migration.repositories, "repository", "repositories")} from ${count(migration.files, "Terraform file", "Terraform files")}; ` +
    `${count(fills.length, "special case", "special cases")} of ensure-staging-storage.sh\n`;

  if (!write) {
    const plain = asPlain(migration.projects);
    for (const p of migration.projects) {
      const seen = infra?.existing.get(p.id);
      if (!seen) continue;
      if (sameValue(seen.value, plain[p.id])) problems.note(infra!.name, seen.at, `${p.id} is already migrated (the same entry); --write leaves it`);
      else problems.warning(infra!.name, seen.at, `${p.id} is already in infra.staging.projects with a different entry; --write would refuse it`);
    }
    if (infra) {
      const probe = planFills(infra, fills, new Problems());
      if (probe.kind === "fill") noteAbsent(infra, probe.absent, problems);
    }
    report();
    const layout = infra?.layout ?? DEFAULT_LAYOUT;
    process.stdout.write(renderEntries(migration.projects, layout));
    process.stdout.write(`${" ".repeat(layout.indent)}# upstream's special cases (infra/gcp/bash/ensure-staging-storage.sh), in their existing entries:\n`);
    process.stdout.write(renderFills(fills, layout) + summary);
    return EXIT.ok;
  }

  // Conflicts are named at the lines of the file as it is; then the special cases go in, then the new projects.
  const conflicts = planInsertion(infra!, migration.projects, problems);
  const fillPlan = planFills(infra!, fills, problems);
  if (conflicts.kind === "conflict" || fillPlan.kind === "conflict") {
    report();
    process.stdout.write(summary + `${countLine(problems.sorted())}; nothing is written to ${infra!.name}\n`);
    return EXIT.errors;
  }
  noteAbsent(infra!, fillPlan.absent, problems);
  const plan = planInsertion(readInfraFile(infra!.name, fillPlan.text, problems)!, migration.projects, problems);
  report();
  if (plan.kind === "conflict") throw new InsertionError(`the special cases changed the entries of ${infra!.name}; nothing is written`);
  const filled = fillPlan.filled.length > 0 ? `; wrote the special cases of ${fillPlan.filled.join(", ")}` : "";
  if (plan.kind === "already") {
    if (fillPlan.filled.length === 0) {
      process.stdout.write(summary + `already migrated: ${plan.already.join(", ")} ${plan.already.length === 1 ? "is" : "are"} in ${infra!.name}; nothing is written\n`);
      return EXIT.ok;
    }
    writeAtomically(infraPath!, fillPlan.text);
    process.stdout.write(summary + `${infra!.name}: the Terraform projects were already migrated${filled}\n`);
    return EXIT.ok;
  }
  writeAtomically(infraPath!, plan.text);
  const line = plan.text.slice(0, plan.offset).split("\n").length;
  const also = plan.already.length > 0 ? ` (already migrated: ${plan.already.join(", ")})` : "";
  process.stdout.write(plan.block + summary + `inserted ${count(plan.inserted.length, "project", "projects")} into ${infra!.name} at line ${line}${also}${filled}\n`);
  return EXIT.ok;
}

runFromInvocationFolder();
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\nusage: ${USAGE}\n`);
      process.exitCode = EXIT.usage;
    } else if (e instanceof ConfigError) {
      printProblems(e.problems);
      process.exitCode = EXIT.errors;
    } else if (e instanceof InsertionError) {
      process.stderr.write(`error: ${e.message}\n`);
      process.exitCode = EXIT.errors;
    } else throw e;
  },
);
