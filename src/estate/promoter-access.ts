import type { StackConfig } from "../config";
import { COMPONENT, type EstateBuilder } from "./builder";
import type { PromoterGrantSummary } from "./summary";

/** Name of the component that holds the promoter's production grants. */
export const PROMOTER_NAME = "image-promoter";

const AR_ROOT = /^([a-z0-9-]+)-docker\.pkg\.dev\/([a-z][a-z0-9-]{4,28}[a-z0-9])\/([a-z][a-z0-9-]*)$/;

export function parseRegistryRoot(root: string): { location: string; project: string; repository: string } {
  const m = AR_ROOT.exec(root);
  if (!m) throw new Error(`production registry ${root} is not <location>-docker.pkg.dev/<project>/<repository>`);
  return { location: m[1]!, project: m[2]!, repository: m[3]! };
}

/**
 * The promoter writes the repository of every production root: one grant per
 * root, not per subproject. (Its read access is granted on each staging repository.)
 */
export function declarePromoterAccess(b: EstateBuilder, config: StackConfig): PromoterGrantSummary[] {
  const component = b.component(COMPONENT.promoter, PROMOTER_NAME, { serviceAccount: config.promoterServiceAccount });
  const member = `serviceAccount:${config.promoterServiceAccount}`;
  const role = "roles/artifactregistry.writer";
  return [...config.productionRegistries].sort().map((root) => {
    const { location, project, repository } = parseRegistryRoot(root);
    b.resource(
      "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
      `${root}/${role}/${member}`,
      { project, location, repository, role, member },
      { parent: component },
    );
    return { registry: root, project, location, repository, role, member };
  });
}
