/**
 * Whether an IPC message comes from our own renderer. A frame that navigated elsewhere
 * (a link, an injected iframe) must not reach the engine, which runs commands as root
 * on remote hosts.
 */
export function isTrustedSenderUrl(senderUrl: string | undefined, rendererUrl: string): boolean {
  if (!senderUrl) return false;
  let sender: URL;
  let ours: URL;
  try {
    sender = new URL(senderUrl);
    ours = new URL(rendererUrl);
  } catch {
    return false;
  }
  if (ours.protocol === 'file:') return sender.protocol === 'file:' && sender.pathname === ours.pathname;
  return sender.origin === ours.origin;
}
