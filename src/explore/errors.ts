/** The explorer's errors: a status for the client and a message a person can act on. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** A 400 for a bad parameter. */
export function badRequest(message: string): HttpError {
  return new HttpError(400, message);
}
