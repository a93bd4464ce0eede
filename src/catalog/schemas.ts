import { z } from "zod";
import { strictMap, wholeNumber } from "./decode";

/** One schema per file kind of the catalog; each rejects unknown keys and wrong types. */

const text = z.string();
const textList = z.array(text).nullable().optional();

export const CleanupSchema = strictMap({
  olderThanDays: wholeNumber.optional(),
  dryRun: z.boolean().optional(),
});

export const IamGrantSchema = strictMap({
  role: text,
  members: z.array(text).min(1, { error: "must list at least one member" }),
});

export const RepositoryEntrySchema = strictMap({
  writers: text.optional(),
  writerAccounts: z.array(text).min(1, { error: "must list at least one service account" }).optional(),
  location: text.optional(),
  buildAccount: z.boolean().optional(),
  cleanup: CleanupSchema.optional(),
}).nullable();

export const BucketEntrySchema = strictMap({
  iam: z.array(IamGrantSchema).optional(),
  private: z.boolean().optional(),
  retentionDays: wholeNumber.optional(),
  keepObjects: z.boolean().optional(),
  versioning: z.boolean().optional(),
}).nullable();

export const BuilderAccountSchema = strictMap({
  workloadIdentityPool: text,
  iam: z.array(IamGrantSchema).optional(),
}).nullable();

export const ProjectEntrySchema = strictMap({
  managed_by: text.optional(),
  folderId: text.optional(),
  services: z.array(text).optional(),
  writers: text.optional(),
  release: z.boolean().optional(),
  iam: z.array(IamGrantSchema).optional(),
  gcrIam: z.array(IamGrantSchema).optional(),
  builderAccounts: z.record(text, BuilderAccountSchema).optional(),
  buckets: z.record(text, BucketEntrySchema).optional(),
  buildBucket: z.boolean().optional(),
  repositories: z.record(text, RepositoryEntrySchema).optional(),
  cleanup: CleanupSchema.optional(),
}).nullable();

/** infra.yaml: only `infra.staging` is strict; other sections are tolerated. */
export const InfraFileSchema = strictMap({
  infra: z.looseObject({
    staging: strictMap({
      managed_by: text.optional(),
      projects: z.record(text, ProjectEntrySchema).nullable(),
    }),
  }),
});

export const ImagesSchema = z
  .array(
    strictMap({
      name: text,
      dmap: z.record(text, z.array(text).nullable()),
    }),
  )
  .nullable();

const RegistrySchema = strictMap({
  name: text,
  src: z.boolean().optional(),
  "service-account": text.optional(),
});

/** A thin manifest (`manifests/<dir>/promoter-manifest.yaml`): images live in images.yaml. */
export const ThinManifestSchema = strictMap({
  registries: z.array(RegistrySchema).min(1, { error: "must list the source and the destinations" }),
  imagesPath: text.optional(),
});

/** A plain single-file manifest with its images inline. */
export const PlainManifestSchema = strictMap({
  registries: z.array(RegistrySchema).min(1, { error: "must list the source and the destinations" }),
  images: ImagesSchema,
});

export const GroupSchema = strictMap({
  "email-id": text,
  name: text,
  description: text.optional(),
  settings: z.record(text, text).nullable().optional(),
  owners: textList,
  managers: textList,
  members: textList,
});

export const GroupsFileSchema = strictMap({
  groups: z.array(GroupSchema).nullable().optional(),
  teams: z.array(GroupSchema).nullable().optional(),
});

export const RestrictionsSchema = strictMap({
  restrictions: z.array(
    strictMap({
      path: text,
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
