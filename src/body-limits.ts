/**
 * The largest body a route takes unless its operation in the route table says
 * otherwise (DESIGN §3). Apart from the table, so that POST /verify's handler
 * enforces it without loading the table.
 */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024;
