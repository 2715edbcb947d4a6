/** HTTP facts shared by the listener and the caller. */

/** Methods whose body Semaphore ignored and never sent: a flow neither reads nor sends one. */
export const BODYLESS_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'DELETE']);
