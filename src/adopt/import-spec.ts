import { COMPONENT, isComponent, isDeferred, type Declaration } from "../estate/declaration";
import { membershipKey, type LookupResults } from "./lookup";
import { provenance, type ProvenanceContext } from "./provenance";

/**
 * A file for `pulumi import --file FILE` (the bulk-import format of the Pulumi CLI:
 * `importFile`/`importSpec` in pkg/cmd/pulumi/operations/import.go of pulumi/pulumi).
 * `name` is the source name (unique in the file, used for `parent` and code generation),
 * `logicalName` the Pulumi name that goes into the URN. Components have no id and
 * `component: true`: the import creates them empty, as parents of the imported resources.
 * `before`, `unresolved` and `created` are extra keys: the CLI's JSON decoder ignores them
 * (`readImportFile` decodes into a struct without DisallowUnknownFields).
 */
export interface ImportEntry {
  type: string;
  name: string;
  logicalName: string;
  id?: string;
  parent?: string;
  provider?: string;
  component?: true;
}

/** A declared cloud resource whose import id only the cloud knows. */
export interface UnresolvedEntry {
  type: string;
  name: string;
  logicalName: string;
  /** the source name of its parent entry in `resources` */
  parent?: string;
  /** the provider it is imported through, once that provider exists in the stack */
  provider?: string;
  providerUrn?: string;
  urn: string;
  reason: string;
  /** prints the id to put in `id` when the entry is moved into `resources` */
  command?: string;
}

/** A declaration left for `pulumi up` to create, and why. */
export interface CreatedEntry {
  type: string;
  logicalName: string;
  urn: string;
  reason: string;
}

export interface ImportFile {
  nameTable: Record<string, string>;
  resources: ImportEntry[];
  /** commands to run before `pulumi import --file`, in order (the explicit provider the groups are imported through) */
  before: string[];
  unresolved: UnresolvedEntry[];
  created: CreatedEntry[];
}

export class SelectionError extends Error {}

const SLEEP_REASON = "created by pulumi up; a Sleep created then waits once";
const PROVIDER_REASON = "a provider is not a cloud resource: created by the command in `before`";

/** The names `--only` accepts: the project components (name = project id), writers-groups and image-promoter. */
export function selectableNames(declarations: Declaration[]): string[] {
  return declarations.filter((d) => isComponent(d) && d.parent === null).map((d) => d.name).sort();
}

/** The declarations under the named top-level components (all of them without names), in declaration order. */
export function select(declarations: Declaration[], only?: string[]): Declaration[] {
  if (!only) return declarations;
  const valid = selectableNames(declarations);
  const unknown = only.filter((n) => !valid.includes(n));
  if (unknown.length > 0)
    throw new SelectionError(`--only ${unknown.join(", ")}: no such project or component; the valid names are: ${valid.join(", ")}`);
  const chosen = new Set(declarations.filter((d) => isComponent(d) && d.parent === null && only.includes(d.name)).map((d) => d.urn));
  const byUrn = new Map(declarations.map((d) => [d.urn, d]));
  const under = (d: Declaration): boolean => {
    if (chosen.has(d.urn)) return true;
    const parent = d.parent ? byUrn.get(d.parent) : undefined;
    return parent ? under(parent) : false;
  };
  return declarations.filter(under);
}

/** Why an id cannot be derived offline, or the id. */
type IdResult = { id: string } | { reason: string; command?: string };

export interface ImportOptions {
  /** who made what (src/adopt/provenance.ts); without it every declared resource is taken to exist */
  provenance?: ProvenanceContext;
  /** ids found by `--lookup` */
  lookup?: LookupResults;
}

/** The Cloud Identity lookups a selection needs: group emails and [group, member] pairs. */
export function lookupsOf(declarations: Declaration[], all: Declaration[] = declarations): { groups: string[]; memberships: [string, string][] } {
  const byUrn = new Map(all.map((d) => [d.urn, d]));
  const groups = new Set<string>();
  const memberships: [string, string][] = [];
  for (const d of declarations) {
    if (d.type === "gcp:cloudidentity/group:Group") {
      const email = groupEmail(d);
      if (email) groups.add(email);
    } else if (d.type === "gcp:cloudidentity/groupMembership:GroupMembership") {
      const pair = membershipPair(d, byUrn);
      if (pair) {
        groups.add(pair[0]);
        memberships.push(pair);
      }
    }
  }
  return { groups: [...groups].sort(), memberships };
}

