/**
 * Benchmark (not a test) of the program under the real Pulumi Node.js runtime against the
 * engine stand-in (test/engine/): how long `pulumi preview` takes to start the program, with and
 * without the type check, and what each registered resource costs on the real sample beside the
 * SDK's own floor (bench/engine-floor: bare custom resources, the same runtime, the same stand-in).
 * Run by `npm run bench` (skip with --no-engine) or alone: `npx tsx bench/engine.ts`.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { runProgram, type RunResult } from "../test/engine/runtime";
import { copySample, removeStalePromotions, repairGroups, TERRAFORM } from "../test/fixtures/k8sio/sample";
import { PROD_POLICY } from "../test/helpers";

const ROOT = path.resolve(__dirname, "..");
const FLOOR = path.join(__dirname, "engine-floor");

interface Timing {
  /** spawn -> the root stack's registration (the runtime is up, the program is about to load) */
  rootMs: number;
  /** spawn -> the first resource the program declares */
  firstMs: number;
  /** spawn -> the last registration */
  lastMs: number;
  resources: number;
  /** (last - root) / resources: loading, declaring, serialising and registering, per resource */
  perResourceMs: number;
}

function timing(run: RunResult): Timing {
  if (run.status !== 0) throw new Error(`the runtime exited ${String(run.status)}: ${run.stderr}\n${run.engine.logs.map((l) => l.message).join("\n")}`);
  const regs = run.engine.registrations;
  // Registration times count from the stand-in's start, a few milliseconds before the spawn.
  const root = regs[0]!.at;
  const last = regs.at(-1)!.at;
  return {
    rootMs: Math.round(root),
    firstMs: Math.round(regs[1]!.at),
    lastMs: Math.round(last),
    resources: regs.length - 1,
    perResourceMs: Number(((last - root) / (regs.length - 1)).toFixed(3)),
  };
}

export async function engineBench(): Promise<void> {
  const rows: Record<string, unknown>[] = [];
  // 1. Start: the example stack, as Pulumi.yaml starts it (no type check), and with the check.
  const fast = timing(await runProgram({ stack: "example", dryRun: true }));
  const checked = timing(await runProgram({ stack: "example", dryRun: true, env: { PULUMI_NODEJS_TRANSPILE_ONLY: "false" } }));
  rows.push({ case: "example preview, Pulumi.yaml (noCheck)", ...fast }, { case: "example preview, with the type check", ...checked });

  // 2. Per resource: the real sample (migrated, repaired as the tests do) beside the floor.
  const sample = copySample();
  const migrated = spawnSync(process.execPath, [...process.execArgv, path.join(ROOT, "src/cli/migrate.ts"), "--terraform", path.join(sample, TERRAFORM), "--write"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (migrated.status !== 0) throw new Error(migrated.stderr);
  repairGroups(sample);
  removeStalePromotions(sample, PROD_POLICY);
  const prod = timing(await runProgram({ stack: "prod", dryRun: true, config: { "k8s-infra-staging:catalogRoot": sample } }));
  const floor = timing(await runProgram({ stack: "floor", dir: FLOOR, dryRun: true, env: { FLOOR_RESOURCES: String(prod.resources), FLOOR_PLAIN_STACKS: "true" } }));
  const gcpFloor = timing(
    await runProgram({ stack: "floor", dir: FLOOR, dryRun: true, env: { FLOOR_RESOURCES: String(prod.resources), FLOOR_PLAIN_STACKS: "true", FLOOR_KIND: "gcp" } }),
  );
  const mappedFloor = timing(await runProgram({ stack: "floor", dir: FLOOR, dryRun: true, env: { FLOOR_RESOURCES: String(prod.resources) } }));
  const mapped = timing(await runProgram({ stack: "prod", dryRun: true, config: { "k8s-infra-staging:catalogRoot": sample }, env: { K8S_INFRA_MAPPED_STACKS: "true" } }));
  rows.push(
    { case: "prod preview, real sample", ...prod },
    { case: `floor: ${prod.resources} bare custom resources, plain stacks`, ...floor },
    { case: `floor: ${prod.resources} gcp.projects.IAMMember, plain stacks`, ...gcpFloor },
    { case: "prod preview, source-mapped stacks (K8S_INFRA_MAPPED_STACKS)", ...mapped },
    { case: `floor: ${prod.resources} bare custom resources, source-mapped stacks`, ...mappedFloor },
  );

  console.log("\nThe program under the Pulumi Node.js runtime (engine stand-in), milliseconds from spawning node");
  console.table(rows);
  const ratio = Number((prod.perResourceMs / floor.perResourceMs).toFixed(2));
  const gcpRatio = Number((prod.perResourceMs / gcpFloor.perResourceMs).toFixed(2));
  console.log(
    `start (spawn -> first program resource, ${fast.resources} resources): ${fast.firstMs} ms without the type check, ${checked.firstMs} ms with it; ` +
      `per resource on the real sample: ${prod.perResourceMs} ms, floor ${floor.perResourceMs} ms (${ratio}x), provider-class floor ${gcpFloor.perResourceMs} ms (${gcpRatio}x)`,
  );
  console.log(JSON.stringify({ bench: "engine", start: { noCheck: fast, typeCheck: checked }, prod, floor, gcpFloor, mapped, mappedFloor, perResourceRatio: ratio, perResourceRatioToProviderClass: gcpRatio }));
}

if (require.main === module) void engineBench();
