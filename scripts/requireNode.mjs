// Plain JavaScript on purpose: it must run (and explain) on Node versions that cannot run TypeScript.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `This service needs Node.js >= 22.18 (24 LTS recommended); this is ${process.versions.node}.\n` +
      "It runs TypeScript directly with Node's type stripping. Install Node 24 (e.g. from nodejs.org or nvm).",
  );
  process.exit(1);
}
