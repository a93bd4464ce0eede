/** What a staging project provides, as exported in the stack outputs and shown in plans. */
export interface RepositorySummary {
  name: string;
  registry: string;
  writersGroup: string;
  builderAccount: string;
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
