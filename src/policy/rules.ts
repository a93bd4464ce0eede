import type { Catalog } from "../catalog/model";
import type { StackConfig } from "../config";
import { parseRegistryRoot } from "../estate/promoter-access";

/**
 * The guardrails: what the stack may never declare, whatever a change to the code or the
 * catalog does. Each rule is a plain function over one resource (type, inputs, options) and a
 * context read from the stack configuration and the catalog, never from the program's own
 * declarations. The policy pack (policy/) and the offline check (npm run policy) both run them.
 */

/** A value the caller cannot see yet (an output of another resource during a preview). */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Unknown = typeof UNKNOWN;

export interface GuardResource {
  /** the Pulumi type token, e.g. gcp:storage/bucket:Bucket */
  type: string;
  /** the resource's logical name */
  name: string;
  urn: string;
  /** input properties; a value the caller cannot see is UNKNOWN */
  props: Record<string, unknown>;
  /** the protect option; undefined where the caller cannot see resource options */
  protect?: boolean;
}

/** Where a writers group may write: a project, or one repository of a project. */
export interface WriterScope {
  project: string;
  repository?: string;
}

export interface GuardContext {
  /** the promoter as an IAM member, serviceAccount:<email> */
  promoter: string;
  /** the production roots' repositories, the only ones the promoter may write */
  productionRepositories: { project: string; location: string; repository: string }[];
  /** members that may hold roles/owner and roles/editor */
  releaseAdmins: string[];
  /** staging projects of the catalog */
  stagingProjects: ReadonlySet<string>;
  /** projects whose catalog entry lists compute.googleapis.com */
  computeProjects: ReadonlySet<string>;
  /** bucket name -> the staging project that owns it */
  bucketProject: ReadonlyMap<string, string>;
  /** staging buckets that are public-read by design */
  publicBuckets: ReadonlySet<string>;
  /** extra buckets whose catalog entry says keepObjects: true (no lifecycle rule, reviewed) */
  keptBuckets: ReadonlySet<string>;
  /** groups the stack configuration names for other duties (release, artifact admins): not held to a writers scope */
  stackGroups: ReadonlySet<string>;
  /** writers group member (group:<email>) -> where it may write */
  writerScopes: ReadonlyMap<string, WriterScope[]>;
  /** "<project>/<repository>" -> whether the catalog lets its cleanup policy be a dry run */
  cleanupDryRunAllowed: ReadonlyMap<string, boolean>;
}

export interface Rule {
  /** the policy name in the pack, and the rule's id in the offline report */
  id: string;
  /** one line: what the rule protects, for the pack's description and the README */
  description: string;
  /** what is wrong with `r` under this rule, each message saying what to change */
  check(r: GuardResource, ctx: GuardContext): string[];
}

/** The repository of a dedicated project that serves gcr.io/<project>: it keeps every image, so its cleanup is a dry run. */
export const DEDICATED_GCR_REPOSITORY = "gcr.io";
export const DEDICATED_REGIONAL_REPOSITORY = "images";

export function guardContext(catalog: Catalog, config: StackConfig): GuardContext {
  const bucketProject = new Map<string, string>();
  const publicBuckets = new Set<string>();
  const keptBuckets = new Set<string>();
  const writerScopes = new Map<string, WriterScope[]>();
  const cleanupDryRunAllowed = new Map<string, boolean>();
  const addScope = (writers: string | undefined, scope: WriterScope) => {
    if (!writers) return;
    const member = `group:${writers}`;
    writerScopes.set(member, [...(writerScopes.get(member) ?? []), scope]);
  };
  for (const p of catalog.projects) {
    const defaults = p.kind === "dedicated" ? [p.id, `${p.id}-gcb`] : p.buildBucket ? [`${p.id}-gcb`] : [];
    for (const name of defaults) bucketProject.set(name, p.id);
    // A dedicated project's two buckets are public-read by design (spec 4.1); a shared project's build bucket is not.
    if (p.kind === "dedicated") defaults.forEach((name) => publicBuckets.add(name));
    for (const b of p.buckets) {
      if (defaults.includes(b.name)) continue;
      bucketProject.set(b.name, p.id);
      if (!b.private) publicBuckets.add(b.name);
      if (b.keepObjects) keptBuckets.add(b.name);
    }
    if (p.kind === "dedicated") {
      addScope(p.writers, { project: p.id });
      cleanupDryRunAllowed.set(`${p.id}/${DEDICATED_REGIONAL_REPOSITORY}`, p.cleanup.dryRun);
      cleanupDryRunAllowed.set(`${p.id}/${DEDICATED_GCR_REPOSITORY}`, true);
    } else {
      for (const r of p.repositories) {
        addScope(r.writers, { project: p.id, repository: r.name });
        cleanupDryRunAllowed.set(`${p.id}/${r.name}`, r.cleanup.dryRun);
      }
    }
  }
  return {
    promoter: `serviceAccount:${config.promoterServiceAccount}`,
    productionRepositories: config.productionRegistries.map(parseRegistryRoot),
    releaseAdmins: [`group:${config.releaseAdminsGroup}`],
    stagingProjects: new Set(catalog.projects.map((p) => p.id)),
    computeProjects: new Set(catalog.projects.filter((p) => p.services.includes(COMPUTE_API)).map((p) => p.id)),
    bucketProject,
    publicBuckets,
    keptBuckets,
    stackGroups: new Set(
      [config.releaseAdminsGroup, config.releaseEditorsGroup, config.releaseViewersGroup, config.artifactAdminsGroup].map((g) => `group:${g}`),
    ),
    writerScopes,
    cleanupDryRunAllowed,
  };
}

