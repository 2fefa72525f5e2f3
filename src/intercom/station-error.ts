/** Thrown when the station cannot start; the message is one line for the user. */
export class StationStartError extends Error {}
