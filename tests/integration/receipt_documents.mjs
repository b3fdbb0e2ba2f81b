// The terminal's own receipt documents, for tests in Python: receipts (domain/receipt.js
// `Receipt`, JSON on stdin, an array) in, their `receiptDocument`s (JSON on stdout) out.
// Each item is {receipt, copy?}.
import { receiptDocument } from "../../src/kassa/terminal/domain/receipt.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const items = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const documents = items.map(({ receipt, copy = false }) => receiptDocument(receipt, { copy }));
process.stdout.write(JSON.stringify(documents));
