// The route table: app path (below /lab) → page component.
import type { Component } from "svelte";
import type { Role } from "./lib/types";
import PageOverview from "./components/overview/PageOverview.svelte";
import PageVms from "./components/vms/PageVms.svelte";
import PageVm from "./components/vms/PageVm.svelte";
import PageCustomers from "./components/customers/PageCustomers.svelte";
import PageCustomer from "./components/customers/PageCustomer.svelte";
import PageAlerts from "./components/alerts/PageAlerts.svelte";
import PageUpdates from "./components/updates/PageUpdates.svelte";
import PageAdmin from "./components/admin/PageAdmin.svelte";
import PageLogin from "./components/auth/PageLogin.svelte";

export interface Route {
  path: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  component: Component<any>;
  title: string;
  public?: boolean;
  role?: Role;
}

export const routes: Route[] = [
  { path: "/", component: PageOverview, title: "Overview" },
  { path: "/vms", component: PageVms, title: "VMs" },
  { path: "/vms/:id", component: PageVm, title: "VM" },
  { path: "/customers", component: PageCustomers, title: "Customers" },
  { path: "/customers/:id", component: PageCustomer, title: "Customer" },
  { path: "/alerts", component: PageAlerts, title: "Alerts" },
  { path: "/updates", component: PageUpdates, title: "Updates" },
  { path: "/admin", component: PageAdmin, title: "Admin", role: "admin" },
  { path: "/login", component: PageLogin, title: "Sign in", public: true },
];

export const nav: { path: string; label: string; role?: Role }[] = [
  { path: "/", label: "Overview" },
  { path: "/vms", label: "VMs" },
  { path: "/customers", label: "Customers" },
  { path: "/alerts", label: "Alerts" },
  { path: "/updates", label: "Updates" },
  { path: "/admin", label: "Admin", role: "admin" },
];
