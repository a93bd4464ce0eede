/**
 * Starts the program the way `pulumi preview` / `pulumi up` do: the Node.js language host
 * (pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go, `execNodejs` and
 * `constructArguments`) runs `node <program>/node_modules/@pulumi/pulumi/cmd/run` with
 * `--monitor --engine --organization --project --stack --pwd [--dry-run] --query-mode --parallel`
 * and the entry point (`.` when Pulumi.yaml names no `main`), in an environment holding
 * PULUMI_CONFIG (keys `<namespace>:config:<name>`, values as the CLI serialises them),
 * PULUMI_CONFIG_SECRET_KEYS, PULUMI_NODEJS_TYPESCRIPT when the runtime option `typescript` is
 * set and PULUMI_NODEJS_TSCONFIG_PATH from the runtime option `tsconfig`. Not a test file itself.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { startEngine, type EngineStandIn, type StandInOptions } from "./stand-in";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

interface ProjectFile {
  name: string;
  main?: string;
  runtime: { name: string; options?: { typescript?: boolean; tsconfig?: string } };
  config?: Record<string, { default?: unknown }>;
}

export function readProject(dir: string = REPO_ROOT): ProjectFile {
  return YAML.parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as ProjectFile;
}

/** A config value as the CLI hands it to a language host: strings as they are, anything else as JSON. */
function serialise(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/**
 * PULUMI_CONFIG for a stack: Pulumi.yaml's defaults (project namespace) under the stack file's
 * values, keys rewritten to `<namespace>:config:<name>` as the language host does. `override`
 * sets or (with undefined) removes keys, in `<namespace>:<name>` form.
 */
export function pulumiConfig(stack: string, override: Record<string, unknown> = {}, dir: string = REPO_ROOT): Record<string, string> {
  const project = readProject(dir);
  const values = new Map<string, unknown>();
  for (const [key, spec] of Object.entries(project.config ?? {}))
    if (spec && typeof spec === "object" && "default" in spec) values.set(key.includes(":") ? key : `${project.name}:${key}`, spec.default);
  const stackFile = YAML.parse(fs.readFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
  for (const [key, v] of Object.entries(stackFile.config ?? {})) values.set(key, v);
  for (const [key, v] of Object.entries(override)) {
    if (v === undefined) values.delete(key);
    else values.set(key, v);
  }
  const out: Record<string, string> = {};
  for (const [key, v] of values) {
    const [ns, ...rest] = key.split(":");
    out[`${ns}:config:${rest.join(":")}`] = serialise(v);
  }
  return out;
}

export interface RunOptions extends Partial<Omit<StandInOptions, "project" | "stack">> {
  stack: string;
  config?: Record<string, unknown>;
  env?: Record<string, string | undefined>;
  dir?: string;
  /** arguments for node itself (Pulumi.yaml's runtime option `nodeargs`) */
  nodeArgs?: string[];
}

export interface RunResult {
  engine: EngineStandIn;
  status: number | null;
  stdout: string;
  stderr: string;
  /** milliseconds from spawning node to its exit */
  elapsed: number;
}

/** Runs the program once under a fresh stand-in; the stand-in is closed when the runtime exits. */
export async function runProgram(options: RunOptions): Promise<RunResult> {
  const dir = options.dir ?? REPO_ROOT;
  const project = readProject(dir);
  const dryRun = options.dryRun ?? true;
  const engine = await startEngine({ project: project.name, stack: options.stack, dryRun, ...(options.directoryCustomerId ? { directoryCustomerId: options.directoryCustomerId } : {}) });
  // As the language host's locateModule: @pulumi/pulumi as Node resolves it from the program folder.
  const runPath = path.join(path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [dir] })), "cmd", "run");
  const args = [
    runPath,
    "--monitor",
    engine.address,
    "--engine",
    engine.address,
    "--organization",
    "organization",
    "--project",
    project.name,
    "--stack",
    options.stack,
    "--pwd",
    dir,
    ...(dryRun ? ["--dry-run"] : []),
    "--query-mode",
    "false",
    "--parallel",
    "16",
    project.main ?? ".",
  ];
  const env: Record<string, string | undefined> = {
    ...process.env,
    PULUMI_CONFIG: JSON.stringify(pulumiConfig(options.stack, options.config, dir)),
    PULUMI_CONFIG_SECRET_KEYS: "[]",
    ...(project.runtime.options?.typescript !== false ? { PULUMI_NODEJS_TYPESCRIPT: "true" } : {}),
    ...(project.runtime.options?.tsconfig ? { PULUMI_NODEJS_TSCONFIG_PATH: project.runtime.options.tsconfig } : {}),
    ...options.env,
  };
  // The tests' own runner must not leak into the program.
  delete env.NODE_OPTIONS;
  delete env.VITEST;
  const start = performance.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...args], { cwd: dir, env: env as NodeJS.ProcessEnv });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const elapsed = performance.now() - start;
  await engine.close();
  return { engine, status, stdout, stderr, elapsed };
}
