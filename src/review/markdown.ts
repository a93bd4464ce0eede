import { escapeControl } from "../catalog/problems";
import { shortType } from "./group";
import { showValue, type PlanDiff, type ProjectDiff } from "./diff";
import { totalsLine } from "./render-diff";

/** GitHub refuses comments over 65,536 characters: the details stop before that. */
export const COMMENT_LIMIT = 65_536;
const RESERVE = 600;
/** Lines per project section before it is cut. */
const MAX_LINES_PER_PROJECT = 120;
const MAX_LINE = 300;

const code = (s: string) => "`" + s.replace(/`/g, "'") + "`";
const cut = (s: string) => (s.length > MAX_LINE ? s.slice(0, MAX_LINE - 3) + "..." : s);

function section(p: ProjectDiff): string {
  const lines: string[] = [];
  for (const e of p.entries) {
    const label = `${shortType(e.resource.type)} ${e.resource.name}`;
    if (e.kind === "create") lines.push(cut(`+ ${label}`));
    else if (e.kind === "delete") lines.push(cut(`- ${label}${e.resource.protect ? "  [protected]" : ""}`));
    else {
      lines.push(cut(`! ${label}`));
      for (const c of e.changes) lines.push(cut(`!     ${c.field}: ${showValue(c.old)} -> ${showValue(c.new)}`));
    }
  }
  const shown = lines.slice(0, MAX_LINES_PER_PROJECT);
  if (lines.length > MAX_LINES_PER_PROJECT) shown.push(`# ... ${lines.length - MAX_LINES_PER_PROJECT} more lines: run npm run plan -- --diff locally`);
  return [
    `<details><summary><code>${p.project}</code>: +${p.creates} ~${p.changes} -${p.deletes}</summary>`,
    "",
    "```diff",
    ...shown,
    "```",
    "",
    "</details>",
  ].join("\n");
}

/**
 * A pull-request comment: a summary table, then each project's details in a
 * collapsible section, as many as fit in one GitHub comment.
 */
/** The comment, with every control character of a value or name written visibly; its details stop before `limit` (less what is placed beside it). */
export function renderMarkdown(diff: PlanDiff, title: string, limit: number = COMMENT_LIMIT): string {
  return composeMarkdown(diff, title, limit).split("\n").map(escapeControl).join("\n");
}

function composeMarkdown(diff: PlanDiff, title: string, limit: number): string {
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
  let text = out.join("\n") + "\n";
  let shown = 0;
  for (const p of diff.projects) {
    const s = section(p) + "\n";
    if (text.length + s.length > limit - RESERVE) break;
    text += s;
    shown++;
  }
  const left = diff.projects.length - shown;
  if (left > 0) text += `\n${left} more project${left === 1 ? " is" : "s are"} in the table above; run \`npm run plan -- --diff\` for all details.\n`;
  return text;
}
