// Types for htm.module.js: those of the same release from npm (package.json pins it).
export { default } from "htm";
