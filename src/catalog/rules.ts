/**
 * Value rules shared by every file kind. Each returns what is wrong and what
 * would be right, or undefined when the value is fine.
 *
 * Each rule's regular expression or limit is exported once from here: the
 * Problem function accepts a value that matches it and diagnoses the others,
 * and the zod schemas (schemas.ts) hand the same pattern to the editor JSON
 * Schemas (json-schema.ts), so the two never disagree. Every pattern is valid
 * ECMA-262 both with and without the "u" flag (JSON Schema tools compile with it).
 */

/** `text` as a regular expression that matches exactly it. */
export function literalPattern(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export const STAGING_PREFIX = "k8s-staging-";
export const GROUP_PREFIX = "k8s-infra-staging-";
/** The part of a writers group name after `k8s-infra-staging-`. */
export const GROUP_SUFFIX_MAX = 18;
/** Longest description of a staging writers group. */
export const GROUP_DESCRIPTION_MAX = 300;

/** Project ids as Google Cloud allows them, of staging projects (k8s-staging-<name>). */
export const PROJECT_ID_MIN_LENGTH = 6;
export const PROJECT_ID_MAX_LENGTH = 30;
/** Strings Google Cloud refuses inside a project id. */
export const RESTRICTED_ID_WORDS = ["google", "null", "undefined", "ssl"];
export const PROJECT_ID_PATTERN = new RegExp(
  `^(?=[a-z0-9-]{${PROJECT_ID_MIN_LENGTH},${PROJECT_ID_MAX_LENGTH}}$)(?!.*(?:${RESTRICTED_ID_WORDS.join("|")}))${literalPattern(STAGING_PREFIX)}[a-z0-9-]*[a-z0-9]$`,
);

export function projectIdProblem(id: string): string | undefined {
  if (PROJECT_ID_PATTERN.test(id)) return undefined;
  if (id.length < PROJECT_ID_MIN_LENGTH || id.length > PROJECT_ID_MAX_LENGTH)
    return `project id "${id}" must be ${PROJECT_ID_MIN_LENGTH} to ${PROJECT_ID_MAX_LENGTH} characters long (it has ${id.length})`;
  if (!/^[a-z]/.test(id)) return `project id "${id}" must start with a lowercase letter`;
  if (!/^[a-z0-9-]+$/.test(id)) return `project id "${id}" may only hold lowercase letters, digits and hyphens`;
  if (id.endsWith("-")) return `project id "${id}" must not end with a hyphen`;
  if (!id.startsWith(STAGING_PREFIX) || id.length === STAGING_PREFIX.length)
    return `staging project id "${id}" must start with "${STAGING_PREFIX}" followed by the subproject name`;
  const word = RESTRICTED_ID_WORDS.find((w) => id.includes(w));
  if (word) return `project id "${id}" must not contain "${word}" (Google Cloud refuses such ids); choose another name`;
  return undefined;
}

/** Artifact Registry repositories that serve a `gcr.io` host, and the one location each must be in. */
export const GCR_REPOSITORIES: Record<string, string> = { "gcr.io": "us", "us.gcr.io": "us", "eu.gcr.io": "europe", "asia.gcr.io": "asia" };

export function isGcrRepository(id: string): boolean {
  return Object.prototype.hasOwnProperty.call(GCR_REPOSITORIES, id);
}

/** A repository name (other than the gcr.io ones, GCR_REPOSITORIES). */
export const REPOSITORY_NAME_PATTERN = /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/**
 * A shared project's repository names its build account `<name>-sa`: a name with a "."
 * (the gcr.io ones) or shorter than this cannot, and such a repository sets buildAccount: false.
 */
export const BUILD_ACCOUNT_NAME_MIN_LENGTH = 3;

export function repositoryIdProblem(id: string): string | undefined {
  if (isGcrRepository(id)) return undefined;
  if (!REPOSITORY_NAME_PATTERN.test(id))
    return `repository name "${id}" must be 1 to 63 lowercase letters, digits and hyphens, start with a letter and not end with a hyphen (or one of ${Object.keys(GCR_REPOSITORIES).join(", ")})`;
  return undefined;
}

/** Artifact Registry locations: a region or a multi-region. */
export const MULTI_REGIONS = ["us", "europe", "asia"];
export const LOCATION_PATTERN = new RegExp(`^(?:${MULTI_REGIONS.join("|")}|[a-z]+-[a-z]+[0-9]+)$`);
export function locationProblem(location: string): string | undefined {
  if (LOCATION_PATTERN.test(location)) return undefined;
  return `location "${location}" must be a region such as us-central1 or a multi-region (us, europe, asia)`;
}

export const SERVICE_ACCOUNT_ID_PATTERN = /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/;
export function serviceAccountIdProblem(id: string): string | undefined {
  if (SERVICE_ACCOUNT_ID_PATTERN.test(id)) return undefined;
  return `service account id "${id}" must be 6 to 30 lowercase letters, digits and hyphens, start with a letter and not end with a hyphen`;
}

export const BUCKET_NAME_PATTERN = /^(?!goog)(?!.*google)[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/;
export function bucketNameProblem(name: string): string | undefined {
  if (BUCKET_NAME_PATTERN.test(name)) return undefined;
  return `bucket name "${name}" must be 3 to 63 lowercase letters, digits, "-" and "_", start and end with a letter or digit, and not contain "google"`;
}

export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
export function digestProblem(digest: string): string | undefined {
  if (DIGEST_PATTERN.test(digest)) return undefined;
  if (!digest.startsWith("sha256:")) return `digest "${digest}" must start with "sha256:"`;
  const hex = digest.slice(7);
  if (!/^[0-9a-f]*$/.test(hex)) return `digest "${digest}" must hold only lowercase hex characters after "sha256:"`;
  return `digest "${digest}" must have exactly 64 hex characters after "sha256:" (it has ${hex.length})`;
}

export const TAG_MAX_LENGTH = 128;
export const TAG_PATTERN = new RegExp(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,${TAG_MAX_LENGTH - 1}}$`);
export function tagProblem(tag: string): string | undefined {
  if (TAG_PATTERN.test(tag)) return undefined;
  if (tag === "") return `a tag must not be empty`;
  if (!/^[A-Za-z0-9_]/.test(tag)) return `tag "${tag}" must start with a letter, digit or underscore`;
  if (!/^[A-Za-z0-9_.-]+$/.test(tag)) return `tag "${tag}" may only hold letters, digits, "_", "." and "-"`;
  if (tag.length > TAG_MAX_LENGTH) return `tag "${tag.slice(0, 20)}..." must be at most ${TAG_MAX_LENGTH} characters (it has ${tag.length})`;
  return undefined;
}

/** An OCI distribution path component: lowercase alphanumerics, separated by ".", "_", "__" or runs of "-". */
const OCI_COMPONENT_SOURCE = "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*";
const OCI_COMPONENT = new RegExp(`^${OCI_COMPONENT_SOURCE}$`);

export const IMAGE_NAME_MAX_LENGTH = 255;
/** Path components separated by "/" (at most IMAGE_NAME_MAX_LENGTH characters in all). */
export const IMAGE_NAME_PATTERN = new RegExp(`^${OCI_COMPONENT_SOURCE}(?:/${OCI_COMPONENT_SOURCE})*$`);

export function imageNameProblem(name: string): string | undefined {
  if (name.length <= IMAGE_NAME_MAX_LENGTH && IMAGE_NAME_PATTERN.test(name)) return undefined;
  if (name.length > IMAGE_NAME_MAX_LENGTH) return `image name "${name.slice(0, 40)}..." must be at most ${IMAGE_NAME_MAX_LENGTH} characters (it has ${name.length})`;
  if (!name.split("/").every((c) => OCI_COMPONENT.test(c)))
    return `image name "${name}" must be path components separated by "/", each lowercase letters and digits joined by ".", "_", "__" or "-" (the OCI distribution rules)`;
  return undefined;
}

/** A registry path of a manifest: a host, then path components, no trailing "/" and no empty, "." or ".." component. */
export const REGISTRY_NAME_PATTERN = new RegExp(`^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::[0-9]+)?(?:/${OCI_COMPONENT_SOURCE})*$`);
export function registryNameProblem(name: string): string | undefined {
  if (REGISTRY_NAME_PATTERN.test(name)) return undefined;
  return `registry "${name}" must be a host and path components such as us-central1-docker.pkg.dev/k8s-artifacts-prod/images/foo: lowercase, no trailing "/", no empty, "." or ".." component`;
}

const EMAIL_SOURCE = "[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)+";
export const EMAIL_PATTERN = new RegExp(`^${EMAIL_SOURCE}$`);
export function emailProblem(email: string): string | undefined {
  return EMAIL_PATTERN.test(email) ? undefined : `"${email}" is not an email address`;
}

/**
 * No capital letter: an address that passes EMAIL_PATTERN is ASCII, so this is
 * exactly `address === address.toLowerCase()`, the validator's lowercase rule.
 */
export const NO_CAPITALS_PATTERN = /^[^A-Z]*$/;

/** Suffix of a service account's address. */
export const SERVICE_ACCOUNT_EMAIL_SUFFIX = ".gserviceaccount.com";

/**
 * A writers address that cannot be a staging writers group: `k8s-infra-staging-`
 * and more than GROUP_SUFFIX_MAX characters before the "@" (of the stack's domain,
 * or of another domain, which writers refuses anyway).
 */
export const LONG_GROUP_ADDRESS_PATTERN = new RegExp(`^${literalPattern(GROUP_PREFIX)}[^@]{${GROUP_SUFFIX_MAX + 1},}@`);

const DOMAIN_SOURCE = "[a-z0-9-]+(?:\\.[a-z0-9-]+)+";
const DOMAIN = new RegExp(`^${DOMAIN_SOURCE}$`);
const PRINCIPAL = /^principal(Set)?:\/\/[a-z.]+\.googleapis\.com\/\S+$/;

/** What memberProblem accepts where public access is not allowed (everywhere a catalog grants). */
export const MEMBER_PATTERN = new RegExp(
  `^(?:(?:user|group|serviceAccount):(?![^A-Z]*[A-Z])${EMAIL_SOURCE}|domain:${DOMAIN_SOURCE}|${PRINCIPAL.source.slice(1, -1)})$`,
);

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
  if (MEMBER_PATTERN.test(member)) return undefined;
  const shape = `IAM member "${member}" must be user:, group: or serviceAccount: with an email, domain: with a domain, or a principal:// or principalSet:// identifier`;
  const m = /^(user|group|serviceAccount|domain):(.*)$/.exec(member);
  if (m) {
    const [, kind, id] = m as unknown as [string, string, string];
    if (kind === "domain") return DOMAIN.test(id) ? undefined : `${shape} ("${id}" is not a domain)`;
    if (emailProblem(id)) return `${shape} ("${id}" is not an email address)`;
    if (id !== id.toLowerCase()) return `IAM member "${member}" must be written in lowercase (IAM compares addresses in lowercase)`;
    return undefined;
  }
  if (PRINCIPAL.test(member)) return undefined;
  return shape;
}

