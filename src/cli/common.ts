import { loadCatalog, type CatalogResult } from "../catalog/catalog";
import { escapeControl, formatProblem, type Problem } from "../catalog/problems";
import * as fs from "node:fs";
import * as path from "node:path";
import { LayoutError, type Layout } from "../catalog/layout";
import { ConfigError, EXAMPLE_STACK, locateCatalog, policyOf, PROJECT_DIR, readStackConfigFile, type CatalogLocation, type StackConfig } from "../config";

export { PROJECT_DIR };

/** Exit codes shared by the offline commands. */
export const EXIT = { ok: 0, errors: 1, usage: 2, protectedDelete: 3, policyViolation: 4 } as const;

export class UsageError extends Error {}

export interface FlagSpec {
  /** flags that take a value */
  values: string[];
  /** flags without a value */
  switches?: string[];
  /** flags that may repeat, collecting every value that follows until the next flag */
  lists?: string[];
}

export interface ParsedFlags {
  values: Map<string, string>;
  switches: Set<string>;
  lists: Map<string, string[]>;
}

/** `--help` or `-h` anywhere: the usage on stdout, exit 0. */
export function wantsHelp(argv: string[]): boolean {
  return argv.some((a) => a === "--help" || a === "-h");
}

/**
 * `npm run <command>` runs in the package folder; relative paths a person types are
 * relative to where they typed it (npm keeps that in INIT_CWD).
 */
export function runFromInvocationFolder(): void {
  const cwd = process.env.INIT_CWD;
  const event = process.env.npm_lifecycle_event;
  if (cwd && event && COMMANDS.includes(event) && fs.existsSync(cwd)) process.chdir(cwd);
}
const COMMANDS = ["validate", "plan", "check-change", "migrate", "bench", "schemas", "policy", "import-spec", "sync-manifests", "new-staging", "access"];

export function parseFlags(argv: string[], spec: FlagSpec): ParsedFlags {
  const out: ParsedFlags = { values: new Map(), switches: new Set(), lists: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const name = flag.replace(/^--/, "");
    if (!flag.startsWith("--")) throw new UsageError(`unexpected argument "${arg}"`);
    if (spec.switches?.includes(name)) {
      out.switches.add(name);
    } else if (spec.values.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`${flag} needs a value`);
      if (value === "") throw new UsageError(`${flag} needs a value (it is empty)`);
      if (out.values.has(name)) throw new UsageError(`${flag} is given twice`);
      out.values.set(name, value);
    } else if (spec.lists?.includes(name)) {
      const items = out.lists.get(name) ?? [];
      if (inline !== undefined) items.push(inline);
      while (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith("--")) items.push(argv[++i]!);
      if (items.length === 0) throw new UsageError(`${flag} needs at least one value`);
      out.lists.set(name, items);
    } else {
      throw new UsageError(`unknown flag ${flag}`);
    }
  }
  return out;
}

export interface Loaded {
  stack: string;
  config: StackConfig;
  catalogDir: string;
  layout: Layout;
  result: CatalogResult;
}

/** Reads the stack configuration and the catalog, as the Pulumi program does; `--stack` defaults to the example stack. */
export function loadForCommand(flags: ParsedFlags): Loaded {
  const stack = flags.values.get("stack") ?? EXAMPLE_STACK;
  if (!/^[A-Za-z0-9_.-]+$/.test(stack) || !fs.existsSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`))) {
    const stacks = fs.readdirSync(PROJECT_DIR).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? []);
    throw new UsageError(`there is no stack "${stack}" (no Pulumi.${stack}.yaml beside Pulumi.yaml); the stacks are: ${stacks.join(", ")}`);
  }
  const config = readStackConfigFile(PROJECT_DIR, stack);
  let location: CatalogLocation;
  try {
    location = locateCatalog(config, stack, flags.values.get("catalog"));
  } catch (e) {
    if (e instanceof LayoutError) throw new UsageError(e.message);
    throw e;
  }
  const { root, layout } = location;
  return { stack, config, catalogDir: root, layout, result: loadCatalog(root, policyOf(config, stack), layout) };
}

/**
 * Writes every output file or none: each goes to a temporary file beside it first, and
 * all are renamed into place only once every one is written. A failure is a usage error.
 */
export function writeOutputs(outputs: { file: string; text: string }[]): void {
  const staged: { tmp: string; file: string }[] = [];
  const targets = outputs.map((o) => path.resolve(o.file));
  const twice = targets.find((t, i) => targets.indexOf(t) !== i);
  if (twice) throw new UsageError(`${twice} is named for two outputs; give each its own file`);
  for (const o of outputs) if (o.file === "-") throw new UsageError(`an output named "-" would be a file called "-"; name a file`);
  try {
    for (const [i, { file, text }] of outputs.entries()) {
      const target = path.resolve(file);
      if (fs.existsSync(target) && fs.statSync(target).isDirectory()) throw new UsageError(`cannot write ${file}: it is a folder`);
      const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${i}.tmp`);
      try {
        fs.writeFileSync(tmp, text);
      } catch (e) {
        throw new UsageError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "its folder does not exist" : (e as Error).message}`);
      }
      staged.push({ tmp, file: target });
    }
    for (const s of staged) fs.renameSync(s.tmp, s.file);
  } finally {
    for (const s of staged) fs.rmSync(s.tmp, { force: true });
  }
}

export function printProblems(problems: Problem[]): void {
  if (problems.length > 0) process.stderr.write(problems.map(formatProblem).join("\n") + "\n");
}

export function countLine(problems: Problem[]): string {
  const errors = problems.filter((p) => p.severity === "error").length;
  const warnings = problems.filter((p) => p.severity === "warning").length;
  return `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}`;
}

/** Runs a command body and turns failures into the documented exit codes. */
export function runCommand(usage: string, body: () => number | Promise<number>): void {
  if (wantsHelp(process.argv.slice(2))) {
    process.stdout.write(`usage: ${usage}\n`);
    process.exitCode = EXIT.ok;
    return;
  }
  const failed = (e: unknown): number => {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${escapeControl(e.message)}\nusage: ${usage}\n`);
      return EXIT.usage;
    }
    if (e instanceof ConfigError) {
      printProblems(e.problems);
      return EXIT.errors;
    }
    throw e;
  };
  try {
    const code = body();
    if (typeof code === "number") process.exitCode = code;
    else
      void code.then(
        (c) => void (process.exitCode = c),
        (e: unknown) => void (process.exitCode = failed(e)),
      );
  } catch (e) {
    process.exitCode = failed(e);
  }
}
