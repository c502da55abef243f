/** a value from the network, short enough for a log line (hostile input can be kilobytes) */
export function clip(s: string, max = 80): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
