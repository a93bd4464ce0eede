import type { StackConfig } from "../config";
import { ciPodsPrincipalSet } from "../estate/shared-project";
import type { Position, Problems } from "../catalog/problems";
import {
  attributePosition,
  Evaluator,
  ExpressionError,
  SUPPORTED,
  textPosition,
  type Scope,
  type TerraformConfig,
  type TfBlock,
  type TfValue,
} from "./terraform";

/**
 * Turns the staging Terraform (project factory, artifact registry, projects IAM
 * and simple bucket modules) into catalog entries of infra.yaml that declare the
 * same estate, keeping only what differs from what the program declares by default.
 */

/** What the program declares by default, from the stack configuration (see defaultsOf). */
export interface MigrationDefaults {
  domain: string;
  stagingRegion: string;
  repositoryRetentionDays: number;
  sharedBuildBucketRetentionDays: number;
  organizationId: string;
  billingAccount: string;
  ciBuilderServiceAccount: string;
  ciWorkloadPool: string;
  ciPoolProjectNumber: string;
}

/** The defaults of a stack's configuration. */
export function defaultsOf(config: StackConfig): MigrationDefaults {
  return {
    domain: config.domain,
    stagingRegion: config.stagingRegion,
    repositoryRetentionDays: config.repositoryRetentionDays,
    sharedBuildBucketRetentionDays: config.sharedBuildBucketRetentionDays,
    organizationId: config.organizationId,
    billingAccount: config.billingAccount,
    ciBuilderServiceAccount: config.ciBuilderServiceAccount,
    ciWorkloadPool: config.ciWorkloadPool,
    ciPoolProjectNumber: config.ciPoolProjectNumber,
  };
}

/** The prod stack's values (Pulumi.prod.yaml); a test keeps them equal. */
export const DEFAULTS: MigrationDefaults = {
  domain: "kubernetes.io",
  stagingRegion: "us-central1",
  repositoryRetentionDays: 90,
  sharedBuildBucketRetentionDays: 90,
  organizationId: "758905017065",
  billingAccount: "018801-93540E-22A20E",
  ciBuilderServiceAccount: "gcb-builder@k8s-infra-prow-build-trusted.iam.gserviceaccount.com",
  ciWorkloadPool: "k8s-infra-prow-build-trusted.svc.id.goog",
  ciPoolProjectNumber: "180382678033",
};

export interface IamGrant {
  role: string;
  members: string[];
}

export interface CleanupEntry {
  olderThanDays?: number;
  dryRun?: true;
}

export interface RepositoryEntry {
  writers?: string;
  writerAccounts?: string[];
  location?: string;
  cleanup?: CleanupEntry;
  buildAccount?: false;
}

export interface BucketEntry {
  iam?: IamGrant[];
  retentionDays?: number;
  keepObjects?: true;
  versioning?: true;
  private?: boolean;
}

/** A shared staging project's entry under `infra.staging.projects`, keys in the order written. */
export interface ProjectEntry {
  folderId?: string;
  services?: string[];
  iam?: IamGrant[];
  buildBucket?: false;
  buckets?: Record<string, BucketEntry>;
  repositories: Record<string, RepositoryEntry | null>;
}

export interface MigratedProject {
  id: string;
  entry: ProjectEntry;
  /** The project factory module that declares it. */
  file: string;
  at: Position;
}

export interface Migration {
  /** Sorted by id. */
  projects: MigratedProject[];
  repositories: number;
  files: number;
}

export const SOURCES = {
  project: "terraform-google-modules/project-factory/google",
  registry: "GoogleCloudPlatform/artifact-registry/google",
  iam: "terraform-google-modules/iam/google//modules/projects_iam",
  bucket: "terraform-google-modules/cloud-storage/google//modules/simple_bucket",
} as const;

/** APIs every shared staging project enables. */
const DEFAULT_APIS = ["artifactregistry.googleapis.com", "cloudbuild.googleapis.com", "iam.googleapis.com", "storage-api.googleapis.com"];
/** Attributes that say how Terraform fetches or orders a module, not what it declares. */
const META = ["source", "version", "providers", "depends_on"];
const DAY = 86_400;

export function ciPoolPrincipal(d: MigrationDefaults): string {
  return ciPodsPrincipalSet(d);
}

/** A build account is `<repo>-sa`: only ids that are a valid service-account base get one. */
export function hasBuildAccountBase(repo: string): boolean {
  return /^[a-z][a-z0-9-]*$/.test(repo) && repo.length >= 3;
}