/** The import file for `declarations` (typically the estate's, or a selection of it). */
export function toImportFile(declarations: Declaration[], all: Declaration[] = declarations, options: ImportOptions = {}): ImportFile {
  const byUrn = new Map(all.map((d) => [d.urn, d]));
  const file: ImportFile = { nameTable: {}, resources: [], before: [], unresolved: [], created: [] };
  const missingGroups = new Set<string>();
  if (options.lookup) for (const [email, name] of options.lookup.groups) if (name === null) missingGroups.add(email);

  // First pass: what each declaration becomes.
  type Fate = { kind: "import"; id: string } | { kind: "lookup"; reason: string; command?: string } | { kind: "create"; reason: string } | { kind: "component" };
  const fates = new Map<string, Fate>();
  for (const d of declarations) {
    if (isComponent(d)) {
      fates.set(d.urn, { kind: "component" });
      continue;
    }
    if (d.type === "time:index/sleep:Sleep") {
      fates.set(d.urn, { kind: "create", reason: SLEEP_REASON });
      continue;
    }
    if (d.type === "pulumi:providers:gcp") {
      fates.set(d.urn, { kind: "create", reason: PROVIDER_REASON });
      continue;
    }
    const made = options.provenance ? provenance(d, options.provenance) : ({ exists: true } as const);
    if (!made.exists) {
      fates.set(d.urn, { kind: "create", reason: made.reason });
      continue;
    }
    const missing = grantToMissingGroup(d, missingGroups);
    if (missing) {
      fates.set(d.urn, { kind: "create", reason: `${missing} does not exist yet (--lookup): pulumi up creates the group, then this grant` });
      continue;
    }
    const result = lookedUp(d, byUrn, options.lookup) ?? importId(d, byUrn);
    if ("id" in result) fates.set(d.urn, { kind: "import", id: result.id });
    else if ("created" in result) fates.set(d.urn, { kind: "create", reason: result.created });
    else fates.set(d.urn, { kind: "lookup", reason: result.reason, ...(result.command ? { command: result.command } : {}) });
  }

  // A component goes into the file only when something is imported under it; the writers-groups
  // component never does: the provider the groups are imported through must already be in the
  // stack, and `before` creates it together with its parent.
  const importedUnder = new Set<string>();
  for (const d of declarations) {
    const fate = fates.get(d.urn)!;
    if (fate.kind !== "import" && fate.kind !== "lookup") continue;
    for (let p = d.parent; p; p = byUrn.get(p)?.parent ?? null) importedUnder.add(p);
  }
  const sourceNames = sourceNamesOf(declarations);
  const inFile = new Set<string>();
  const providerNeeded = new Map<string, Declaration>();
  for (const d of declarations) {
    const fate = fates.get(d.urn)!;
    if (fate.kind === "component" && importedUnder.has(d.urn) && d.type !== COMPONENT.writersGroups) inFile.add(d.urn);
    if ((fate.kind === "import" || fate.kind === "lookup") && d.provider) {
      const provider = byUrn.get(d.provider);
      if (provider) providerNeeded.set(provider.urn, provider);
    }
  }

  for (const d of declarations) {
    const fate = fates.get(d.urn)!;
    const name = sourceNames.get(d.urn)!;
    const inStack = fate.kind === "import" || fate.kind === "lookup" || (fate.kind === "component" && inFile.has(d.urn));
    const parent = d.parent && inStack ? (inFile.has(d.parent) ? sourceNames.get(d.parent)! : nameTableEntry(d.parent, file)) : undefined;
    const provider = d.provider ? byUrn.get(d.provider) : undefined;
    switch (fate.kind) {
      case "component":
        if (inFile.has(d.urn)) file.resources.push({ type: d.type, name, logicalName: d.name, ...(parent ? { parent } : {}), component: true });
        else
          file.created.push({
            type: d.type,
            logicalName: d.name,
            urn: d.urn,
            reason:
              d.type === COMPONENT.writersGroups && providerNeeded.size > 0
                ? "created with the provider by the command in `before`"
                : "a component with nothing to import under it: created by pulumi up",
          });
        break;
      case "create":
        if (d.type === "pulumi:providers:gcp" && !providerNeeded.has(d.urn))
          file.created.push({ type: d.type, logicalName: d.name, urn: d.urn, reason: "a provider is not a cloud resource: created by pulumi up" });
        else file.created.push({ type: d.type, logicalName: d.name, urn: d.urn, reason: fate.reason });
        break;
      case "import":
        if (provider) file.nameTable[provider.name] = provider.urn;
        file.resources.push({ type: d.type, name, logicalName: d.name, id: fate.id, ...(parent ? { parent } : {}), ...(provider ? { provider: provider.name } : {}) });
        break;
      case "lookup":
        file.unresolved.push({
          type: d.type,
          name,
          logicalName: d.name,
          ...(parent ? { parent } : {}),
          ...(provider ? { provider: provider.name, providerUrn: provider.urn } : {}),
          urn: d.urn,
          reason: fate.reason,
          ...(fate.command ? { command: fate.command } : {}),
        });
        break;
    }
  }
  for (const provider of providerNeeded.values()) {
    const targets = [provider.parent, provider.urn].filter((u): u is string => !!u);
    file.before.push(`pulumi up --stack ${stackOf(provider.urn)} ${targets.map((u) => `--target '${u}'`).join(" ")}`);
  }
  return file;
}