const COMPUTE_API = "compute.googleapis.com";
const PUBLIC_MEMBERS = ["allUsers", "allAuthenticatedUsers"];
const PUBLIC_REPOSITORY_ROLE = "roles/artifactregistry.reader";
const PUBLIC_BUCKET_ROLE = "roles/storage.objectViewer";
const PROMOTER_READ = "roles/artifactregistry.reader";
const PROMOTER_WRITE = "roles/artifactregistry.writer";
const OWNER_ROLES = ["roles/owner", "roles/editor"];

const T = {
  project: "gcp:organizations/project:Project",
  service: "gcp:projects/service:Service",
  repository: "gcp:artifactregistry/repository:Repository",
  repositoryMember: "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
  bucket: "gcp:storage/bucket:Bucket",
  bucketMember: "gcp:storage/bucketIAMMember:BucketIAMMember",
  projectMember: "gcp:projects/iAMMember:IAMMember",
  accountMember: "gcp:serviceaccount/iAMMember:IAMMember",
} as const;

/** The class part of a type token: gcp:storage/bucketIAMBinding:BucketIAMBinding -> BucketIAMBinding. */
function className(type: string): string {
  return type.slice(type.lastIndexOf(":") + 1);
}

/** Any additive IAM grant (`...IAMMember` / `...IamMember`) of any provider module. */
function isIamMember(type: string): boolean {
  return /I[Aa][Mm]Member$/.test(className(type));
}

