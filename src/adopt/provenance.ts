import type { Catalog } from "../catalog/model";
import type { StackConfig } from "../config";
import { COMPONENT, isComponent, isDeferred, type Declaration } from "../estate/declaration";

/**
 * Which declared resources already exist in the cloud, from who made them: a dedicated project
 * was made by upstream's `infra/gcp/bash/ensure-staging-storage.sh` (kubernetes/k8s.io, commit
 * 0c64536, with `lib.sh`, `lib_ar.sh`, `lib_gcs.sh`), a shared project by the Terraform of
 * `infra/gcp/terraform/k8s-staging-images/` (`main.tf`, `iam.tf`, `registries.tf`,
 * `buckets.tf`, `kubernetes.tf`). Only what they make is imported: importing an IAM member
 * that does not exist fails the import ("Cannot find binding", `iamMemberImport` in
 * `google/tpgiamresource/resource_iam_member.go` of hashicorp/terraform-provider-google).
 * What the program adds is left for `pulumi up`, where creating it is safe even if someone
 * made it by hand meanwhile: an IAM member is merged into the policy and enabling an enabled
 * API changes nothing.
 */
export type Provenance = { exists: true } | { exists: false; reason: string };

/** STAGING_PROJECT_SERVICES of ensure-staging-storage.sh (its `ensure_only_services`). */
export const SCRIPT_SERVICES = new Set(
  [
    "artifactregistry",
    "cloudasset",
    "cloudbuild",
    "cloudkms",
    "containerregistry",
    "iam",
    "secretmanager",
    "policytroubleshooter",
    "storage-component",
    "logging",
    "pubsub",
    "storage-api",
    "iamcredentials",
  ].map((s) => `${s}.googleapis.com`),
);

/** `activate_apis` of the shared projects' project-factory modules (main.tf, kubernetes.tf). */
export const TERRAFORM_SERVICES = new Set(["artifactregistry.googleapis.com", "cloudbuild.googleapis.com"]);

const SCRIPT = "ensure-staging-storage.sh";
const TERRAFORM = "the Terraform of k8s-staging-images";
const IDEMPOTENT_GRANT = "pulumi up adds it (an IAM member is merged into the policy, so this is safe if it exists)";

export interface ProvenanceContext {
  config: StackConfig;
  byUrn: Map<string, Declaration>;
  /** writers group of each dedicated project */
  writers: Map<string, string>;
}

export function provenanceContext(catalog: Catalog, config: StackConfig, declarations: Declaration[]): ProvenanceContext {
  const writers = new Map<string, string>();
  for (const p of catalog.projects) if (p.kind === "dedicated") writers.set(p.id, p.writers);
  return { config, byUrn: new Map(declarations.map((d) => [d.urn, d])), writers };
}

/** The component a declaration sits under (the top-level one). */
function componentOf(d: Declaration, byUrn: Map<string, Declaration>): Declaration | undefined {
  let parent = d.parent ? byUrn.get(d.parent) : undefined;
  while (parent?.parent) parent = byUrn.get(parent.parent);
  return parent && isComponent(parent) ? parent : undefined;
}

function refTarget(v: unknown, byUrn: Map<string, Declaration>): Declaration | undefined {
  return isDeferred(v) && "ref" in v ? byUrn.get(v.ref) : undefined;
}

export function provenance(d: Declaration, ctx: ProvenanceContext): Provenance {
  const component = componentOf(d, ctx.byUrn);
  const inputs = d.inputs as Record<string, unknown>;
  switch (component?.type) {
    case COMPONENT.dedicated:
      return scriptMade(d, inputs, component.name, ctx);
    case COMPONENT.shared:
      return terraformMade(d, inputs, ctx);
    case COMPONENT.promoter:
      return {
        exists: false,
        reason: `the promoter's write access to production is made outside this estate (upstream's ensure-prod-storage.sh and the production Terraform); ${IDEMPOTENT_GRANT}`,
      };
    case COMPONENT.writersGroups:
      // Upstream's groups reconciler (groups/ in kubernetes/k8s.io) keeps every group and membership of groups.yaml.
      return { exists: true };
    default:
      return { exists: false, reason: "not under a component of the estate" };
  }
}

function member(inputs: Record<string, unknown>, ctx: ProvenanceContext): string | undefined {
  const m = inputs.member;
  if (typeof m === "string") return m;
  const target = refTarget(m, ctx.byUrn);
  return target ? `ref:${target.name}` : undefined;
}

