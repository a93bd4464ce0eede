import type { StackConfig } from "../config";
import type { EstateBuilder } from "./builder";
import { grantProject, group, type ProjectCore } from "./parts";

/** Release-engineering projects (`release: true`, spec 4.4). */
export function grantRelease(b: EstateBuilder, core: ProjectCore, config: StackConfig): void {
  grantProject(b, core, "roles/viewer", group(config.releaseViewersGroup));
  grantProject(b, core, "roles/artifactregistry.admin", group(config.releaseAdminsGroup));
  grantProject(b, core, "roles/artifactregistry.repoAdmin", group(config.releaseEditorsGroup));
}
