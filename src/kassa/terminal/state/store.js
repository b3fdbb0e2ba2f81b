// @ts-check
/**
 * The app's state: one plain object replaced on every change. Not UI: the flows and the
 * device adapters read and change it here; ui/store.js's `useStore` re-renders the screens
 * when it changes. Enough for one screen at a time; no library needed.
 */

/**
 * @typedef {import("../domain/cart.js").Order & {openedAt?: string}} OpenOrder
 *   an order being sold or parked; `openedAt` orders the tabs (not part of the synced order)
 * @typedef {import("../domain/cart.js").CatalogPaymentMethod & {name: string}} PaymentMethod
 *
 * @typedef {object} TerminalConfig  the server's terminal configuration (`GET terminal`)
 * @property {number} id
 * @property {string} code
 * @property {string} name
 * @property {string} store_name
 * @property {string} currency
 * @property {number} currency_places
 * @property {string} receipt_prefix
 * @property {string} [discount_limit]       percent, decimal string
 * @property {string | null} [proxy_url]
 * @property {string} [drawer_policy]        "cash" | "always" | "never"
 * @property {any[]} [barcode_patterns]
 * @property {{action: string, code: string, label: string, restock: boolean}[]} [reasons]  back-office reason lists, per action code
 * @property {PaymentMethod[]} payment_methods
 * @property {number[]} [refund_method_ids]  the methods a refund may be paid out in
 * @property {number} [recent_order_days]    days of the store's orders kept to refund offline
 * @property {string} [store_address]
 * @property {string} [store_tax_id]
 * @property {string} [receipt_header]
 * @property {string} [receipt_footer]
 * @property {string} [language]             "en" | "de": the till's language (domain/i18n.js)
 * @property {number | null} [store_id]
 * @property {string} [time_zone]            IANA name (issue 15); "UTC" until then
 * @property {string} [day_start]            "HH:MM", default "04:00"
 * @property {boolean} [blind_close]         count without seeing the expected amounts (docs/z-report.md)
 * @property {boolean} [cash_move_slip]      print a slip for each cash move
 * @property {string | null} [variance_amount]   the close's variance limits
 * @property {string | null} [variance_percent]
 *
 * @typedef {object} Cashier
 * @property {number} id
 * @property {string} name
 * @property {string} role                   the role's code: "cashier", "supervisor", "manager" or a shop's own
 * @property {string} [role_name]
 * @property {number} [role_revision]        the revision of the role's permissions sent
 * @property {import("../domain/permissions.js").Rules} [permissions]  per action code (docs/permissions.md)
 * @property {any} pin_verifier
 *
 * @typedef {object} CashSession  a cash session as this terminal keeps it (data/db.js `sessions`)
 * @property {string} uuid
 * @property {number} cashierId
 * @property {string} openedAt
 * @property {number} openingFloat           minor units, like every amount below
 * @property {"open" | "closing" | "closed"} state  closing: the close was started, new sales stop
 * @property {number} cashIn
 * @property {number} changeOut
 * @property {number} orders
 * @property {number} sales
 * @property {boolean} [adopted]             opened elsewhere (`GET sessions/current`)
 * @property {string} [closedAt]
 * @property {number} [closedBy]
 * @property {number} [countedCash]
 * @property {number} [expectedCash]
 * @property {number} [zNo]                  the Z that closed it
 *
 * @typedef {object} Category
 * @property {number} id
 * @property {string} name
 * @property {number | null} parent_id
 *
 * @typedef {{id: number, message: string, kind: "info" | "error"}} Toast
 * @typedef {{kind: "weight" | "manager" | "note" | "devices" | "drawer" | "confirm", [detail: string]: any}} Dialog
 * @typedef {{mode: "qty" | "discount" | "price", buffer: string}} NumpadState
 * @typedef {{online: boolean | null, lastSyncAt: string | null, authError: boolean, syncing: boolean}} SyncStatus
 * @typedef {{step?: "products" | "index" | "store", loaded: number, total: number | null, error: string | null}} DownloadProgress
 *   `step`: receiving the products, then making their search index, then storing it
 * @typedef {import("../domain/receipt.js").Receipt & {print?: {owed: boolean, failed?: boolean, printedAt?: string}}} KeptReceipt
 *
 * @typedef {object} PrintState  a receipt's printing as the proxy reported it
 * @property {"printing" | "printed" | "owed" | "failed" | "error"} state
 * @property {string | null} fault
 *
 * @typedef {object} HardwareState  hardware/proxy.js's view of the till's devices
 * @property {string} [url]
 * @property {boolean} configured          a proxy URL is set
 * @property {boolean} paired
 * @property {boolean | null} reachable
 * @property {boolean} [live]              the event stream is open
 * @property {any} status                  the proxy's `GET status` (printer, drawer, display, scanner)
 * @property {number} owed                 receipts owed
 * @property {Record<string, PrintState>} prints  by order uuid
 * @property {any} [lastDrawer]
 *
 * @typedef {object} State
 * @property {"boot" | "pair" | "download" | "login" | "float" | "sale" | "fatal"} phase
 * @property {"sale" | "payment" | "receipt" | "close" | "outbox" | "cash" | "xreport" | "refund"} view  the screen of the sale phase
 * @property {string} [fatal]
 * @property {Toast[]} toasts
 * @property {Dialog | null} dialog
 * @property {boolean} menu
 * @property {string} search
 * @property {number | null} categoryId
 * @property {NumpadState} numpad
 * @property {SyncStatus} sync
 * @property {{pending: number, rejected: number}} counts
 * @property {boolean} busy
 * @property {string | null} [pairError]
 * @property {{error: string | null} | null} [recovery]  a re-paired till waits to resume its
 *   journal: the pairing screen asks for the proxy's code (flows/start.js recoverJournal)
 * @property {DownloadProgress} [download]
 * @property {TerminalConfig | null} config
 * @property {Cashier | null} cashier
 * @property {Cashier[]} cashiers
 * @property {Category[]} categories
 * @property {PaymentMethod[]} methods
 * @property {any} [index]                 domain/search.js's index
 * @property {Map<number, import("../domain/cart.js").CatalogTax>} [taxes]
 * @property {number} [productCount]
 * @property {OpenOrder[]} openOrders      parked, oldest first
 * @property {OpenOrder | null} order      the order on screen (set from the sale phase on)
 * @property {CashSession | null} session
 * @property {CashSession} [lastClosed]
 * @property {any} [xReport]               the X report on screen (never stored)
 * @property {any} [lastZ]                 the last Z this till wrote, as stored (flows/close.js)
 * @property {string | null} [suggestedFloat]  the next session's float: the last Z's counted less its closing drops
 * @property {string} payBuffer
 * @property {KeptReceipt | null} [receipt]  the receipt screen's
 * @property {boolean} [persisted]
 * @property {boolean} [swUpdate]
 * @property {HardwareState} hw
 * @property {JournalState} [journal]      flows/journal.js refreshJournal
 * @property {any} [refund]                the refund screen's (flows/refund.js RefundState)
 * @property {{reason: string, approvedBy: number | null, approval: string | null} | null} [returnMode]
 *   a return without a receipt is being rung up (flows/refund.js startBlindReturn)
 *
 * @typedef {object} JournalState  the journal's figures (outbox screen)
 * @property {number} seq                  the last entry
 * @property {string} hash                 its hash
 * @property {number} unsent               entries after the server's head
 * @property {number} serverSeq            the server's head
 * @property {"ok" | "gap" | "quarantined" | "unknown"} status  the server's last word on the chain
 * @property {{from: number, to: number} | null} missing
 * @property {number} mirrored             the last entry the proxy's mirror has
 */

