// @ts-check
/**
 * The screens. They read the state (ui/store.js) and call ui/terminal.js; nothing here
 * talks to the database or the server.
 *
 * Touch first: every control is a button of at least 48 px, nothing depends on hover, and
 * the keyboard is optional (a scanner works everywhere, see ui/scanner.js).
 */
import * as cart from "../domain/cart.js";
import { faultText, printerSummary } from "../domain/hardware.js";
import * as hw from "../hardware/proxy.js";
import { formatDiscount, formatRate, parseAmount, parseQuantity, parseTyped, typedAmount } from "../domain/money.js";
import { searchProducts } from "../domain/search.js";
import { Modal, Numpad, PinPad, Toasts, clock, money, quantity, useKeyboardPad } from "./components.js";
import { html, useEffect, useMemo, useRef, useState } from "./html.js";
import { pushScanHandler, pushTypedHandler } from "./scanner.js";
import { getState, setState, useStore } from "./store.js";
import * as t from "./terminal.js";

/** Products shown at once in a category (a search narrows further). */
const CATEGORY_LIMIT = 120;
const SEARCH_LIMIT = 60;

export function App() {
  const state = useStore();
  let screen;
  switch (state.phase) {
    case "pair":
      screen = html`<${PairScreen} />`;
      break;
    case "download":
      screen = html`<${DownloadScreen} />`;
      break;
    case "login":
      screen = html`<${LoginScreen} />`;
      break;
    case "float":
      screen = html`<${FloatScreen} />`;
      break;
    case "sale":
      screen = html`<${SALE_VIEWS.get(state.view) ?? SaleScreen} />`;
      break;
    case "fatal":
      screen = html`<div class="center-screen"><div class="card"><h1>Kassa cannot start</h1><p>${state.fatal}</p></div></div>`;
      break;
    default:
      screen = html`<div class="center-screen"><div class="spinner" aria-label="Loading"></div></div>`;
  }
  return html`<div class="app" data-phase=${state.phase} data-view=${state.view}>
    <${StatusBar} />
    <main class="screen">${screen}</main>
    ${state.dialog ? html`<${Dialog} dialog=${state.dialog} />` : null}
    ${state.menu ? html`<${Menu} />` : null}
    <${Toasts} />
  </div>`;
}

/** The screens of the sale phase by `state.view`; any other view is the sale screen. */
const SALE_VIEWS = new Map([
  ["payment", PaymentScreen],
  ["receipt", ReceiptScreen],
  ["close", CloseScreen],
  ["outbox", OutboxScreen],
]);

// ---------------------------------------------------------------- status bar

function StatusBar() {
  const { config, cashier, sync, counts, phase, swUpdate } = useStore();
  const online = sync.online;
  const statusText = sync.authError ? "Not authorised" : online === null ? "Connecting…" : online ? "Online" : "Offline";
  const statusClass = sync.authError ? "bad" : online === null ? "unknown" : online ? "good" : "bad";
  return html`<header class="statusbar">
    <div class="brand"><span class="logo">K</span><span class="brand-text">${config ? `${config.store_name} · ${config.name}` : "Kassa"}</span></div>
    <div class="status-items">
      ${swUpdate ? html`<button type="button" class="pill pill-update" onClick=${() => location.reload()}>Update ready · reload</button>` : null}
      ${config
        ? html`<span class=${`pill pill-${statusClass}`} data-test="online" data-online=${String(online)}><span class="led"></span>${statusText}</span>
            <button type="button" class=${`pill ${counts.pending ? "pill-warn" : "pill-plain"}`} data-test="pending" data-pending=${counts.pending}
              onClick=${() => phase === "sale" && setState({ view: "outbox" })}>
              ${counts.pending ? `${counts.pending} to sync` : "All synced"}
            </button>
            ${counts.rejected
              ? html`<button type="button" class="pill pill-bad" data-test="rejected" onClick=${() => phase === "sale" && setState({ view: "outbox" })}>${counts.rejected} rejected</button>`
              : null}
            <span class="sync-time" data-test="last-sync">Last sync ${clock(sync.lastSyncAt)}</span>
            <${DevicesPill} />`
        : null}
      ${cashier ? html`<span class="cashier" data-test="cashier">${cashier.name}</span>` : null}
      ${phase === "sale" || phase === "float" || phase === "login"
        ? html`<button type="button" class="icon-button menu-button" aria-label="Menu" data-test="menu" onClick=${() => setState({ menu: true })}>☰</button>`
        : null}
    </div>
  </header>`;
}

/** The printer's state (or why the devices cannot be used) and the receipts owed. */
function DevicesPill() {
  const { hw: h } = useStore();
  if (!h?.configured) return null;
  const open = () => setState({ dialog: { kind: "devices" } });
  let level = "unknown";
  let text = "Devices…";
  if (!h.paired) [level, text] = ["warn", "Pair devices"];
  else if (h.reachable === false) [level, text] = ["bad", "Proxy offline"];
  else if (h.status) ({ level, text } = printerSummary(h.status.printer));
  const printer = h.status?.printer;
  return html`<button type="button" class=${`pill pill-${level}`}
      data-test="devices" data-paired=${String(Boolean(h.paired))} data-reachable=${String(h.reachable)}
      data-printer=${printer ? printer.fault ?? printer.state : "unknown"} onClick=${open}><span class="led"></span>${text}</button>
    ${h.owed
      ? html`<button type="button" class="pill pill-warn" data-test="owed" data-owed=${h.owed} onClick=${open}>${h.owed === 1 ? "1 receipt owed" : `${h.owed} receipts owed`}</button>`
      : null}`;
}

