// The tiny generated models live in the product now (the demo set uses them):
// src/data/demo/tiny-models.ts. Kept for bench/ scripts that import them from here.
import * as path from 'node:path';
import { writeTinyClip } from '../../src/data/demo/tiny-models';

export * from '../../src/data/demo/tiny-models';

if (require.main === module) {
  const dir = process.argv[2] ?? path.join('models', 'tiny-clip');
  writeTinyClip(dir);
  console.log(`wrote a tiny CLIP-shaped model to ${dir}`);
}
