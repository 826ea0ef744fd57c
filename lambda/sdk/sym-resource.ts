import { SRN } from './srn.js';

/** What {@link SymResource.dict} returns: plain JSON, as Sym's `SymResource.dict()`. */
export type SymResourceDict = {
  /** The SRN's text. */
  readonly srn: string;
  /** The SRN's slug. */
  readonly name: string;
};

/** Anything Sym names with an SRN. Mirrors Sym's `sym.sdk.resource.SymResource`. */
export class SymResource {
  public readonly srn: SRN;

  /**
   * @param srn the resource's SRN, or its text
   * @throws InvalidSRNError (or a subclass) when `srn` is text that is not a valid SRN
   */
  public constructor(srn: SRN | string) {
    this.srn = typeof srn === 'string' ? SRN.parse(srn) : srn;
  }

  /** The resource's name: its SRN's slug. */
  public get name(): string {
    return this.srn.slug;
  }

  /** The resource as plain JSON. */
  public dict(): SymResourceDict {
    return { srn: this.srn.toString(), name: this.name };
  }
}
