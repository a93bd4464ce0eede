import { shortType } from "./group";
import { showValue, type PlanDiff } from "./diff";
import { totalsLine } from "./render-diff";

/** Lines per project section before it is cut: GitHub comments stop at 65,536 characters. */
const MAX_LINES_PER_PROJECT = 120;
const MAX_PROJECT_SECTIONS = 150;

const code = (s: string) => "`" + s.replace(/`/g, "'") + "`";

/** A pull-request comment: a summary table, then each project's details in a collapsible section. */
export function renderMarkdown(diff: PlanDiff, title: string): string {
  const out: string[] = [`### ${title}`, ""];
  if (diff.protectedDeletes.length) {
    out.push(`> [!CAUTION]`, `> This change deletes ${diff.protectedDeletes.length} protected resource(s); it cannot be applied as is:`);
    for (const e of diff.protectedDeletes.slice(0, 20)) out.push(`> - ${code(shortType(e.resource.type))} ${code(e.resource.name)}`);
    if (diff.protectedDeletes.length > 20) out.push(`> - ... and ${diff.protectedDeletes.length - 20} more`);
    out.push("");
  }
  if (diff.projects.length === 0) {
    out.push("No changes to the staging estate.");
    return out.join("\n") + "\n";
  }
  out.push(totalsLine(diff), "", "| staging project | creates | changes | deletes |", "|---|---:|---:|---:|");
  for (const p of diff.projects) out.push(`| ${code(p.project)} | ${p.creates || ""} | ${p.changes || ""} | ${p.deletes ? `**${p.deletes}**` : ""} |`);
  out.push("");
  for (const p of diff.projects.slice(0, MAX_PROJECT_SECTIONS)) {
    out.push(`<details><summary><code>${p.project}</code>: +${p.creates} ~${p.changes} -${p.deletes}</summary>`, "", "```diff");
    const lines: string[] = [];
    for (const e of p.entries) {
      const label = `${shortType(e.resource.type)} ${e.resource.name}`;
      if (e.kind === "create") lines.push(`+ ${label}`);
      else if (e.kind === "delete") lines.push(`- ${label}${e.resource.protect ? "  [protected]" : ""}`);
      else {
        lines.push(`! ${label}`);
        for (const c of e.changes) lines.push(`!     ${c.field}: ${showValue(c.old)} -> ${showValue(c.new)}`);
      }
    }
    out.push(...lines.slice(0, MAX_LINES_PER_PROJECT));
    if (lines.length > MAX_LINES_PER_PROJECT) out.push(`# ... ${lines.length - MAX_LINES_PER_PROJECT} more lines: run npm run plan -- --diff locally`);
    out.push("```", "", "</details>");
  }
  if (diff.projects.length > MAX_PROJECT_SECTIONS)
    out.push("", `${diff.projects.length - MAX_PROJECT_SECTIONS} more projects are in the table above; run \`npm run plan -- --diff\` for all details.`);
  return out.join("\n") + "\n";
}