/** Thrown after a problem was reported: the module (or instance) is not read further. */
class Reported extends Error {}

interface Repository {
  id: string;
  location: string;
  writers: string[];
  dryRun: boolean;
  /** undefined: no cleanup policy */
  olderThanDays: number | undefined;
  block: TfBlock;
  label: string;
}

interface Bucket {
  name: string;
  location: string | undefined;
  retentionDays: number | undefined;
  versioning: boolean;
  members: { role: string; member: string }[];
  block: TfBlock;
  label: string;
}

interface ProjectDraft {
  id: string;
  block: TfBlock;
  folderId: string | undefined;
  services: string[];
  repositories: Map<string, Repository>;
  /** role -> members */
  bindings: Map<string, Set<string>>;
  /** Where the bindings come from (the first projects_iam module). */
  iamAt?: { file: string; at: Position };
  buckets: Map<string, Bucket>;
}

/** What the module readers share. */
interface Context {
  config: TerraformConfig;
  reader: Reader;
  problems: Problems;
  drafts: Map<string, ProjectDraft>;
  /** Projects whose module has an error: what names them is not reported again. */
  failed: Set<string>;
  /** Modules (by name) whose resources live in a migrated project. */
  owned: Set<string>;
}

/** A module naming a project these files do not declare: a warning, unless that project failed. */
function notMigrated(ctx: Context, block: TfBlock, attr: string, project: string, what: string): void {
  if (ctx.failed.has(project)) return;
  ctx.reader.warn(block, attr, `${label(block)}: ${what} in project ${project} ${what.endsWith("s") ? "are" : "is"} not migrated: these files do not declare that project`);
}

const label = (block: TfBlock, key?: string) => `module "${block.name}"${key === undefined ? "" : `["${key}"]`}`;

/** A value as written: `module.x.y` for a lone interpolation, else JSON (`"text"`, `[...]`). */
function show(raw: unknown): string {
  if (typeof raw === "string") {
    const lone = /^\$\{([\s\S]*)\}$/.exec(raw);
    if (lone && !lone[1]!.includes("${")) return lone[1]!.replace(/\s+/g, " ").trim().replace(/\[ /g, "[").replace(/ \]/g, "]");
    return JSON.stringify(raw);
  }
  return JSON.stringify(raw);
}

class Reader {
  constructor(
    private readonly evaluator: Evaluator,
    private readonly problems: Problems,
    private readonly moduleOutput: Scope["moduleOutput"],
  ) {}

  /** Evaluates `block.body[attr]` (or `raw` found under `attr`); undefined when absent. */
  eval(block: TfBlock, attr: string, scope: Omit<Scope, "moduleOutput">, key?: string, raw: unknown = block.body[attr]): TfValue | undefined {
    if (raw === undefined) return undefined;
    try {
      return this.evaluator.value(raw, { ...scope, moduleOutput: this.moduleOutput });
    } catch (e) {
      if (!(e instanceof ExpressionError)) throw e;
      this.fail(block, attr, `${label(block, key)}: ${attr} = ${show(raw)} cannot be migrated: ${e.message} (${SUPPORTED})`);
    }
  }

  text(block: TfBlock, attr: string, scope: Omit<Scope, "moduleOutput">, key?: string, required = true): string | undefined {
    const v = this.eval(block, attr, scope, key);
    if (v === undefined || v === null) {
      if (required) this.fail(block, attr, `${label(block, key)} has no ${attr}`);
      return undefined;
    }
    if (typeof v !== "string" && typeof v !== "number") this.fail(block, attr, `${label(block, key)}: ${attr} must be text, not ${show(v)}`);
    return String(v);
  }

  fail(block: TfBlock, attr: string | undefined, message: string): never {
    this.problems.error(block.file.name, attr ? attributePosition(block, attr) : block.at, message);
    throw new Reported(message);
  }

  warn(block: TfBlock, attr: string | undefined, message: string): void {
    this.problems.warning(block.file.name, attr ? attributePosition(block, attr) : block.at, message);
  }

  /** Attributes the reader does not know are reported, never silently dropped. */
  unread(block: TfBlock, known: string[]): void {
    for (const attr of Object.keys(block.body)) {
      if (attr === "count") this.fail(block, attr, `${label(block)}: count is not supported; use one module per instance or for_each over a local map`);
      if (!META.includes(attr) && !known.includes(attr))
        this.warn(block, attr, `${label(block)}: ${attr} is not migrated: the catalog has no equivalent`);
    }
  }
}