function Menu() {
  const { phase, session } = useStore();
  const close = () => setState({ menu: false });
  const item = (/** @type {string} */ label, /** @type {() => void} */ action, /** @type {boolean} */ enabled = true) =>
    html`<button type="button" class="menu-item" disabled=${!enabled} onClick=${() => { close(); action(); }}>${label}</button>`;
  return html`<div class="backdrop" onClick=${(/** @type {MouseEvent} */ e) => e.target === e.currentTarget && close()}>
    <nav class="drawer" aria-label="Menu" data-test="menu-drawer">
      <header class="modal-head"><h2>Menu</h2><button type="button" class="icon-button" aria-label="Close" onClick=${close}>✕</button></header>
      ${item("Sync now", t.syncNow)}
      ${item("Unsynced orders", () => setState({ view: "outbox" }), phase === "sale")}
      ${item("Export unsynced orders", t.exportOutbox)}
      ${item("Last receipt", t.showLastReceipt, phase === "sale")}
      ${item("Update catalog", t.updateCatalog)}
      ${item("Devices", () => setState({ dialog: { kind: "devices" } }))}
      ${item("Open drawer", () => setState({ dialog: { kind: "drawer" } }), phase === "sale")}
      ${item("Close cash session", () => setState({ view: "close" }), phase === "sale" && Boolean(session))}
      ${item("Lock (change cashier)", t.logout, phase === "sale" || phase === "float")}
    </nav>
  </div>`;
}

// ---------------------------------------------------------------- first run

function PairScreen() {
  const { busy, pairError } = useStore();
  const [code, setCode] = useState("");
  return html`<div class="center-screen">
    <form class="card pair-card" onSubmit=${(/** @type {Event} */ e) => { e.preventDefault(); t.pair(code); }}>
      <h1>Pair this terminal</h1>
      <p>In the back office, open <b>Terminals</b>, choose this till and create a pairing code. Enter it here.</p>
      <input class="big-input" name="code" autocomplete="off" autocapitalize="characters" spellcheck="false" placeholder="ABCD-1234"
        value=${code} onInput=${(/** @type {any} */ e) => setCode(e.target.value)} data-test="pair-code" />
      <div class="form-error" role="alert">${pairError ?? ""}</div>
      <button type="submit" class="button primary big" disabled=${busy || code.trim().length < 4} data-test="pair-submit">${busy ? "Pairing…" : "Pair"}</button>
    </form>
  </div>`;
}

function DownloadScreen() {
  const { download } = useStore();
  const percent = download.total ? Math.min(100, Math.round((download.loaded / download.total) * 100)) : null;
  return html`<div class="center-screen">
    <div class="card">
      <h1>Downloading the catalog</h1>
      <progress max="100" value=${percent ?? undefined} data-test="download-progress"></progress>
      <p class="muted">${download.loaded.toLocaleString()}${download.total ? ` of ${download.total.toLocaleString()}` : ""} products</p>
      ${download.error
        ? html`<div class="form-error" role="alert">${download.error}</div>
            <button type="button" class="button primary big" onClick=${t.retryDownload}>Try again</button>`
        : null}
    </div>
  </div>`;
}

// ---------------------------------------------------------------- login and session

function LoginScreen() {
  const { cashiers, lastClosed } = useStore();
  const [chosen, setChosen] = useState(/** @type {any} */ (null));
  const [locked, setLocked] = useState(0);
  useEffect(() => {
    if (!chosen) return undefined;
    let timer = 0;
    const tick = async () => {
      const remaining = await t.lockedFor(chosen);
      setLocked(remaining);
      if (remaining > 0) timer = window.setTimeout(tick, 1000);
    };
    tick();
    return () => clearTimeout(timer);
  }, [chosen]);
  const submit = async (/** @type {string} */ pin) => {
    const result = await t.login(chosen, pin);
    if (result.ok) return null;
    if (result.lockedFor) {
      setLocked(result.lockedFor);
      setTimeout(() => t.lockedFor(chosen).then(setLocked), result.lockedFor + 50);
      return `Too many wrong PINs: locked for ${Math.ceil(result.lockedFor / 1000)} s.`;
    }
    return "Wrong PIN.";
  };
  return html`<div class="login">
    <section class="login-people">
      <h1>Who is selling?</h1>
      ${lastClosed ? html`<p class="muted">Session closed. Log in to open a new one.</p>` : null}
      <div class="people">
        ${cashiers.map(
          (/** @type {any} */ c) =>
            html`<button type="button" key=${c.id} class=${`person${chosen?.id === c.id ? " selected" : ""}`} data-test="cashier-tile" data-name=${c.name}
              onClick=${() => setChosen(c)}>
              <span class="avatar">${c.name.slice(0, 1)}</span><span>${c.name}</span>${c.role === "manager" ? html`<small>manager</small>` : null}
            </button>`,
        )}
      </div>
    </section>
    <section class="login-pin">
      ${chosen
        ? html`<h2>${chosen.name}</h2>
            ${locked > 0
              ? html`<div class="locked" role="alert" data-test="locked">Locked: try again in ${Math.ceil(locked / 1000)} s</div>`
              : html`<${PinPad} key=${chosen.id} onSubmit=${submit} />`}`
        : html`<p class="muted big-hint">Tap your name, then enter your PIN.</p>`}
    </section>
  </div>`;
}

