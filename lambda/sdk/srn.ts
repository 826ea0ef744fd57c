import {
  InvalidSRNError,
  InvalidSlugError,
  InvalidVersionError,
  MissingComponentError,
  TrailingSeparatorError,
  type SRNPart,
} from './errors.js';

/** The parts of an SRN, as given to {@link SRN.of} and {@link SRN.copy}. */
export interface SRNParts {
  /** The organisation, e.g. `acme` (Sym's `organization`). */
  readonly org: string;
  /** What kind of resource, e.g. `flow`, `access_target`. */
  readonly model: string;
  /**
   * Sub-kind, e.g. `aws_lambda_function`. Required by the models in
   * {@link SRN.MODELS_WITH_TYPE}, forbidden by every other model.
   * @default - none (allowed only for models outside SRN.MODELS_WITH_TYPE)
   */
  readonly type?: string;
  /** The resource's name. */
  readonly slug: string;
  /** `latest` or `N.N.N`, each N 1-3 digits. */
  readonly version: string;
  /**
   * Names one instance of the resource, e.g. a target's id.
   * @default - none
   */
  readonly identifier?: string;
}

const SEPARATOR = ':';
// Same set as ^[a-zA-Z0-9-_]+$ in DESIGN.md; `-` last so it cannot read as a range.
const PART_PATTERN = /^[a-zA-Z0-9_-]+$/;
const VERSION_PATTERN = /^(?:latest|\d{1,3}\.\d{1,3}\.\d{1,3})$/i;
const LAYOUT = '<org>:<model>[:<type>]:<slug>:<version>[:<identifier>]';
const LAYOUT_WITH_TYPE = '<org>:<model>:<type>:<slug>:<version>[:<identifier>]';
const LAYOUT_WITHOUT_TYPE = '<org>:<model>:<slug>:<version>[:<identifier>]';

/**
 * A Sym Resource Name: `<org>:<model>[:<type>]:<slug>:<version>[:<identifier>]`, e.g.
 * `acme:flow:prod-access:latest` or
 * `acme:access_target:aws_lambda_function:prod-db:1.0.0:arn-part`.
 *
 * SRNs are case-insensitive. An SRN keeps the text it was given (so `toString()` and the
 * getters return what the user wrote) and {@link equals} compares case-insensitively;
 * use {@link normalized} as a map key so look-ups agree with `equals`.
 *
 * Immutable: {@link copy} returns a new, validated SRN.
 */
export class SRN {
  /** Models whose SRNs have a type part; every other model's SRNs must not. */
  public static readonly MODELS_WITH_TYPE: ReadonlySet<string> = new Set([
    'access_strategy',
    'access_target',
    'user',
    'secret',
    'secrets',
    'integration',
    'log_destination',
  ]);

  /**
   * Parses `text`.
   *
   * @throws TrailingSeparatorError when it ends with `:`
   * @throws MissingComponentError when it has fewer than 4 parts, an empty part, or no
   *   type for a model that requires one
   * @throws InvalidSlugError when a part other than the version has other characters than `[a-zA-Z0-9-_]`
   * @throws InvalidVersionError when the version is neither `latest` nor `N.N.N`
   * @throws InvalidSRNError when it has too many parts
   */
  public static parse(text: string): SRN {
    if (typeof text !== 'string') {
      throw new InvalidSRNError(String(text), undefined, `an SRN must be a string, got ${typeof text}`);
    }
    if (text === '') throw new MissingComponentError(text, 'org', `it is empty; expected ${LAYOUT}`);
    if (text.endsWith(SEPARATOR)) throw new TrailingSeparatorError(text);

    const parts = text.split(SEPARATOR);
    const [org = '', model = ''] = parts;
    // The org and model are checked first: the model decides how the rest is laid out.
    checkPart(text, 'org', org);
    if (parts.length < 2) throw tooFew(text, parts.length, 'model');
    checkPart(text, 'model', model);
    const withType = SRN.requiresType(model);

    if (parts.length < 4) {
      const layout: readonly SRNPart[] = withType ? ['org', 'model', 'type', 'slug', 'version'] : ['org', 'model', 'slug', 'version'];
      throw tooFew(text, parts.length, layout[parts.length]!);
    }
    if (withType) {
      if (parts.length === 4) {
        throw new MissingComponentError(text, 'type', `model "${model}" requires a type part: ${LAYOUT_WITH_TYPE}`);
      }
      if (parts.length > 6) {
        throw new InvalidSRNError(text, undefined, `it has ${parts.length} parts; model "${model}" takes at most 6: ${LAYOUT_WITH_TYPE}`);
      }
      const [, , type, slug, version, identifier] = parts as [string, string, string, string, string, string?];
      return SRN.validated(text, { org, model, type, slug, version, ...(identifier === undefined ? {} : { identifier }) });
    }
    if (parts.length > 5) {
      throw new InvalidSRNError(text, undefined, `it has ${parts.length} parts; model "${model}" takes no type part, so at most 5: ${LAYOUT_WITHOUT_TYPE}`);
    }
    const [, , slug, version, identifier] = parts as [string, string, string, string, string?];
    return SRN.validated(text, { org, model, slug, version, ...(identifier === undefined ? {} : { identifier }) });
  }