function stringList(reader: Reader, block: TfBlock, attr: string, v: TfValue | undefined, key?: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((m) => typeof m !== "string")) reader.fail(block, attr, `${label(block, key)}: ${attr} must be a list of text, not ${show(v)}`);
  return v as string[];
}

function isMap(v: TfValue | undefined): v is { [key: string]: TfValue } {
  return v !== null && v !== undefined && typeof v === "object" && !Array.isArray(v);
}

function grants(bindings: Map<string, Set<string>>): IamGrant[] {
  return [...bindings.keys()]
    .sort()
    .map((role) => ({ role, members: [...bindings.get(role)!].sort() }))
    .filter((g) => g.members.length > 0);
}

function addGrant(bindings: Map<string, Set<string>>, role: string, member: string): void {
  const set = bindings.get(role) ?? new Set<string>();
  set.add(member);
  bindings.set(role, set);
}

/** The catalog entries declaring the estate of `config`; undefined when there is an error. */
export function toCatalog(config: TerraformConfig, defaults: MigrationDefaults, problems: Problems): Migration | undefined {
  const before = problems.errorCount;
  const evaluator = new Evaluator(config.locals);
  const drafts = new Map<string, ProjectDraft>();
  const projectModules = new Map<string, string | undefined>();
  const moduleOutput = (name: string, output: string): TfValue => {
    if (!projectModules.has(name)) {
      const m = config.modules.find((b) => b.name === name);
      throw new ExpressionError(m ? `module.${name}.${output}: module "${name}" is not a project factory module` : `module "${name}" is not declared`);
    }
    if (output !== "project_id") throw new ExpressionError(`module.${name}.${output} is not supported`);
    const id = projectModules.get(name);
    if (id === undefined) throw new ExpressionError(`the project id of module "${name}" is not known`);
    return id;
  };
  const reader = new Reader(evaluator, problems, moduleOutput);
  const bySource = (source: string) => config.modules.filter((m) => m.body.source === source);
  const ctx: Context = { config, reader, problems, drafts, failed: new Set(), owned: new Set() };

  // Projects first: everything else names them.
  for (const block of bySource(SOURCES.project)) {
    projectModules.set(block.name, undefined);
    let id: string | undefined;
    try {
      const scope = {};
      id = reader.text(block, "project_id", scope)!;
      const clash = drafts.get(id);
      if (clash) reader.fail(block, "project_id", `${label(block)}: project ${id} is also declared by module "${clash.block.name}" (${clash.block.file.name}:${clash.block.at.line})`);
      projectModules.set(block.name, id);
      const folderId = reader.text(block, "folder_id", scope, undefined, false);
      const orgId = reader.text(block, "org_id", scope, undefined, false);
      if (folderId === undefined && orgId === undefined) reader.fail(block, undefined, `${label(block)}: project ${id} has neither org_id nor folder_id`);
      if (folderId !== undefined && !/^[0-9]+$/.test(folderId)) reader.fail(block, "folder_id", `${label(block)}: folder_id "${folderId}" is not a numeric folder id`);
      if (orgId !== undefined && orgId !== defaults.organizationId)
        reader.fail(block, "org_id", `${label(block)}: project ${id} is in organization ${orgId}; the stack creates projects in ${defaults.organizationId} and cannot express another`);
      const billing = reader.text(block, "billing_account", scope, undefined, false);
      if (billing !== defaults.billingAccount)
        reader.fail(
          block,
          billing === undefined ? undefined : "billing_account",
          `${label(block)}: project ${id} ${billing === undefined ? "has no billing_account" : `uses billing account ${billing}`}; the stack attaches ${defaults.billingAccount} and cannot express another`,
        );
      const apis = stringList(reader, block, "activate_apis", reader.eval(block, "activate_apis", scope));
      const name = reader.text(block, "name", scope, undefined, false);
      if (name !== undefined && name !== id) reader.warn(block, "name", `${label(block)}: name "${name}" is not migrated: the program names a project after its id`);
      if (reader.eval(block, "random_project_id", scope) === true)
        reader.fail(block, "random_project_id", `${label(block)}: random_project_id = true cannot be migrated: the catalog's project id is the exact id`);
      if (reader.eval(block, "auto_create_network", scope) === false)
        reader.warn(
          block,
          "auto_create_network",
          `${label(block)}: auto_create_network = false is not migrated: the program keeps autoCreateNetwork true, since false makes the provider enable Compute to delete the default network`,
        );
      const sa = reader.eval(block, "default_service_account", scope);
      if (sa !== undefined && sa !== "keep") reader.warn(block, "default_service_account", `${label(block)}: default_service_account = ${show(sa)} is not migrated: the program keeps the default service account`);
      if (reader.eval(block, "create_project_sa", scope) === true) reader.warn(block, "create_project_sa", `${label(block)}: create_project_sa = true is not migrated: the program creates no project service account`);
      if (reader.eval(block, "disable_services_on_destroy", scope) === true)
        reader.warn(block, "disable_services_on_destroy", `${label(block)}: disable_services_on_destroy = true is not migrated: the program keeps APIs enabled when a project is removed`);
      reader.unread(block, ["project_id", "name", "org_id", "folder_id", "billing_account", "activate_apis", "auto_create_network", "default_service_account", "disable_services_on_destroy", "create_project_sa", "random_project_id"]);
      drafts.set(id, {
        id,
        block,
        folderId,
        services: [...new Set(apis.filter((a) => !DEFAULT_APIS.includes(a)))].sort(),
        repositories: new Map(),
        bindings: new Map(),
        buckets: new Map(),
      });
      ctx.owned.add(block.name);
    } catch (e) {
      if (!(e instanceof Reported)) throw e;
      if (id !== undefined) ctx.failed.add(id);
    }
  }

  for (const block of bySource(SOURCES.registry)) readRegistry(ctx, block);
  for (const block of bySource(SOURCES.iam)) readProjectsIam(ctx, block);
  for (const block of bySource(SOURCES.bucket)) readBucket(ctx, block);
  checkOthers(ctx);

  const projects: MigratedProject[] = [];
  // A project whose modules could not be read is not judged on what is left of it.
  const readFailed = problems.errorCount > before;
  for (const draft of [...drafts.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (readFailed && draft.repositories.size === 0) continue;
    const entry = toEntry(draft, defaults, problems);
    if (entry) projects.push({ id: draft.id, entry, file: draft.block.file.name, at: draft.block.at });
  }
  if (problems.errorCount > before) return undefined;
  return {
    projects,
    repositories: projects.reduce((n, p) => n + Object.keys(p.entry.repositories).length, 0),
    files: config.files.length,
  };
}

function readRegistry(ctx: Context, block: TfBlock): void {
  const reader: Reader = ctx.reader;
  const { drafts, owned } = ctx;
  let instances: { key?: string; each?: { key: string; value: TfValue } }[] = [{}];
  try {
    const forEach = reader.eval(block, "for_each", {});
    if (forEach !== undefined) {
      if (isMap(forEach)) instances = Object.keys(forEach).sort().map((key) => ({ key, each: { key, value: forEach[key]! } }));
      else if (Array.isArray(forEach) && forEach.every((k) => typeof k === "string"))
        instances = [...new Set(forEach as string[])].sort().map((key) => ({ key, each: { key, value: key } }));
      else reader.fail(block, "for_each", `${label(block)}: for_each must be a map or a set of text, not ${show(forEach)}`);
    }
    reader.unread(block, ["for_each", "project_id", "location", "format", "repository_id", "members", "cleanup_policy_dry_run", "cleanup_policies", "mode"]);
  } catch (e) {
    if (!(e instanceof Reported)) throw e;
    return;
  }
  const outside = new Set<string>();
  for (const { key, each } of instances) {
    const scope = each ? { each } : {};
    try {
      const projectId = reader.text(block, "project_id", scope, key)!;
      const draft = drafts.get(projectId);
      if (!draft) {
        outside.add(projectId);
        continue;
      }
      owned.add(block.name);
      const id = reader.text(block, "repository_id", scope, key)!;
      const at = { block, label: label(block, key) };
      const clash = draft.repositories.get(id);
      if (clash) reader.fail(block, "repository_id", `${at.label}: repository ${id} of ${projectId} is also declared by ${clash.label} (${clash.block.file.name}:${clash.block.at.line})`);
      const location = reader.text(block, "location", scope, key)!;
      const format = reader.text(block, "format", scope, key)!;
      if (format !== "DOCKER") reader.fail(block, "format", `${at.label}: repository ${id} has format ${format}; the catalog declares DOCKER repositories only`);
      const mode = reader.text(block, "mode", scope, key, false);
      if (mode !== undefined && mode !== "STANDARD_REPOSITORY")
        reader.fail(block, "mode", `${at.label}: repository ${id} is a ${mode}; the catalog declares standard repositories only`);
      const members = reader.eval(block, "members", scope, key) ?? {};
      if (!isMap(members)) reader.fail(block, "members", `${at.label}: members must be a map of readers and writers, not ${show(members)}`);
      for (const k of Object.keys(members))
        if (k !== "readers" && k !== "writers") reader.fail(block, "members", `${at.label}: members.${k} is not supported (only readers and writers)`);
      const readers = [...new Set(stringList(reader, block, "members", members.readers, key))];
      if (readers.length !== 1 || readers[0] !== "allUsers")
        reader.fail(block, "readers", `${at.label}: repository ${id} is read by ${readers.length ? readers.join(", ") : "nobody"}; the catalog's repositories are read by allUsers only`);
      const writers = [...new Set(stringList(reader, block, "members", members.writers, key))];
      const dryRun = reader.eval(block, "cleanup_policy_dry_run", scope, key) ?? false;
      if (typeof dryRun !== "boolean") reader.fail(block, "cleanup_policy_dry_run", `${at.label}: cleanup_policy_dry_run must be true or false, not ${show(dryRun)}`);
      const olderThanDays = cleanupDays(reader, block, reader.eval(block, "cleanup_policies", scope, key), at.label, dryRun);
      draft.repositories.set(id, { id, location, writers, dryRun, olderThanDays, ...at });
    } catch (e) {
      if (!(e instanceof Reported)) throw e;
    }
  }
  for (const project of outside) notMigrated(ctx, block, "project_id", project, "its repositories");
  warnUnknownKeys(ctx, block, instances);
}

/** `contains(local.L, each.key)`: an entry of L that is no key of for_each is a mistake upstream. */
function warnUnknownKeys({ config, problems }: Context, block: TfBlock, instances: { key?: string }[]): void {
  const raw = block.body.cleanup_policy_dry_run;
  const m = typeof raw === "string" ? /^\$\{\s*contains\(\s*local\.([A-Za-z_][A-Za-z0-9_-]*)\s*,\s*each\.key\s*\)\s*\}$/.exec(raw) : null;
  const local = m ? config.locals.get(m[1]!) : undefined;
  if (!local || !Array.isArray(local.value)) return;
  const keys = new Set(instances.map((i) => i.key));
  const forEach = show(block.body.for_each).replace(/^\$\{(.*)\}$/, "$1");
  for (const item of local.value) {
    if (typeof item !== "string" || keys.has(item)) continue;
    problems.warning(
      local.file.name,
      textPosition(local.file, local.at, `"${item}"`),
      `local.${local.name} lists "${item}", which is not one of the repositories of module "${block.name}" (for_each = ${forEach}); it is ignored`,
    );
  }
}

/** Days of the one `older_than` DELETE policy; undefined when there is none (allowed only in dry run). */
function cleanupDays(reader: Reader, block: TfBlock, policies: TfValue | undefined, where: string, dryRun: boolean): number | undefined {
  const entries = isMap(policies) ? Object.entries(policies) : [];
  if (policies !== undefined && policies !== null && !isMap(policies)) reader.fail(block, "cleanup_policies", `${where}: cleanup_policies must be a map, not ${show(policies)}`);
  if (entries.length === 0) {
    if (dryRun) return undefined;
    reader.fail(block, "cleanup_policies", `${where} has no cleanup policy; the program deletes versions after a number of days (set cleanup_policy_dry_run = true to keep them)`);
  }
  if (entries.length > 1) reader.fail(block, "cleanup_policies", `${where} has ${entries.length} cleanup policies; the catalog expresses one (delete versions older than N days)`);
  const [name, policy] = entries[0]!;
  const cannot = (why: string): never => reader.fail(block, name, `${where}: cleanup policy "${name}" cannot be migrated: ${why}`);
  if (!isMap(policy)) return cannot("it is not a map");
  for (const k of Object.keys(policy)) if (k !== "action" && k !== "condition") cannot(`${k} is not supported`);
  if (policy.action !== "DELETE") cannot(`action ${show(policy.action)} is not DELETE`);
  const condition = policy.condition;
  if (!isMap(condition)) return cannot("it has no condition");
  for (const [k, v] of Object.entries(condition)) {
    if (k === "tag_state" && v === "ANY") continue;
    if (k !== "older_than") cannot(`condition ${k} is not supported (only older_than)`);
  }
  const older = typeof condition.older_than === "string" ? /^([0-9]+)s$/.exec(condition.older_than) : null;
  if (!older || Number(older[1]) % DAY !== 0 || Number(older[1]) === 0) return cannot(`older_than ${show(condition.older_than)} is not a whole number of days in seconds`);
  return Number(older[1]) / DAY;
}

function readProjectsIam(ctx: Context, block: TfBlock): void {
  const reader: Reader = ctx.reader;
  const { drafts, owned } = ctx;
  try {
    reader.unread(block, ["projects", "bindings", "mode"]);
    const projects = stringList(reader, block, "projects", reader.eval(block, "projects", {}));
    const raw = block.body.bindings;
    const bindings = new Map<string, string[]>();
    if (raw !== undefined && (raw === null || typeof raw !== "object" || Array.isArray(raw))) reader.fail(block, "bindings", `${label(block)}: bindings must be a map of role to members`);
    for (const [role, members] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
      bindings.set(role, stringList(reader, block, role, reader.eval(block, role, {}, undefined, members)));
    }
    for (const id of projects) {
      const draft = drafts.get(id);
      if (!draft) {
        notMigrated(ctx, block, "projects", id, "its bindings");
        continue;
      }
      owned.add(block.name);
      draft.iamAt ??= { file: block.file.name, at: block.at };
      for (const [role, members] of bindings) for (const m of members) addGrant(draft.bindings, role, m);
    }
  } catch (e) {
    if (!(e instanceof Reported)) throw e;
  }
}

function readBucket(ctx: Context, block: TfBlock): void {
  const reader: Reader = ctx.reader;
  const { drafts, owned } = ctx;
  try {
    reader.unread(block, ["name", "project_id", "location", "lifecycle_rules", "iam_members", "versioning"]);
    const name = reader.text(block, "name", {})!;
    const projectId = reader.text(block, "project_id", {})!;
    const draft = drafts.get(projectId);
    if (!draft) return notMigrated(ctx, block, "project_id", projectId, `bucket ${name}`);
    owned.add(block.name);
    const location = reader.text(block, "location", {}, undefined, false);
    const rules = reader.eval(block, "lifecycle_rules", {}) ?? [];
    if (!Array.isArray(rules)) reader.fail(block, "lifecycle_rules", `${label(block)}: lifecycle_rules must be a list`);
    if (rules.length > 1) reader.fail(block, "lifecycle_rules", `${label(block)}: bucket ${name} has ${rules.length} lifecycle rules; the catalog expresses one (delete objects after N days)`);
    let retentionDays: number | undefined;
    const rule = rules[0];
    if (rule !== undefined) {
      const cannot = (why: string): never => reader.fail(block, "lifecycle_rules", `${label(block)}: the lifecycle rule of bucket ${name} cannot be migrated: ${why}`);
      if (!isMap(rule) || !isMap(rule.action) || !isMap(rule.condition)) return cannot("it needs an action and a condition");
      if (rule.action.type !== "Delete" || Object.keys(rule.action).length !== 1) cannot(`action ${show(rule.action)} is not a plain Delete`);
      for (const [k, v] of Object.entries(rule.condition)) {
        if (k === "with_state" && v === "ANY") continue;
        if (k !== "age") cannot(`condition ${k} is not supported (only age)`);
      }
      const age = rule.condition.age;
      if (typeof age !== "number" || !Number.isInteger(age) || age < 1) return cannot(`age ${show(age)} is not a whole number of days`);
      retentionDays = age;
    }
    // simple_bucket's `versioning` defaults to true (modules/simple_bucket/variables.tf of terraform-google-cloud-storage).
    const versioning = reader.eval(block, "versioning", {}) ?? true;
    if (typeof versioning !== "boolean") reader.fail(block, "versioning", `${label(block)}: versioning must be true or false`);
    const members = (reader.eval(block, "iam_members", {}) ?? []) as TfValue;
    if (!Array.isArray(members) || members.some((m) => !isMap(m) || typeof m.role !== "string" || typeof m.member !== "string"))
      reader.fail(block, "iam_members", `${label(block)}: iam_members must be a list of {role, member}`);
    const clash = draft.buckets.get(name);
    if (clash) reader.fail(block, "name", `${label(block)}: bucket ${name} is also declared by ${clash.label} (${clash.block.file.name}:${clash.block.at.line})`);
    draft.buckets.set(name, {
      name,
      location,
      retentionDays,
      versioning: versioning === true,
      members: (members as { role: string; member: string }[]).map(({ role, member }) => ({ role, member })),
      block,
      label: label(block),
    });
  } catch (e) {
    if (!(e instanceof Reported)) throw e;
  }
}

/** Strings anywhere in a body. */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v !== null && typeof v === "object") for (const x of Object.values(v)) strings(x, out);
  return out;
}

