/** `.secrets.template` is imported as text (src/platform/secrets.ts): esbuild inlines the file. */
declare module '*/.secrets.template' {
  const text: string;
  export default text;
}
