// Pure formatting helpers. No DOM, no state: tested by format.test.ts.

const DASH = "—";

function finite(n: unknown): n is number {
  return typeof n === "number" && Number.isFinite(n);
}

/** 42.345 → "42%", 4.5 → "4.5%"; null → "—". */
export function percent(n: number | null | undefined): string {
  if (!finite(n)) return DASH;
  const v = Math.max(0, Math.min(100, n));
  return `${v < 10 && v % 1 !== 0 ? v.toFixed(1) : Math.round(v)}%`;
}

/** Bytes in binary units: 1536 → "1.5 KiB". */
export function bytes(n: number | null | undefined): string {
  if (!finite(n) || n < 0) return DASH;
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** Gigabytes as the API gives them: 0.5 → "0.5 GB", 2048 → "2 TB". */
export function gb(n: number | null | undefined): string {
  if (!finite(n) || n < 0) return DASH;
  if (n >= 1000) {
    const t = n / 1000;
    return `${t < 10 ? trim(t.toFixed(1)) : Math.round(t)} TB`;
  }
  return `${n < 10 ? trim(n.toFixed(1)) : Math.round(n)} GB`;
}

function trim(s: string): string {
  return s.endsWith(".0") ? s.slice(0, -2) : s;
}

const wholeMoney = new Intl.NumberFormat("en-US", {
  style: "currency",
  currency: "USD",
  maximumFractionDigits: 0,
});
const centsMoney = new Intl.NumberFormat("en-US", {
  style: "currency",
  currency: "USD",
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

/** 1234 → "$1,234"; 1234.5 → "$1,234.50" (cents only when there are any). */
export function money(n: number | null | undefined): string {
  if (!finite(n)) return DASH;
  const cents = Math.round(n * 100);
  return (cents % 100 === 0 ? wholeMoney : centsMoney).format(cents / 100);
}

/** Whole numbers with thousands separators. */
export function count(n: number | null | undefined): string {
  if (!finite(n)) return DASH;
  return Math.round(n).toLocaleString("en-US");
}

/** Parses an RFC 3339 timestamp to epoch milliseconds, or NaN. */
export function parseTime(s: string | null | undefined): number {
  if (!s) return NaN;
  return Date.parse(s);
}

/** "12 s ago", "5 min ago", "3 h ago", "2 d ago"; "never" for null. */
export function ago(s: string | null | undefined, now: number): string {
  if (!s) return "never";
  const t = parseTime(s);
  if (Number.isNaN(t)) return DASH;
  const sec = Math.round((now - t) / 1000);
  if (sec < 0) return sec > -60 ? "just now" : "in the future";
  if (sec < 60) return `${sec} s ago`;
  const min = Math.floor(sec / 60);
  if (min < 60) return `${min} min ago`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** "2026-11-28 05:02" in the browser's time zone. */
export function dateTime(s: string | null | undefined): string {
  const t = parseTime(s);
  if (Number.isNaN(t)) return DASH;
  const d = new Date(t);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}`
  );
}

/** "2026-11-28". */
export function date(s: string | null | undefined): string {
  const full = dateTime(s);
  return full === DASH ? full : full.slice(0, 10);
}

export type Level = "ok" | "warn" | "high";

/** How worrying a usage percentage is: 80 % warns, 90 % is high. */
export function level(p: number | null | undefined): Level {
  if (!finite(p)) return "ok";
  if (p >= 90) return "high";
  if (p >= 80) return "warn";
  return "ok";
}

/** "1 VM", "3 VMs". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** Sorts by a key, numbers and strings alike, nulls last either way. */
export function compareBy<T>(
  key: (row: T) => string | number | null | undefined,
  dir: "asc" | "desc" = "asc",
): (a: T, b: T) => number {
  const sign = dir === "asc" ? 1 : -1;
  return (a, b) => {
    const x = key(a);
    const y = key(b);
    const xn = x === null || x === undefined || x === "";
    const yn = y === null || y === undefined || y === "";
    if (xn || yn) return xn === yn ? 0 : xn ? 1 : -1;
    if (typeof x === "number" && typeof y === "number") return (x - y) * sign;
    return String(x).localeCompare(String(y), "en", { numeric: true }) * sign;
  };
}

const ALERT_TYPES: Record<string, string> = {
  vm_offline: "VM offline",
  disk_space: "Disk space",
  api_quota: "API quota",
  unusual_activity: "Unusual activity",
  high_cpu: "High CPU",
  high_memory: "High memory",
};

/** "disk_space" → "Disk space"; unknown manual types read the same way. */
export function alertType(t: string): string {
  if (ALERT_TYPES[t]) return ALERT_TYPES[t];
  const s = t.replace(/_/g, " ").trim();
  return s ? s[0].toUpperCase() + s.slice(1) : t;
}
