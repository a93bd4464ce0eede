import { z } from "zod";
import { strictMap, wholeNumber } from "./decode";
import {
  BUCKET_NAME_PATTERN,
  BUILD_ACCOUNT_NAME_MIN_LENGTH,
  CLEANUP_DAYS_TEXT_PATTERN,
  DIGEST_PATTERN,
  EMAIL_PATTERN,
  FOLDER_ID_PATTERN,
  GCR_REPOSITORIES,
  GROUP_DESCRIPTION_MAX,
  GROUP_PREFIX,
  GROUP_SUFFIX_MAX,
  IMAGE_BUILDER_ID,
  IMAGE_NAME_MAX_LENGTH,
  IMAGE_NAME_PATTERN,
  literalPattern,
  LOCATION_PATTERN,
  LONG_GROUP_ADDRESS_PATTERN,
  MAX_CLEANUP_DAYS,
  MEMBER_PATTERN,
  MIN_CLEANUP_DAYS,
  NO_CAPITALS_PATTERN,
  OWNER_ROLE,
  PERSON_MEMBER_PREFIX,
  PROJECT_ID_MAX_LENGTH,
  PROJECT_ID_PATTERN,
  REFUSED_SERVICE_NAMES,
  REGISTRY_NAME_PATTERN,
  REPOSITORY_NAME_PATTERN,
  ROLE_PATTERN,
  SERVICE_ACCOUNT_EMAIL_SUFFIX,
  SERVICE_ACCOUNT_ID_PATTERN,
  SERVICE_PATTERN,
  TAG_MAX_LENGTH,
  TAG_PATTERN,
  WORKLOAD_IDENTITY_POOL_PATTERN,
} from "./rules";

/**
 * One schema per file kind of the catalog; each rejects unknown keys and wrong types.
 *
 * The value rules themselves are checked by the Problem functions of rules.ts, with
 * their own messages; `.meta()` hands the same patterns and limits to z.toJSONSchema
 * only (json-schema.ts), so the editor schemas flag what the validator would,
 * while parsing and its messages stay as they are.
 */

const text = z.string();
/**
 * A YAML number in the editor: the reader keeps every scalar as the text written
 * (`1.10` stays "1.10"), while an editor's YAML parser makes `1.10` the number 1.1,
 * so wherever such text can be right the editor schemas accept a number too. Its
 * spelling is lost, so they cannot check it, except that a negative number was
 * written with a "-", which no tag, image name or registry starts with.
 */
const NUMBER_TEXT = { type: ["string", "number"], minimum: 0 };
/** Free text: any scalar but true, false and null. */
const freeText = z.string().meta({ type: ["string", "number"] });
const textList = z.array(freeText).nullable().optional();

/** Where the validator checks more than a schema can see. */
const VALIDATE_ONLY = "npm run validate also checks";

