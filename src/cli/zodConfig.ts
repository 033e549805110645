import { z } from 'zod';

// First of the CLI's imports, so that it holds before any schema is built (zod reads it then). zod compiles
// each object schema's parser with `new Function` on its first parse: that pays off over many parses, but a
// command parses most of its schemas once, and code made that way is never in the CLI's code cache.
z.config({ jitless: true });
