/**
 * `npm test` is the fast tier: the CLI end to end in full on one storage driver, a smoke set on
 * the other, and cheap Argon2id wherever a test does not check the cost itself. `npm run
 * test:full` (COFFER_TEST_TIER=full) runs everything at production cost on both drivers.
 */
export const FULL_TIER = process.env.COFFER_TEST_TIER === 'full';