/** The value rules as JSON Schema, one per kind of value. */
export const VALUE_SCHEMAS = {
  digest: text.meta({ pattern: DIGEST_PATTERN.source, description: 'A digest: "sha256:" and 64 lowercase hex characters.' }),
  tag: text.meta({
    ...NUMBER_TEXT,
    pattern: TAG_PATTERN.source,
    maxLength: TAG_MAX_LENGTH,
    description: `A tag: letters, digits, "_", "." and "-", starting with a letter, digit or "_", at most ${TAG_MAX_LENGTH} characters.`,
  }),
  imageName: text.meta({
    ...NUMBER_TEXT,
    pattern: IMAGE_NAME_PATTERN.source,
    maxLength: IMAGE_NAME_MAX_LENGTH,
    description: `An image name: path components separated by "/", each lowercase letters and digits joined by ".", "_", "__" or "-" (OCI), at most ${IMAGE_NAME_MAX_LENGTH} characters.`,
  }),
  registryName: text.meta({
    ...NUMBER_TEXT,
    pattern: REGISTRY_NAME_PATTERN.source,
    description: `A registry: a lowercase host (and :port), then path components; no trailing "/". ${VALIDATE_ONLY} that each destination is under a production registry root of the stack.`,
  }),
  projectId: text.meta({
    pattern: PROJECT_ID_PATTERN.source,
    maxLength: PROJECT_ID_MAX_LENGTH,
    description: `A staging project id: k8s-staging-<name>, lowercase letters, digits and hyphens, not ending with a hyphen, at most ${PROJECT_ID_MAX_LENGTH} characters, without the words Google Cloud refuses (google, null, undefined, ssl).`,
  }),
  repositoryName: text.meta({
    anyOf: [{ pattern: REPOSITORY_NAME_PATTERN.source }, { enum: Object.keys(GCR_REPOSITORIES) }],
    description: `An Artifact Registry repository: 1 to 63 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen, or one of ${Object.keys(GCR_REPOSITORIES).join(", ")}.`,
  }),
  location: text.meta({
    pattern: LOCATION_PATTERN.source,
    description: "A region such as us-central1, or a multi-region (us, europe, asia).",
  }),
  bucketName: text.meta({
    pattern: BUCKET_NAME_PATTERN.source,
    description: 'A bucket name: 3 to 63 lowercase letters, digits, "-" and "_", starting and ending with a letter or digit, not starting with "goog" nor containing "google".',
  }),
  serviceAccountId: text.meta({
    pattern: SERVICE_ACCOUNT_ID_PATTERN.source,
    not: { const: IMAGE_BUILDER_ID },
    description: `A service account id: 6 to 30 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen; not ${IMAGE_BUILDER_ID} (the project's own image builder).`,
  }),
  workloadIdentityPool: text.meta({
    pattern: WORKLOAD_IDENTITY_POOL_PATTERN.source,
    description: "A workload identity pool: <project id>.svc.id.goog, such as k8s-infra-prow-build.svc.id.goog.",
  }),
  service: text.meta({
    pattern: SERVICE_PATTERN.source,
    not: { enum: REFUSED_SERVICE_NAMES },
    description: `An API name such as compute.googleapis.com; not ${REFUSED_SERVICE_NAMES.join(", ")} (the Google provider refuses or never stores them).`,
  }),
  folderId: text.meta({
    type: ["integer", "string"],
    minimum: 0,
    pattern: FOLDER_ID_PATTERN.source,
    description: "A numeric folder id, written in plain digits.",
  }),
  role: text.meta({
    pattern: ROLE_PATTERN.source,
    description: `A role: roles/<name>, or a custom role projects/<id>/roles/<name> or organizations/<id>/roles/<name>. ${VALIDATE_ONLY} that a custom role is of this project or of the stack's organization.`,
  }),
  member: text.meta({
    pattern: MEMBER_PATTERN.source,
    description: `An IAM member: user:, group: or serviceAccount: with a lowercase email, domain: with a domain, or a principal:// or principalSet:// identifier. ${VALIDATE_ONLY} that a real stack grants nothing to @example.com.`,
  }),
  email: text.meta({ pattern: EMAIL_PATTERN.source, description: "An email address." }),
  writers: text.meta({
    pattern: EMAIL_PATTERN.source,
    allOf: [{ pattern: NO_CAPITALS_PATTERN.source }, { not: { pattern: LONG_GROUP_ADDRESS_PATTERN.source } }],
    description: `The group that pushes, in lowercase; a ${GROUP_PREFIX} group has at most ${GROUP_SUFFIX_MAX} characters after the prefix. ${VALIDATE_ONLY} that it is of the stack's domain and that groups.yaml lists it.`,
  }),
  writerAccount: text.meta({
    pattern: EMAIL_PATTERN.source,
    allOf: [{ pattern: `${literalPattern(SERVICE_ACCOUNT_EMAIL_SUFFIX)}$` }],
    description: `A service account that pushes (…${SERVICE_ACCOUNT_EMAIL_SUFFIX}).`,
  }),
  days: wholeNumber.meta({
    type: ["integer", "string"],
    minimum: MIN_CLEANUP_DAYS,
    maximum: MAX_CLEANUP_DAYS,
    pattern: CLEANUP_DAYS_TEXT_PATTERN.source,
    description: `Whole days, ${MIN_CLEANUP_DAYS} to ${MAX_CLEANUP_DAYS}, written in plain digits.`,
  }),
};
const V = VALUE_SCHEMAS;

export const CleanupSchema = strictMap({
  olderThanDays: V.days.optional(),
  dryRun: z.boolean().optional(),
});

