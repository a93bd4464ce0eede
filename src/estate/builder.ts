import { PROJECT } from "../config";
import {
  COMPONENT,
  urnOf,
  type ArgsByType,
  type ComponentDeclaration,
  type ComponentType,
  type Declaration,
  type Ref,
  type ResourceDeclaration,
  type ResourceType,
  type WithRefs,
} from "./declaration";


export interface ResourceOptions {
  parent: ComponentDeclaration;
  protect?: boolean;
  retainOnDelete?: boolean;
  dependsOn?: { urn: string }[];
  /** an explicit provider declaration */
  provider?: { urn: string };
}

/** Collects declarations in creation order; the one place that turns names into URNs. */
export class EstateBuilder {
  private readonly byUrn = new Map<string, Declaration>();
  /** IAM members that are declared here (writers groups): a grant to one waits for it. */
  private readonly declaredMembers = new Map<string, string>();

  constructor(readonly stack: string) {}

  get declarations(): Declaration[] {
    return [...this.byUrn.values()];
  }

  component(type: ComponentType, name: string, inputs: Record<string, string>): ComponentDeclaration {
    const urn = urnOf(this.stack, PROJECT, type, name);
    const decl: ComponentDeclaration = { urn, type, name, parent: null, protect: false, retainOnDelete: false, dependsOn: [], inputs };
    this.add(decl);
    return decl;
  }

  resource<T extends ResourceType>(type: T, name: string, inputs: WithRefs<ArgsByType[T]>, opts: ResourceOptions): ResourceDeclaration & { type: T } {
    const urn = urnOf(this.stack, PROJECT, type, name, opts.parent);
    const existing = this.byUrn.get(urn);
    if (existing) {
      // Additive IAM may be asked for twice (a catalog `iam` entry repeating a default grant): declare it once.
      if (JSON.stringify(existing.inputs) === JSON.stringify(inputs)) return existing as ResourceDeclaration & { type: T };
      throw new Error(`two different declarations share the name ${urn}`);
    }
    const decl = {
      urn,
      type,
      name,
      parent: opts.parent.urn,
      protect: opts.protect ?? false,
      retainOnDelete: opts.retainOnDelete ?? false,
      dependsOn: [...new Set([...(opts.dependsOn ?? []).map((d) => d.urn), ...this.memberDependency(inputs)])].sort(),
      ...(opts.provider ? { provider: opts.provider.urn } : {}),
      inputs,
    } as ResourceDeclaration & { type: T };
    this.add(decl);
    return decl;
  }

  /** Grants to `member` will depend on `decl` (GCP refuses a grant to a group that does not exist yet). */
  declareMember(member: string, decl: { urn: string }): void {
    this.declaredMembers.set(member, decl.urn);
  }

  private memberDependency(inputs: object): string[] {
    const member = (inputs as { member?: unknown }).member;
    const urn = typeof member === "string" ? this.declaredMembers.get(member) : undefined;
    return urn ? [urn] : [];
  }

  get(urn: string): Declaration | undefined {
    return this.byUrn.get(urn);
  }


  private add(decl: Declaration): void {
    if (this.byUrn.has(decl.urn)) throw new Error(`two declarations share the name ${decl.urn}`);
    this.byUrn.set(decl.urn, decl);
  }
}

export function ref(decl: { urn: string }, output: string): Ref {
  return { ref: decl.urn, output };
}

export { COMPONENT };
