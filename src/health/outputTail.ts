/** Keeps only the last `limit` bytes of a stream: a chatty check must not hold its whole output in memory. */
export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = false;
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 1) {
      const first = this.chunks.shift() as Buffer;
      this.size -= first.length;
      this.dropped = true;
    }
    if (this.size > this.limit) {
      const only = this.chunks[0] as Buffer;
      this.chunks = [only.subarray(only.length - this.limit)];
      this.size = this.limit;
      this.dropped = true;
    }
  }

  toString(): string {
    const text = Buffer.concat(this.chunks).toString('utf8');
    return this.dropped ? `…${text}` : text;
  }
}