export const IamGrantSchema = strictMap({
  role: V.role,
  members: z.array(V.member).min(1, { error: "must list at least one member" }),
});

/** A grant on the project itself: roles/owner cannot go to a person. */
const ProjectIamGrantSchema = IamGrantSchema.meta({
  if: { required: ["role"], properties: { role: { type: "string", const: OWNER_ROLE } } },
  then: {
    properties: {
      members: {
        type: "array",
        items: { type: "string", not: { pattern: `^${literalPattern(PERSON_MEMBER_PREFIX)}` } },
        description: `${OWNER_ROLE} cannot be granted to a person (${PERSON_MEMBER_PREFIX}): it needs an invitation; grant it to a group.`,
      },
    },
  },
});

export const RepositoryEntrySchema = strictMap({
  writers: V.writers.optional(),
  writerAccounts: z.array(V.writerAccount).min(1, { error: "must list at least one service account" }).optional(),
  location: V.location.optional(),
  buildAccount: z.boolean().optional(),
  cleanup: CleanupSchema.optional(),
}).nullable();

export const BucketEntrySchema = strictMap({
  iam: z.array(IamGrantSchema).optional(),
  private: z.boolean().optional(),
  retentionDays: V.days.optional(),
  keepObjects: z.boolean().optional(),
  versioning: z.boolean().optional(),
}).nullable();

export const BuilderAccountSchema = strictMap({
  workloadIdentityPool: V.workloadIdentityPool,
  iam: z.array(IamGrantSchema).optional(),
}).nullable();

/**
 * Rules of a repository that hang on its name: a build account is named after the
 * repository, a gcr.io repository has one location, and a repository without writers
 * gets the group k8s-infra-staging-<name>, whose name has a length limit.
 */
const REPOSITORY_NAME_RULES = {
  allOf: [
    {
      patternProperties: {
        [`\\.|^[\\s\\S]{0,${BUILD_ACCOUNT_NAME_MIN_LENGTH - 1}}$`]: {
          type: "object",
          required: ["buildAccount"],
          properties: { buildAccount: { type: "boolean", const: false } },
          description: `A repository whose name holds a "." or is shorter than ${BUILD_ACCOUNT_NAME_MIN_LENGTH} characters cannot name a build account: set buildAccount: false.`,
        },
        ...Object.fromEntries(
          Object.entries(GCR_REPOSITORIES).map(([repo, location]) => [
            `^${literalPattern(repo)}$`,
            { type: ["object", "null"], properties: { location: { type: "string", const: location } } },
          ]),
        ),
        [`^[\\s\\S]{${GROUP_SUFFIX_MAX + 1},}$`]: {
          type: "object",
          anyOf: [
            { required: ["writers"], properties: { writers: { type: "string" } } },
            { required: ["writerAccounts"], properties: { writerAccounts: { type: "array" } } },
          ],
          description: `A repository name longer than ${GROUP_SUFFIX_MAX} characters makes too long a default writers group (${GROUP_PREFIX}<name>): set writers or writerAccounts.`,
        },
      },
    },
  ],
};

export const ProjectEntrySchema = strictMap({
  managed_by: freeText.optional(),
  folderId: V.folderId.optional(),
  services: z.array(V.service).optional(),
  writers: V.writers.optional(),
  release: z.boolean().optional(),
  iam: z.array(ProjectIamGrantSchema).optional(),
  gcrIam: z.array(IamGrantSchema).optional(),
  builderAccounts: z.record(V.serviceAccountId, BuilderAccountSchema).optional(),
  buckets: z.record(V.bucketName, BucketEntrySchema).optional(),
  buildBucket: z.boolean().optional(),
  repositories: z.record(V.repositoryName, RepositoryEntrySchema).meta(REPOSITORY_NAME_RULES).optional(),
  cleanup: CleanupSchema.optional(),
}).nullable();

/** infra.yaml: only `infra.staging` is strict; other sections are tolerated. */
export const InfraFileSchema = strictMap({
  infra: z.looseObject({
    staging: strictMap({
      managed_by: freeText.optional(),
      projects: z.record(V.projectId, ProjectEntrySchema).nullable(),
    }),
  }),
});

