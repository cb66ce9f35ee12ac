/** The local identity provider's sign-in form: a page of its own origin, plain HTML with no script. */

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

export function loginPage(options: { action: string; email?: string; error?: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in: local identity provider</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 24rem; margin: 4rem auto; padding: 0 1rem; color: #1b1f24; }
label { display: block; font-weight: 600; margin-top: 1rem; }
input { font: inherit; width: 100%; box-sizing: border-box; padding: 0.45rem; border: 1px solid #8c959f; border-radius: 6px; }
button { font: inherit; margin-top: 1.5rem; padding: 0.5rem 1rem; border-radius: 6px; border: 1px solid #0b5cd5; background: #0b5cd5; color: #fff; }
.error { background: #ffebe9; border: 1px solid #cf222e; border-radius: 6px; padding: 0.75rem; }
.note { color: #4a5561; font-size: 0.9rem; }
</style>
</head>
<body>
<main>
<h1>Sign in</h1>
<p class="note">Local identity provider of <code>npm start</code>: the demo users are printed in its banner.</p>
${options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : ''}
<form method="post" action="${escapeHtml(options.action)}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required value="${escapeHtml(options.email ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
</main>
</body>
</html>
`;
}