const CUSTOM_ROLE = /^(projects|organizations)\/([a-z0-9-]+)\/roles\/[A-Za-z0-9_.]+$/;
const PREDEFINED_ROLE = /^roles\/[A-Za-z0-9_.]+$/;
/** The shape of a role; which custom roles a grant may name depends on where it is (roleProblem's scope). */
export const ROLE_PATTERN = new RegExp(`^(?:${PREDEFINED_ROLE.source.slice(1, -1)}|${CUSTOM_ROLE.source.slice(1, -1)})$`);
/** The role a person cannot be granted on a project (it needs an invitation), and the member kind of a person. */
export const OWNER_ROLE = "roles/owner";
export const PERSON_MEMBER_PREFIX = "user:";

/**
 * A role a project may grant: `roles/<name>`, or a custom role of this project
 * or of the estate's organization. `roles/owner` to a person needs an invitation the API cannot send.
 */
export function roleProblem(role: string, scope?: { projectId: string; organizationId: string; members: string[] }): string | undefined {
  const custom = CUSTOM_ROLE.exec(role);
  if (!PREDEFINED_ROLE.test(role) && !custom)
    return `role "${role}" must be "roles/<name>" or a custom role "projects/<id>/roles/<name>"`;
  if (!scope) return undefined;
  if (custom?.[1] === "projects" && custom[2] !== scope.projectId)
    return `role "${role}" is a custom role of another project; a project can only grant its own custom roles (projects/${scope.projectId}/roles/...)`;
  if (custom?.[1] === "organizations" && custom[2] !== scope.organizationId)
    return `role "${role}" is a custom role of another organization; only organizations/${scope.organizationId}/roles/... can be granted here`;
  const people = scope.members.filter((m) => m.startsWith(PERSON_MEMBER_PREFIX));
  if (role === OWNER_ROLE && people.length > 0)
    return `roles/owner cannot be granted to ${people.join(", ")}: Google Cloud requires an invitation the person accepts; grant it to a group instead`;
  return undefined;
}

