// Entry of the comparison's helper thread (helper.ts): registers the TypeScript loader
// (server/loader), as the analytics worker's entry does, then loads the helper's loop.
import '../../loader/register.mjs';
await import('./helper-main.ts');
