import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import type { CatalogPolicy } from "./catalog/model";
import { Problems, START, type Problem } from "./catalog/problems";
import { detectLayout, expectLayout, LAYOUT_NAMES, LayoutError, type Layout } from "./catalog/layout";
import { YamlFile } from "./catalog/yaml";

/** The Pulumi project name, and so the namespace of every stack configuration key. */
export const PROJECT = "k8s-infra-staging";

/** The folder holding Pulumi.yaml and the stack files; the catalog path in the config is relative to it. */
export const PROJECT_DIR = path.resolve(__dirname, "..");

/** The stack of the bundled example estate (projects/); every other stack describes a real estate. */
export const EXAMPLE_STACK = "example";

const email = z.email({ error: "must be an email address" });
const days = z
  .union([z.number(), z.string()])
  .transform((v) => Number(v))
  .pipe(z.int({ error: "must be a whole number of days" }).min(1, { error: "must be at least 1 day" }));
/** Pulumi hands structured values to the program as JSON text. */
const list = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => {
    if (typeof v !== "string") return v;
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }, z.array(item, { error: "must be a list" }));
const region = z.string().regex(/^[a-z]+-[a-z]+[0-9]+$/, { error: "must be a region such as us-central1" });

export const StackConfigSchema = z.strictObject(
  {
    organizationId: z.string().regex(/^[0-9]+$/, { error: "must be the numeric organization id" }),
    folderId: z.string().regex(/^[0-9]+$/, { error: "must be a numeric folder id" }).optional(),
    billingAccount: z.string().regex(/^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$/, { error: "must look like 018801-93540E-22A20E" }),
    customerId: z.string().regex(/^C[0-9a-z]+$/, { error: "must be a Workspace customer id such as C01abcdef" }).optional(),
    domain: z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, { error: "must be a domain such as kubernetes.io" }),
    stagingRegion: region,
    bucketLocation: z.string().min(2, { error: "must be a bucket location such as us" }),
    promoterServiceAccount: email,
    productionRegistries: list(
      z.string().regex(/^[a-z0-9.-]+(\/[a-z0-9._-]+)+$/, { error: "must be a registry path such as us-central1-docker.pkg.dev/k8s-artifacts-prod/images" }),
    ).pipe(z.array(z.string()).min(1, { error: "must list at least one production registry root" })),
    artifactAdminsGroup: email,
    ciBuilderServiceAccount: email,
    ciWorkloadPool: z.string().regex(/^[a-z0-9-]+\.svc\.id\.goog$/, { error: "must be a workload identity pool such as my-project.svc.id.goog" }),
    accessLogBucket: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, { error: "must be a bucket name" }),
    bucketRetentionDays: days.default(60),
    sharedBuildBucketRetentionDays: days.default(90),
    repositoryRetentionDays: days.default(90),
    releaseViewersGroup: email,
    releaseAdminsGroup: email,
    releaseEditorsGroup: email,
    cloudIdentityBillingProject: z
      .string()
      .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, { error: "must be a project id (the quota project of Cloud Identity calls)" })
      .optional(),
    groupPropagationSeconds: z
      .union([z.number(), z.string()])
      .transform((v) => Number(v))
      .pipe(z.int({ error: "must be a whole number of seconds" }).min(0).max(600, { error: "must be at most 600 seconds" }))
      .default(60),
    ciPoolProjectNumber: z.string().regex(/^[0-9]+$/, { error: "must be the numeric project number of the CI cluster's project" }),
    vulnerabilityScanningAccount: email.optional(),
    catalogRoot: z.string().min(1, { error: "must name the catalog folder" }).default("projects"),
    catalogLayout: z.enum(LAYOUT_NAMES, { error: `must be one of ${LAYOUT_NAMES.join(", ")}` }).default("projects"),
  },
  { error: (iss) => (iss.code === "unrecognized_keys" ? "is not a configuration key of this program" : undefined) },
);

export type StackConfig = z.output<typeof StackConfigSchema>;

export interface ConfigIssue {
  key: string;
  message: string;
}