/** Modules of other sources and plain resources: an error when they reach into a migrated project. */
function checkOthers({ config, drafts, owned, problems }: Context): void {
  const known = new Set<string>(Object.values(SOURCES));
  const others = [...config.modules.filter((m) => typeof m.body.source !== "string" || !known.has(m.body.source)), ...config.resources.filter((r) => r.kind === "resource")];
  for (const block of others) {
    const texts = strings(block.body);
    const reaches = new Set<string>();
    for (const t of texts) {
      if (drafts.has(t)) reaches.add(t);
      for (const ref of t.matchAll(/module\.([A-Za-z_][A-Za-z0-9_-]*)\b/g)) if (owned.has(ref[1]!)) reaches.add(`module.${ref[1]}`);
    }
    const what = block.kind === "module" ? `module "${block.name}" (source ${show(block.body.source ?? "unset")})` : `resource ${block.name}`;
    if (reaches.size > 0) {
      problems.error(
        block.file.name,
        block.at,
        `${what} is not understood, and it declares resources in a migrated project (it names ${[...reaches].sort().join(", ")}); migrate it by hand or remove it first`,
      );
    } else {
      problems.warning(block.file.name, block.at, `${what} is not read: it names no migrated project`);
    }
  }
}

function toEntry(draft: ProjectDraft, d: MigrationDefaults, problems: Problems): ProjectEntry | undefined {
  const { id, block } = draft;
  const before = problems.errorCount;
  const err = (file: string, at: Position, message: string) => problems.error(file, at, message);
  if (draft.repositories.size === 0) {
    err(block.file.name, block.at, `${label(block)}: project ${id} declares no Artifact Registry repository; only shared staging projects (with repositories) can be migrated`);
    return undefined;
  }

  const defaultGrants = new Map<string, Set<string>>();
  addGrant(defaultGrants, "roles/cloudbuild.builds.editor", `serviceAccount:${d.ciBuilderServiceAccount}`);

  const repositories: Record<string, RepositoryEntry | null> = {};
  for (const repo of [...draft.repositories.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const r: RepositoryEntry = {};
    const groups = repo.writers.filter((w) => w.startsWith("group:")).map((w) => w.slice("group:".length));
    const accounts = repo.writers.filter((w) => w.startsWith("serviceAccount:")).map((w) => w.slice("serviceAccount:".length));
    const other = repo.writers.filter((w) => !w.startsWith("group:") && !w.startsWith("serviceAccount:"));
    const file = repo.block.file.name;
    const at = attributePosition(repo.block, "writers");
    const where = `${repo.label}: repository ${repo.id}`;
    for (const w of repo.writers) {
      const address = w.slice(w.indexOf(":") + 1);
      if (address === address.toLowerCase()) continue;
      // The line of the value itself (a local's map entry), where the person fixing it looks.
      const lines = repo.block.file.text.split(/\r?\n/);
      const i = lines.findIndex((l) => l.includes(`"${w}"`));
      const pos = i < 0 ? at : { line: i + 1, col: lines[i]!.indexOf(`"${w}"`) + 2 };
      err(file, pos, `${where}: writer ${w} must be written in lowercase (IAM compares addresses in lowercase); fix it in the Terraform, then migrate`);
    }
    if (other.length > 0) err(file, at, `${where} is written by ${other.join(", ")}; the catalog's writers are one group or service accounts`);
    else if (groups.length > 0 && accounts.length > 0) err(file, at, `${where} is written by both groups and service accounts; the catalog's writers are one group or service accounts`);
    else if (groups.length > 1) err(file, at, `${where} is written by ${groups.length} groups (${groups.join(", ")}); the catalog gives a repository one writers group`);
    else if (groups.length === 0 && accounts.length === 0) err(file, at, `${where} has no writers; the program would give it the writers group k8s-infra-staging-${repo.id}@${d.domain}`);
    if (groups.length === 1) {
      if (groups[0] !== `k8s-infra-staging-${repo.id}@${d.domain}`) r.writers = groups[0]!;
      addGrant(defaultGrants, "roles/viewer", `group:${groups[0]}`);
    }
    if (accounts.length > 0 && groups.length === 0) r.writerAccounts = [...accounts].sort();
    if (repo.location !== d.stagingRegion) r.location = repo.location;
    const cleanup: CleanupEntry = {};
    if (repo.olderThanDays !== undefined && repo.olderThanDays !== d.repositoryRetentionDays) cleanup.olderThanDays = repo.olderThanDays;
    if (repo.dryRun) cleanup.dryRun = true;
    if (Object.keys(cleanup).length > 0) r.cleanup = cleanup;
    if (!hasBuildAccountBase(repo.id)) r.buildAccount = false;
    repositories[repo.id] = Object.keys(r).length > 0 ? r : null;
  }

  const iamAt = draft.iamAt ?? { file: block.file.name, at: block.at };
  const extra = new Map<string, Set<string>>();
  for (const [role, members] of draft.bindings)
    for (const m of members) if (!defaultGrants.get(role)?.has(m)) addGrant(extra, role, m);
  for (const [role, members] of defaultGrants)
    for (const m of members)
      if (!draft.bindings.get(role)?.has(m)) problems.warning(iamAt.file, iamAt.at, `project ${id}: the program also grants ${role} to ${m}, which the Terraform does not`);
  const iam = grants(extra);

  const buckets: Record<string, BucketEntry> = {};
  const gcbName = `${id}-gcb`;
  for (const bucket of [...draft.buckets.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const file = bucket.block.file.name;
    const at = bucket.block.at;
    const members = new Map<string, Set<string>>();
    for (const { role, member } of bucket.members) addGrant(members, role, member);
    let retentionDays: number | undefined;
    let isPrivate: boolean | undefined;
    if (bucket.name === gcbName) {
      if (bucket.location !== undefined && bucket.location.toLowerCase() !== "us")
        err(file, at, `${bucket.label}: bucket ${bucket.name} is in ${bucket.location}; the program declares a shared project's -gcb bucket in us and cannot express another location`);
      if (bucket.retentionDays === undefined)
        err(file, at, `${bucket.label}: bucket ${bucket.name} has no lifecycle rule; the program deletes its objects after ${d.sharedBuildBucketRetentionDays} days (add a Delete rule with an age)`);
      else if (bucket.retentionDays !== d.sharedBuildBucketRetentionDays) retentionDays = bucket.retentionDays;
      const admins = members.get("roles/storage.admin") ?? new Set<string>();
      for (const m of [`serviceAccount:${d.ciBuilderServiceAccount}`, ciPoolPrincipal(d)]) {
        if (!admins.delete(m)) problems.warning(file, at, `${bucket.label}: the program also grants roles/storage.admin on ${bucket.name} to ${m}, which the Terraform does not`);
      }
    } else {
      if (bucket.retentionDays === undefined)
        err(file, at, `${bucket.label}: bucket ${bucket.name} has no lifecycle rule; the catalog gives every bucket a retention in days (add a Delete rule with an age)`);
      else retentionDays = bucket.retentionDays;
      if (bucket.location !== undefined && bucket.location.toLowerCase() !== "us")
        problems.warning(file, at, `${bucket.label}: location ${bucket.location} of bucket ${bucket.name} is not migrated: the program chooses the location of staging buckets`);
      isPrivate = ![...members.values()].some((set) => set.has("allUsers"));
      // Public read is what private: false declares.
      members.get("roles/storage.objectViewer")?.delete("allUsers");
    }
    const iam = grants(members);
    const b: BucketEntry = {
      ...(iam.length > 0 ? { iam } : {}),
      ...(retentionDays !== undefined ? { retentionDays } : {}),
      ...(bucket.versioning ? { versioning: true } : {}),
      ...(isPrivate !== undefined ? { private: isPrivate } : {}),
    };
    if (Object.keys(b).length > 0) buckets[bucket.name] = b;
  }
  if (problems.errorCount > before) return undefined;
  // Keys in the documented order.
  return {
    ...(draft.folderId !== undefined ? { folderId: draft.folderId } : {}),
    ...(draft.services.length > 0 ? { services: draft.services } : {}),
    ...(iam.length > 0 ? { iam } : {}),
    ...(draft.buckets.has(gcbName) ? {} : { buildBucket: false as const }),
    ...(Object.keys(buckets).length > 0 ? { buckets } : {}),
    repositories,
  };
}
