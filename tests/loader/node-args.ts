/** The Node arguments that run a TypeScript entry the way `npm run <script>` does (server/loader, decision 012). */
export const TS_LOADER = ['--import', new URL('../../server/loader/register.mjs', import.meta.url).href] as const;
