import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadCatalog, type CatalogResult } from "../src/catalog/catalog";
import type { CatalogPolicy } from "../src/catalog/model";
import { formatProblem, type Problem, type Severity } from "../src/catalog/problems";
import { policyOf, readStackConfigFile } from "../src/config";

/** The folder holding Pulumi.yaml, package.json and the bundled catalog. */
export const REPO_ROOT = path.resolve(__dirname, "..");
/** Shared reference data: the k8s.io sample and the promoter's own fixtures. */
export const SHARED = path.resolve(__dirname, "../../shared");

/** The production policy, read from Pulumi.prod.yaml as the program does. */
export const PROD_POLICY: CatalogPolicy = policyOf(readStackConfigFile(REPO_ROOT, "prod"), "prod");
export const PROMOTER = PROD_POLICY.promoterServiceAccount;
/** The policy of the bundled example estate (projects/), read from Pulumi.example.yaml. */
export const EXAMPLE_POLICY: CatalogPolicy = policyOf(readStackConfigFile(REPO_ROOT, "example"), "example");

export function tempDir(prefix = "catalog-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Files of a catalog by relative path; `null` removes a file of the base catalog. */
/** Every file below `root`, by relative path, with its bytes (as latin1 text). */
export function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (dir: string) => {
    for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory()) visit(rel);
      else out.set(rel, fs.readFileSync(path.join(root, rel), "latin1"));
    }
  };
  visit("");
  return out;
}

export type Files = Record<string, string | null>;

/** Writes `files` into a new temporary folder and returns its path. */
export function writeTree(files: Files): string {
  const root = tempDir();
  for (const [rel, text] of Object.entries(files)) {
    if (text === null) continue;
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return root;
}

export const DIGEST_A = `sha256:${"a".repeat(64)}`;
export const DIGEST_B = `sha256:${"b".repeat(64)}`;

/**
 * infra.yaml with one line per entry under infra.staging.projects; entries are
 * indented by 6 spaces, so entry i (0-based) is at line 5 + i, column 7.
 */
export function infra(...entries: string[]): string {
  return ["infra:", "  staging:", "    managed_by: pulumi/k8s-infra-staging", "    projects:", ...entries.map((e) => `      ${e}`), ""].join("\n");
}

/**
 * A promoter manifest: line 1 `registries:`, line 2 the source name (value at
 * column 9), line 3 `src: true`; destination k at line 4 + 2k (value at column
 * 9), its service-account on the next line (value at column 22).
 */
export function manifest(source: string, destinations: string[], serviceAccount: string | null = PROMOTER): string {
  const lines = ["registries:", `- name: ${source}`, "  src: true"];
  for (const d of destinations) {
    lines.push(`- name: ${d}`);
    lines.push(serviceAccount === null ? "  # no service-account" : `  service-account: ${serviceAccount}`);
  }
  return lines.join("\n") + "\n";
}

/** `<root>/<rel>` for every production root of the policy, in its order. */
export function productionDestinations(rel: string, policy: CatalogPolicy = PROD_POLICY): string[] {
  return policy.productionRegistries.map((root) => `${root}/${rel}`);
}

/** A staging writers group entry (starts with "  - email-id", 8 lines). */
export function stagingGroup(suffix: string, members: string[] = ["alice@example.org"]): string {
  return [
    `  - email-id: k8s-infra-staging-${suffix}@kubernetes.io`,
    `    name: k8s-infra-staging-${suffix}`,
    `    description: Writers of the ${suffix} staging registry`,
    "    settings:",
    '      ReconcileMembers: "true"',
    "    members:",
    ...members.map((m) => `      - ${m}`),
    "",
  ].join("\n");
}

export function groupsFile(...entries: string[]): string {
  return "groups:\n" + entries.join("");
}

/**
 * The smallest valid catalog: one dedicated staging project k8s-staging-demo,
 * its images, a manifest to all production roots and its writers group.
 */
export function baseCatalog(): Files {
  return {
    "infra.yaml": infra("k8s-staging-demo:"),
    "images/k8s-staging-demo/images.yaml": ["- name: demo", "  dmap:", `    "${DIGEST_A}": ["v1.0.0"]`, ""].join("\n"),
    "images/k8s-staging-demo/OWNERS": "approvers:\n  - alice\nreviewers:\n  - bob\n",
    "manifests/k8s-staging-demo/promoter-manifest.yaml": manifest("gcr.io/k8s-staging-demo", productionDestinations("demo")),
    "groups/sig-demo/groups.yaml": groupsFile(stagingGroup("demo")),
  };
}

export interface Outcome {
  result: CatalogResult;
  /** every problem, formatted `FILE:LINE:COL: SEVERITY: MESSAGE`, sorted */
  all: string[];
  errors: string[];
  warnings: string[];
  notes: string[];
}

export function outcomeOf(result: CatalogResult): Outcome {
  const of = (s: Severity) => result.problems.filter((p: Problem) => p.severity === s).map(formatProblem);
  return { result, all: result.problems.map(formatProblem), errors: of("error"), warnings: of("warning"), notes: of("note") };
}

/** Loads the base catalog with `changes` applied (a `null` value deletes that file). */
export function check(changes: Files = {}, policy: CatalogPolicy = PROD_POLICY): Outcome {
  return outcomeOf(loadCatalog(writeTree({ ...baseCatalog(), ...changes }), policy));
}

/** 1-based line of the first line of `text` containing `needle`; throws when absent. */
export function lineOf(text: string, needle: string): number {
  const i = text.split(/\r?\n/).findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`"${needle}" not found`);
  return i + 1;
}