function FloatScreen() {
  const { config, cashier } = useStore();
  const [buffer, setBuffer] = useState("");
  const [busy, setBusy] = useState(false);
  const typed = buffer ? typedAmount(buffer, config.currency_places) : 0;
  const valid = typed !== null;
  const amount = typed ?? 0;
  const open = async () => {
    if (!valid || busy) return;
    setBusy(true);
    await t.openSession(amount);
  };
  const onKey = (/** @type {string} */ key) => (key === "OK" ? open() : setBuffer((b) => t.editUnsigned(b, key)));
  useKeyboardPad(onKey);
  return html`<div class="center-screen">
    <div class="card float-card">
      <h1>Open the till</h1>
      <p>${cashier?.name}, count the cash in the drawer (the opening float).</p>
      <div class="amount-display" data-test="float-amount">${money(amount)}</div>
      <${Numpad} onKey=${onKey} ok=${null} test="float-pad" />
      <button type="button" class="button primary big" disabled=${!valid || busy} onClick=${open} data-test="open-session">Open session</button>
    </div>
  </div>`;
}

// ---------------------------------------------------------------- sale

function SaleScreen() {
  return html`<div class="sale">
    <${CartPanel} />
    <${CatalogPanel} />
  </div>`;
}

function CartPanel() {
  const { order, openOrders, numpad } = useStore();
  const lines = cart.pricedLines(order);
  const sum = cart.totals(order);
  const listRef = useRef(/** @type {HTMLElement | null} */ (null));
  useEffect(() => {
    listRef.current?.querySelector(".line.selected")?.scrollIntoView({ block: "nearest" });
  }, [order.selectedLineId, order.lines.length]);
  const modes = /** @type {const} */ ([["qty", "Qty"], ["discount", "Disc %"], ["price", "Price"]]);
  const selected = lines.find((line) => line.id === order.selectedLineId);
  return html`<section class="cart" aria-label="Order">
    <div class="order-tabs" data-test="order-tabs">
      ${openOrders.map(
        (/** @type {any} */ o, /** @type {number} */ i) =>
          html`<button type="button" key=${o.uuid} class="order-tab" data-test="order-tab" onClick=${() => t.resumeOrder(o.uuid)}>
            <span>#${i + 1}</span><small>${money(cart.totals(o).gross)}</small>
          </button>`,
      )}
      <span class="order-tab current" data-test="current-order-tab"><span>#${openOrders.length + 1}</span><small>${lines.length ? money(sum.gross) : "new"}</small></span>
      <button type="button" class="order-tab add" data-test="park" disabled=${!lines.length && !order.note} onClick=${t.newParkedOrder} aria-label="New order (park this one)">+ New</button>
      <span class="spacer"></span>
      <button type="button" class="button discard" aria-label="Discard order" data-test="discard" disabled=${!lines.length && !order.note}
        onClick=${() => setState({ dialog: { kind: "confirm", title: "Discard this order?", body: "The lines and payments of this order are dropped.", confirm: "Discard", onConfirm: t.discardOrder } })}>Discard</button>
    </div>
    <ol class="lines" ref=${listRef} data-test="lines">
      ${lines.length === 0 ? html`<li class="empty-cart">Scan a product or tap a tile.</li>` : null}
      ${lines.map(
        (line) => html`<li key=${line.id} class=${`line${line.id === order.selectedLineId ? " selected" : ""}`} data-test="line" data-line-id=${line.id}
          onClick=${() => t.selectLine(line.id)}>
          <div class="line-main">
            <span class="line-name" data-test="line-name">${line.name}</span>
            <span class="line-gross" data-test="line-gross">${money(line.gross)}</span>
          </div>
          <div class="line-detail">
            <span data-test="line-qty">${quantity(line.quantity, line.unit, line.weighed)}</span> × ${money(line.unitPrice)}${line.unit !== "pc" ? `/${line.unit}` : ""}
            ${line.discount ? html`<span class="badge">−${formatDiscount(line.discount)} %</span>` : null}
            ${line.priceOverridden ? html`<span class="badge">price changed</span>` : null}
          </div>
        </li>`,
      )}
    </ol>
    ${order.note ? html`<div class="order-note" data-test="order-note"><b>Note:</b> ${order.note}</div>` : null}
    <div class="totals">
      <div class="total-label">Total<small>${sum.tax ? `incl. tax ${money(sum.tax)}` : ""}</small></div>
      <div class="total-amount" data-test="total">${money(sum.gross)}</div>
    </div>
    <div class="line-tools">
      <div class="numpad-display" data-test="numpad-display">
        ${selected ? html`<span class="muted">${modes.find((m) => m[0] === numpad.mode)?.[1]}</span> <b>${numpad.buffer || "…"}</b>` : html`<span class="muted">Select a line</span>`}
      </div>
      <button type="button" class="button" data-test="apply" disabled=${!selected || !numpad.buffer} onClick=${t.applyNumpad}>OK</button>
      <button type="button" class="button danger-outline" data-test="remove-line" disabled=${!selected} onClick=${t.removeSelectedLine}>Remove</button>
      <button type="button" class="button" data-test="note" onClick=${() => setState({ dialog: { kind: "note" } })}>Note</button>
    </div>
    <div class="keypad">
      <button type="button" class="pay-button" data-test="pay" disabled=${!lines.length} onClick=${t.openPayment}>
        <span>Pay</span><b>${money(sum.gross)}</b>
      </button>
      ${["1", "2", "3", "qty", "4", "5", "6", "discount", "7", "8", "9", "price", "±", "0", ".", "⌫"].map((key) => {
        const mode = modes.find((m) => m[0] === key);
        if (mode) {
          return html`<button type="button" class=${`key mode${numpad.mode === key ? " active" : ""}`} data-mode=${key} onClick=${() => t.setNumpadMode(/** @type {any} */ (key))}>${mode[1]}</button>`;
        }
        return html`<button type="button" class="key" data-key=${key} onClick=${() => t.numpadKey(key)}>${key}</button>`;
      })}
    </div>
  </section>`;
}

