import { describe, expect, it } from 'vitest';
import { parseFunctionResponse } from '../../lambda/strategy/function-response.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const json = (value: unknown): Uint8Array => bytes(JSON.stringify(value));

describe('parseFunctionResponse', () => {
  it('takes { body, errors } as is', () => {
    expect(parseFunctionResponse(json({ body: { grantId: 'g' }, errors: [] }), undefined)).toEqual({ body: { grantId: 'g' }, errors: [] });
    expect(parseFunctionResponse(json({ body: { a: 1 }, errors: ['no'] }), undefined)).toEqual({ body: { a: 1 }, errors: ['no'] });
  });

  it('defaults a missing body to null and missing errors to []', () => {
    expect(parseFunctionResponse(json({ errors: ['x'] }), undefined)).toEqual({ body: null, errors: ['x'] });
    expect(parseFunctionResponse(json({ body: 'done' }), undefined)).toEqual({ body: 'done', errors: [] });
  });

  it('parses a body that is a JSON object or array held in a string', () => {
    expect(parseFunctionResponse(json({ body: '{"a":1}', errors: [] }), undefined)).toEqual({ body: { a: 1 }, errors: [] });
    expect(parseFunctionResponse(json({ body: ' [1,2]' }), undefined)).toEqual({ body: [1, 2], errors: [] });
  });

  it('keeps a string body that is not JSON, or a scalar, as a string', () => {
    expect(parseFunctionResponse(json({ body: 'granted' }), undefined)).toEqual({ body: 'granted', errors: [] });
    expect(parseFunctionResponse(json({ body: '42' }), undefined)).toEqual({ body: '42', errors: [] });
    expect(parseFunctionResponse(json({ body: '{broken' }), undefined)).toEqual({ body: '{broken', errors: [] });
  });

  it('parses an API-Gateway style response', () => {
    expect(parseFunctionResponse(json({ statusCode: 200, body: '{"grantId":"g"}' }), undefined)).toEqual({
      body: { grantId: 'g' },
      errors: [],
    });
  });

  it('treats an API-Gateway statusCode of 400 or more as an error', () => {
    expect(parseFunctionResponse(json({ statusCode: 403, body: '{"message":"not allowed"}' }), undefined)).toEqual({
      body: { message: 'not allowed' },
      errors: ['function answered with HTTP status 403: not allowed'],
    });
    expect(parseFunctionResponse(json({ statusCode: 500 }), undefined)).toEqual({
      body: null,
      errors: ['function answered with HTTP status 500'],
    });
    expect(parseFunctionResponse(json({ statusCode: 502, body: 'Bad Gateway' }), undefined)).toEqual({
      body: 'Bad Gateway',
      errors: ['function answered with HTTP status 502: "Bad Gateway"'],
    });
  });

  it('takes an object without the envelope whole as the body', () => {
    expect(parseFunctionResponse(json({ grantId: 'g' }), undefined)).toEqual({ body: { grantId: 'g' }, errors: [] });
  });

  it('reports a function error as "<errorType>: <errorMessage>"', () => {
    const payload = json({ errorType: 'TypeError', errorMessage: 'x is undefined', stackTrace: ['at a'] });
    expect(parseFunctionResponse(payload, 'Unhandled')).toEqual({ body: null, errors: ['TypeError: x is undefined'] });
  });

  it('names the function error header when the payload has no errorType', () => {
    const payload = json({ errorMessage: '2024-01-01T00:00:00.000Z abc Task timed out after 3.00 seconds' });
    expect(parseFunctionResponse(payload, 'Unhandled')).toEqual({
      body: null,
      errors: ['Unhandled: 2024-01-01T00:00:00.000Z abc Task timed out after 3.00 seconds'],
    });
  });

  it('reports a function error whose payload is not the runtime shape', () => {
    expect(parseFunctionResponse(bytes('Segmentation fault'), 'Unhandled')).toEqual({ body: null, errors: ['Unhandled: "Segmentation fault"'] });
    expect(parseFunctionResponse(undefined, 'Handled')).toEqual({ body: null, errors: ['Handled: function failed without an error payload'] });
  });

  it('reports an empty payload', () => {
    const expected = { body: null, errors: ['function returned an empty payload: expected a JSON object { "body": …, "errors": [] }'] };
    expect(parseFunctionResponse(undefined, undefined)).toEqual(expected);
    expect(parseFunctionResponse(new Uint8Array(), undefined)).toEqual(expected);
  });

  it('reports a payload that is not JSON', () => {
    expect(parseFunctionResponse(bytes('<html>oops</html>'), undefined)).toEqual({
      body: null,
      errors: ['function returned a payload that is not JSON: "<html>oops</html>"'],
    });
  });

  it('quotes at most 200 characters of an unreadable payload', () => {
    const [error] = parseFunctionResponse(bytes('x'.repeat(1_000)), undefined).errors;
    expect(error).toBe(`function returned a payload that is not JSON: "${'x'.repeat(200)}"…`);
  });

  it('reports a payload that is JSON but not an object', () => {
    expect(parseFunctionResponse(bytes('null'), undefined)).toEqual({
      body: null,
      errors: ['function returned null ("null"): expected a JSON object { "body": …, "errors": [] }'],
    });
    expect(parseFunctionResponse(json([1]), undefined).errors).toEqual([
      'function returned an array ("[1]"): expected a JSON object { "body": …, "errors": [] }',
    ]);
    expect(parseFunctionResponse(json('ok'), undefined).errors).toEqual([
      'function returned a string ("\\"ok\\""): expected a JSON object { "body": …, "errors": [] }',
    ]);
  });

  it('coerces errors to strings', () => {
    expect(parseFunctionResponse(json({ body: null, errors: 'one failure' }), undefined).errors).toEqual(['one failure']);
    expect(parseFunctionResponse(json({ body: null, errors: '' }), undefined).errors).toEqual([]);
    expect(parseFunctionResponse(json({ body: null, errors: null }), undefined).errors).toEqual([]);
    expect(parseFunctionResponse(json({ body: null, errors: ['a', { message: 'b' }, { code: 3 }, 4] }), undefined).errors).toEqual([
      'a',
      'b',
      '{"code":3}',
      '4',
    ]);
  });

  it('complains about errors that are not an array or a string', () => {
    expect(parseFunctionResponse(json({ body: 1, errors: { bad: true } }), undefined)).toEqual({
      body: 1,
      errors: ['function returned "errors" as an object ("{\\"bad\\":true}"): expected an array of strings'],
    });
  });
});