  /**
   * Builds an SRN from its parts, validated as {@link parse} validates text.
   *
   * @throws InvalidSRNError (or a subclass) naming the wrong part
   */
  public static of(parts: SRNParts): SRN {
    return SRN.validated(compose(parts), parts);
  }

  /** Whether SRNs of `model` have a type part (compared case-insensitively). */
  public static requiresType(model: string): boolean {
    return SRN.MODELS_WITH_TYPE.has(model.toLowerCase());
  }

  private static validated(text: string, parts: SRNParts): SRN {
    checkPart(text, 'org', parts.org);
    checkPart(text, 'model', parts.model);
    const withType = SRN.requiresType(parts.model);
    if (withType && parts.type === undefined) {
      throw new MissingComponentError(text, 'type', `model "${parts.model}" requires a type part: ${LAYOUT_WITH_TYPE}`);
    }
    if (!withType && parts.type !== undefined) {
      throw new InvalidSRNError(text, 'type', `model "${parts.model}" takes no type part, got type ${JSON.stringify(parts.type)}: ${LAYOUT_WITHOUT_TYPE}`);
    }
    if (parts.type !== undefined) checkPart(text, 'type', parts.type);
    checkPart(text, 'slug', parts.slug);
    if (parts.version === undefined || parts.version === '') {
      throw new MissingComponentError(text, 'version', `version is ${parts.version === undefined ? 'missing' : 'empty'}; expected "latest" or N.N.N`);
    }
    if (typeof parts.version !== 'string' || !VERSION_PATTERN.test(parts.version)) {
      throw new InvalidVersionError(text, String(parts.version), misplacedVersionHint(parts, withType));
    }
    if (parts.identifier !== undefined) checkPart(text, 'identifier', parts.identifier);
    const { org, model, type, slug, version, identifier } = parts;
    return new SRN({ org, model, slug, version, ...(type === undefined ? {} : { type }), ...(identifier === undefined ? {} : { identifier }) });
  }

  private constructor(private readonly parts: SRNParts) {}

  public get org(): string {
    return this.parts.org;
  }

  public get model(): string {
    return this.parts.model;
  }

  /** The type part; `undefined` for models that have none. */
  public get type(): string | undefined {
    return this.parts.type;
  }

  public get slug(): string {
    return this.parts.slug;
  }

  public get version(): string {
    return this.parts.version;
  }

  /** The identifier part; `undefined` when absent. */
  public get identifier(): string | undefined {
    return this.parts.identifier;
  }

  /** The lower-case text: a map key that agrees with {@link equals}. */
  public get normalized(): string {
    return this.toString().toLowerCase();
  }

  /** The SRN as written, e.g. `acme:flow:prod-access:latest`. */
  public toString(): string {
    return compose(this.parts);
  }

  /** So `JSON.stringify` writes the SRN as its text. */
  public toJSON(): string {
    return this.toString();
  }

  /**
   * Whether `other` names the same resource, ignoring case. A string that is not a valid
   * SRN is simply not equal (validity does not depend on case, so no parse is needed).
   */
  public equals(other: SRN | string): boolean {
    const text = typeof other === 'string' ? other : other instanceof SRN ? other.toString() : undefined;
    return text !== undefined && text.toLowerCase() === this.normalized;
  }

  /**
   * A new SRN with `changes` applied, validated. Pass `type: undefined` or
   * `identifier: undefined` to drop that part.
   *
   * @throws InvalidSRNError (or a subclass) when the result is not a valid SRN
   */
  public copy(changes: Partial<SRNParts> = {}): SRN {
    return SRN.of({ ...this.parts, ...changes });
  }
}

function compose(parts: SRNParts): string {
  return [parts.org, parts.model, parts.type, parts.slug, parts.version, parts.identifier]
    .filter((part) => part !== undefined)
    .join(SEPARATOR);
}

function checkPart(text: string, part: Exclude<SRNPart, 'version'>, value: string | undefined): void {
  if (value === undefined || value === '') {
    throw new MissingComponentError(text, part, `${part} is ${value === undefined ? 'missing' : 'empty'}; expected ${LAYOUT}`);
  }
  if (typeof value !== 'string' || !PART_PATTERN.test(value)) {
    throw new InvalidSlugError(text, part, String(value));
  }
}

function tooFew(text: string, count: number, missing: SRNPart): MissingComponentError {
  return new MissingComponentError(text, missing, `it has ${count} part${count === 1 ? '' : 's'}, at least 4 are needed: ${LAYOUT}`);
}

/**
 * The commonest bad version is a valid one shifted by a type part added to a model that
 * takes none (or left out of one that needs one); say so when the neighbour is a version.
 */
function misplacedVersionHint(parts: SRNParts, withType: boolean): string | undefined {
  if (!withType && parts.identifier !== undefined && VERSION_PATTERN.test(parts.identifier)) {
    return `model "${parts.model}" takes no type part: ${LAYOUT_WITHOUT_TYPE}`;
  }
  if (withType && VERSION_PATTERN.test(parts.slug) && parts.identifier === undefined) {
    return `model "${parts.model}" requires a type part: ${LAYOUT_WITH_TYPE}`;
  }
  return undefined;
}
