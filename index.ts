// First: stack traces without the loader's source-map lookups (see the module).
import "./src/pulumi/plain-stacks";
import { deployStaging } from "./src/pulumi/program";

// Stack config -> catalog (validated) -> estate (declarations) -> resources.
const { estate } = deployStaging();

/** Per staging project: registry addresses, bucket URLs, writers groups and build accounts. */
export const stagingProjects = Object.fromEntries(
  estate.projects.map((p) => [
    p.id,
    {
      registries: p.registries,
      buckets: p.buckets,
      writersGroups: p.writersGroups,
      builderAccounts: p.builderAccounts,
    },
  ]),
);

/** The promoter's write access: one grant per production registry root. */
export const promoterGrants = estate.promoterGrants;
