// Runs the server's TypeScript without a build step: `node --import ./server/loader/register.mjs server/main.ts`
// (npm start, npm run bench) and the entry of every worker thread. The same compiler tsx uses (esbuild),
// without tsx's keepNames (hooks.mjs; decision 012).
import { register } from 'node:module';

process.setSourceMapsEnabled(true);
register('./hooks.mjs', import.meta.url);
