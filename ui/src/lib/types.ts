// Shapes of the API payloads the dashboard reads (see API.md).

export type Role = "admin" | "operator" | "viewer";
export type Tier = "starter" | "pro" | "enterprise";
export type BillingStatus = "active" | "inactive" | "overdue";
export type VmStatus = "online" | "offline" | "maintenance" | "error";
export type Severity = "high" | "warning" | "info";
export type ActionType = "restart" | "rebuild" | "update";
export type ActionStatus =
  "pending" | "sent" | "succeeded" | "failed" | "expired";
export type RolloutStatus = "pending" | "in_progress" | "completed" | "failed";

export interface List<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface User {
  id: number | string;
  username: string;
  role: Role;
  created_at?: string;
}

export interface Session {
  user: User;
  csrf_token: string;
}

export interface Customer {
  id: string;
  name: string;
  email: string;
  company?: string | null;
  tier: Tier;
  billing_status: BillingStatus;
  monthly_fee: number;
  created_at: string;
  vm_count?: number;
}

export interface MetricPoint {
  timestamp: string;
  cpu_percent: number;
  memory_percent: number;
  disk_percent: number;
  disk_used_gb: number;
}

export interface Vm {
  id: string;
  hostname: string;
  ip_address: string;
  customer_id: string;
  customer_name?: string;
  tier: Tier;
  status: VmStatus;
  created_at: string;
  last_heartbeat: string | null;
  cpu_cores: number;
  memory_gb: number;
  disk_gb: number;
  version: string | null;
  monthly_cost: number;
  latest_metrics: MetricPoint | null;
}

export interface Metrics {
  vm_id: string;
  hours: number;
  step: number;
  points: MetricPoint[];
}

export interface Action {
  id: number;
  vm_id: string;
  type: ActionType;
  status: ActionStatus;
  created_at: string;
  updated_at?: string | null;
  output?: string | null;
  exit_code?: number | null;
  version?: string | null;
}

export interface Alert {
  id: number;
  vm_id: string | null;
  customer_id: string | null;
  type: string;
  severity: Severity;
  message: string;
  created_at: string;
  resolved: boolean;
  resolved_at: string | null;
  resolved_by: string | null;
  source: "manual" | "rule";
}

export interface Update {
  id: number;
  version: string;
  description: string | null;
  rollout_status: RolloutStatus;
  created_at: string;
  completed_at: string | null;
  progress?: { target: number; updated: number; failed: number };
}

export interface Token {
  id: number;
  name: string;
  role: Role | "agent";
  vm_id: string | null;
  created_at: string;
  last_used_at: string | null;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  method: string;
  path: string;
  target: string | null;
  status: number;
  address: string | null;
}

export interface Fleet {
  vms: {
    total: number;
    online: number;
    offline: number;
    maintenance: number;
    error: number;
  };
  customers: {
    total: number;
    active: number;
    inactive: number;
    overdue: number;
    by_tier: { starter: number; pro: number; enterprise: number };
  };
  revenue: { mrr: number; overdue: number };
  costs: { monthly: number };
  margin: number;
  usage: {
    avg_cpu_percent: number;
    avg_memory_percent: number;
    avg_disk_percent: number;
    disk_used_gb: number;
    cpu_cores: number;
    memory_gb: number;
    disk_gb: number;
  };
  alerts: { unresolved: number; high: number; warning: number; info: number };
  versions: Record<string, number>;
}
