/**
 * `<api-key-console>`: the seed's settings page as a web component. It lists the
 * signed-in user's tenant's keys (with when a key expires soon, and a revoked
 * key as revoked), creates one (showing its secret once), disables, enables,
 * rotates, revokes and deletes keys from each row's menu, and shows the latest
 * changes to them ("Activity", from the audit trail).
 *
 * Attributes: `issuer`, `client-id` (the identity provider), `api-base` (the
 * console API, e.g. `/v1/console/api`), `redirect-uri` (the page the identity
 * provider sends the browser back to; default this page), `scopes` (the scopes
 * the user may grant, space-separated), `expiry-warning-seconds` (the expiry
 * warnings' window, within which a key is said to expire soon; default a week). A host page that has its own sign-in
 * sets the `getToken` property instead, and the component never redirects.
 *
 * Everything shown is rendered as text: lit escapes every value it interpolates.
 */
import { css, html, LitElement, nothing, type PropertyDeclarations, type PropertyValues, type TemplateResult } from 'lit';
import type { ApiKey, IssuedApiKey } from '../src/domain/api-key';
import { DEFAULT_EXPIRY_WARNING_SECONDS } from '../src/domain/expiry-window';
import { type ActivityRecord, actionText, actorText, changesOf, keyText } from './activity-text';
import { ApiError, KeysApi } from './keys-api';
import { beginSignIn, completeSignIn, endSession, isSignInCallback, type Session, type SignInSettings } from './oidc';
import { dateText, relativeText } from './time-text';

/** A change to a key that is asked about first, in a dialog: what it is called, what it does, and what it did. */
const CONFIRMATIONS = {
  delete: {
    title: 'Delete API key',
    text: 'Apps using this key stop working at once. This cannot be undone.',
    button: 'Delete',
    done: 'is deleted.',
  },
  revoke: {
    title: 'Revoke API key',
    text: 'Apps using this key stop working at once, and it can never work again: revoke a key whose secret has leaked. It stays in the list, revoked.',
    button: 'Revoke',
    done: 'is revoked.',
  },
} as const;

type ConfirmedAction = keyof typeof CONFIRMATIONS;

type Phase = 'starting' | 'signedOut' | 'signedIn';

/** The secret of a key just created or rotated: held only until "Done". */
interface ShownSecret {
  name: string;
  key: string;
  rotated: boolean;
}

/** Relative times ("5 minutes ago") are redrawn this often while shown. */
const CLOCK_TICK_MS = 60_000;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * A name on one line: one too long for its place ends in an ellipsis, never broken
 * inside a word. The whole name stays in the text (so in the accessible name of
 * what holds it) and shows on hover.
 */
const nameText = (name: string) => html`<span class="name" title=${name}>${name}</span>`;

/** An instant as people read it, on one line; the exact value on hover. */
const timeText = (iso: string, text: string) => html`<time datetime=${iso} title=${iso}>${text}</time>`;