/** Roles that only read: viewers, readers, browsers, and using a project's quota. */
export function isReadRole(role: string): boolean {
  return /(^|[./])(viewer|reader|browser|[a-zA-Z]*Viewer|[a-zA-Z]*Reader)$/.test(role) || role === "roles/serviceusage.serviceUsageConsumer";
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** The grant a resource makes, when it is an additive IAM grant with a visible role. */
function grantOf(r: GuardResource): { role: string; member: string | Unknown } | undefined {
  if (!isIamMember(r.type)) return undefined;
  const role = str(r.props.role);
  if (role === undefined) return undefined;
  return { role, member: str(r.props.member) ?? UNKNOWN };
}

/** The project of a grant's target, where the resource says it. */
function targetProject(r: GuardResource, ctx: GuardContext): string | undefined {
  if (r.type === T.bucketMember) return ctx.bucketProject.get(str(r.props.bucket) ?? "");
  if (r.type === T.accountMember) {
    const id = str(r.props.serviceAccountId) ?? "";
    return /^projects\/([^/]+)\/serviceAccounts\//.exec(id)?.[1] ?? /@([a-z0-9-]+)\.iam\.gserviceaccount\.com$/.exec(id)?.[1];
  }
  return str(r.props.project);
}

function isStagingRepository(r: GuardResource, ctx: GuardContext): boolean {
  return r.type === T.repositoryMember && ctx.stagingProjects.has(str(r.props.project) ?? "") && !isProductionRepository(r, ctx);
}

function isProductionRepository(r: GuardResource, ctx: GuardContext): boolean {
  return ctx.productionRepositories.some((p) => p.project === r.props.project && p.location === r.props.location && p.repository === r.props.repository);
}

function where(r: GuardResource): string {
  if (r.type === T.repositoryMember) return `repository ${String(r.props.project)}/${String(r.props.location)}/${String(r.props.repository)}`;
  if (r.type === T.bucketMember) return `bucket ${String(r.props.bucket)}`;
  if (r.type === T.projectMember) return `project ${String(r.props.project)}`;
  if (r.type === T.accountMember) return `service account ${typeof r.props.serviceAccountId === "string" ? r.props.serviceAccountId : "(declared in this stack)"}`;
  return className(r.type);
}

export const RULES: Rule[] = [
  {
    id: "no-authoritative-iam-or-keys",
    description:
      "IAM is additive only (one member per resource): no *IAMBinding / *IAMPolicy resource of any kind, which would remove grants made outside the stack; no service account keys.",
    check(r) {
      const cls = className(r.type);
      if (/I[Aa][Mm](Binding|Policy)$/.test(cls))
        return [`${r.type} is authoritative: it replaces every grant it covers, including those made outside this stack; declare one ${cls.replace(/(Binding|Policy)$/, "Member")} per member instead`];
      if (/^gcp:serviceaccount\/key:Key$|^gcp:serviceAccount\/key:Key$/i.test(r.type))
        return [`${r.type} creates a service account key (a long-lived secret); use Workload Identity or impersonation (roles/iam.serviceAccountTokenCreator) instead`];
      return [];
    },
  },
  {
    id: "public-read-only-on-staging",
    description:
      "allUsers / allAuthenticatedUsers only read (roles/artifactregistry.reader on staging repositories, roles/storage.objectViewer on public staging buckets), never on a project or a service account.",
    check(r, ctx) {
      const g = grantOf(r);
      if (!g || typeof g.member !== "string" || !PUBLIC_MEMBERS.includes(g.member)) return [];
      if (r.type === T.repositoryMember && g.role === PUBLIC_REPOSITORY_ROLE && isStagingRepository(r, ctx)) return [];
      if (r.type === T.bucketMember && g.role === PUBLIC_BUCKET_ROLE && ctx.publicBuckets.has(str(r.props.bucket) ?? "")) return [];
      const allowed =
        r.type === T.repositoryMember
          ? `only ${PUBLIC_REPOSITORY_ROLE} on a staging repository`
          : r.type === T.bucketMember
            ? `only ${PUBLIC_BUCKET_ROLE} on a public staging bucket (a dedicated project's two buckets, or a catalog bucket without private: true)`
            : "nothing here: public access is never granted on a project or a service account";
      return [`${g.member} gets ${g.role} on ${where(r)}; the public may get ${allowed}; remove the grant`];
    },
  },
  {
    id: "protected-projects-and-stores",
    description:
      "Projects have deletionPolicy PREVENT; projects, repositories and buckets are protected, so no pulumi up can delete them (images and objects would go with them).",
    check(r) {
      const out: string[] = [];
      if (r.type === T.project && r.props.deletionPolicy !== UNKNOWN && r.props.deletionPolicy !== "PREVENT")
        out.push(`project ${r.name} has deletionPolicy ${JSON.stringify(r.props.deletionPolicy ?? "(unset: DELETE)")}; set deletionPolicy: "PREVENT"`);
      if (([T.project, T.repository, T.bucket] as string[]).includes(r.type) && r.protect === false)
        out.push(`${className(r.type).toLowerCase()} ${r.name} is not protected; declare it with protect: true`);
      return out;
    },
  },
  {
    id: "apis-stay-enabled",
    description:
      "APIs never disable on destroy (that would break every resource using them); no project enables the Compute API unless its catalog entry lists compute.googleapis.com.",
    check(r, ctx) {
      if (r.type !== T.service) return [];
      const out: string[] = [];
      if (r.props.disableOnDestroy !== false && r.props.disableOnDestroy !== UNKNOWN)
        out.push(`${String(r.props.service)} of ${String(r.props.project)} would be disabled on destroy (the provider's default); set disableOnDestroy: false`);
      if (r.props.service === COMPUTE_API && !ctx.computeProjects.has(str(r.props.project) ?? ""))
        out.push(`${String(r.props.project)} enables ${COMPUTE_API}, which its catalog entry does not list; list it under services in infra.yaml, or do not enable it`);
      return out;
    },
  },
  {
    id: "stores-expire",
    description:
      "Buckets use uniform bucket-level access and delete objects after N days; repositories carry a cleanup policy (a dry run only where the catalog declares it).",
    check(r, ctx) {
      const out: string[] = [];
      if (r.type === T.bucket) {
        if (r.props.uniformBucketLevelAccess !== true && r.props.uniformBucketLevelAccess !== UNKNOWN)
          out.push(`bucket ${r.name} does not use uniform bucket-level access (object ACLs would bypass IAM); set uniformBucketLevelAccess: true`);
        const rules = Array.isArray(r.props.lifecycleRules) ? (r.props.lifecycleRules as { action?: { type?: unknown }; condition?: { age?: unknown } }[]) : [];
        if (r.props.lifecycleRules !== UNKNOWN && !ctx.keptBuckets.has(r.name) && !rules.some((l) => l.action?.type === "Delete" && typeof l.condition?.age === "number" && l.condition.age >= 1))
          out.push(`bucket ${r.name} keeps objects forever; give it a lifecycle rule deleting objects after N days (retentionDays in the catalog, or keepObjects: true there to keep them on purpose)`);
      }
      if (r.type === T.repository) {
        const policies = Array.isArray(r.props.cleanupPolicies) ? (r.props.cleanupPolicies as { action?: unknown; condition?: { olderThan?: unknown } }[]) : [];
        if (r.props.cleanupPolicies !== UNKNOWN && !policies.some((p) => p.action === "DELETE" && typeof p.condition?.olderThan === "string"))
          out.push(`repository ${r.name} keeps every version forever; give it a cleanup policy deleting versions older than N days (cleanup in the catalog)`);
        const key = `${String(r.props.project)}/${String(r.props.repositoryId)}`;
        if (r.props.cleanupPolicyDryRun === true && ctx.cleanupDryRunAllowed.get(key) === false)
          out.push(`repository ${r.name} runs its cleanup as a dry run, which its catalog entry does not declare; set cleanupPolicyDryRun as the catalog's cleanup.dryRun says`);
      }
      return out;
    },
  },
  {
    id: "promoter-reads-staging-writes-production",
    description:
      "The promoter's account gets only roles/artifactregistry.reader on staging repositories and roles/artifactregistry.writer on the production roots' repositories.",
    check(r, ctx) {
      const g = grantOf(r);
      if (!g || g.member !== ctx.promoter) return [];
      if (r.type === T.repositoryMember && g.role === PROMOTER_READ && isStagingRepository(r, ctx)) return [];
      if (r.type === T.repositoryMember && g.role === PROMOTER_WRITE && isProductionRepository(r, ctx)) return [];
      return [
        `the promoter (${ctx.promoter}) gets ${g.role} on ${where(r)}; it may only read staging repositories (${PROMOTER_READ}) and write the production roots' repositories (${PROMOTER_WRITE})`,
      ];
    },
  },
  {
    id: "writers-write-only-their-own",
    description:
      "A writers group gets write roles only on its own project's resources (dedicated) or its own repository (shared); groups the stack configuration names (release, artifact admins) are held to their configured duties instead.",
    check(r, ctx) {
      const g = grantOf(r);
      if (!g || typeof g.member !== "string" || isReadRole(g.role)) return [];
      const scopes = ctx.writerScopes.get(g.member);
      if (!scopes || ctx.stackGroups.has(g.member)) return [];
      const project = targetProject(r, ctx);
      if (project === undefined && r.type === T.accountMember) return []; // an account declared in this stack: its project is not visible yet
      const ok = scopes.some((s) => s.project === project && (s.repository === undefined || (r.type === T.repositoryMember && r.props.repository === s.repository)));
      if (ok) return [];
      const own = scopes.map((s) => (s.repository ? `repository ${s.project}/${s.repository}` : `project ${s.project}`)).join(", ");
      return [`writers group ${g.member} gets ${g.role} on ${where(r)}; it may write only its own ${own}; remove the grant or grant a read role`];
    },
  },
  {
    id: "owner-and-editor-only-release-admins",
    description: "roles/owner and roles/editor go to no one but the configured release admins (releaseAdminsGroup).",
    check(r, ctx) {
      const g = grantOf(r);
      if (!g || !OWNER_ROLES.includes(g.role)) return [];
      if (typeof g.member === "string" && ctx.releaseAdmins.includes(g.member)) return [];
      const who = typeof g.member === "string" ? g.member : "an account of this stack";
      return [`${who} gets ${g.role} on ${where(r)}; ${OWNER_ROLES.join(" and ")} go only to ${ctx.releaseAdmins.join(", ")}; grant a narrower role`];
    },
  },
];

export interface Violation {
  rule: string;
  urn: string;
  name: string;
  type: string;
  message: string;
}

/** Every violation of every rule, in the order of the resources. */
export function evaluate(resources: GuardResource[], ctx: GuardContext, rules: Rule[] = RULES): Violation[] {
  return resources.flatMap((r) => rules.flatMap((rule) => rule.check(r, ctx).map((message) => ({ rule: rule.id, urn: r.urn, name: r.name, type: r.type, message }))));
}