/** @returns {State} */
export function initialState() {
  return {
    phase: "boot",
    view: "sale",
    toasts: [],
    dialog: null,
    menu: false,
    search: "",
    categoryId: null,
    numpad: { mode: "qty", buffer: "" },
    sync: { online: null, lastSyncAt: null, authError: false, syncing: false },
    counts: { pending: 0, rejected: 0 },
    busy: false,
    config: null,
    cashier: null,
    cashiers: [],
    categories: [],
    methods: [],
    openOrders: [],
    order: null,
    session: null,
    payBuffer: "",
    hw: { configured: false, paired: false, reachable: null, status: null, owed: 0, prints: {} },
  };
}

/** @type {State} */
let state = initialState();
/** @type {Set<() => void>} */
const subscribers = new Set();
let scheduled = false;

/** @returns {State} */
export function getState() {
  return state;
}

/**
 * Merge a change into the state and notify (once per microtask, however many changes).
 * @param {Partial<State> | ((state: State) => Partial<State>)} change
 */
export function setState(change) {
  const patch = typeof change === "function" ? change(state) : change;
  state = { ...state, ...patch };
  if (!scheduled) {
    scheduled = true;
    queueMicrotask(() => {
      scheduled = false;
      for (const subscriber of subscribers) subscriber();
    });
  }
}

/**
 * Be told after changes (at most once per microtask).
 * @param {() => void} subscriber
 * @returns {() => void} unsubscribe
 */
export function subscribe(subscriber) {
  subscribers.add(subscriber);
  return () => {
    subscribers.delete(subscriber);
  };
}
