/**
 * The local identity provider's pages: its sign-in form, and its own error and
 * sign-out pages in place of oidc-provider's, which load a web font from the
 * internet. Plain HTML of this origin, with no script and nothing from elsewhere.
 */

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

function page(title: string, main: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}: local identity provider</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 24rem; margin: 4rem auto; padding: 0 1rem; color: #1b1f24; }
label { display: block; font-weight: 600; margin-top: 1rem; }
input { font: inherit; width: 100%; box-sizing: border-box; padding: 0.45rem; border: 1px solid #8c959f; border-radius: 6px; }
button { font: inherit; margin-top: 1.5rem; margin-right: 0.5rem; padding: 0.5rem 1rem; border-radius: 6px; border: 1px solid #0b5cd5; background: #0b5cd5; color: #fff; }
button.secondary { background: #fff; color: #0b5cd5; }
.error { background: #ffebe9; border: 1px solid #cf222e; border-radius: 6px; padding: 0.75rem; }
.note { color: #4a5561; font-size: 0.9rem; }
</style>
</head>
<body>
<main>
${main}
</main>
</body>
</html>
`;
}

const NOTE = '<p class="note">Local identity provider of <code>npm start</code>: the demo users are printed in its banner.</p>';

export function loginPage(options: { action: string; email?: string; error?: string }): string {
  return page(
    'Sign in',
    `<h1>Sign in</h1>
${NOTE}
${options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : ''}
<form method="post" action="${escapeHtml(options.action)}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required value="${escapeHtml(options.email ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`,
  );
}

/** What went wrong in a request to the provider itself (an unknown client, a bad redirect …), as oidc-provider reports it. */
export function errorPage(problem: { error: string; error_description?: string }): string {
  return page(
    'Sign-in failed',
    `<h1>Sign-in failed</h1>
<p class="error" role="alert">The identity provider could not go on with this request. Go back to the console and sign in again.</p>
<p><code>${escapeHtml(problem.error)}</code>${problem.error_description ? `: ${escapeHtml(problem.error_description)}` : ''}</p>`,
  );
}

/** Whether to sign out: `form` is oidc-provider's own form, which the buttons submit. */
export function signOutPage(form: string): string {
  return page(
    'Sign out',
    `<h1>Sign out?</h1>
${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button class="secondary" type="submit" form="op.logoutForm">No, stay signed in</button>`,
  );
}

/** After a sign-out that names no page to go back to. */
export function signedOutPage(): string {
  return page('Signed out', `<h1>Signed out</h1>\n${NOTE}`);
}
