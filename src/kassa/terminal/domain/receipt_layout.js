// @ts-check
/**
 * The receipt document laid out for a width of `columns` characters: the one algorithm of
 * docs/receipt.md ("Layout"), which the hardware proxy implements in Python for the paper
 * and the terminal uses for the preview. Both are held to
 * tests/shared/receipt_layout_cases.json, so paper and preview cannot drift. Pure.
 *
 * Lengths count Unicode code points, not UTF-16 units: "€" and "ü" are one character on
 * the paper, and an emoji outside the BMP is one too (Python's `len`).
 */

/**
 * @typedef {"left" | "center" | "right"} Align
 * @typedef {"normal" | "large"} Size
 *
 * @typedef {{type: "text", text: string, align?: Align, bold?: boolean, size?: Size}} TextBlock
 * @typedef {{type: "pair", left: string, right: string, bold?: boolean, size?: Size}} PairBlock
 * @typedef {{type: "columns", cells: string[], bold?: boolean}} ColumnsBlock
 * @typedef {{type: "rule"}} RuleBlock
 * @typedef {{type: "blank"}} BlankBlock
 * @typedef {{type: "code", format: "qr" | "code128" | "ean13", value: string}} CodeBlock
 * @typedef {TextBlock | PairBlock | ColumnsBlock | RuleBlock | BlankBlock | CodeBlock} Block
 *
 * @typedef {object} ReceiptDocument
 * @property {"kassa.receipt"} format
 * @property {1} version
 * @property {Block[]} blocks
 *
 * @typedef {{text: string, align: Align, bold: boolean, size: Size}} TextRow
 * @typedef {{code: CodeBlock["format"], value: string}} CodeRow
 * @typedef {TextRow | CodeRow} Row
 */

/**
 * White space as Python's `str.split()` sees it (JavaScript's `\s` has U+FEFF and lacks
 * U+001C..U+001F and U+0085), so both renderings split a text into the same words.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: Python's str.split() splits on these controls too
const WHITE_SPACE = /[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** Length in code points. @param {string} text */
export const length = (text) => {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
};

/**
 * The first `n` code points of `text` (none when n ≤ 0).
 * @param {string} text
 * @param {number} n
 */
export function cut(text, n) {
  if (n <= 0) return "";
  if (text.length <= n) return text; // n UTF-16 units hold at most n code points
  return Array.from(text).slice(0, n).join("");
}

/** @param {string} text @param {number} width */
const padRight = (text, width) => text + " ".repeat(Math.max(0, width - length(text)));
/** @param {string} text @param {number} width */
const padLeft = (text, width) => " ".repeat(Math.max(0, width - length(text))) + text;

/**
 * Greedy word wrap: words joined by one space while the line stays within `width`; a word
 * longer than `width` ends the current line, then is cut into pieces of `width`, the last
 * piece starting the next line. No words: one empty line.
 * @param {string} text
 * @param {number} width at least 1
 * @returns {string[]}
 */
export function wrap(text, width) {
  const words = text.split(WHITE_SPACE).filter((word) => word !== "");
  if (words.length === 0) return [""];
  /** @type {string[]} */
  const lines = [];
  let current = "";
  for (const word of words) {
    const size = length(word);
    if (size > width) {
      if (current !== "") lines.push(current);
      const points = Array.from(word);
      let start = 0;
      for (; start + width < points.length; start += width) lines.push(points.slice(start, start + width).join(""));
      current = points.slice(start).join("");
    } else if (current === "") {
      current = word;
    } else if (length(current) + 1 + size <= width) {
      current += " " + word;
    } else {
      lines.push(current);
      current = word;
    }
  }
  lines.push(current);
  return lines;
}

/**
 * @param {string} text
 * @param {{align?: Align, bold?: boolean, size?: Size}} [style]
 * @returns {TextRow}
 */
const row = (text, { align = "left", bold = false, size = "normal" } = {}) => ({ text, align, bold, size });

/**
 * The rows of one block at `width` columns.
 * @param {Block} block
 * @param {number} width
 * @returns {Row[]}
 */
function blockRows(block, width) {
  switch (block.type) {
    case "text": {
      const style = { align: block.align, bold: block.bold, size: block.size };
      return wrap(block.text, width).map((line) => row(line, style));
    }
    case "pair": {
      const style = { bold: block.bold, size: block.size };
      const right = cut(block.right, width);
      const room = width - length(right) - 1;
      if (room < 1) return [row(padLeft(right, width), style)];
      const [first, ...rest] = wrap(block.left, room);
      return [row(padRight(first, room) + " " + right, style), ...rest.map((line) => row(line, style))];
    }
    case "columns": {
      const cellWidth = Math.floor(width / block.cells.length);
      const text = block.cells
        .map((cell, index) =>
          index === 0 ? padRight(cut(cell, cellWidth), cellWidth) : padLeft(cut(cell, cellWidth - 1), cellWidth),
        )
        .join("");
      return [row(cut(text, width), { bold: block.bold })];
    }
    case "rule":
      return [row("-".repeat(width))];
    case "blank":
      return [row("")];
    case "code":
      return [{ code: block.format, value: block.value }];
    default:
      throw new TypeError(`unknown receipt block type ${JSON.stringify(/** @type {any} */ (block).type)}`);
  }
}

/**
 * The document's rows at `columns` characters: text rows `{text, align, bold, size}` (the
 * text never longer than `columns`, not padded for its alignment) and code rows
 * `{code, value}`.
 * @param {ReceiptDocument} document
 * @param {number} columns the printer's `columns`; 48 when the proxy is unknown
 * @returns {Row[]}
 */
export function layoutReceipt(document, columns) {
  if (!Number.isInteger(columns) || columns < 1) throw new RangeError(`columns: ${columns} is not a positive integer`);
  return document.blocks.flatMap((block) => blockRows(block, columns));
}
