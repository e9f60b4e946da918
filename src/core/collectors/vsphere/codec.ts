/**
 * The vim25 codec, one import for its readers (the mapper, tests, benchmarks). It lives in four
 * parts, each importable on its own:
 * - vim-values.ts: the decoded values (strings, numbers, morefs, data objects) and their accessors;
 * - vim-decoder.ts: the streaming decoder from response bytes to values;
 * - soap-envelope.ts: the SOAP envelope of an answer, and vim25 faults as product errors;
 * - request-xml.ts: the request writers (envelope, arguments, specs).
 */
export * from './vim-values.js';
export * from './vim-decoder.js';
export * from './soap-envelope.js';
export * from './request-xml.js';
