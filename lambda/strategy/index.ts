export type { FunctionInvoker } from './function-invoker.js';
export type { LambdaPayload, LambdaPayloadActor, LambdaPayloadTarget } from './lambda-payload.js';
export { buildLambdaPayload, formatSymTimestamp, IDENTITY_SERVICE, type LambdaPayloadInput } from './lambda-payload-builder.js';
export { parseFunctionResponse } from './function-response.js';
export { LambdaFunctionInvoker, type LambdaFunctionInvokerProps } from './lambda-function-invoker.js';
