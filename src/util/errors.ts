/** A problem with an input file: the message always starts with the file it is about. */
export class DataError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = "DataError";
  }
}
