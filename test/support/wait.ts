/**
 * Polls `probe` until it returns a value, or fails after the deadline. Each poll waits on a timer, so
 * the event loop reaches its I/O phase between polls: in-process requests (app.inject) resolve in
 * microtasks only, and a tight loop of them would starve sockets such as the LISTEN connection.
 */
export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
