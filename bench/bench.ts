/**
 * Benchmark (not a test): synthetic catalogs of 100, 1,000 and 3,000 dedicated
 * staging projects (plus one shared repository per 10 projects), measured in one run;
 * then one large images.yaml (10 MB by default), validated beside both parsers' floors,
 * each in its own process so that its peak memory is its own.
 * then the program under the real Pulumi runtime against the engine stand-in (bench/engine.ts).
 * Usage: npm run bench [-- --sizes 100,1000,3000] [--large MB (0: skip)] [--no-engine]
 */
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import jsyaml from "js-yaml";
import { parse, parseDocument } from "yaml";
import { loadCatalog } from "../src/catalog/catalog";
import { policyOf, readStackConfigFile } from "../src/config";
import { buildEstate } from "../src/estate/estate";
import { toPlan } from "../src/estate/plan";
import { diffPlans } from "../src/review/diff";
import { engineBench } from "./engine";

const ROOT = path.resolve(__dirname, "..");
const config = readStackConfigFile(ROOT, "prod");
const policy = policyOf(config, "prod");

const digest = (seed: string) => `sha256:${crypto.createHash("sha256").update(seed).digest("hex")}`;

function manifest(source: string, sub: string): string {
  const lines = ["registries:", `- name: ${source}`, "  src: true"];
  for (const root of config.productionRegistries) {
    lines.push(`- name: ${root}/${sub}`, `  service-account: ${config.promoterServiceAccount}`);
  }
  return lines.join("\n") + "\n";
}

function images(sub: string): string {
  const lines: string[] = [];
  for (let i = 0; i < 3; i++) {
    lines.push(`- name: ${sub}-img${i}`, "  dmap:");
    for (let v = 0; v < 5; v++) lines.push(`    "${digest(`${sub}/${i}/${v}`)}": ["v1.${v}.0", "v1.${v}"]`);
  }
  return lines.join("\n") + "\n";
}

function group(name: string): string {
  return [
    `  - email-id: k8s-infra-staging-${name}@${config.domain}`,
    `    name: k8s-infra-staging-${name}`,
    `    description: ACL for staging ${name}`,
    "    settings:",
    '      ReconcileMembers: "true"',
    "    members:",
    `      - a-${name}@example.org`,
    `      - b-${name}@example.org`,
  ].join("\n");
}

function writeCatalog(dir: string, projects: number, variant = ""): void {
  fs.rmSync(dir, { recursive: true, force: true });
  const put = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  const repos = Math.max(1, Math.floor(projects / 10));
  const infra = ["infra:", "  staging:", "    managed_by: bench", "    projects:"];
  const groups: string[] = ["groups:"];
  for (let i = 0; i < projects; i++) {
    const name = `p${String(i).padStart(5, "0")}`;
    infra.push(`      k8s-staging-${name}:${i === 0 && variant ? `\n        services: [${variant}]` : ""}`);
    put(`images/k8s-staging-${name}/images.yaml`, images(name));
    put(`manifests/k8s-staging-${name}/promoter-manifest.yaml`, manifest(`gcr.io/k8s-staging-${name}`, name));
    groups.push(group(name));
  }
  infra.push("      k8s-staging-images:", "        repositories:");
  for (let r = 0; r < repos; r++) {
    const repo = `repo${String(r).padStart(4, "0")}`;
    infra.push(`          ${repo}:`);
    put(`images/k8s-staging-${repo}/images.yaml`, images(repo));
    put(`manifests/k8s-staging-${repo}/promoter-manifest.yaml`, manifest(`${config.stagingRegion}-docker.pkg.dev/k8s-staging-images/${repo}`, repo));
    groups.push(group(repo));
  }
  put("infra.yaml", infra.join("\n") + "\n");
  put("groups/bench/groups.yaml", groups.join("\n") + "\n");
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...yamlFiles(p));
    else out.push(p);
  }
  return out;
}

function time<T>(fn: () => T): [T, number] {
  const t = performance.now();
  const r = fn();
  return [r, performance.now() - t];
}

/** A realistic large images.yaml: images of 40 digests, each with a version tag and two architecture tags. */
function largeImages(bytes: number): string {
  const out: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const lines = [`- name: image-${i}`, "  dmap:"];
    for (let d = 0; d < 40; d++) lines.push(`    "${digest(`${i}/${d}`)}": ["v1.${i}.${d}", "v1.${i}.${d}-amd64", "v1.${i}.${d}-arm64"]`);
    const text = lines.join("\n") + "\n";
    out.push(text);
    size += text.length;
  }
  return out.join("");
}