function CatalogPanel() {
  const { index, categories, search, categoryId } = useStore();
  const inputRef = useRef(/** @type {HTMLInputElement | null} */ (null));
  useEffect(() => {
    const removeScan = pushScanHandler((code) => t.handleScan(code));
    // Keys typed with no field focused go to the search box.
    const removeTyped = pushTypedHandler((text) => {
      const input = inputRef.current;
      if (!input) return;
      input.focus();
      input.setRangeText(text, input.selectionStart ?? input.value.length, input.selectionEnd ?? input.value.length, "end");
      setState({ search: input.value });
    });
    return () => {
      removeScan();
      removeTyped();
    };
  }, []);
  const tree = useMemo(() => categoryTree(categories ?? []), [categories]);
  const results = useMemo(() => productsFor(index, search, categoryId, tree), [index, search, categoryId, tree]);
  const current = categoryId === null ? null : tree.byId.get(categoryId);
  const topId = current ? (current.parent_id === null ? current.id : current.parent_id) : null;
  const children = topId === null ? [] : tree.children.get(topId) ?? [];
  const submit = (/** @type {Event} */ e) => {
    e.preventDefault();
    const query = search.trim();
    if (/^\d{8,14}$/.test(query)) {
      // Typed by hand when a label does not scan.
      setState({ search: "" });
      t.handleScan(query);
    } else if (results.items.length === 1) {
      t.addToOrder(results.items[0]);
      setState({ search: "" });
    }
  };
  return html`<section class="catalog" aria-label="Products">
    <form class="search" role="search" onSubmit=${submit}>
      <input ref=${inputRef} type="search" class="search-input" placeholder="Search name, reference or barcode" autocomplete="off" spellcheck="false"
        value=${search} onInput=${(/** @type {any} */ e) => setState({ search: e.target.value })} data-test="search" />
      ${search ? html`<button type="button" class="icon-button" aria-label="Clear search" data-test="clear-search" onClick=${() => setState({ search: "" })}>✕</button>` : null}
    </form>
    <nav class="categories" aria-label="Categories" data-test="categories">
      <button type="button" class=${`chip${categoryId === null ? " active" : ""}`} onClick=${() => setState({ categoryId: null, search: "" })}>All</button>
      ${(tree.children.get(null) ?? []).map(
        (/** @type {any} */ c) =>
          html`<button type="button" key=${c.id} class=${`chip${topId === c.id ? " active" : ""}`} style=${`--hue:${hue(c.id)}`} data-test="category"
            onClick=${() => setState({ categoryId: c.id, search: "" })}>${c.name}</button>`,
      )}
    </nav>
    ${children.length
      ? html`<nav class="categories sub" aria-label="Subcategories">
          ${children.map(
            (/** @type {any} */ c) =>
              html`<button type="button" key=${c.id} class=${`chip${categoryId === c.id ? " active" : ""}`} data-test="category"
                onClick=${() => setState({ categoryId: c.id, search: "" })}>${c.name}</button>`,
          )}
        </nav>`
      : null}
    <div class="tiles" data-test="tiles">
      ${results.items.map(
        (/** @type {any} */ p) =>
          html`<button type="button" key=${p.id} class="tile" style=${`--hue:${hue(tree.topOf.get(p.category_id) ?? 0)}`} data-test="tile" data-name=${p.name}
            onClick=${() => t.addToOrder(p)}>
            <span class="tile-name">${p.name}</span>
            <span class="tile-price">${money(parseAmount(p.price, getState().config.currency_places))}${p.unit !== "pc" ? html`<small>/${p.unit}</small>` : null}</span>
          </button>`,
      )}
      ${results.items.length === 0 ? html`<p class="muted empty-tiles">${search ? `Nothing found for “${search}”.` : "No products here."}</p>` : null}
      ${results.more ? html`<p class="muted more-tiles">More products: type to narrow the search.</p>` : null}
    </div>
  </section>`;
}

/** @param {number} id */
function hue(id) {
  return (id * 47) % 360;
}

/**
 * @param {any[]} categories
 */
function categoryTree(categories) {
  /** @type {Map<number | null, any[]>} */
  const children = new Map();
  /** @type {Map<number, any>} */
  const byId = new Map();
  for (const c of categories) {
    byId.set(c.id, c);
    const parent = c.parent_id ?? null;
    const list = children.get(parent);
    if (list) list.push(c);
    else children.set(parent, [c]);
  }
  /** @type {Map<number, number>} top-level ancestor of each category */
  const topOf = new Map();
  for (const c of categories) {
    let top = c;
    for (let depth = 0; top.parent_id !== null && byId.has(top.parent_id) && depth < 20; depth++) top = byId.get(top.parent_id);
    topOf.set(c.id, top.id);
  }
  return { children, byId, topOf };
}

/**
 * The tiles to show: search results, or a category's products (with its subcategories').
 * @param {any} index
 * @param {string} search
 * @param {number | null} categoryId
 * @param {ReturnType<typeof categoryTree>} tree
 * @returns {{items: any[], more: boolean}}
 */
function productsFor(index, search, categoryId, tree) {
  if (!index) return { items: [], more: false };
  if (search.trim()) return searchProducts(index, search, { limit: SEARCH_LIMIT });
  /** @type {Set<number> | null} */
  let wanted = null;
  if (categoryId !== null) {
    wanted = new Set([categoryId]);
    const stack = [categoryId];
    while (stack.length) for (const child of tree.children.get(/** @type {number} */ (stack.pop())) ?? []) if (!wanted.has(child.id)) (wanted.add(child.id), stack.push(child.id));
  }
  const items = [];
  for (const product of index.products) {
    if (wanted && !wanted.has(product.category_id)) continue;
    if (items.length === CATEGORY_LIMIT) return { items, more: true };
    items.push(product);
  }
  return { items, more: false };
}

