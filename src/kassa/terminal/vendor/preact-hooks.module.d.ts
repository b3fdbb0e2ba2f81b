// Types for preact-hooks.module.js: those of the same release from npm (package.json pins it).
export * from "preact/hooks";