export const ImagesSchema = z
  .array(
    strictMap({
      name: V.imageName,
      dmap: z.record(V.digest, z.array(V.tag).nullable()),
    }),
  )
  .nullable();

const RegistrySchema = strictMap({
  name: V.registryName,
  src: z.boolean().optional(),
  "service-account": freeText.meta({ description: `${VALIDATE_ONLY} that it is the stack's promoter account.` }).optional(),
});

/** The source and the destinations: exactly one registry says src: true. */
const RegistriesSchema = z.array(RegistrySchema).min(1, { error: "must list the source and the destinations" }).meta({
  contains: { type: "object", required: ["src"], properties: { src: { type: "boolean", const: true } } },
  minContains: 1,
  maxContains: 1,
  description: `Exactly one registry has src: true. ${VALIDATE_ONLY} that the destinations cover every production registry root of the stack, once.`,
});

/** A thin manifest (`manifests/<dir>/promoter-manifest.yaml`): images live in images.yaml. */
export const ThinManifestSchema = strictMap({
  registries: RegistriesSchema,
  imagesPath: freeText.optional(),
});

/** A plain single-file manifest with its images inline. */
export const PlainManifestSchema = strictMap({
  registries: RegistriesSchema,
  images: ImagesSchema,
});

export const GroupSchema = strictMap({
  "email-id": freeText,
  name: freeText,
  description: freeText.optional(),
  settings: z.record(text, freeText).nullable().optional(),
  owners: textList,
  managers: textList,
  members: textList,
});

/** A manager or member of a staging writers group: an email in lowercase. */
const PERSON_ADDRESS = {
  type: "string",
  pattern: EMAIL_PATTERN.source,
  allOf: [{ pattern: NO_CAPITALS_PATTERN.source }],
  description: `An email address in lowercase. ${VALIDATE_ONLY} that a real stack lists nobody at @example.com and that no one is listed twice, in any case.`,
};

/** Only groups named k8s-infra-staging-* (staging writers groups) are checked; all others pass as they are. */
const STAGING_GROUP_RULES = {
  if: { required: ["name"], properties: { name: { type: "string", pattern: `^${literalPattern(GROUP_PREFIX)}` } } },
  then: {
    required: ["settings"],
    properties: {
      name: {
        type: "string",
        pattern: `^${literalPattern(GROUP_PREFIX)}[\\s\\S]{1,${GROUP_SUFFIX_MAX}}$`,
        description: `A staging writers group has 1 to ${GROUP_SUFFIX_MAX} characters after ${GROUP_PREFIX}. ${VALIDATE_ONLY} that email-id is the name at the stack's domain and that groups/restrictions.yaml allows it in this file.`,
      },
      description: { type: ["string", "number"], maxLength: GROUP_DESCRIPTION_MAX },
      owners: { type: ["array", "null"], maxItems: 0, description: "A staging writers group has no owners: list them as managers." },
      managers: { type: ["array", "null"], items: PERSON_ADDRESS, uniqueItems: true },
      members: { type: ["array", "null"], items: PERSON_ADDRESS, uniqueItems: true },
      settings: { type: "object", required: ["ReconcileMembers"], properties: { ReconcileMembers: { type: "string", const: "true" } } },
    },
  },
};

export const GroupsFileSchema = strictMap({
  groups: z.array(GroupSchema.meta(STAGING_GROUP_RULES)).nullable().optional(),
  /** Not read by the groups reconciler (a warning), so not checked either. */
  teams: z.array(GroupSchema).nullable().optional(),
});

export const RestrictionsSchema = strictMap({
  restrictions: z.array(
    strictMap({
      path: freeText,
      allowedGroups: textList,
    }),
  ),
});

const OwnersFilterSchema = strictMap({
  approvers: textList,
  reviewers: textList,
  required_reviewers: textList,
  labels: textList,
});

export const OwnersSchema = strictMap({
  approvers: textList,
  reviewers: textList,
  required_reviewers: textList,
  emeritus_approvers: textList,
  emeritus_reviewers: textList,
  labels: textList,
  options: strictMap({
    no_parent_owners: z.boolean().optional(),
    auto_approve_unowned_subfolders: z.boolean().optional(),
  }).optional(),
  filters: z.record(text, OwnersFilterSchema).optional(),
}).nullable();