function stackOf(urn: string): string {
  return urn.split("::")[0]!.slice("urn:pulumi:".length);
}

/** A nameTable entry for a parent that is not in the file (it must then exist in the stack). */
function nameTableEntry(urn: string, file: ImportFile): string {
  const name = `parent:${urn.split("::").at(-1)}`;
  file.nameTable[name] = urn;
  return name;
}

/** The missing group a grant is for, when `--lookup` found that group absent. */
function grantToMissingGroup(d: Declaration, missing: Set<string>): string | undefined {
  if (missing.size === 0) return undefined;
  const m = (d.inputs as Record<string, unknown>).member;
  if (typeof m === "string" && m.startsWith("group:") && missing.has(m.slice("group:".length))) return m.slice("group:".length);
  return undefined;
}

/** A Cloud Identity id from `--lookup`, or why there is none to import. */
function lookedUp(d: Declaration, byUrn: Map<string, Declaration>, lookup?: LookupResults): { id: string } | { created: string } | undefined {
  if (!lookup) return undefined;
  if (d.type === "gcp:cloudidentity/group:Group") {
    const email = groupEmail(d);
    const name = email ? lookup.groups.get(email) : undefined;
    if (name === undefined) return undefined;
    return name ? { id: name } : { created: `--lookup: ${email} does not exist in Cloud Identity yet; pulumi up creates it` };
  }
  if (d.type === "gcp:cloudidentity/groupMembership:GroupMembership") {
    const pair = membershipPair(d, byUrn);
    const name = pair ? lookup.memberships.get(membershipKey(...pair)) : undefined;
    if (!pair || name === undefined) return undefined;
    if (name) return { id: name };
    return {
      created:
        lookup.groups.get(pair[0]) === null
          ? `--lookup: the group ${pair[0]} does not exist yet; pulumi up creates it and this membership`
          : `--lookup: ${pair[1]} is not a member of ${pair[0]} yet; pulumi up adds it`,
    };
  }
  return undefined;
}

function membershipPair(d: Declaration, byUrn: Map<string, Declaration>): [string, string] | undefined {
  const inputs = d.inputs as Record<string, unknown>;
  const groupRef = inputs.group;
  const group = isDeferred(groupRef) && "ref" in groupRef ? byUrn.get(groupRef.ref) : undefined;
  const groupMail = group ? groupEmail(group) : undefined;
  const member = (inputs.preferredMemberKey as { id?: unknown } | undefined)?.id;
  return groupMail && typeof member === "string" ? [groupMail, member] : undefined;
}

/** Source names unique in the file: `<type name>:<logical name>`, numbered on a clash. */
function sourceNamesOf(declarations: Declaration[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const d of declarations) {
    const base = `${d.type.split(":").at(-1)}:${d.name}`;
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}#${i}`;
    used.add(name);
    out.set(d.urn, name);
  }
  return out;
}

function serviceAccountEmail(accountId: string, project: string): string {
  return `${accountId}@${project}.iam.gserviceaccount.com`;
}

