// @ts-check
/**
 * The sale: the order (tabs, lines, totals, the line numpad, Pay) and the catalog (search,
 * categories, tiles). A scan here adds to the order.
 */
import { t } from "../../domain/i18n.js";
import * as cart from "../../domain/cart.js";
import { categoryTree, productsFor } from "../../domain/catalog.js";
import { formatDiscount, parseAmount } from "../../domain/money.js";
import { getState, setState } from "../../state/store.js";
import {
  addToOrder,
  applyNumpad,
  discardOrder,
  handleScan,
  newParkedOrder,
  numpadKey,
  removeSelectedLine,
  resumeOrder,
  selectLine,
  setNumpadMode,
} from "../../flows/order.js";
import { openPayment } from "../../flows/payment.js";
import { rightTo, rulesOf } from "../../flows/approval.js";
import { endBlindReturn, openRefund } from "../../flows/refund.js";
import { money, quantity } from "../components.js";
import { html, useEffect, useMemo, useRef } from "../html.js";
import { pushScanHandler, pushTypedHandler } from "../scanner.js";
import { saleState, useStore } from "../store.js";

export function SaleScreen() {
  return html`<div class="sale">
    <${CartPanel} />
    <${CatalogPanel} />
  </div>`;
}

function CartPanel() {
  const state = useStore();
  const { openOrders, numpad, returnMode } = state;
  const { order } = saleState(state);
  const lines = cart.pricedLines(order);
  const sum = cart.totals(order);
  const listRef = useRef(/** @type {HTMLElement | null} */ (null));
  useEffect(() => {
    listRef.current?.querySelector(".line.selected")?.scrollIntoView({ block: "nearest" });
  }, [order.selectedLineId, order.lines.length]);
  const modes = /** @type {const} */ ([
    ["qty", t("Qty")],
    ["discount", t("Disc %")],
    ["price", t("Price")],
  ]);
  const selected = lines.find((line) => line.id === order.selectedLineId);
  // What the cashier logged in now may do alone, what needs an approval (re-rendered on a
  // switch of cashier: the rights are read from the state).
  const rules = rulesOf(state.cashier);
  const voidRight = rightTo("LINE_VOID");
  const abandonRight = rightTo("ORDER_ABANDON");
  const priceRight = rightTo("PRICE_OVERRIDE");
  const discountLimit = rules?.LINE_DISCOUNT?.mode === "allow" ? rules.LINE_DISCOUNT.limit : null;
  const discountRight = rightTo("LINE_DISCOUNT", 0);
  /** @type {Record<string, string>} */
  const modeRight = {
    qty: "allowed",
    discount: discountRight === "allowed" && discountLimit !== null ? "limited" : discountRight,
    price: priceRight,
  };
  useEffect(() => {
    // Backspace or Delete with no field focused voids the selected line, as Remove does:
    // the same door, so the same rights.
    const keydown = (/** @type {KeyboardEvent} */ event) => {
      if (event.key !== "Backspace" && event.key !== "Delete") return;
      const target = /** @type {HTMLElement | null} */ (event.target);
      if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable)) return;
      if (getState().dialog) return;
      event.preventDefault();
      removeSelectedLine();
    };
    window.addEventListener("keydown", keydown);
    return () => window.removeEventListener("keydown", keydown);
  }, []);
  return html`<section class="cart" aria-label=${t("Order")}>
    <div class="order-tabs" data-test="order-tabs">
      ${openOrders.map(
        (/** @type {any} */ o, /** @type {number} */ i) =>
          html`<button type="button" key=${o.uuid} class="order-tab" data-test="order-tab" onClick=${() => resumeOrder(o.uuid)}>
            <span>#${i + 1}</span><small>${money(cart.totals(o).gross)}</small>
          </button>`,
      )}
      <span class="order-tab current" data-test="current-order-tab"><span>#${openOrders.length + 1}</span><small>${lines.length ? money(sum.gross) : t("new")}</small></span>
      <button type="button" class="order-tab add" data-test="park" disabled=${!lines.length && !order.note} onClick=${newParkedOrder} aria-label=${t("New order (park this one)")}>${t("+ New")}</button>
      <span class="spacer"></span>
      <button type="button" class=${`button discard${abandonRight === "needs_approval" && lines.length ? " needs-approval" : ""}`} aria-label=${t("Discard order")} data-test="discard" data-right=${abandonRight}
        title=${rightTitle(abandonRight)} disabled=${(!lines.length && !order.note) || (lines.length > 0 && abandonRight === "denied")}
        onClick=${() => setState({ dialog: { kind: "confirm", title: t("Discard this order?"), body: t("The lines and payments of this order are dropped."), confirm: t("Discard"), onConfirm: discardOrder } })}>${t("Discard")}</button>
    </div>
    <ol class="lines" ref=${listRef} data-test="lines">
      ${lines.length === 0 ? html`<li class="empty-cart">${t("Scan a product or tap a tile.")}</li>` : null}
      ${lines.map(
        (
          line,
        ) => html`<li key=${line.id} class=${`line${line.id === order.selectedLineId ? " selected" : ""}`} data-test="line" data-line-id=${line.id}
          onClick=${() => selectLine(line.id)}>
          <div class="line-main">
            <span class="line-name" data-test="line-name">${line.name}</span>
            <span class="line-gross" data-test="line-gross">${money(line.gross)}</span>
          </div>
          <div class="line-detail">
            <span data-test="line-qty">${quantity(line.quantity, line.unit, line.weighed)}</span> × ${money(line.unitPrice)}${line.unit !== "pc" ? `/${line.unit}` : ""}
            ${line.discount ? html`<span class="badge">−${formatDiscount(line.discount)} %</span>` : null}
            ${line.priceOverridden ? html`<span class="badge">${t("price changed")}</span>` : null}
            ${line.quantity < 0 ? html`<span class="badge" data-test="line-returned">${t("returned")}${line.reason ? ` · ${line.reason}` : ""}</span>` : null}
          </div>
        </li>`,
      )}
    </ol>
    ${order.note ? html`<div class="order-note" data-test="order-note"><b>${t("Note:")}</b> ${order.note}</div>` : null}
    ${
      order.original
        ? html`<div class="order-note" data-test="refund-of">${t("Returns of receipt")} <b>${order.original.receiptNumber}</b></div>`
        : null
    }
    ${
      returnMode
        ? html`<div class="order-note" data-test="return-mode">${t("Return without receipt: items added come back.")}
            <button type="button" class="button" data-test="end-return" onClick=${endBlindReturn}>${t("Done")}</button></div>`
        : null
    }
    <div class="totals">
      <div class="total-label">${t("Total")}<small>${sum.tax ? t("incl. tax {amount}", { amount: money(sum.tax) }) : ""}</small></div>
      <div class="total-amount" data-test="total">${money(sum.gross)}</div>
    </div>
    <div class="line-tools">
      <div class="numpad-display" data-test="numpad-display">
        ${selected ? html`<span class="muted">${modes.find((m) => m[0] === numpad.mode)?.[1]}</span> <b>${numpad.buffer || "…"}</b>` : html`<span class="muted">${t("Select a line")}</span>`}
      </div>
      <button type="button" class="button" data-test="apply" disabled=${!selected || !numpad.buffer} onClick=${applyNumpad}>OK</button>
      <button type="button" class=${`button danger-outline${voidRight === "needs_approval" ? " needs-approval" : ""}`} data-test="remove-line" data-right=${voidRight}
        title=${rightTitle(voidRight)} disabled=${!selected || voidRight === "denied"} onClick=${removeSelectedLine}>${t("Remove")}${voidRight === "needs_approval" ? html`<small class="right-hint">${t("approval")}</small>` : null}</button>
      <button type="button" class="button" data-test="note" onClick=${() => setState({ dialog: { kind: "note" } })}>${t("Note")}</button>
      <button type="button" class="button" data-test="refund" onClick=${openRefund}>${t("Refund")}</button>
    </div>
    <div class="keypad">
      <button type="button" class="pay-button" data-test="pay" disabled=${!lines.length} onClick=${openPayment}>
        <span>${t("Pay")}</span><b>${money(sum.gross)}</b>
      </button>
      ${["1", "2", "3", "qty", "4", "5", "6", "discount", "7", "8", "9", "price", "±", "0", ".", "⌫"].map((key) => {
        const mode = modes.find((m) => m[0] === key);
        if (mode) {
          const right = modeRight[key];
          const hint =
            right === "limited"
              ? `≤${discountLimit} %`
              : right === "needs_approval"
                ? "approval"
                : right === "denied"
                  ? "not allowed"
                  : null;
          return html`<button type="button" class=${`key mode${numpad.mode === key ? " active" : ""}${right === "needs_approval" ? " needs-approval" : ""}`} data-mode=${key} data-right=${right}
            title=${right === "limited" ? t("Up to {percent} % alone; more needs an approval", { percent: discountLimit ?? "" }) : rightTitle(right)}
            disabled=${right === "denied"} onClick=${() => setNumpadMode(/** @type {any} */ (key))}>${mode[1]}${hint ? html`<small class="right-hint">${hint}</small>` : null}</button>`;
        }
        return html`<button type="button" class="key" data-key=${key} onClick=${() => numpadKey(key)}>${key}</button>`;
      })}
    </div>
  </section>`;
}