// ---------------------------------------------------------------- payment

function PaymentScreen() {
  const { order, methods, payBuffer, busy, config } = useStore();
  const sum = cart.totals(order);
  const due = cart.amountDue(order);
  const changeDue = cart.change(order);
  const ready = cart.isFullyPaid(order);
  const problem = cart.paymentProblem(order);
  // What the cashier typed: null when it is not an amount (too many decimals), shown as such.
  const typed = payBuffer ? typedAmount(payBuffer, config.currency_places) : 0;
  const names = new Map(methods.map((/** @type {any} */ m) => [m.id, m.name]));
  const cash = methods.find((/** @type {any} */ m) => m.is_cash);
  useKeyboardPad((key) => (key === "OK" ? (ready ? t.validate() : undefined) : t.payKey(key)), { onEscape: t.closePayment });
  return html`<div class="payment">
    <section class="pay-summary">
      <button type="button" class="button back" data-test="back-to-order" onClick=${t.closePayment}>‹ Back to order</button>
      <dl class="pay-figures">
        <div><dt>Total</dt><dd data-test="pay-total">${money(sum.gross)}</dd></div>
        <div class=${due ? "due" : "paid"}><dt>${due ? "Remaining" : "Paid"}</dt><dd data-test="pay-remaining">${money(due)}</dd></div>
        <div class=${changeDue ? "change" : "muted"}><dt>Change</dt><dd data-test="pay-change">${money(changeDue)}</dd></div>
      </dl>
      <ul class="payments" data-test="payments">
        ${order.payments.map(
          (/** @type {any} */ p) => html`<li key=${p.id} data-test="payment">
            <span>${names.get(p.methodId) ?? `#${p.methodId}`}</span><b>${money(p.amount)}</b>
            <button type="button" class="icon-button" aria-label="Remove payment" onClick=${() => t.removePayment(p.id)}>✕</button>
          </li>`,
        )}
        ${order.payments.length === 0 ? html`<li class="muted">No payment yet.</li>` : null}
      </ul>
      ${problem ? html`<div class="form-error" role="alert">${problem.code === "non_cash_overpay" ? "Only cash can be more than the amount due." : "Too much paid out."}</div>` : null}
      <button type="button" class="button primary validate" data-test="validate" disabled=${!ready || busy} onClick=${t.validate}>
        ${busy ? "Saving…" : "Validate"}
      </button>
    </section>
    <section class="pay-entry">
      <div class="amount-display" data-test="pay-amount" data-valid=${String(typed !== null)}>
        ${!payBuffer ? html`<span class="muted">${money(due)}</span>` : typed === null ? html`<span class="bad">${payBuffer}</span>` : money(typed)}
      </div>
      ${cash && due > 0
        ? html`<div class="quick-cash" data-test="quick-cash">
            ${cart.quickCashAmounts(due, config.currency_places).map(
              (amount) => html`<button type="button" class="button quick" data-amount=${amount} onClick=${() => t.pay(cash, amount)}>${money(amount)}</button>`,
            )}
          </div>`
        : html`<div class="quick-cash"></div>`}
      <${Numpad} onKey=${t.payKey} ok=${null} test="pay-pad" />
      <div class="methods">
        ${methods.map(
          (/** @type {any} */ m) =>
            html`<button type="button" key=${m.id} class=${`button method${m.is_cash ? " cash" : ""}`} data-test="method" data-name=${m.name} disabled=${due === 0}
              onClick=${() => t.pay(m)}>${m.name}</button>`,
        )}
      </div>
    </section>
  </div>`;
}

// ---------------------------------------------------------------- receipt

function ReceiptScreen() {
  const { receipt } = useStore();
  const newOrderRef = useRef(/** @type {HTMLButtonElement | null} */ (null));
  useEffect(() => {
    const removeScan = pushScanHandler((code) => {
      // Scanning the next customer's first item starts the next order.
      t.receiptDone();
      t.handleScan(code);
    });
    return removeScan;
  }, []);
  if (!receipt) return null;
  return html`<div class="receipt-screen">
    <${ReceiptPaper} receipt=${receipt} />
    <aside class="receipt-actions">
      ${receipt.change ? html`<div class="change-banner" data-test="receipt-change"><span>Change</span><b>${money(receipt.change)}</b></div>` : html`<div class="change-banner done"><span>Paid</span><b>${money(receipt.totals.gross)}</b></div>`}
      <button type="button" ref=${newOrderRef} class="button primary big" data-test="new-order" onClick=${t.receiptDone}>New order</button>
      <${PrintStatus} uuid=${receipt.uuid} />
      <button type="button" class="button big" data-test="reprint" onClick=${() => t.reprint(receipt)}>Print again</button>
    </aside>
  </div>`;
}

/** @param {{uuid: string}} props */
function PrintStatus({ uuid }) {
  const { hw: h } = useStore();
  const print = h?.prints?.[uuid];
  if (!h?.configured || !print) return null;
  const text =
    print.state === "printed" ? "Receipt printed" :
    print.state === "printing" ? "Printing…" :
    print.state === "failed" ? `Receipt incomplete: ${faultText(print.fault)}. Print again.` :
    print.state === "error" ? "Receipt not printed." :
    `Receipt not printed: ${faultText(print.fault)}`;
  return html`<div class=${`print-status print-${print.state}`} role="status" data-test="print-status" data-state=${print.state} data-fault=${print.fault ?? ""}>${text}</div>`;
}