/** One measurement in this process (started by the parent): milliseconds and peak RSS. */
function largeChild(mode: string, target: string): void {
  const t = performance.now();
  if (mode === "validate") {
    const r = loadCatalog(target, policy);
    if (!r.catalog) throw new Error(`large catalog invalid: ${r.problems[0]?.message}`);
  } else {
    const text = fs.readFileSync(target, "utf8");
    if (mode === "js-yaml") jsyaml.load(text);
    else parseDocument(text);
  }
  const ms = performance.now() - t;
  console.log(JSON.stringify({ ms: Math.round(ms), peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }));
}

if (process.argv[2] === "--large-child") {
  largeChild(process.argv[3]!, process.argv[4]!);
  process.exit(0);
}

const sizesArg = process.argv.indexOf("--sizes");
const sizes = sizesArg > 0 ? process.argv[sizesArg + 1]!.split(",").map(Number) : [100, 1000, 3000];
const work = fs.mkdtempSync(path.join(os.tmpdir(), "staging-bench-"));
const rows: Record<string, number>[] = [];
for (const n of sizes) {
  const dir = path.join(work, `c${n}`);
  const dir2 = path.join(work, `c${n}b`);
  writeCatalog(dir, n);
  writeCatalog(dir2, n, "compute.googleapis.com");
  const files = yamlFiles(dir);
  const [, parseMs] = time(() => files.forEach((f) => parse(fs.readFileSync(f, "utf8"))));
  const [result, validateMs] = time(() => loadCatalog(dir, policy));
  if (!result.catalog) throw new Error(`synthetic catalog invalid: ${result.problems[0]?.message}`);
  const [plan, planMs] = time(() => toPlan(buildEstate(result.catalog!, config, "prod")));
  const jsonFile = path.join(work, `plan${n}.json`);
  const [, jsonMs] = time(() => fs.writeFileSync(jsonFile, JSON.stringify(plan, null, 1)));
  const other = loadCatalog(dir2, policy);
  const plan2 = toPlan(buildEstate(other.catalog!, config, "prod"));
  const [diff, diffMs] = time(() => diffPlans(plan, plan2));
  rows.push({
    projects: n,
    files: files.length,
    resources: plan.resources.length,
    parseMs: Math.round(parseMs),
    validateMs: Math.round(validateMs),
    planMs: Math.round(planMs),
    jsonMs: Math.round(jsonMs),
    diffMs: Math.round(diffMs),
    diffCreates: diff.totals.creates,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  });
}
console.table(rows);
console.log(JSON.stringify({ bench: "staging-plan", rows }));

const largeArg = process.argv.indexOf("--large");
const largeMB = largeArg > 0 ? Number(process.argv[largeArg + 1]) : 10;
if (largeMB > 0) {
  const dir = path.join(work, "large");
  writeCatalog(dir, 1);
  const file = path.join(dir, "images/k8s-staging-p00000/images.yaml");
  fs.writeFileSync(file, largeImages(largeMB * 1024 * 1024));
  const measure = (mode: string, target: string) =>
    JSON.parse(execFileSync(process.execPath, [...process.execArgv, __filename, "--large-child", mode, target], { encoding: "utf8" })) as { ms: number; peakRssMB: number };
  const large = {
    fileMB: Math.round((fs.statSync(file).size / 1024 / 1024) * 10) / 10,
    validate: measure("validate", dir),
    jsYamlFloor: measure("js-yaml", file),
    yamlFloor: measure("yaml", file),
  };
  console.table([
    { step: `validate the catalog (${large.fileMB} MB images.yaml)`, ...large.validate },
    { step: "js-yaml load (floor)", ...large.jsYamlFloor },
    { step: "yaml parseDocument (floor)", ...large.yamlFloor },
  ]);
  console.log(JSON.stringify({ bench: "large-images-yaml", ...large }));
}
fs.rmSync(work, { recursive: true, force: true });

// The program under the real runtime and the engine stand-in (bench/engine.ts).
if (!process.argv.includes("--no-engine")) void engineBench();
