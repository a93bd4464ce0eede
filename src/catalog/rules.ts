/**
 * Value rules shared by every file kind. Each returns what is wrong and what
 * would be right, or undefined when the value is fine.
 */

export const STAGING_PREFIX = "k8s-staging-";
export const GROUP_PREFIX = "k8s-infra-staging-";
/** The part of a writers group name after `k8s-infra-staging-`. */
export const GROUP_SUFFIX_MAX = 18;

export function projectIdProblem(id: string): string | undefined {
  if (id.length < 6 || id.length > 30) return `project id "${id}" must be 6 to 30 characters long (it has ${id.length})`;
  if (!/^[a-z]/.test(id)) return `project id "${id}" must start with a lowercase letter`;
  if (!/^[a-z0-9-]+$/.test(id)) return `project id "${id}" may only hold lowercase letters, digits and hyphens`;
  if (id.endsWith("-")) return `project id "${id}" must not end with a hyphen`;
  if (!id.startsWith(STAGING_PREFIX) || id.length === STAGING_PREFIX.length)
    return `staging project id "${id}" must start with "${STAGING_PREFIX}" followed by the subproject name`;
  const word = RESTRICTED_ID_WORDS.find((w) => id.includes(w));
  if (word) return `project id "${id}" must not contain "${word}" (Google Cloud refuses such ids); choose another name`;
  return undefined;
}

/** Strings Google Cloud refuses inside a project id. */
const RESTRICTED_ID_WORDS = ["google", "null", "undefined", "ssl"];

/** Artifact Registry repositories that serve a `gcr.io` host, and the one location each must be in. */
export const GCR_REPOSITORIES: Record<string, string> = { "gcr.io": "us", "us.gcr.io": "us", "eu.gcr.io": "europe", "asia.gcr.io": "asia" };

export function isGcrRepository(id: string): boolean {
  return Object.prototype.hasOwnProperty.call(GCR_REPOSITORIES, id);
}

export function repositoryIdProblem(id: string): string | undefined {
  if (isGcrRepository(id)) return undefined;
  if (!/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(id))
    return `repository name "${id}" must be 1 to 63 lowercase letters, digits and hyphens, start with a letter and not end with a hyphen (or one of ${Object.keys(GCR_REPOSITORIES).join(", ")})`;
  return undefined;
}

/** Artifact Registry locations: a region or a multi-region. */
export function locationProblem(location: string): string | undefined {
  if (["us", "europe", "asia"].includes(location) || /^[a-z]+-[a-z]+[0-9]+$/.test(location)) return undefined;
  return `location "${location}" must be a region such as us-central1 or a multi-region (us, europe, asia)`;
}

export function serviceAccountIdProblem(id: string): string | undefined {
  if (/^[a-z]([-a-z0-9]{4,28}[a-z0-9])$/.test(id)) return undefined;
  return `service account id "${id}" must be 6 to 30 lowercase letters, digits and hyphens, start with a letter and not end with a hyphen`;
}