/** @param {{receipt: any}} props */
export function ReceiptPaper({ receipt }) {
  const r = receipt;
  return html`<article class="paper" data-test="receipt" data-receipt-number=${r.receiptNumber}>
    <header class="paper-head">
      <b>${r.store.name}</b>
      ${r.store.address.split("\n").map((/** @type {string} */ line) => html`<div>${line}</div>`)}
      ${r.store.taxId ? html`<div>VAT ${r.store.taxId}</div>` : null}
      ${r.store.header ? html`<div class="paper-note">${r.store.header}</div>` : null}
    </header>
    <div class="paper-meta"><span data-test="receipt-number">${r.receiptNumber}</span><span>${new Date(r.createdAt).toLocaleString()}</span></div>
    <div class="paper-meta"><span>${r.terminal}</span><span>${r.cashier}</span></div>
    <table class="paper-lines">
      ${r.lines.map(
        (/** @type {any} */ l) => html`<tr>
          <td>${l.name}<div class="paper-sub">${quantity(l.quantity, l.unit, l.weighed)} × ${money(l.unitPrice)}${l.discount ? ` −${formatDiscount(l.discount)} %` : ""}</div></td>
          <td class="num">${money(l.gross)}</td>
        </tr>`,
      )}
    </table>
    <div class="paper-total"><span>TOTAL</span><span data-test="receipt-total">${money(r.totals.gross)}</span></div>
    ${r.payments.map((/** @type {any} */ p) => html`<div class="paper-row"><span>${p.name}</span><span>${money(p.amount)}</span></div>`)}
    ${r.change ? html`<div class="paper-row"><span>Change</span><span>${money(r.change)}</span></div>` : null}
    <table class="paper-taxes">
      <tr><th>VAT</th><th class="num">Net</th><th class="num">Tax</th><th class="num">Gross</th></tr>
      ${r.taxes.map(
        (/** @type {any} */ g) => html`<tr><td>${formatRate(g.rate)} %${g.priceIncludesTax ? "" : " (excl.)"}</td><td class="num">${money(g.net)}</td><td class="num">${money(g.tax)}</td><td class="num">${money(g.gross)}</td></tr>`,
      )}
    </table>
    ${r.note ? html`<div class="paper-note">${r.note}</div>` : null}
    ${r.store.footer ? html`<footer class="paper-note">${r.store.footer}</footer>` : null}
  </article>`;
}

// ---------------------------------------------------------------- closing

function CloseScreen() {
  const { session, config, openOrders, order } = useStore();
  const [buffer, setBuffer] = useState("");
  const [busy, setBusy] = useState(false);
  const typed = typedAmount(buffer, config.currency_places);
  const valid = buffer !== "" && typed !== null;
  const counted = valid ? /** @type {number} */ (typed) : 0;
  const expected = t.expectedCash(session);
  const difference = counted - expected;
  const onKey = (/** @type {string} */ key) => (key === "OK" ? undefined : setBuffer((b) => t.editUnsigned(b, key)));
  useKeyboardPad(onKey, { onEscape: () => setState({ view: "sale" }) });
  const openCount = openOrders.length + (order.lines.length ? 1 : 0);
  const confirm = async () => {
    setBusy(true);
    await t.closeSession(counted);
  };
  return html`<div class="close-screen">
    <section class="card close-figures">
      <h1>Close the cash session</h1>
      <dl class="figures">
        <div><dt>Opened</dt><dd>${new Date(session.openedAt).toLocaleString()}</dd></div>
        <div><dt>Orders</dt><dd data-test="close-orders">${session.orders}</dd></div>
        <div><dt>Sales</dt><dd>${money(session.sales)}</dd></div>
        <div><dt>Opening float</dt><dd>${money(session.openingFloat)}</dd></div>
        <div><dt>Cash taken</dt><dd>${money(session.cashIn)}</dd></div>
        <div><dt>Change given</dt><dd>−${money(session.changeOut)}</dd></div>
        <div class="strong"><dt>Expected in drawer</dt><dd data-test="close-expected">${money(expected)}</dd></div>
        <div class="strong"><dt>Counted</dt><dd data-test="close-counted">${valid ? money(counted) : "—"}</dd></div>
        <div class=${`strong ${!valid ? "" : difference === 0 ? "good" : "bad"}`}><dt>Difference</dt><dd data-test="close-difference">${valid ? money(difference) : "—"}</dd></div>
      </dl>
      ${session.adopted ? html`<p class="muted">This session was opened elsewhere: only sales made here are counted above; the server has the full figures.</p>` : null}
      ${openCount ? html`<p class="warn">${openCount} open order${openCount > 1 ? "s stay" : " stays"} open for the next session.</p>` : null}
    </section>
    <section class="close-entry">
      <div class="amount-display" data-test="count-amount">${valid ? money(counted) : html`<span class="muted">Count the cash</span>`}</div>
      <${Numpad} onKey=${onKey} ok=${null} test="count-pad" />
      <div class="row">
        <button type="button" class="button big" onClick=${() => setState({ view: "sale" })}>Cancel</button>
        <button type="button" class="button primary big" data-test="confirm-close" disabled=${!valid || busy} onClick=${confirm}>Close session</button>
      </div>
    </section>
  </div>`;
}

// ---------------------------------------------------------------- outbox