function scriptMade(d: Declaration, inputs: Record<string, unknown>, projectId: string, ctx: ProvenanceContext): Provenance {
  const c = ctx.config;
  const W = `group:${ctx.writers.get(projectId) ?? ""}`;
  const A = `group:${c.artifactAdminsGroup}`;
  const B = `serviceAccount:${c.ciBuilderServiceAccount}`;
  const added = (what: string): Provenance => ({ exists: false, reason: `${SCRIPT} does not make ${what}; ${IDEMPOTENT_GRANT}` });
  switch (d.type) {
    case "gcp:organizations/project:Project":
    case "gcp:storage/bucket:Bucket":
    case "gcp:artifactregistry/repository:Repository":
    case "gcp:serviceaccount/account:Account":
      return { exists: true };
    case "gcp:projects/service:Service":
      return SCRIPT_SERVICES.has(String(inputs.service))
        ? { exists: true }
        : { exists: false, reason: `${SCRIPT} does not enable ${String(inputs.service)} on every project; pulumi up enables it (a no-op if it is enabled)` };
    case "gcp:projects/iAMMember:IAMMember": {
      const role = String(inputs.role);
      const who = member(inputs, ctx);
      const made: [string, string | undefined][] = [
        // ensure_staging_project, empower_gcs_admins (lib.sh), empower_group_for_gcb (lib.sh), ensure_staging_gcb
        ["roles/viewer", W],
        ["roles/viewer", A],
        ["roles/cloudbuild.builds.editor", W],
        ["roles/serviceusage.serviceUsageConsumer", W],
        ["roles/cloudbuild.builds.builder", B],
        ["roles/cloudbuild.builds.editor", `ref:${projectId}/gcb-image-builder`],
        ["roles/containeranalysis.occurrences.viewer", c.vulnerabilityScanningAccount ? `serviceAccount:${c.vulnerabilityScanningAccount}` : undefined],
        // ensure_release_manager_special_cases
        ["roles/viewer", `group:${c.releaseViewersGroup}`],
        ["roles/artifactregistry.admin", `group:${c.releaseAdminsGroup}`],
        ["roles/artifactregistry.repoAdmin", `group:${c.releaseEditorsGroup}`],
      ];
      return made.some(([r, m]) => r === role && m === who) ? { exists: true } : added(`the project grant ${role} for ${who} on every project`);
    }
    case "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": {
      const role = String(inputs.role);
      const who = member(inputs, ctx);
      // ensure_ar_repo makes `images` public (lib_ar.sh); the GCR functions grant on the
      // artifacts.<project>.appspot.com bucket, not on the gcr.io repository (lib_gcr.sh).
      if (inputs.repository === "images" && role === "roles/artifactregistry.reader" && who === "allUsers") return { exists: true };
      return added(
        inputs.repository === "gcr.io"
          ? `${role} for ${who} on the gcr.io repository (its GCR functions grant on the artifacts.${projectId}.appspot.com bucket)`
          : `${role} for ${who} on the ${String(inputs.repository)} repository (ensure_ar_repo makes it public only)`,
      );
    }
    case "gcp:storage/bucketIAMMember:BucketIAMMember": {
      const role = String(inputs.role);
      const who = member(inputs, ctx);
      const bucket = String(inputs.bucket);
      const made: [string, string][] = [
        // ensure_public_gcs_bucket, empower_group_to_admin_gcs_bucket, empower_group_to_write_gcs_bucket (lib_gcs.sh)
        ["roles/storage.objectViewer", "allUsers"],
        ["roles/storage.objectAdmin", A],
        ["roles/storage.legacyBucketOwner", A],
        ["roles/storage.objectAdmin", W],
        ["roles/storage.legacyBucketWriter", W],
      ];
      if (made.some(([r, m]) => r === role && m === who)) return { exists: true };
      // ensure_staging_gcb: the CI builder writes the -gcb bucket
      if (bucket === `${projectId}-gcb` && who === B && (role === "roles/storage.objectCreator" || role === "roles/storage.objectViewer")) return { exists: true };
      return added(`${role} for ${who} on gs://${bucket}`);
    }
    case "gcp:serviceaccount/iAMMember:IAMMember": {
      const account = refTarget(inputs.serviceAccountId, ctx.byUrn);
      const who = member(inputs, ctx);
      // ensure_staging_gcb: gcb-image-builder may mint tokens for itself
      if (account?.name === `${projectId}/gcb-image-builder` && inputs.role === "roles/iam.serviceAccountTokenCreator" && who === `ref:${account.name}`)
        return { exists: true };
      return added(`${String(inputs.role)} for ${who} on ${account?.name ?? "the account"}`);
    }
    default:
      return { exists: false, reason: `${SCRIPT} does not make a ${d.type}` };
  }
}

function terraformMade(d: Declaration, inputs: Record<string, unknown>, ctx: ProvenanceContext): Provenance {
  const c = ctx.config;
  const added = (what: string): Provenance => ({ exists: false, reason: `${TERRAFORM} does not hold ${what}; ${IDEMPOTENT_GRANT}` });
  const who = member(inputs, ctx);
  // The build accounts <repo>-sa are the staging design's, not Terraform's: they and every grant to or on them are new.
  const account =
    d.type === "gcp:serviceaccount/account:Account" ? d : refTarget(inputs.serviceAccountId, ctx.byUrn) ?? refTarget(inputs.member, ctx.byUrn);
  if (account?.type === "gcp:serviceaccount/account:Account")
    return { exists: false, reason: `the build account ${account.name} is new (${TERRAFORM} has none): pulumi up creates it and its grants` };
  switch (d.type) {
    case "gcp:organizations/project:Project":
    case "gcp:storage/bucket:Bucket":
    case "gcp:artifactregistry/repository:Repository":
      return { exists: true };
    case "gcp:projects/service:Service":
      return TERRAFORM_SERVICES.has(String(inputs.service))
        ? { exists: true }
        : { exists: false, reason: `${TERRAFORM} activates only artifactregistry and cloudbuild; pulumi up enables ${String(inputs.service)} (a no-op if it is enabled)` };
    case "gcp:projects/iAMMember:IAMMember":
      // iam.tf / kubernetes.tf: cloudbuild.builds.editor, owner and viewer bindings; the artifact admins' viewer is the program's.
      return who === `group:${c.artifactAdminsGroup}` ? added(`${String(inputs.role)} for ${who}`) : { exists: true };
    case "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember":
      // registries.tf: the artifact-registry module's readers (allUsers) and writers; the promoter's read and the admins' repoAdmin are the program's.
      return inputs.role === "roles/artifactregistry.reader" && who === "allUsers"
        ? { exists: true }
        : inputs.role === "roles/artifactregistry.writer"
          ? { exists: true }
          : added(`${String(inputs.role)} for ${who} on ${String(inputs.repository)}`);
    case "gcp:storage/bucketIAMMember:BucketIAMMember":
      return { exists: true }; // buckets.tf iam_members
    default:
      return { exists: false, reason: `${TERRAFORM} holds no ${d.type}` };
  }
}