/** Validates raw configuration values (keys without the project namespace). */
export function parseStackConfig(raw: Record<string, unknown>): { config?: StackConfig; issues: ConfigIssue[] } {
  const result = StackConfigSchema.safeParse(raw);
  if (result.success) {
    const config = result.data;
    const dupes = config.productionRegistries.filter((r, i, all) => all.indexOf(r) !== i);
    if (dupes.length) return { issues: [{ key: "productionRegistries", message: `lists ${dupes.join(", ")} twice` }] };
    return { config, issues: [] };
  }
  const issues: ConfigIssue[] = [];
  for (const iss of result.error.issues) {
    const keys = iss.code === "unrecognized_keys" ? iss.keys : [String(iss.path[0] ?? "")];
    for (const key of keys) {
      const value = raw[key];
      const message = value === undefined && iss.code === "invalid_type" ? "is required" : iss.message;
      issues.push({ key, message: iss.path.length > 1 ? `${message} (item ${String(iss.path[1])})` : message });
    }
  }
  return { issues };
}

/** What the catalog rules need from the configuration of `stack`. */
export function policyOf(config: StackConfig, stack: string): CatalogPolicy {
  return {
    organizationId: config.organizationId,
    exampleEstate: stack === EXAMPLE_STACK,
    domain: config.domain,
    stagingRegion: config.stagingRegion,
    promoterServiceAccount: config.promoterServiceAccount,
    productionRegistries: config.productionRegistries,
    repositoryRetentionDays: config.repositoryRetentionDays,
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.severity}: ${p.message}`).join("\n"));
    this.name = "ConfigError";
  }
}

/**
 * Reads `Pulumi.<stack>.yaml` beside Pulumi.yaml, as the offline commands do;
 * the Pulumi program reads the same keys from the engine (see configFromEngine).
 */
export function readStackConfigFile(projectDir: string, stack: string): StackConfig {
  const rel = `Pulumi.${stack}.yaml`;
  const problems = new Problems();
  let text: string;
  try {
    text = fs.readFileSync(path.join(projectDir, rel), "utf8");
  } catch {
    problems.error(rel, START, `stack "${stack}" has no ${rel} in ${projectDir}`);
    throw new ConfigError(problems.sorted());
  }
  const file = new YamlFile(rel, text, problems);
  const values = (file.value as { config?: Record<string, unknown> } | null)?.config ?? {};
  const raw: Record<string, unknown> = {};
  const fullKey = new Map<string, string>();
  for (const [key, value] of Object.entries(values)) {
    const [ns, name] = key.includes(":") ? key.split(":", 2) : [PROJECT, key];
    if (ns !== PROJECT || name === undefined) continue;
    raw[name] = value;
    fullKey.set(name, key);
  }
  const { config, issues } = parseStackConfig(raw);
  for (const issue of issues) {
    const key = fullKey.get(issue.key);
    problems.error(rel, key ? file.at(["config", key]) : file.at(["config"], "key"), `config key ${PROJECT}:${issue.key} ${issue.message}`);
  }
  if (!config || problems.errorCount > 0) throw new ConfigError(problems.sorted());
  return config;
}

export interface CatalogLocation {
  root: string;
  layout: Layout;
}

/**
 * Where the stack's catalog is: `override` (a `--catalog DIR`, any layout, detected)
 * or the stack's catalogRoot in its catalogLayout. Throws LayoutError with what to do.
 */
export function locateCatalog(config: StackConfig, stack: string, override?: string): CatalogLocation {
  // --catalog is relative to where the command runs; catalogRoot to Pulumi.yaml.
  const root = override !== undefined ? path.resolve(override) : path.resolve(PROJECT_DIR, config.catalogRoot);
  let isDir = false;
  try {
    isDir = fs.statSync(root).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    if (override !== undefined)
      throw new LayoutError(fs.existsSync(root) ? `--catalog ${override} is a file; it names the catalog's root folder` : `catalog folder ${root} does not exist`);
    const how =
      config.catalogLayout === "k8s.io"
        ? `clone the upstream repository there (git clone https://github.com/kubernetes/k8s.io ${root}), `
        : "";
    throw new LayoutError(
      `the catalog root of stack ${stack}, ${config.catalogRoot} (${root}), does not exist; ${how}set ${PROJECT}:catalogRoot in Pulumi.${stack}.yaml, or pass --catalog DIR to the offline commands`,
    );
  }
  return { root, layout: override !== undefined ? detectLayout(root) : expectLayout(root, config.catalogLayout) };
}