function OutboxScreen() {
  const { counts, sync } = useStore();
  const [entries, setEntries] = useState(/** @type {any[] | null} */ (null));
  useEffect(() => {
    t.listOutbox().then(setEntries);
  }, [counts.pending, counts.rejected]);
  return html`<div class="outbox-screen">
    <header class="outbox-head">
      <button type="button" class="button back" onClick=${() => setState({ view: "sale" })}>‹ Back</button>
      <h1>Unsynced orders</h1>
      <span class="spacer"></span>
      <button type="button" class="button" onClick=${t.syncNow}>Sync now</button>
      <button type="button" class="button" data-test="export" onClick=${t.exportOutbox}>Export to file</button>
    </header>
    <p class="muted">${sync.online ? "The server is reachable." : "The server cannot be reached: orders are kept here and sent when it is back."} Last sync ${clock(sync.lastSyncAt)}.</p>
    <table class="outbox-table" data-test="outbox">
      <thead><tr><th>#</th><th>What</th><th>When</th><th>Status</th><th></th></tr></thead>
      <tbody>
        ${(entries ?? []).map(
          (e) => html`<tr key=${e.key} class=${e.state} data-test="outbox-entry" data-state=${e.state}>
            <td>${e.seq}</td>
            <td>${e.kind === "order" ? `Order ${e.payload.receipt_number} · ${e.payload.totals.gross}` : e.kind === "session_open" ? "Session opened" : "Session closed"}</td>
            <td>${clock(e.createdAt)}</td>
            <td>${e.state === "rejected" ? html`<b class="bad">Rejected</b><div class="reason" data-test="reason">${e.error}</div>` : "Waiting"}</td>
            <td>${e.state === "rejected" ? html`<button type="button" class="button" onClick=${() => t.requeue(e.key)}>Send again</button>` : null}</td>
          </tr>`,
        )}
        ${entries && entries.length === 0 ? html`<tr><td colspan="5" class="muted">Everything is on the server.</td></tr>` : null}
      </tbody>
    </table>
  </div>`;
}

// ---------------------------------------------------------------- dialogs

/** @param {{dialog: any}} props */
function Dialog({ dialog }) {
  const close = () => setState({ dialog: null });
  useEffect(() => {
    // While a dialog is open a scan is not applied to the order behind it.
    const removeScan = pushScanHandler(() => t.toast("Close the dialog first.", "error"));
    return removeScan;
  }, []);
  if (dialog.kind === "weight") return html`<${WeightDialog} product=${dialog.product} onClose=${close} />`;
  if (dialog.kind === "manager") return html`<${ManagerDialog} dialog=${dialog} onClose=${close} />`;
  if (dialog.kind === "note") return html`<${NoteDialog} onClose=${close} />`;
  if (dialog.kind === "devices") return html`<${DevicesDialog} onClose=${close} />`;
  if (dialog.kind === "drawer") return html`<${DrawerDialog} onClose=${close} />`;
  if (dialog.kind === "confirm") {
    return html`<${Modal} title=${dialog.title} onClose=${close} test="confirm-dialog">
      <p>${dialog.body}</p>
      <div class="row">
        <button type="button" class="button big" onClick=${close}>Cancel</button>
        <button type="button" class="button danger big" data-test="confirm" onClick=${() => { close(); dialog.onConfirm(); }}>${dialog.confirm}</button>
      </div>
    <//>`;
  }
  return null;
}

/** @param {{product: any, onClose: () => void}} props */
function WeightDialog({ product, onClose }) {
  const [buffer, setBuffer] = useState("");
  const submit = () => {
    // Digits with at most three decimals ("0." too), read exactly, never through a float.
    const milli = /^\d+(\.\d{0,3})?$/.test(buffer) ? parseTyped(buffer, parseQuantity) : null;
    if (milli === null || milli <= 0) {
      t.toast("Enter the weight in kg, e.g. 0.455.", "error");
      return;
    }
    onClose();
    t.addToOrder(product, { quantity: milli });
  };
  const onKey = (/** @type {string} */ key) => (key === "OK" ? submit() : setBuffer((b) => t.editUnsigned(b, key)));
  useKeyboardPad(onKey, { onEscape: onClose });
  return html`<${Modal} title=${`Weight of ${product.name}`} onClose=${onClose} test="weight-dialog">
    <div class="amount-display">${buffer || "0"} ${product.unit}</div>
    <${Numpad} onKey=${onKey} ok="Add" test="weight-pad" />
  <//>`;
}

/** @param {{dialog: any, onClose: () => void}} props */
function ManagerDialog({ dialog, onClose }) {
  const { cashiers } = useStore();
  const managers = cashiers.filter((/** @type {any} */ c) => c.role === "manager");
  const [manager, setManager] = useState(managers.length === 1 ? managers[0] : null);
  const submit = async (/** @type {string} */ pin) => {
    const result = await t.verifyCashierPin(manager, pin);
    if (result.ok) {
      onClose();
      dialog.onApproved(manager);
      return null;
    }
    return result.lockedFor ? `Locked for ${Math.ceil(result.lockedFor / 1000)} s.` : "Wrong PIN.";
  };
  return html`<${Modal} title="Manager approval" onClose=${onClose} test="manager-dialog">
    <p>${dialog.reason}</p>
    ${managers.length === 0 ? html`<p class="form-error">No manager is set up for this terminal.</p>` : null}
    ${managers.length > 1
      ? html`<div class="people small">${managers.map(
          (/** @type {any} */ m) => html`<button type="button" class=${`person${manager?.id === m.id ? " selected" : ""}`} onClick=${() => setManager(m)}>${m.name}</button>`,
        )}</div>`
      : null}
    ${manager ? html`<p class="muted">${manager.name}, enter your PIN.</p><${PinPad} key=${manager.id} onSubmit=${submit} test="manager-pin" />` : null}
  <//>`;
}

