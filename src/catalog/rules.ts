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
  return undefined;
}

export function repositoryIdProblem(id: string): string | undefined {
  if (!/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(id))
    return `repository name "${id}" must be 1 to 63 lowercase letters, digits and hyphens, start with a letter and not end with a hyphen`;
  return undefined;
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

export function imageNameProblem(name: string): string | undefined {
  if (!/^[a-z0-9._-]+(\/[a-z0-9._-]+)*$/.test(name))
    return `image name "${name}" must be lowercase path components of [a-z0-9._-] separated by "/"`;
  return undefined;
}

const EMAIL = /^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
export function emailProblem(email: string): string | undefined {
  return EMAIL.test(email) ? undefined : `"${email}" is not an email address`;
}

const MEMBER_KINDS = ["user", "group", "serviceAccount", "domain", "principal", "principalSet"];
export function memberProblem(member: string): string | undefined {
  if (member === "allUsers" || member === "allAuthenticatedUsers") return undefined;
  const colon = member.indexOf(":");
  const kind = member.slice(0, colon);
  if (colon < 1 || !MEMBER_KINDS.includes(kind) || member.length === colon + 1)
    return `IAM member "${member}" must be "<kind>:<id>" with kind one of ${MEMBER_KINDS.join(", ")}`;
  return undefined;
}

export function roleProblem(role: string): string | undefined {
  if (/^roles\/[A-Za-z0-9_.]+$/.test(role) || /^(projects|organizations)\/[a-z0-9-]+\/roles\/[A-Za-z0-9_.]+$/.test(role))
    return undefined;
  return `role "${role}" must be "roles/<name>" or a custom role "projects/<id>/roles/<name>"`;
}

export function serviceProblem(service: string): string | undefined {
  if (/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(service)) return undefined;
  return `service "${service}" must be an API name such as "compute.googleapis.com"`;
}