/** The value a referenced output will have in the cloud, when it can be derived from declared inputs. */
function resolve(value: unknown, byUrn: Map<string, Declaration>): string | undefined {
  if (typeof value === "string") return value;
  if (!isDeferred(value) || !("ref" in value)) return undefined;
  const target = byUrn.get(value.ref);
  if (target?.type !== "gcp:serviceaccount/account:Account") return undefined;
  const accountId = target.inputs.accountId;
  const project = target.inputs.project;
  if (typeof accountId !== "string" || typeof project !== "string") return undefined;
  const email = serviceAccountEmail(accountId, project);
  switch (value.output) {
    case "email":
      return email;
    case "member":
      return `serviceAccount:${email}`;
    case "name":
    case "id":
      return `projects/${project}/serviceAccounts/${email}`;
    default:
      return undefined;
  }
}

/**
 * The import id of a custom resource, in the format of the "Import" section of its
 * `@pulumi/gcp` documentation (IAM members: "resource role member", space-separated).
 */
export function importId(d: Declaration, byUrn: Map<string, Declaration>): IdResult {
  const inputs = d.inputs as Record<string, unknown>;
  const missing: string[] = [];
  const v = (key: string): string => {
    const value = resolve(inputs[key], byUrn);
    if (value === undefined) missing.push(key);
    return value ?? "";
  };
  const done = (id: string): IdResult =>
    missing.length === 0 ? { id } : { reason: `${missing.map((k) => describeInput(k, inputs[k])).join("; ")}: the import id cannot be derived offline` };
  switch (d.type) {
    case "gcp:organizations/project:Project":
      return done(v("projectId"));
    case "gcp:projects/service:Service":
      return done(`${v("project")}/${v("service")}`);
    case "gcp:projects/iAMMember:IAMMember":
      return done(`${v("project")} ${v("role")} ${v("member")}`);
    case "gcp:artifactregistry/repository:Repository":
      return done(`projects/${v("project")}/locations/${v("location")}/repositories/${v("repositoryId")}`);
    case "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember":
      return done(`projects/${v("project")}/locations/${v("location")}/repositories/${v("repository")} ${v("role")} ${v("member")}`);
    case "gcp:storage/bucket:Bucket":
      return done(`${v("project")}/${v("name")}`);
    case "gcp:storage/bucketIAMMember:BucketIAMMember":
      return done(`b/${v("bucket")} ${v("role")} ${v("member")}`);
    case "gcp:serviceaccount/account:Account": {
      const project = v("project");
      return done(`projects/${project}/serviceAccounts/${serviceAccountEmail(v("accountId"), project)}`);
    }
    case "gcp:serviceaccount/iAMMember:IAMMember":
      return done(`${v("serviceAccountId")} ${v("role")} ${v("member")}`);
    case "gcp:cloudidentity/group:Group": {
      const email = groupEmail(d);
      return {
        reason: "Cloud Identity assigns the id (groups/<id>); look it up and put it in id",
        ...(email ? { command: `gcloud identity groups describe ${email} --format='value(name)'` } : {}),
      };
    }
    case "gcp:cloudidentity/groupMembership:GroupMembership": {
      const pair = membershipPair(d, byUrn);
      return {
        reason: "Cloud Identity assigns the id (groups/<id>/memberships/<id>); look it up and put it in id",
        ...(pair ? { command: `gcloud identity groups memberships lookup --group-email=${pair[0]} --member-email=${pair[1]} --format='value(name)'` } : {}),
      };
    }
    default:
      return { reason: `no import id format is known for ${d.type}` };
  }
}

function groupEmail(d: Declaration): string | undefined {
  const id = ((d.inputs as Record<string, unknown>).groupKey as { id?: unknown } | undefined)?.id;
  return typeof id === "string" ? id : undefined;
}

function describeInput(key: string, value: unknown): string {
  if (isDeferred(value) && "ref" in value) return `${key} is ${value.ref}.${value.output}, which only the cloud knows`;
  if (isDeferred(value)) return `${key} is looked up at run time`;
  return `${key} is not set`;
}

/** Counts for the summary line. */
export function summarise(file: ImportFile): { toImport: number; components: number; toLookUp: number; createdByUp: number } {
  const components = file.resources.filter((r) => r.component).length;
  return { toImport: file.resources.length - components, components, toLookUp: file.unresolved.length, createdByUp: file.created.length };
}
