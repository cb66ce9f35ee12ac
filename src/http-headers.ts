/** Header names the service's clients, the gateway (deployed and local) and the handlers share. */

/** Where clients send their API key. HTTP header names are case-insensitive; this is the canonical spelling. */
export const API_KEY_HEADER = 'x-api-key';
