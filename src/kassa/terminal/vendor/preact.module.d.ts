// Types for preact.module.js: those of the same release from npm (package.json pins it).
export * from "preact";
