/** What a staging project provides, as exported in the stack outputs and shown in plans. */
export interface RepositorySummary {
  name: string;
  registry: string;
  /** absent when service accounts push instead of a group */
  writersGroup?: string;
  writerAccounts: string[];
  /** absent when the repository has no build account */
  builderAccount?: string;
  cleanupDays: number;
  cleanupDryRun: boolean;
}

export interface ProjectSummary {
  id: string;
  kind: "dedicated" | "shared";
  component: string;
  registries: string[];
  buckets: string[];
  writersGroups: string[];
  builderAccounts: string[];
  /** shared projects: one entry per repository */
  repositories: RepositorySummary[];
}

export interface PromoterGrantSummary {
  registry: string;
  project: string;
  location: string;
  repository: string;
  role: string;
  member: string;
}
