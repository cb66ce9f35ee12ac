/** Why the server cannot start, in one line for the person starting it: printed as it is, without a stack trace. */
export class StartupError extends Error {}