/** The shape of a service; REFUSED_SERVICE_NAMES have it but are refused. */
export const SERVICE_PATTERN = /^[a-z][a-z0-9-]*\.googleapis\.com$/;
export function serviceProblem(service: string): string | undefined {
  if (!SERVICE_PATTERN.test(service)) return `service "${service}" must be an API name such as "compute.googleapis.com"`;
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
export const REFUSED_SERVICE_NAMES = Object.keys(REFUSED_SERVICES);

export const FOLDER_ID_PATTERN = /^[0-9]+$/;
/** A GKE workload identity pool: `<project id>.svc.id.goog`. */
export const WORKLOAD_IDENTITY_POOL_PATTERN = /^[a-z][a-z0-9-]{4,28}[a-z0-9]\.svc\.id\.goog$/;
/** The account every dedicated project has (upstream's ensure_staging_gcb): a builder account may not take its id. */
export const IMAGE_BUILDER_ID = "gcb-image-builder";

/** cleanup.olderThanDays and a bucket's retentionDays: whole days, MIN_CLEANUP_DAYS to MAX_CLEANUP_DAYS. */
export const MIN_CLEANUP_DAYS = 1;
export const MAX_CLEANUP_DAYS = 3650;

/**
 * The text of the whole numbers 1 (MIN_CLEANUP_DAYS) to `max` in digits, leading zeros
 * allowed: the validator reads a whole number as `/^[0-9]+$/` (decode.ts) and then its value.
 */
export function wholeNumberUpTo(max: number): RegExp {
  const digits = String(max);
  const n = digits.length;
  const shorter = n > 1 ? [`[1-9][0-9]{0,${n - 2}}`] : [];
  const below = [...digits].flatMap((d, i) => {
    const low = i === 0 ? 1 : 0;
    const high = Number(d) - 1;
    if (high < low) return [];
    const rest = n - i - 1;
    return [`${digits.slice(0, i)}[${low}-${high}]${rest > 1 ? `[0-9]{${rest}}` : rest === 1 ? "[0-9]" : ""}`];
  });
  return new RegExp(`^0*(?:${[...shorter, ...below, digits].join("|")})$`);
}
export const CLEANUP_DAYS_TEXT_PATTERN = wholeNumberUpTo(MAX_CLEANUP_DAYS);
