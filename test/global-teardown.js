export default async function globalTeardown() {
  await globalThis.__STREAMLY_EMBEDDED__?.stop();
}