/** A changed field's value, in words; an instant as a date. */
function valueText(value: unknown) {
  if (value === null || value === undefined) return 'none';
  if (typeof value === 'string' && ISO_INSTANT.test(value)) return timeText(value, dateText(value));
  if (Array.isArray(value)) return value.join(', ') || 'none';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export class ApiKeyConsole extends LitElement {
  static properties: PropertyDeclarations = {
    issuer: { type: String },
    clientId: { type: String, attribute: 'client-id' },
    apiBase: { type: String, attribute: 'api-base' },
    redirectUri: { type: String, attribute: 'redirect-uri' },
    scopes: { type: String },
    expiryWarningSeconds: { type: Number, attribute: 'expiry-warning-seconds' },
    getToken: { attribute: false },
    phase: { state: true },
    keys: { state: true },
    activity: { state: true },
    message: { state: true },
    notice: { state: true },
    creating: { state: true },
    secret: { state: true },
    copied: { state: true },
    openMenu: { state: true },
    confirming: { state: true },
    busy: { state: true },
  };

  declare issuer: string;
  declare clientId: string;
  declare apiBase: string;
  declare redirectUri: string;
  declare scopes: string;
  /** The expiry warnings' window: an active key is told to expire soon within it. */
  declare expiryWarningSeconds: number;
  /** Set by a host page that signs users in itself: resolves to the bearer token for the console API. */
  declare getToken: (() => Promise<string>) | undefined;
  declare private phase: Phase;
  declare private keys: ApiKey[] | undefined;
  /** The latest changes to the tenant's keys, newest first. */
  declare private activity: ActivityRecord[] | undefined;
  /** The last failure, shown in an alert. */
  declare private message: string | undefined;
  /** The last success, announced politely. */
  declare private notice: TemplateResult | undefined;
  declare private creating: boolean;
  declare private secret: ShownSecret | undefined;
  declare private copied: boolean;
  declare private openMenu: string | undefined;
  /** The change that waits for the user to confirm it, and its key. */
  declare private confirming: { action: ConfirmedAction; key: ApiKey } | undefined;
  declare private busy: boolean;

  #session: Session | undefined;
  #clock: ReturnType<typeof setInterval> | undefined;

  constructor() {
    super();
    this.issuer = '';
    this.clientId = '';
    this.apiBase = '';
    this.redirectUri = '';
    this.scopes = '';
    this.expiryWarningSeconds = DEFAULT_EXPIRY_WARNING_SECONDS;
    this.phase = 'starting';
    this.creating = false;
    this.copied = false;
    this.busy = false;
  }

  private get signInSettings(): SignInSettings {
    const redirect = new URL(this.redirectUri || location.pathname, location.href);
    return { issuer: this.issuer, clientId: this.clientId, redirectUri: redirect.toString() };
  }

  private get grantable(): string[] {
    return this.scopes.split(' ').filter(Boolean);
  }

  private readonly api = new KeysApi(
    () => this.apiBase,
    async () => {
      if (this.getToken) return this.getToken();
      return this.#session?.idToken ?? '';
    },
  );

  connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('click', this.closeMenuOutside);
    this.#clock = setInterval(() => this.requestUpdate(), CLOCK_TICK_MS);
    void this.start();
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('click', this.closeMenuOutside);
    clearInterval(this.#clock);
  }

  private async start(): Promise<void> {
    if (this.getToken) return this.enter();
    if (!isSignInCallback()) {
      this.phase = 'signedOut';
      return;
    }
    try {
      this.#session = await completeSignIn(this.signInSettings);
      await this.enter();
    } catch (error) {
      this.phase = 'signedOut';
      this.message = (error as Error).message;
    }
  }

  private async enter(): Promise<void> {
    this.phase = 'signedIn';
    await this.refresh();
  }

  private async refresh(): Promise<void> {
    const listed = await this.attempt(() => this.api.list());
    if (listed) this.keys = listed.value.items;
    await this.refreshActivity();
  }

  /** The activity is a view of what happened: failing to read it leaves the keys usable, and says so in place. */
  private async refreshActivity(): Promise<void> {
    try {
      this.activity = (await this.api.activity()).items;
    } catch {
      this.activity = [];
    }
  }

  /**
   * Runs one API call: its answer, or undefined once its failure is the message
   * shown. A 401 signs the user out; a 404 reloads the list, which was stale.
   */
  private async attempt<T>(action: () => Promise<T>): Promise<{ value: T } | undefined> {
    this.busy = true;
    this.message = undefined;
    try {
      return { value: await action() };
    } catch (error) {
      this.message = error instanceof ApiError ? error.message : 'Something went wrong. Reload the page and try again.';
      if (error instanceof ApiError && error.status === 401 && !this.getToken) {
        this.#session = undefined;
        this.phase = 'signedOut';
      }
      if (error instanceof ApiError && error.status === 404) await this.refreshQuietly();
      return undefined;
    } finally {
      this.busy = false;
    }
  }

  private async refreshQuietly(): Promise<void> {
    try {
      this.keys = (await this.api.list()).items;
    } catch {
      // The failure that led here is the one shown.
    }
    await this.refreshActivity();
  }

  private signIn = () => {
    this.message = undefined;
    beginSignIn(this.signInSettings).catch((error: Error) => (this.message = error.message));
  };

  private signOut = () => {
    const session = this.#session;
    this.#session = undefined;
    this.keys = undefined;
    this.activity = undefined;
    this.phase = 'signedOut';
    if (session) endSession(session, this.signInSettings);
  };

  private openCreate = () => {
    this.message = undefined;
    this.notice = undefined;
    this.creating = true;
  };

  private closeCreate = () => {
    this.creating = false;
  };

  private generate = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const expiresOn = String(data.get('expiresOn') ?? '');
    const body = {
      name: String(data.get('name') ?? ''),
      scopes: data.getAll('scope').map(String),
      ...(expiresOn ? { expiresAt: new Date(`${expiresOn}T23:59:59`).toISOString() } : {}),
    };
    const created = await this.attempt(() => this.api.create(body));
    if (!created) return;
    this.creating = false;
    this.show(created.value, false);
    await this.refreshQuietly();
  };

  private show(issued: IssuedApiKey, rotated: boolean): void {
    this.copied = false;
    this.secret = { name: issued.name, key: issued.key, rotated };
  }

  private copy = async () => {
    if (!this.secret) return;
    try {
      await navigator.clipboard.writeText(this.secret.key);
      this.copied = true;
    } catch {
      this.message = 'The browser did not allow copying. Select the key and copy it yourself.';
    }
  };

  /** Forgets the secret: it leaves the page and this component, and nothing else ever held it. */
  private done = () => {
    this.secret = undefined;
    this.copied = false;
    this.notice = html`The key is no longer shown anywhere.`;
  };

  private toggleMenu(key: ApiKey, event: Event): void {
    event.stopPropagation();
    this.openMenu = this.openMenu === key.id ? undefined : key.id;
  }

  private closeMenuOutside = () => {
    this.openMenu = undefined;
  };

  private menuKeydown(key: ApiKey, event: KeyboardEvent): void {
    const items = [...(event.currentTarget as HTMLElement).querySelectorAll<HTMLElement>('[role="menuitem"]')];
    const index = items.indexOf(event.target as HTMLElement);
    const focusAt = (next: number) => items[(next + items.length) % items.length]?.focus();
    switch (event.key) {
      case 'ArrowDown':
        focusAt(index + 1);
        break;
      case 'ArrowUp':
        focusAt(index - 1);
        break;
      case 'Home':
        focusAt(0);
        break;
      case 'End':
        focusAt(items.length - 1);
        break;
      case 'Escape':
        this.openMenu = undefined;
        this.renderRoot.querySelector<HTMLElement>(`[data-menu-for="${key.id}"]`)?.focus();
        break;
      case 'Tab':
        this.openMenu = undefined;
        return;
      default:
        return;
    }
    event.preventDefault();
  }

  private async setEnabled(key: ApiKey, enabled: boolean): Promise<void> {
    this.openMenu = undefined;
    if (await this.attempt(() => this.api.setEnabled(key.id, enabled))) {
      this.notice = html`${nameText(key.name)} is ${enabled ? 'enabled' : 'disabled'}.`;
      await this.refreshQuietly();
    }
  }

  private async rotate(key: ApiKey): Promise<void> {
    this.openMenu = undefined;
    const rotated = await this.attempt(() => this.api.rotate(key.id));
    if (rotated) {
      this.show(rotated.value, true);
      await this.refreshQuietly();
    }
  }

  private ask(action: ConfirmedAction, key: ApiKey): void {
    this.openMenu = undefined;
    this.confirming = { action, key };
  }

  private cancelConfirm = () => {
    this.confirming = undefined;
  };

  private confirm = async () => {
    if (!this.confirming) return;
    const { action, key } = this.confirming;
    const done = await this.attempt<unknown>(() => (action === 'delete' ? this.api.remove(key.id) : this.api.revoke(key.id)));
    if (done) {
      this.notice = html`${nameText(key.name)} ${CONFIRMATIONS[action].done}`;
      await this.refreshQuietly();
    }
    this.confirming = undefined;
  };

  protected updated(changed: PropertyValues): void {
    // Open modal dialogs as they appear, so focus moves into them and the page behind is inert.
    for (const dialog of this.renderRoot.querySelectorAll('dialog')) if (!dialog.open) dialog.showModal();
    if (changed.has('openMenu') && this.openMenu) {
      this.renderRoot.querySelector<HTMLElement>('[role="menu"] [role="menuitem"]')?.focus();
    }
  }

  protected render() {
    return html`
      <header>
        <h1>API keys</h1>
        ${
          this.phase === 'signedIn' && this.#session
            ? html`<p class="who">
              ${this.#session.email ? html`Signed in as <strong>${this.#session.email}</strong>` : nothing}
              <button type="button" class="link" @click=${this.signOut}>Sign out</button>
            </p>`
            : nothing
        }
      </header>
      ${this.creating || this.secret || this.confirming ? nothing : this.renderMessage()}
      <div role="status" class="status">${this.notice ? html`<p>${this.notice}</p>` : nothing}</div>
      ${this.phase === 'signedOut' ? this.renderSignIn() : nothing}
      ${this.phase === 'signedIn' ? this.renderKeys() : nothing} ${this.phase === 'signedIn' ? this.renderActivity() : nothing}
      ${this.creating ? this.renderCreate() : nothing}
      ${this.secret ? this.renderSecret(this.secret) : nothing} ${this.confirming ? this.renderConfirm(this.confirming) : nothing}
    `;
  }

  /** The last failure. While a dialog is open it is shown inside it, since the page behind is inert. */
  private renderMessage() {
    return html`<div role="alert" class="alert">${this.message ? html`<p>${this.message}</p>` : nothing}</div>`;
  }

  private renderSignIn() {
    return html`<section class="card">
      <p>Sign in to create and manage the API keys of your organisation.</p>
      <button type="button" class="primary" @click=${this.signIn}>Sign in</button>
    </section>`;
  }

  private renderKeys() {
    const keys = this.keys;
    return html`<section>
      <div class="toolbar">
        <p>Apps send an API key in the <code>x-api-key</code> header. Keep keys secret.</p>
        <button type="button" class="primary" @click=${this.openCreate} ?disabled=${this.busy}>Create API key</button>
      </div>
      ${
        keys === undefined
          ? html`<p aria-busy="true">Loading keys…</p>`
          : keys.length === 0
            ? html`<p class="empty">No API keys yet. Create one to let an app call the API.</p>`
            : html`<table class="keys">
              <caption>
                Your organisation's API keys
              </caption>
              <thead>
                <tr>
                  <th scope="col" class="name-column">Name</th>
                  <th scope="col" class="hint-column">Key</th>
                  <th scope="col" class="scopes-column">Scopes</th>
                  <th scope="col" class="date-column">Created</th>
                  <th scope="col" class="date-column">Last used</th>
                  <th scope="col" class="status-column">Status</th>
                  <th scope="col" class="actions-column"><span class="visually-hidden">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                ${keys.map((key) => this.renderRow(key))}
              </tbody>
            </table>`
      }
    </section>`;
  }

  private renderActivity() {
    const activity = this.activity;
    return html`<section aria-labelledby="activity-title" class="activity">
      <h2 id="activity-title">Activity</h2>
      ${
        activity === undefined
          ? html`<p aria-busy="true">Loading activity…</p>`
          : activity.length === 0
            ? html`<p class="empty">No changes to your keys yet.</p>`
            : html`<table class="changes">
              <caption>
                Latest changes to your organisation's API keys
              </caption>
              <thead>
                <tr>
                  <th scope="col" class="when-column">When</th>
                  <th scope="col" class="what-column">What</th>
                  <th scope="col" class="name-column">Key</th>
                  <th scope="col" class="by-column">By</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                ${activity.map((record) => this.renderActivityRow(record, Date.now()))}
              </tbody>
            </table>`
      }
    </section>`;
  }

  private renderActivityRow(record: ActivityRecord, now: number) {
    const key = keyText(record, this.keys);
    const changes = changesOf(record);
    return html`<tr>
      <th scope="row" class="when">${timeText(record.at, relativeText(record.at, now))}</th>
      <td class="what">${actionText(record)}</td>
      <td class="key" data-label="Key">${key === undefined ? html`<span class="muted">Your organisation</span>` : nameText(key)}</td>
      <td class="by" data-label="By">${nameText(actorText(record.actor))}</td>
      <td class="details">
        ${changes.map(
          (change) => html`<span class="change">${change.field}: ${valueText(change.old)} → ${valueText(change.new)}</span> `,
        )}
      </td>
    </tr>`;
  }

  private renderRow(key: ApiKey) {
    const open = this.openMenu === key.id;
    const usable = key.status === 'active' || key.status === 'disabled';
    return html`<tr>
      <th scope="row" class="key-name">${nameText(key.name)}</th>
      <td class="hint" data-label="Key"><code>${key.hint}</code></td>
      <td class="scopes" data-label="Scopes">
        ${key.scopes.length > 0 ? key.scopes.join(', ') : html`<span class="muted">none</span>`}
      </td>
      <td class="created" data-label="Created">${timeText(key.createdAt, dateText(key.createdAt))}</td>
      <td class="used" data-label="Last used">
        ${key.lastUsedAt ? timeText(key.lastUsedAt, relativeText(key.lastUsedAt, Date.now())) : 'Never'}
      </td>
      <td class="status" data-label="Status">
        <span class="badge ${key.status}">${key.status}</span>${this.renderExpiresSoon(key)}
      </td>
      <td class="actions">
        <button
          type="button"
          class="menu-button"
          data-menu-for=${key.id}
          aria-haspopup="menu"
          aria-expanded=${open ? 'true' : 'false'}
          aria-label=${`Actions for ${key.name}`}
          title=${`Actions for ${key.name}`}
          @click=${(event: Event) => this.toggleMenu(key, event)}
        >
          ⋯
        </button>
        ${
          open
            ? html`<ul
              role="menu"
              aria-label=${`Actions for ${key.name}`}
              @keydown=${(event: KeyboardEvent) => this.menuKeydown(key, event)}
              @click=${(event: Event) => event.stopPropagation()}
            >
              ${
                usable
                  ? html`<li role="none">
                    <button type="button" role="menuitem" @click=${() => this.setEnabled(key, !key.enabled)}>
                      ${key.enabled ? 'Disable' : 'Enable'}
                    </button>
                  </li>`
                  : nothing
              }
              ${
                key.status === 'active'
                  ? html`<li role="none"><button type="button" role="menuitem" @click=${() => this.rotate(key)}>Rotate</button></li>`
                  : nothing
              }
              ${
                key.status === 'revoked'
                  ? nothing
                  : html`<li role="none">
                    <button type="button" role="menuitem" class="danger" @click=${() => this.ask('revoke', key)}>Revoke</button>
                  </li>`
              }
              <li role="none">
                <button type="button" role="menuitem" class="danger" @click=${() => this.ask('delete', key)}>Delete</button>
              </li>
            </ul>`
            : nothing
        }
      </td>
    </tr>`;
  }

  private renderCreate() {
    const grantable = this.grantable;
    return html`<dialog aria-labelledby="create-title" @close=${this.closeCreate}>
      <form @submit=${this.generate}>
        <h2 id="create-title">Create API key</h2>
        ${this.renderMessage()}
        <label for="key-name">Name</label>
        <input id="key-name" name="name" required maxlength="100" autocomplete="off" aria-describedby="name-help" />
        <p id="name-help" class="help">Say what uses it, e.g. "CI pipeline".</p>
        ${
          grantable.length > 0
            ? html`<fieldset>
              <legend>Scopes (optional)</legend>
              ${grantable.map(
                (scope) =>
                  html`<label class="check"><input type="checkbox" name="scope" value=${scope} /> <code>${scope}</code></label>`,
              )}
            </fieldset>`
            : html`<p class="help">Keys made here have no scopes.</p>`
        }
        <label for="key-expiry">Expires on (optional)</label>
        <input id="key-expiry" name="expiresOn" type="date" />
        <div class="buttons">
          <button type="button" @click=${this.closeCreate}>Cancel</button>
          <button type="submit" class="primary" ?disabled=${this.busy}>Generate API key</button>
        </div>
      </form>
    </dialog>`;
  }

  private renderSecret(secret: ShownSecret) {
    return html`<dialog aria-labelledby="secret-title" aria-describedby="secret-warning" @cancel=${(e: Event) => e.preventDefault()}>
      <h2 id="secret-title">${secret.rotated ? 'Key rotated:' : 'Key created:'} ${nameText(secret.name)}</h2>
      <p id="secret-warning" class="warning">
        Copy this key now and keep it somewhere safe. You won't be able to see it again.
        ${secret.rotated ? 'The old key has stopped working.' : ''}
      </p>
      <p class="secret"><code aria-label="API key">${secret.key}</code></p>
      ${this.renderMessage()}
      <div class="buttons">
        <button type="button" @click=${this.copy}>Copy</button>
        <span role="status">${this.copied ? 'Copied to the clipboard.' : ''}</span>
        <button type="button" class="primary" @click=${this.done}>Done</button>
      </div>
    </dialog>`;
  }

  /** An active key's expiry, once it is within the expiry warnings' window: "expires in 3 days". */
  private renderExpiresSoon(key: ApiKey) {
    if (key.status !== 'active' || key.expiresAt === null) return nothing;
    const now = Date.now();
    if (Date.parse(key.expiresAt) - now > this.expiryWarningSeconds * 1000) return nothing;
    return html`<span class="expires">expires ${timeText(key.expiresAt, relativeText(key.expiresAt, now))}</span>`;
  }

  private renderConfirm({ action, key }: { action: ConfirmedAction; key: ApiKey }) {
    const words = CONFIRMATIONS[action];
    return html`<dialog aria-labelledby="confirm-title" aria-describedby="confirm-text" @close=${this.cancelConfirm}>
      <h2 id="confirm-title">${words.title}</h2>
      <p id="confirm-text">
        <strong class="subject">${nameText(key.name)}</strong>
        ${words.text}
      </p>
      ${this.renderMessage()}
      <div class="buttons">
        <button type="button" @click=${this.cancelConfirm}>Cancel</button>
        <button type="button" class="danger-button" @click=${this.confirm} ?disabled=${this.busy}>${words.button}</button>
      </div>
    </dialog>`;
  }

  static styles = css`
    :host {
      display: block;
      /* Narrow places (a phone, a settings page's column) get cards instead of wide tables. */
      container-type: inline-size;
      font: 16px/1.5 system-ui, sans-serif;
      color: #1b1f24;
      max-width: 72rem;
      margin: 0 auto;
      padding: 1.5rem;
      box-sizing: border-box;
    }
    h1 { font-size: 1.75rem; margin: 0; }
    h2 { font-size: 1.25rem; margin-top: 0; }
    header { display: flex; justify-content: space-between; align-items: baseline; flex-wrap: wrap; gap: 0.5rem 1rem; }
    .who { margin: 0; color: #4a5561; overflow-wrap: anywhere; }
    .toolbar { display: flex; justify-content: space-between; align-items: center; gap: 1rem; flex-wrap: wrap; margin: 1rem 0; }
    .toolbar p { margin: 0; color: #4a5561; }
    .toolbar code { white-space: nowrap; }
    button {
      font: inherit;
      padding: 0.45rem 0.9rem;
      border-radius: 6px;
      border: 1px solid #8c959f;
      background: #fff;
      color: #1b1f24;
      cursor: pointer;
    }
    button:focus-visible, input:focus-visible { outline: 3px solid #0b5cd5; outline-offset: 2px; }
    button[disabled] { opacity: 0.6; cursor: progress; }
    .primary { background: #0b5cd5; border-color: #0b5cd5; color: #fff; }
    .danger-button { background: #b3261e; border-color: #b3261e; color: #fff; }
    .link { border: none; background: none; color: #0b5cd5; text-decoration: underline; padding: 0 0.25rem; }
    .name { display: inline-block; max-width: 100%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; vertical-align: bottom; }
    time { white-space: nowrap; }
    table { width: 100%; border-collapse: collapse; table-layout: fixed; }
    caption { text-align: left; font-weight: 600; padding: 0.5rem 0; }
    th, td { text-align: left; padding: 0.6rem 0.5rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
    thead th { font-size: 0.85rem; text-transform: uppercase; letter-spacing: 0.03em; color: #4a5561; }
    tbody th { font-weight: 600; }
    tbody th.when { font-weight: normal; }
    .name-column { width: 24%; }
    .hint-column { width: 7.5rem; }
    .date-column, .when-column { width: 9rem; }
    .status-column { width: 6.5rem; }
    .actions-column { width: 3.5rem; }
    .what-column { width: 10rem; }
    .by-column { width: 18%; }
    .changes .name-column { width: 20%; }
    .subject { display: block; margin-bottom: 0.5rem; }
    .scopes, .details { overflow-wrap: anywhere; }
    .change { display: block; }
    .activity { margin-top: 2.5rem; }
    code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.9em; }
    .muted, .help { color: #4a5561; }
    .help { font-size: 0.9rem; margin: 0.25rem 0 1rem; }
    .badge { display: inline-block; padding: 0 0.5rem; border-radius: 999px; font-size: 0.85rem; border: 1px solid currentColor; }
    .badge.active { color: #116329; }
    .badge.disabled, .badge.expired { color: #6e4a00; }
    .badge.rotated { color: #4a5561; }
    .badge.revoked { color: #b3261e; }
    .expires { display: block; font-size: 0.85rem; color: #6e4a00; white-space: nowrap; }
    .actions { position: relative; text-align: right; }
    .menu-button { padding: 0.2rem 0.6rem; line-height: 1; }
    [role='menu'] {
      position: absolute;
      right: 0.5rem;
      z-index: 1;
      list-style: none;
      margin: 0.25rem 0 0;
      padding: 0.25rem;
      background: #fff;
      border: 1px solid #8c959f;
      border-radius: 6px;
      box-shadow: 0 4px 12px rgb(0 0 0 / 15%);
      min-width: 9rem;
    }
    [role='menuitem'] { display: block; width: 100%; text-align: left; border: none; }
    [role='menuitem']:hover, [role='menuitem']:focus { background: #eef3fb; }
    .danger { color: #b3261e; }
    dialog { border: 1px solid #8c959f; border-radius: 10px; padding: 1.5rem; width: min(34rem, 100vw - 2rem); box-sizing: border-box; }
    dialog::backdrop { background: rgb(0 0 0 / 40%); }
    label { display: block; font-weight: 600; margin-bottom: 0.25rem; }
    input:not([type='checkbox']) { font: inherit; width: 100%; box-sizing: border-box; padding: 0.45rem; border: 1px solid #8c959f; border-radius: 6px; }
    fieldset { border: 1px solid #d0d7de; border-radius: 6px; margin: 0 0 1rem; }
    .check { font-weight: normal; display: flex; gap: 0.5rem; align-items: center; }
    .buttons { display: flex; justify-content: flex-end; align-items: center; flex-wrap: wrap; gap: 0.75rem; margin-top: 1.25rem; }
    .warning { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: 0.75rem; }
    .secret code { display: block; padding: 0.75rem; background: #f6f8fa; border-radius: 6px; word-break: break-all; user-select: all; }
    .alert p { background: #ffebe9; border: 1px solid #cf222e; border-radius: 6px; padding: 0.75rem; overflow-wrap: anywhere; }
    .status p { color: #116329; }
    .empty, .card { padding: 2rem; text-align: center; border: 1px dashed #8c959f; border-radius: 10px; }
    .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }

    /* Cards: each row a box, each value under its label; the tables stay tables to assistive technology. */
    @container (max-width: 55.99rem) {
      table, tbody, caption { display: block; }
      thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
      tbody tr {
        display: grid;
        grid-template-columns: minmax(0, 1fr) minmax(0, 1fr) auto;
        gap: 0.5rem 1rem;
        padding: 0.75rem;
        margin-bottom: 0.75rem;
        border: 1px solid #d0d7de;
        border-radius: 10px;
      }
      tbody th, tbody td { display: block; padding: 0; border: none; min-width: 0; }
      td[data-label]::before {
        content: attr(data-label);
        content: attr(data-label) / '';
        display: block;
        font-size: 0.75rem;
        text-transform: uppercase;
        letter-spacing: 0.03em;
        color: #4a5561;
      }
      .key-name { grid-area: 1 / 1 / 2 / 3; align-self: center; }
      .actions { grid-area: 1 / 3; }
      .hint { grid-area: 2 / 1; }
      .status { grid-area: 2 / 2; }
      .scopes { grid-area: 3 / 1 / 4 / 4; }
      .created { grid-area: 4 / 1; }
      .used { grid-area: 4 / 2 / 5 / 4; }
      .what { grid-area: 1 / 1; font-weight: 600; }
      .when { grid-area: 1 / 2 / 2 / 4; font-weight: normal; text-align: right; color: #4a5561; }
      .key { grid-area: 2 / 1 / 3 / 4; }
      .by { grid-area: 3 / 1 / 4 / 4; }
      .details { grid-area: 4 / 1 / 5 / 4; }
      .details:empty { display: none; }
    }
    @media (max-width: 30rem) {
      :host { padding: 1rem 0.75rem; }
    }
  `;
}

declare global {
  interface HTMLElementTagNameMap {
    'api-key-console': ApiKeyConsole;
  }
}

customElements.define('api-key-console', ApiKeyConsole);
