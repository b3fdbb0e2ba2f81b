// @ts-check
/** Who is selling: the cashier tiles and the PIN pad (checked offline; lockouts shown). */
import { t } from "../../domain/i18n.js";
import { zDocument } from "../../domain/z_receipt.js";
import { reprintLastZ } from "../../flows/close.js";
import { lockedFor, login } from "../../flows/session.js";
import { PinPad, amountText } from "../components.js";
import { html, useEffect, useState } from "../html.js";
import { ReceiptPreview } from "../receipt_preview.js";
import { useStore } from "../store.js";

export function LoginScreen() {
  const { cashiers, lastClosed, lastZ } = useStore();
  const [chosen, setChosen] = useState(/** @type {any} */ (null));
  const [locked, setLocked] = useState(0);
  useEffect(() => {
    if (!chosen) return undefined;
    let timer = 0;
    const tick = async () => {
      const remaining = await lockedFor(chosen);
      setLocked(remaining);
      if (remaining > 0) timer = window.setTimeout(tick, 1000);
    };
    tick();
    return () => clearTimeout(timer);
  }, [chosen]);
  const submit = async (/** @type {string} */ pin) => {
    const result = await login(chosen, pin);
    if (result.ok) return null;
    if (result.lockedFor) {
      setLocked(result.lockedFor);
      setTimeout(() => lockedFor(chosen).then(setLocked), result.lockedFor + 50);
      return t("Too many wrong PINs: locked for {seconds} s.", { seconds: Math.ceil(result.lockedFor / 1000) });
    }
    return t("Wrong PIN.");
  };
  return html`<div class="login">
    <section class="login-people">
      <h1>${t("Who is selling?")}</h1>
      ${lastClosed ? html`<p class="muted">${t("Session closed. Log in to open a new one.")}</p>` : null}
      ${
        lastClosed && lastZ
          ? html`<details class="z-shown" data-test="z-report" data-z-no=${lastZ.z_no}>
            <summary>${t("Z report {number}: variance {amount}", { number: lastZ.z_no, amount: amountText(lastZ.variance.amount) })}</summary>
            <${ReceiptPreview} document=${zDocument(lastZ)} />
            <button type="button" class="button" data-test="reprint-z" onClick=${() => reprintLastZ()}>${t("Reprint (DUPLICATE)")}</button>
          </details>`
          : null
      }
      <div class="people">
        ${cashiers.map(
          (/** @type {any} */ c) =>
            html`<button type="button" key=${c.id} class=${`person${chosen?.id === c.id ? " selected" : ""}`} data-test="cashier-tile" data-name=${c.name}
              onClick=${() => setChosen(c)}>
              <span class="avatar">${c.name.slice(0, 1)}</span><span>${c.name}</span>${c.role !== "cashier" ? html`<small>${c.role_name ?? c.role}</small>` : null}
            </button>`,
        )}
      </div>
    </section>
    <section class="login-pin">
      ${
        chosen
          ? html`<h2>${chosen.name}</h2>
            ${
              locked > 0
                ? html`<div class="locked" role="alert" data-test="locked">${t("Locked: try again in {seconds} s", { seconds: Math.ceil(locked / 1000) })}</div>`
                : html`<${PinPad} key=${chosen.id} onSubmit=${submit} />`
            }`
          : html`<p class="muted big-hint">${t("Tap your name, then enter your PIN.")}</p>`
      }
    </section>
  </div>`;
}
