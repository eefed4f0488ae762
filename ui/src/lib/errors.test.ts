import { beforeEach, describe, expect, it } from "vitest";
import { ApiError } from "./api";
import { handleError } from "./errors";
import { toasts } from "./toasts.svelte";

beforeEach(() => {
  toasts.items.splice(0);
});

describe("handleError", () => {
  it("puts a field error beside a field the form has", () => {
    const fields = { email: "", name: "" };
    handleError(
      new ApiError(400, "validation_failed", "not an address", "email"),
      fields,
    );
    expect(fields.email).toBe("not an address");
    expect(toasts.items).toHaveLength(0);
  });
  it("toasts errors for fields the form does not have, and others", () => {
    const fields = { name: "" };
    handleError(new ApiError(409, "conflict", "id taken", "id"), fields);
    handleError(new ApiError(500, "internal", "boom"));
    handleError(new Error("plain"));
    expect(toasts.items.map((t) => t.message)).toEqual([
      "id taken",
      "boom",
      "plain",
    ]);
    expect(toasts.items.every((t) => t.kind === "error")).toBe(true);
  });
  it("stays quiet on a 401 (sign-in takes over)", () => {
    handleError(new ApiError(401, "unauthorized", "sign in"));
    expect(toasts.items).toHaveLength(0);
  });
});
