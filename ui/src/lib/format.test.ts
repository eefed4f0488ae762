import { describe, expect, it } from "vitest";
import {
  ago,
  alertType,
  bytes,
  compareBy,
  count,
  date,
  dateTime,
  gb,
  level,
  money,
  percent,
  plural,
} from "./format";

describe("percent", () => {
  it.each([
    [42.345, "42%"],
    [4.5, "4.5%"],
    [0, "0%"],
    [100, "100%"],
    [120, "100%"],
    [-3, "0%"],
    [99.6, "100%"],
  ])("%s → %s", (n, want) => expect(percent(n)).toBe(want));
  it("shows a dash for missing values", () => {
    expect(percent(null)).toBe("—");
    expect(percent(undefined)).toBe("—");
    expect(percent(NaN)).toBe("—");
  });
});

describe("bytes and gb", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1536, "1.5 KiB"],
    [10 * 1024 * 1024, "10 MiB"],
    [5.25 * 1024 ** 3, "5.3 GiB"],
  ])("bytes(%s) → %s", (n, want) => expect(bytes(n)).toBe(want));
  it.each([
    [0.5, "0.5 GB"],
    [4, "4 GB"],
    [7.25, "7.3 GB"],
    [80, "80 GB"],
    [2048, "2 TB"],
    [1500, "1.5 TB"],
    [12000, "12 TB"],
  ])("gb(%s) → %s", (n, want) => expect(gb(n)).toBe(want));
  it("rejects negatives", () => {
    expect(bytes(-1)).toBe("—");
    expect(gb(-1)).toBe("—");
  });
});

describe("money and counts", () => {
  it("formats money", () => {
    expect(money(1234.5)).toBe("$1,234.50");
    expect(money(49.99)).toBe("$49.99");
    expect(money(2499)).toBe("$2,499");
    expect(money(0)).toBe("$0");
    expect(money(-12)).toBe("-$12");
    expect(money(null)).toBe("—");
  });
  it("formats counts", () => {
    expect(count(1234567)).toBe("1,234,567");
    expect(plural(1, "VM")).toBe("1 VM");
    expect(plural(3, "VM")).toBe("3 VMs");
    expect(plural(2, "index", "indices")).toBe("2 indices");
  });
});

describe("ago", () => {
  const now = Date.parse("2026-11-28T12:00:00Z");
  it.each([
    ["2026-11-28T11:59:48Z", "12 s ago"],
    ["2026-11-28T12:00:00Z", "0 s ago"],
    ["2026-11-28T11:55:00Z", "5 min ago"],
    ["2026-11-28T09:00:00Z", "3 h ago"],
    ["2026-11-27T00:00:00Z", "36 h ago"],
    ["2026-11-20T12:00:00Z", "8 d ago"],
    ["2026-11-28T12:00:30Z", "just now"],
    ["2026-11-28T13:00:00Z", "in the future"],
  ])("%s → %s", (t, want) => expect(ago(t, now)).toBe(want));
  it("says never for null and a dash for garbage", () => {
    expect(ago(null, now)).toBe("never");
    expect(ago("yesterday", now)).toBe("—");
  });
});

describe("dates", () => {
  it("formats in local time", () => {
    const iso = "2026-03-04T05:06:07Z";
    const d = new Date(iso);
    const p = (n: number) => String(n).padStart(2, "0");
    expect(dateTime(iso)).toBe(
      `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`,
    );
    expect(date(iso)).toBe(dateTime(iso).slice(0, 10));
    expect(dateTime(null)).toBe("—");
    expect(date("nope")).toBe("—");
  });
});

describe("level", () => {
  it.each([
    [10, "ok"],
    [79.9, "ok"],
    [80, "warn"],
    [90, "high"],
    [null, "ok"],
  ])("%s → %s", (p, want) => expect(level(p)).toBe(want));
});

describe("compareBy", () => {
  const rows = [
    { n: "web-10", v: 3 },
    { n: "web-2", v: null },
    { n: "db-1", v: 10 },
  ];
  it("sorts numbers both ways with nulls last", () => {
    expect(
      [...rows].sort(compareBy((r) => r.v, "asc")).map((r) => r.v),
    ).toEqual([3, 10, null]);
    expect(
      [...rows].sort(compareBy((r) => r.v, "desc")).map((r) => r.v),
    ).toEqual([10, 3, null]);
  });
  it("sorts strings naturally", () => {
    expect([...rows].sort(compareBy((r) => r.n)).map((r) => r.n)).toEqual([
      "db-1",
      "web-2",
      "web-10",
    ]);
  });
});

describe("alertType", () => {
  it.each([
    ["vm_offline", "VM offline"],
    ["high_cpu", "High CPU"],
    ["disk_space", "Disk space"],
    ["backup_failed", "Backup failed"],
    ["", ""],
  ])("%s → %s", (t, want) => expect(alertType(t)).toBe(want));
});
