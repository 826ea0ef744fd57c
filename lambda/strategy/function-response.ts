import type { JsonValue } from '../sdk/json.js';
import type { StepOutput } from '../sdk/step-output.js';

/** How much of an unreadable payload an error message quotes. */
const QUOTE_LIMIT = 200;

/**
 * Turns what a user's function returned into a {@link StepOutput}. Pure: the invoker
 * passes the raw `Payload` and `FunctionError` of the Invoke response.
 *
 * Accepted shapes:
 * - `{ body, errors }`, what Sym's Lambda strategy expects. A `body` that is a string
 *   holding a JSON object or array is parsed; any other string stays a string.
 * - API-Gateway style `{ statusCode, body: "<json>" }`: the body is parsed the same way;
 *   a `statusCode` of 400 or more is an error.
 * - Any other object (no `body`, `errors` or `statusCode`): taken whole as the body, so a
 *   function that forgot the envelope still has what it returned saved.
 *
 * A function error (Lambda's `X-Amz-Function-Error` header, with an `{ errorMessage,
 * errorType }` payload) gives `errors: ["<errorType>: <errorMessage>"]`; a payload that is
 * not JSON, or not an object, gives an error that says so. `body` is `null` whenever the
 * function gave none.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_ResponseSyntax
 * @see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-exceptions.html
 */
export function parseFunctionResponse(payload: Uint8Array | undefined, functionError: string | undefined): StepOutput {
  const text = payload && payload.length > 0 ? new TextDecoder().decode(payload) : '';
  const parsed = parseJson(text);

  if (functionError !== undefined && functionError !== '') {
    return { body: null, errors: [describeFunctionError(functionError, parsed, text)] };
  }
  if (text.trim() === '') {
    return { body: null, errors: ['function returned an empty payload: expected a JSON object { "body": …, "errors": [] }'] };
  }
  if (!parsed.ok) {
    return { body: null, errors: [`function returned a payload that is not JSON: ${quote(text)}`] };
  }
  if (!isJsonObject(parsed.value)) {
    return {
      body: null,
      errors: [`function returned ${jsonTypeOf(parsed.value)} (${quote(text)}): expected a JSON object { "body": …, "errors": [] }`],
    };
  }

  const response = parsed.value;
  if (typeof response.statusCode === 'number') return fromApiGatewayResponse(response.statusCode, response);
  if (!('body' in response) && !('errors' in response)) return { body: response, errors: [] };
  return { body: parseBody(response.body), errors: coerceErrors(response.errors) };
}

function fromApiGatewayResponse(statusCode: number, response: { [key: string]: JsonValue }): StepOutput {
  const body = parseBody(response.body);
  const errors = coerceErrors(response.errors);
  if (statusCode >= 400) {
    const detail = describeErrorBody(body);
    errors.unshift(`function answered with HTTP status ${statusCode}${detail ? `: ${detail}` : ''}`);
  }
  return { body, errors };
}

/** What an API-Gateway error body says, when it says it in one of the usual fields. */
function describeErrorBody(body: JsonValue): string | undefined {
  if (typeof body === 'string') return body === '' ? undefined : quote(body);
  if (isJsonObject(body)) {
    for (const key of ['message', 'errorMessage', 'error']) {
      const value = body[key];
      if (typeof value === 'string' && value !== '') return value;
    }
  }
  return undefined;
}

function describeFunctionError(functionError: string, parsed: ParseResult, text: string): string {
  if (parsed.ok && isJsonObject(parsed.value)) {
    const { errorType, errorMessage } = parsed.value;
    if (typeof errorMessage === 'string') {
      // A timeout or an out-of-memory may carry no errorType; the header still says which.
      return `${typeof errorType === 'string' && errorType !== '' ? errorType : functionError}: ${errorMessage}`;
    }
  }
  return text.trim() === ''
    ? `${functionError}: function failed without an error payload`
    : `${functionError}: ${quote(text)}`;
}

function parseBody(body: JsonValue | undefined): JsonValue {
  if (body === undefined) return null;
  if (typeof body !== 'string') return body;
  const trimmed = body.trim();
  // Only text that looks like an object or array is JSON meant to be parsed: "ok" or
  // "42" is more likely a plain string the function means as is.
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return body;
  const parsed = parseJson(trimmed);
  return parsed.ok ? parsed.value : body;
}

/** `errors` must be strings; anything else is turned into one, or complained about. */
function coerceErrors(errors: JsonValue | undefined): string[] {
  if (errors === undefined || errors === null) return [];
  if (typeof errors === 'string') return errors === '' ? [] : [errors];
  if (!Array.isArray(errors)) {
    return [`function returned "errors" as ${jsonTypeOf(errors)} (${quote(JSON.stringify(errors))}): expected an array of strings`];
  }
  return errors.map((error) => {
    if (typeof error === 'string') return error;
    if (isJsonObject(error) && typeof error.message === 'string') return error.message;
    return JSON.stringify(error);
  });
}

type ParseResult = { readonly ok: true; readonly value: JsonValue } | { readonly ok: false };

function parseJson(text: string): ParseResult {
  try {
    return { ok: true, value: JSON.parse(text) as JsonValue };
  } catch {
    return { ok: false };
  }
}

function isJsonObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonTypeOf(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function quote(text: string): string {
  return text.length > QUOTE_LIMIT ? `${JSON.stringify(text.slice(0, QUOTE_LIMIT))}…` : JSON.stringify(text);
}