function CatalogPanel() {
  const state = useStore();
  const { index, categories, search, categoryId } = state;
  const { config } = saleState(state);
  const inputRef = useRef(/** @type {HTMLInputElement | null} */ (null));
  useEffect(() => {
    const removeScan = pushScanHandler((code) => handleScan(code));
    // Keys typed with no field focused go to the search box.
    const removeTyped = pushTypedHandler((text) => {
      const input = inputRef.current;
      if (!input) return;
      input.focus();
      input.setRangeText(
        text,
        input.selectionStart ?? input.value.length,
        input.selectionEnd ?? input.value.length,
        "end",
      );
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
  const children = topId === null ? [] : (tree.children.get(topId) ?? []);
  const submit = (/** @type {Event} */ e) => {
    e.preventDefault();
    const query = search.trim();
    if (/^\d{8,14}$/.test(query)) {
      // Typed by hand when a label does not scan.
      setState({ search: "" });
      handleScan(query);
    } else if (results.items.length === 1) {
      addToOrder(results.items[0]);
      setState({ search: "" });
    }
  };
  return html`<section class="catalog" aria-label=${t("Products")}>
    <form class="search" role="search" onSubmit=${submit}>
      <input ref=${inputRef} type="search" class="search-input" placeholder=${t("Search name, reference or barcode")} autocomplete="off" spellcheck="false"
        value=${search} onInput=${(/** @type {any} */ e) => setState({ search: e.target.value })} data-test="search" />
      ${search ? html`<button type="button" class="icon-button" aria-label=${t("Clear search")} data-test="clear-search" onClick=${() => setState({ search: "" })}>✕</button>` : null}
    </form>
    <nav class="categories" aria-label=${t("Categories")} data-test="categories">
      <button type="button" class=${`chip${categoryId === null ? " active" : ""}`} onClick=${() => setState({ categoryId: null, search: "" })}>${t("All")}</button>
      ${(tree.children.get(null) ?? []).map(
        (/** @type {any} */ c) =>
          html`<button type="button" key=${c.id} class=${`chip${topId === c.id ? " active" : ""}`} style=${`--hue:${hue(c.id)}`} data-test="category"
            onClick=${() => setState({ categoryId: c.id, search: "" })}>${c.name}</button>`,
      )}
    </nav>
    ${
      children.length
        ? html`<nav class="categories sub" aria-label=${t("Subcategories")}>
          ${children.map(
            (/** @type {any} */ c) =>
              html`<button type="button" key=${c.id} class=${`chip${categoryId === c.id ? " active" : ""}`} data-test="category"
                onClick=${() => setState({ categoryId: c.id, search: "" })}>${c.name}</button>`,
          )}
        </nav>`
        : null
    }
    <div class="tiles" data-test="tiles">
      ${results.items.map(
        (/** @type {any} */ p) =>
          html`<button type="button" key=${p.id} class="tile" style=${`--hue:${hue(tree.topOf.get(p.category_id) ?? 0)}`} data-test="tile" data-name=${p.name}
            onClick=${() => addToOrder(p)}>
            <span class="tile-name">${p.name}</span>
            <span class="tile-price">${money(parseAmount(p.price, config.currency_places))}${p.unit !== "pc" ? html`<small>/${p.unit}</small>` : null}</span>
          </button>`,
      )}
      ${results.items.length === 0 ? html`<p class="muted empty-tiles">${search ? t("Nothing found for “{search}”.", { search }) : t("No products here.")}</p>` : null}
      ${results.more ? html`<p class="muted more-tiles">${t("More products: type to narrow the search.")}</p>` : null}
    </div>
  </section>`;
}

/** @param {string} right */
function rightTitle(right) {
  if (right === "needs_approval") return t("Needs an approval");
  if (right === "denied") return t("Not allowed for this cashier");
  return "";
}

/** @param {number} id */
function hue(id) {
  return (id * 47) % 360;
}
