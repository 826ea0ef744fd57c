import { describe, it, expect } from 'vitest';
import { SRN } from '../../lambda/sdk/srn.js';
import {
  InvalidSRNError,
  InvalidSlugError,
  InvalidVersionError,
  LambdaEscalationError,
  MissingComponentError,
  TrailingSeparatorError,
} from '../../lambda/sdk/errors.js';

/** Calls `fn`, expecting it to throw; returns what it threw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('SRN.parse: valid forms', () => {
  it('parses a model without a type part', () => {
    const srn = SRN.parse('acme:flow:prod-access:latest');
    expect(srn.org).toBe('acme');
    expect(srn.model).toBe('flow');
    expect(srn.type).toBeUndefined();
    expect(srn.slug).toBe('prod-access');
    expect(srn.version).toBe('latest');
    expect(srn.identifier).toBeUndefined();
    expect(srn.toString()).toBe('acme:flow:prod-access:latest');
  });

  it('parses a model without a type part, with an identifier', () => {
    const srn = SRN.parse('acme:flow:prod-access:1.0.0:run_42');
    expect(srn.type).toBeUndefined();
    expect(srn.slug).toBe('prod-access');
    expect(srn.version).toBe('1.0.0');
    expect(srn.identifier).toBe('run_42');
    expect(srn.toString()).toBe('acme:flow:prod-access:1.0.0:run_42');
  });

  it('parses a model with a type part', () => {
    const srn = SRN.parse('acme:access_target:aws_lambda_function:prod-db:latest');
    expect(srn.org).toBe('acme');
    expect(srn.model).toBe('access_target');
    expect(srn.type).toBe('aws_lambda_function');
    expect(srn.slug).toBe('prod-db');
    expect(srn.version).toBe('latest');
    expect(srn.identifier).toBeUndefined();
  });

  it('parses a model with a type part, with an identifier', () => {
    const srn = SRN.parse('acme:access_target:aws_lambda_function:prod-db:10.200.3:db-1');
    expect(srn.type).toBe('aws_lambda_function');
    expect(srn.version).toBe('10.200.3');
    expect(srn.identifier).toBe('db-1');
    expect(srn.toString()).toBe('acme:access_target:aws_lambda_function:prod-db:10.200.3:db-1');
  });

  it.each(['0.0.0', '1.0.0', '10.200.3', '999.999.999', 'latest', 'LATEST', 'Latest'])('accepts version %s', (version) => {
    expect(SRN.parse(`acme:flow:x:${version}`).version).toBe(version);
  });

  it.each(['access_strategy', 'access_target', 'user', 'secret', 'secrets', 'integration', 'log_destination'])(
    'model %s requires the type part',
    (model) => {
      expect(SRN.parse(`acme:${model}:kind:slug:latest`).type).toBe('kind');
      const error = thrown(() => SRN.parse(`acme:${model}:slug:latest`));
      expect(error).toBeInstanceOf(MissingComponentError);
      expect((error as MissingComponentError).part).toBe('type');
      expect((error as Error).message).toBe(
        `invalid SRN "acme:${model}:slug:latest": model "${model}" requires a type part: <org>:<model>:<type>:<slug>:<version>[:<identifier>]`,
      );
    },
  );

  it('lists exactly the models that require a type', () => {
    expect([...SRN.MODELS_WITH_TYPE].sort()).toEqual(
      ['access_strategy', 'access_target', 'integration', 'log_destination', 'secret', 'secrets', 'user'],
    );
  });

  it('reads a five-part SRN of a model that forbids the type as slug:version:identifier', () => {
    const srn = SRN.parse('sym:template:approval:1.0.0:extra');
    expect(srn.type).toBeUndefined();
    expect(srn.slug).toBe('approval');
    expect(srn.identifier).toBe('extra');
  });

  it('accepts every character of [a-zA-Z0-9-_] in each part', () => {
    const srn = SRN.parse('A-z_9:access_target:T-y_p3:S-l_u9:latest:I-d_0');
    expect([srn.org, srn.type, srn.slug, srn.identifier]).toEqual(['A-z_9', 'T-y_p3', 'S-l_u9', 'I-d_0']);
  });
});

describe('SRN: case-insensitivity', () => {
  it('keeps the text as written', () => {
    const srn = SRN.parse('Acme:ACCESS_TARGET:Lambda:Prod-DB:LATEST');
    expect(srn.toString()).toBe('Acme:ACCESS_TARGET:Lambda:Prod-DB:LATEST');
    expect(srn.model).toBe('ACCESS_TARGET');
    expect(srn.normalized).toBe('acme:access_target:lambda:prod-db:latest');
  });

  it('recognises models that require a type in any case', () => {
    expect(SRN.parse('acme:User:okta:alice:latest').type).toBe('okta');
    expect(() => SRN.parse('acme:USER:alice:latest')).toThrow(MissingComponentError);
  });

  it('equals another SRN or a string regardless of case', () => {
    const srn = SRN.parse('acme:flow:prod-access:latest');
    expect(srn.equals(SRN.parse('ACME:Flow:Prod-Access:Latest'))).toBe(true);
    expect(srn.equals('ACME:FLOW:PROD-ACCESS:LATEST')).toBe(true);
    expect(srn.equals('acme:flow:prod-access:1.0.0')).toBe(false);
    expect(srn.equals(SRN.parse('acme:flow:prod-access:latest:id'))).toBe(false);
  });

  it('is simply not equal to a string that does not parse', () => {
    const srn = SRN.parse('acme:flow:prod-access:latest');
    expect(srn.equals('acme:flow:prod-access:latest:')).toBe(false);
    expect(srn.equals('')).toBe(false);
    expect(srn.equals('not an srn')).toBe(false);
  });
});

describe('SRN.parse: invalid forms', () => {
  const cases: ReadonlyArray<readonly [string, new (...args: never[]) => InvalidSRNError, string | undefined, string]> = [
    ['acme:flow:x:1.0.0:', TrailingSeparatorError, undefined, 'invalid SRN "acme:flow:x:1.0.0:": it ends with ":"; remove the trailing separator'],
    [':', TrailingSeparatorError, undefined, 'invalid SRN ":": it ends with ":"; remove the trailing separator'],
    ['', MissingComponentError, 'org', 'invalid SRN "": it is empty; expected <org>:<model>[:<type>]:<slug>:<version>[:<identifier>]'],
    ['acme', MissingComponentError, 'model', 'invalid SRN "acme": it has 1 part, at least 4 are needed: <org>:<model>[:<type>]:<slug>:<version>[:<identifier>]'],
    ['acme:flow', MissingComponentError, 'slug', 'invalid SRN "acme:flow": it has 2 parts, at least 4 are needed: <org>:<model>[:<type>]:<slug>:<version>[:<identifier>]'],
    ['acme:flow:x', MissingComponentError, 'version', 'invalid SRN "acme:flow:x": it has 3 parts, at least 4 are needed: <org>:<model>[:<type>]:<slug>:<version>[:<identifier>]'],
    ['acme:access_target:x', MissingComponentError, 'slug', 'invalid SRN "acme:access_target:x": it has 3 parts, at least 4 are needed: <org>:<model>[:<type>]:<slug>:<version>[:<identifier>]'],
    ['acme::x:1.0.0', MissingComponentError, 'model', 'invalid SRN "acme::x:1.0.0": model is empty; expected <org>:<model>[:<type>]:<slug>:<version>[:<identifier>]'],
    [':flow:x:1.0.0', MissingComponentError, 'org', 'invalid SRN ":flow:x:1.0.0": org is empty; expected <org>:<model>[:<type>]:<slug>:<version>[:<identifier>]'],
    ['acme:flow::1.0.0', MissingComponentError, 'slug', 'invalid SRN "acme:flow::1.0.0": slug is empty; expected <org>:<model>[:<type>]:<slug>:<version>[:<identifier>]'],
    ['acme:flow:x::id', MissingComponentError, 'version', 'invalid SRN "acme:flow:x::id": version is empty; expected "latest" or N.N.N'],
    ['acme:access_target::x:latest', MissingComponentError, 'type', 'invalid SRN "acme:access_target::x:latest": type is empty; expected <org>:<model>[:<type>]:<slug>:<version>[:<identifier>]'],
    ['acme:flow:x:1.0', InvalidVersionError, 'version', 'invalid SRN "acme:flow:x:1.0": version "1.0" must be "latest" or N.N.N with 1-3 digits each'],
    ['acme:flow:x:1.0.1000', InvalidVersionError, 'version', 'invalid SRN "acme:flow:x:1.0.1000": version "1.0.1000" must be "latest" or N.N.N with 1-3 digits each'],
    ['acme:flow:x:v1.0.0', InvalidVersionError, 'version', 'invalid SRN "acme:flow:x:v1.0.0": version "v1.0.0" must be "latest" or N.N.N with 1-3 digits each'],
    ['acme:flow:x:newest', InvalidVersionError, 'version', 'invalid SRN "acme:flow:x:newest": version "newest" must be "latest" or N.N.N with 1-3 digits each'],
    [
      'acme:flow:kind:x:1.0.0',
      InvalidVersionError,
      'version',
      'invalid SRN "acme:flow:kind:x:1.0.0": version "x" must be "latest" or N.N.N with 1-3 digits each; model "flow" takes no type part: <org>:<model>:<slug>:<version>[:<identifier>]',
    ],
    [
      'acme:access_target:prod-db:latest:db-1',
      InvalidVersionError,
      'version',
      'invalid SRN "acme:access_target:prod-db:latest:db-1": version "db-1" must be "latest" or N.N.N with 1-3 digits each; model "access_target" requires a type part: <org>:<model>:<type>:<slug>:<version>[:<identifier>]',
    ],
    ['ac me:flow:x:latest', InvalidSlugError, 'org', 'invalid SRN "ac me:flow:x:latest": org "ac me" must match ^[a-zA-Z0-9-_]+$ (letters, digits, "-" and "_")'],
    ['acme:fl.ow:x:latest', InvalidSlugError, 'model', 'invalid SRN "acme:fl.ow:x:latest": model "fl.ow" must match ^[a-zA-Z0-9-_]+$ (letters, digits, "-" and "_")'],
    ['acme:access_target:aws/lambda:x:latest', InvalidSlugError, 'type', 'invalid SRN "acme:access_target:aws/lambda:x:latest": type "aws/lambda" must match ^[a-zA-Z0-9-_]+$ (letters, digits, "-" and "_")'],
    ['acme:flow:prod access:latest', InvalidSlugError, 'slug', 'invalid SRN "acme:flow:prod access:latest": slug "prod access" must match ^[a-zA-Z0-9-_]+$ (letters, digits, "-" and "_")'],
    ['acme:flow:x:latest:a@b', InvalidSlugError, 'identifier', 'invalid SRN "acme:flow:x:latest:a@b": identifier "a@b" must match ^[a-zA-Z0-9-_]+$ (letters, digits, "-" and "_")'],
    ['acme:flow:x:latest:id:more', InvalidSRNError, undefined, 'invalid SRN "acme:flow:x:latest:id:more": it has 6 parts; model "flow" takes no type part, so at most 5: <org>:<model>:<slug>:<version>[:<identifier>]'],
    ['acme:access_target:t:x:latest:id:more', InvalidSRNError, undefined, 'invalid SRN "acme:access_target:t:x:latest:id:more": it has 7 parts; model "access_target" takes at most 6: <org>:<model>:<type>:<slug>:<version>[:<identifier>]'],
  ];

  it.each(cases)('%j', (text, errorClass, part, message) => {
    const error = thrown(() => SRN.parse(text));
    expect(error).toBeInstanceOf(errorClass);
    expect(error).toBeInstanceOf(InvalidSRNError);
    expect(error).toBeInstanceOf(LambdaEscalationError);
    expect((error as InvalidSRNError).constructor).toBe(errorClass);
    expect((error as InvalidSRNError).name).toBe(errorClass.name);
    expect((error as InvalidSRNError).srn).toBe(text);
    expect((error as InvalidSRNError).part).toBe(part);
    expect((error as Error).message).toBe(message);
  });

  it('carries the offending value on slug and version errors', () => {
    expect((thrown(() => SRN.parse('acme:flow:a b:latest')) as InvalidSlugError).value).toBe('a b');
    expect((thrown(() => SRN.parse('acme:flow:x:1.0')) as InvalidVersionError).value).toBe('1.0');
  });

  it('refuses a value that is not a string at run time', () => {
    const error = thrown(() => SRN.parse(42 as unknown as string));
    expect(error).toBeInstanceOf(InvalidSRNError);
    expect((error as Error).message).toBe('invalid SRN "42": an SRN must be a string, got number');
  });
});

describe('SRN.of', () => {
  it('builds an SRN from parts', () => {
    const srn = SRN.of({ org: 'acme', model: 'access_target', type: 'lambda', slug: 'db', version: '1.0.0', identifier: 'x' });
    expect(srn.toString()).toBe('acme:access_target:lambda:db:1.0.0:x');
    expect(srn.equals(SRN.parse('acme:access_target:lambda:db:1.0.0:x'))).toBe(true);
  });

  it('refuses a type for a model that forbids it', () => {
    const error = thrown(() => SRN.of({ org: 'acme', model: 'flow', type: 'x', slug: 'y', version: 'latest' }));
    expect((error as InvalidSRNError).constructor).toBe(InvalidSRNError);
    expect((error as InvalidSRNError).part).toBe('type');
    expect((error as Error).message).toBe(
      'invalid SRN "acme:flow:x:y:latest": model "flow" takes no type part, got type "x": <org>:<model>:<slug>:<version>[:<identifier>]',
    );
  });

  it('refuses a missing type for a model that requires it', () => {
    expect(() => SRN.of({ org: 'acme', model: 'secret', slug: 'y', version: 'latest' })).toThrow(MissingComponentError);
  });

  it('refuses a part holding a separator', () => {
    const error = thrown(() => SRN.of({ org: 'acme', model: 'flow', slug: 'a:b', version: 'latest' }));
    expect(error).toBeInstanceOf(InvalidSlugError);
    expect((error as Error).message).toBe('invalid SRN "acme:flow:a:b:latest": slug "a:b" must match ^[a-zA-Z0-9-_]+$ (letters, digits, "-" and "_")');
  });

  it('refuses an empty identifier', () => {
    expect(() => SRN.of({ org: 'acme', model: 'flow', slug: 'x', version: 'latest', identifier: '' })).toThrow(MissingComponentError);
  });
});

describe('SRN.copy', () => {
  const base = SRN.parse('acme:access_target:lambda:db:1.0.0:one');

  it('returns a new SRN with the changes', () => {
    const copy = base.copy({ slug: 'cache', version: 'latest' });
    expect(copy).not.toBe(base);
    expect(copy.toString()).toBe('acme:access_target:lambda:cache:latest:one');
    expect(base.toString()).toBe('acme:access_target:lambda:db:1.0.0:one');
  });

  it('copies unchanged without arguments', () => {
    expect(base.copy().equals(base)).toBe(true);
  });

  it('drops a part set to undefined', () => {
    expect(base.copy({ identifier: undefined }).toString()).toBe('acme:access_target:lambda:db:1.0.0');
    expect(base.copy({ model: 'flow', type: undefined }).toString()).toBe('acme:flow:db:1.0.0:one');
  });

  it('validates the result', () => {
    expect(() => base.copy({ version: '1' })).toThrow(InvalidVersionError);
    expect(() => base.copy({ model: 'flow' })).toThrow(InvalidSRNError);
    expect(() => base.copy({ org: 'a b' })).toThrow(InvalidSlugError);
  });
});

describe('SRN.toJSON', () => {
  it('serialises as its text', () => {
    expect(JSON.stringify({ srn: SRN.parse('acme:flow:x:latest') })).toBe('{"srn":"acme:flow:x:latest"}');
  });
});