/** @param {{onClose: () => void}} props */
function NoteDialog({ onClose }) {
  const { order } = useStore();
  const [note, setNote] = useState(order.note);
  const ref = useRef(/** @type {HTMLTextAreaElement | null} */ (null));
  useEffect(() => ref.current?.focus(), []);
  return html`<${Modal} title="Order note" onClose=${onClose} test="note-dialog">
    <textarea ref=${ref} class="note-input" maxlength=${cart.LIMITS.noteLength} rows="4" value=${note} data-test="note-input"
      onInput=${(/** @type {any} */ e) => setNote(e.target.value)}></textarea>
    <div class="row">
      <button type="button" class="button big" onClick=${onClose}>Cancel</button>
      <button type="button" class="button primary big" data-test="save-note" onClick=${() => { t.setNote(note); onClose(); }}>Save note</button>
    </div>
  <//>`;
}

// ---------------------------------------------------------------- devices

/** @param {{onClose: () => void}} props */
function DevicesDialog({ onClose }) {
  const { hw: h, phase } = useStore();
  const [code, setCode] = useState("");
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const [busy, setBusy] = useState(false);
  const status = h?.status;
  const printer = status?.printer;
  const row = (/** @type {string} */ name, /** @type {string} */ value, /** @type {string} */ test) =>
    html`<tr><th>${name}</th><td data-test=${test}>${value}</td></tr>`;
  const pair = async (/** @type {Event} */ e) => {
    e.preventDefault();
    setBusy(true);
    const message = await hw.pairProxy(code);
    setBusy(false);
    setError(message);
    if (!message) setCode("");
  };
  return html`<${Modal} title="Devices" onClose=${onClose} test="devices-dialog">
    <table class="devices">
      ${row("Hardware proxy", `${h?.url || "none set up"} · ${h?.reachable ? "reachable" : h?.reachable === false ? "not reachable" : "…"}`, "proxy-state")}
      ${row("Printer", printer ? (printer.configured === false ? "not set up" : printer.fault ? faultText(printer.fault) : printer.paper === "near_end" ? "ready, paper low" : printer.state === "online" ? "ready" : printer.state) : "unknown", "printer-state")}
      ${row("Drawer", status?.drawer?.state ?? "unknown", "drawer-state")}
      ${row("Customer display", status?.display ? (status.display.configured ? status.display.state : "not set up") : "unknown", "display-state")}
      ${row("Scanner", status?.scanner ? (status.scanner.configured ? status.scanner.state : "not set up") : "unknown", "scanner-state")}
      ${row("Receipts owed", String(h?.owed ?? 0), "owed-count")}
    </table>
    ${h?.configured && !h.paired
      ? html`<form class="pair-proxy" onSubmit=${pair}>
          <p>Enter the pairing code shown on the hardware proxy's page (<a href=${h.url} target="_blank" rel="noopener">${h.url}</a>).</p>
          <input class="big-input" autocomplete="off" autocapitalize="characters" spellcheck="false" placeholder="ABCD-2345"
            value=${code} onInput=${(/** @type {any} */ e) => setCode(e.target.value)} data-test="proxy-code" />
          <div class="form-error" role="alert" data-test="proxy-pair-error">${error ?? ""}</div>
          <button type="submit" class="button primary big" disabled=${busy || code.trim().length < 4} data-test="proxy-pair">${busy ? "Pairing…" : "Pair devices"}</button>
        </form>`
      : null}
    <div class="row">
      ${h?.owed ? html`<button type="button" class="button big" data-test="print-owed" onClick=${() => hw.printOwed()}>Print owed receipts</button>` : null}
      ${h?.paired && phase === "sale" ? html`<button type="button" class="button big" data-test="open-drawer" onClick=${() => setState({ dialog: { kind: "drawer" } })}>Open drawer</button>` : null}
      <button type="button" class="button big" onClick=${onClose}>Close</button>
    </div>
  <//>`;
}

const DRAWER_REASONS = ["Change for a customer", "Cash count", "Cash taken to the safe", "Wrong change given"];

/** A manager opens the drawer without a sale; the proxy logs the reason. */
/** @param {{onClose: () => void}} props */
function DrawerDialog({ onClose }) {
  const { cashier } = useStore();
  const [reason, setReason] = useState("");
  const open = () => {
    const why = reason.trim();
    if (!why) return;
    if (cashier?.role === "manager") {
      onClose();
      hw.openDrawer(`${why} (${cashier.name})`);
      return;
    }
    setState({
      dialog: {
        kind: "manager",
        reason: "Opening the drawer without a sale needs a manager.",
        onApproved: (/** @type {any} */ manager) => hw.openDrawer(`${why} (${manager.name}, for ${cashier?.name ?? "?"})`),
      },
    });
  };
  return html`<${Modal} title="Open drawer" onClose=${onClose} test="drawer-dialog">
    <p>Why is the drawer opened? It is logged.</p>
    <div class="people small">
      ${DRAWER_REASONS.map(
        (text) => html`<button type="button" class=${`person${reason === text ? " selected" : ""}`} data-test="drawer-reason" onClick=${() => setReason(text)}>${text}</button>`,
      )}
    </div>
    <input class="big-input" maxlength="150" placeholder="Other reason" value=${reason} data-test="drawer-reason-text"
      onInput=${(/** @type {any} */ e) => setReason(e.target.value)} />
    <div class="row">
      <button type="button" class="button big" onClick=${onClose}>Cancel</button>
      <button type="button" class="button danger big" disabled=${!reason.trim()} data-test="drawer-open" onClick=${open}>Open drawer</button>
    </div>
  <//>`;
}
