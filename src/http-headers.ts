/** Header names the service's clients, the gateway (deployed and local) and the handlers share. */

/** Where clients send their API key. HTTP header names are case-insensitive; this is the canonical spelling. */
export const API_KEY_HEADER = 'x-api-key';

/** Sent with a create or rotate, makes a repeat of the same request answer what the first did, once a day. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
