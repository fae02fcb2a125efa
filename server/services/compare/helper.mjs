// Entry of the comparison's helper thread (helper.ts): registers tsx, as the
// analytics worker's entry does, then loads the helper's loop.
import { register } from 'tsx/esm/api';

register();
await import('./helper-main.ts');