export function bucketNameProblem(name: string): string | undefined {
  if (/^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/.test(name) && !name.startsWith("goog") && !name.includes("google")) return undefined;
  return `bucket name "${name}" must be 3 to 63 lowercase letters, digits, "-" and "_", start and end with a letter or digit, and not contain "google"`;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
export function digestProblem(digest: string): string | undefined {
  if (DIGEST.test(digest)) return undefined;
  if (!digest.startsWith("sha256:")) return `digest "${digest}" must start with "sha256:"`;
  const hex = digest.slice(7);
  if (!/^[0-9a-f]*$/.test(hex)) return `digest "${digest}" must hold only lowercase hex characters after "sha256:"`;
  return `digest "${digest}" must have exactly 64 hex characters after "sha256:" (it has ${hex.length})`;
}

export function tagProblem(tag: string): string | undefined {
  if (tag === "") return `a tag must not be empty`;
  if (!/^[A-Za-z0-9_]/.test(tag)) return `tag "${tag}" must start with a letter, digit or underscore`;
  if (!/^[A-Za-z0-9_.-]+$/.test(tag)) return `tag "${tag}" may only hold letters, digits, "_", "." and "-"`;
  if (tag.length > 128) return `tag "${tag.slice(0, 20)}..." must be at most 128 characters (it has ${tag.length})`;
  return undefined;
}

/** An OCI distribution path component: lowercase alphanumerics, separated by ".", "_", "__" or runs of "-". */
const OCI_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;

export function imageNameProblem(name: string): string | undefined {
  if (name.length > 255) return `image name "${name.slice(0, 40)}..." must be at most 255 characters (it has ${name.length})`;
  if (!name.split("/").every((c) => OCI_COMPONENT.test(c)))
    return `image name "${name}" must be path components separated by "/", each lowercase letters and digits joined by ".", "_", "__" or "-" (the OCI distribution rules)`;
  return undefined;
}

/** A registry path of a manifest: a host, then path components, no trailing "/" and no empty, "." or ".." component. */
export function registryNameProblem(name: string): string | undefined {
  const parts = name.split("/");
  const host = parts[0]!;
  const ok = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?$/.test(host) && parts.slice(1).every((c) => OCI_COMPONENT.test(c));
  if (ok) return undefined;
  return `registry "${name}" must be a host and path components such as us-central1-docker.pkg.dev/k8s-artifacts-prod/images/foo: lowercase, no trailing "/", no empty, "." or ".." component`;
}

const EMAIL = /^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
export function emailProblem(email: string): string | undefined {
  return EMAIL.test(email) ? undefined : `"${email}" is not an email address`;
}

const DOMAIN = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/;

/** People of the bundled example estate: a real stack refuses them wherever they appear. */
export const EXAMPLE_DOMAIN_SUFFIX = "@example.com";
export const EXAMPLE_REFUSAL = "is a person of the bundled example estate; a real stack refuses @example.com members (is catalogRoot pointing at the example catalog?)";

/**
 * An IAM member a catalog may grant to: `user:`, `group:`, `serviceAccount:` with an
 * email, `domain:` with a domain, or a `principal://` / `principalSet://` identifier.
 * `allUsers` / `allAuthenticatedUsers` only where `publicAllowed`.
 */
export function memberProblem(member: string, publicAllowed = false): string | undefined {
  if (member === "allUsers" || member === "allAuthenticatedUsers") {
    return publicAllowed ? undefined : `IAM member "${member}" is not allowed here: public access is only granted by the program, to read staging registries and buckets`;
  }
  const shape = `IAM member "${member}" must be user:, group: or serviceAccount: with an email, domain: with a domain, or a principal:// or principalSet:// identifier`;
  const m = /^(user|group|serviceAccount|domain):(.*)$/.exec(member);
  if (m) {
    const [, kind, id] = m as unknown as [string, string, string];
    if (kind === "domain") return DOMAIN.test(id) ? undefined : `${shape} ("${id}" is not a domain)`;
    if (emailProblem(id)) return `${shape} ("${id}" is not an email address)`;
    if (id !== id.toLowerCase()) return `IAM member "${member}" must be written in lowercase (IAM compares addresses in lowercase)`;
    return undefined;
  }
  if (/^principal(Set)?:\/\/[a-z.]+\.googleapis\.com\/\S+$/.test(member)) return undefined;
  return shape;
}

/**
 * A role a project may grant: `roles/<name>`, or a custom role of this project
 * or of the estate's organization. `roles/owner` to a person needs an invitation the API cannot send.
 */
export function roleProblem(role: string, scope?: { projectId: string; organizationId: string; members: string[] }): string | undefined {
  const custom = /^(projects|organizations)\/([a-z0-9-]+)\/roles\/[A-Za-z0-9_.]+$/.exec(role);
  if (!/^roles\/[A-Za-z0-9_.]+$/.test(role) && !custom)
    return `role "${role}" must be "roles/<name>" or a custom role "projects/<id>/roles/<name>"`;
  if (!scope) return undefined;
  if (custom?.[1] === "projects" && custom[2] !== scope.projectId)
    return `role "${role}" is a custom role of another project; a project can only grant its own custom roles (projects/${scope.projectId}/roles/...)`;
  if (custom?.[1] === "organizations" && custom[2] !== scope.organizationId)
    return `role "${role}" is a custom role of another organization; only organizations/${scope.organizationId}/roles/... can be granted here`;
  const people = scope.members.filter((m) => m.startsWith("user:"));
  if (role === "roles/owner" && people.length > 0)
    return `roles/owner cannot be granted to ${people.join(", ")}: Google Cloud requires an invitation the person accepts; grant it to a group instead`;
  return undefined;
}

export function serviceProblem(service: string): string | undefined {
  if (!/^[a-z][a-z0-9-]*\.googleapis\.com$/.test(service)) return `service "${service}" must be an API name such as "compute.googleapis.com"`;
  const refused = Object.prototype.hasOwnProperty.call(REFUSED_SERVICES, service) ? REFUSED_SERVICES[service] : undefined;
  if (refused) return `service "${service}" ${refused}`;
  return undefined;
}

/**
 * Services the Google provider refuses or never stores (terraform-provider-google,
 * google/services/resourcemanager/resource_google_project_service.go: bannedProjectServices, ignoredProjectServices).
 */
const REFUSED_SERVICES: Record<string, string> = {
  "bigquery-json.googleapis.com": 'is refused by the Google provider (renamed); use "bigquery.googleapis.com"',
  "dataproc-control.googleapis.com": "is only enabled as a side effect of another service; the Google provider does not manage it",
  "source.googleapis.com": "is only enabled as a side effect of another service; the Google provider does not manage it",
  "stackdriverprovisioning.googleapis.com": "is only enabled as a side effect of another service; the Google provider does not manage it",
};

export const MAX_CLEANUP_DAYS = 3650;
