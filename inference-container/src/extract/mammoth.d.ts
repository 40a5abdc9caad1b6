// mammoth ships no type declarations; this covers the one call the service makes.
declare module 'mammoth' {
  interface Result {
    value: string;
    messages: Array<{ type: string; message: string }>;
  }
  const mammoth: { extractRawText(input: { buffer: Buffer }): Promise<Result> };
  export default mammoth;
}
