/*
 * Metric history of a VM, the fleet's figures (JSON and Prometheus text)
 * and the --dev demo data.
 */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "config.h"
#include "reply.h"
#include "seed.h"
#include "server.h"
#include "stats.h"
#include "store_metrics.h"
#include "util.h"
#include "valid.h"

/* Without ?step=, a series longer than this is averaged into buckets. */
#define MAX_POINTS 2000

static void
vm_metrics(struct request *r)
{
	const char *h = req_query(r, "hours"), *s = req_query(r, "step");
	long long hours = 24, step = 0;
	int64_t now = util_now();
	struct buf points;
	int rc;

	if (!v_is_id(r->params[0])) {
		reply_not_found(r, "VM");
		return;
	}
	if (h != NULL && !util_parse_int(h, 1, 2160, &hours)) {
		reply_error(r, 400, "validation_failed", "hours",
		            "hours must be an integer from 1 to 2160");
		return;
	}
	if (s != NULL && !util_parse_int(s, 1, 86400, &step)) {
		reply_error(r, 400, "validation_failed", "step",
		            "step must be an integer from 1 to 86400 "
		            "(seconds)");
		return;
	}
	buf_init(&points, 0);
	rc = store_metrics_series(r->srv->st, r->params[0], now - hours * 3600,
	                          hours * 3600, MAX_POINTS, &step, &points);
	if (rc != STORE_OK) {
		buf_free(&points);
		reply_store(r, rc, "VM");
		return;
	}
	buf_reset(&r->out);
	buf_puts(&r->out, "{\"vm_id\":");
	buf_json_string(&r->out, r->params[0]);
	buf_printf(&r->out, ",\"hours\":%lld,\"step\":%lld,\"points\":", hours,
	           step);
	buf_append(&r->out, points.data, points.len);
	buf_puts(&r->out, "}");
	buf_free(&points);
	r->status = 200;
}

/* Money and averages: cents and hundredths are all anyone reads. */
static json_t *
real2(double d)
{
	return json_real(round(d * 100) / 100);
}

static void
fleet(struct request *r)
{
	struct fleet f;
	json_t *usage;
	int rc = store_fleet(r->srv->st, &f);

	if (rc != STORE_OK) {
		json_decref(f.versions);
		reply_store(r, rc, "fleet");
		return;
	}
	usage = json_pack(
	    "{s:o, s:o, s:o, s:o, s:I, s:o, s:o}", "avg_cpu_percent",
	    f.has_usage ? real2(f.avg_cpu) : json_null(), "avg_memory_percent",
	    f.has_usage ? real2(f.avg_memory) : json_null(), "avg_disk_percent",
	    f.has_usage ? real2(f.avg_disk) : json_null(), "disk_used_gb",
	    real2(f.disk_used_gb), "cpu_cores", (json_int_t)f.cpu_cores,
	    "memory_gb", real2(f.memory_gb), "disk_gb", real2(f.disk_gb));
	reply_json(
	    r, 200,
	    json_pack(
	        "{s:{s:I, s:I, s:I, s:I, s:I}, "
	        "s:{s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I}}, "
	        "s:{s:o, s:o}, s:{s:o}, s:o, s:o, "
	        "s:{s:I, s:I, s:I, s:I}, s:o}",
	        "vms", "total", (json_int_t)f.vms_total, "online",
	        (json_int_t)f.vms_online, "offline", (json_int_t)f.vms_offline,
	        "maintenance", (json_int_t)f.vms_maintenance, "error",
	        (json_int_t)f.vms_error, "customers", "total",
	        (json_int_t)f.customers_total, "active",
	        (json_int_t)f.customers_active, "inactive",
	        (json_int_t)f.customers_inactive, "overdue",
	        (json_int_t)f.customers_overdue, "by_tier", "starter",
	        (json_int_t)f.tier_starter, "pro", (json_int_t)f.tier_pro,
	        "enterprise", (json_int_t)f.tier_enterprise, "revenue", "mrr",
	        real2(f.mrr), "overdue", real2(f.overdue), "costs", "monthly",
	        real2(f.costs), "margin", real2(f.mrr - f.costs), "usage",
	        usage, "alerts", "unresolved", (json_int_t)f.alerts_unresolved,
	        "high", (json_int_t)f.alerts_high, "warning",
	        (json_int_t)f.alerts_warning, "info", (json_int_t)f.alerts_info,
	        "versions", f.versions));
}

/* Appends s as a Prometheus label value: \ " and newline escaped. */
static void
prom_label(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			buf_puts(out, "\\\\");
		else if (*s == '"')
			buf_puts(out, "\\\"");
		else if (*s == '\n')
			buf_puts(out, "\\n");
		else
			buf_append(out, s, 1);
	}
}

static void
prom_head(struct buf *out, const char *name, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void
prometheus(struct request *r)
{
	struct fleet f;
	struct buf *out = &r->out;
	const char *version;
	json_t *n;
	int rc = store_fleet(r->srv->st, &f);

	if (rc != STORE_OK) {
		json_decref(f.versions);
		reply_store(r, rc, "fleet");
		return;
	}
	buf_reset(out);
	prom_head(out, "lab_fleet_vms", "VMs by status.");
	buf_printf(out,
	           "lab_fleet_vms{status=\"online\"} %lld\n"
	           "lab_fleet_vms{status=\"offline\"} %lld\n"
	           "lab_fleet_vms{status=\"maintenance\"} %lld\n"
	           "lab_fleet_vms{status=\"error\"} %lld\n",
	           f.vms_online, f.vms_offline, f.vms_maintenance, f.vms_error);
	prom_head(out, "lab_fleet_customers", "Customers by billing status.");
	buf_printf(out,
	           "lab_fleet_customers{billing_status=\"active\"} %lld\n"
	           "lab_fleet_customers{billing_status=\"inactive\"} %lld\n"
	           "lab_fleet_customers{billing_status=\"overdue\"} %lld\n",
	           f.customers_active, f.customers_inactive,
	           f.customers_overdue);
	prom_head(out, "lab_fleet_mrr",
	          "Monthly recurring revenue: fees of active customers.");
	buf_printf(out, "lab_fleet_mrr %.15g\n", f.mrr);
	prom_head(out, "lab_fleet_monthly_costs", "Monthly cost of all VMs.");
	buf_printf(out, "lab_fleet_monthly_costs %.15g\n", f.costs);
	prom_head(out, "lab_fleet_alerts_unresolved",
	          "Unresolved alerts by severity.");
	buf_printf(out,
	           "lab_fleet_alerts_unresolved{severity=\"high\"} %lld\n"
	           "lab_fleet_alerts_unresolved{severity=\"warning\"} %lld\n"
	           "lab_fleet_alerts_unresolved{severity=\"info\"} %lld\n",
	           f.alerts_high, f.alerts_warning, f.alerts_info);
	prom_head(out, "lab_fleet_vm_versions", "VMs by agent version.");
	json_object_foreach(f.versions, version, n)
	{
		buf_puts(out, "lab_fleet_vm_versions{version=\"");
		prom_label(out, version);
		buf_printf(out, "\"} %lld\n", (long long)json_integer_value(n));
	}
	json_decref(f.versions);
	stats_write(r->srv->stats, out);
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	r->status = 200;
}

static void
seed(struct request *r)
{
	json_t *counts;
	int rc;

	if (!r->srv->cfg->dev) {
		reply_error(r, 404, "not_found", NULL,
		            "no such route (demo data needs --dev)");
		return;
	}
	rc = seed_demo_fleet(r->srv->st, &counts);
	if (rc == STORE_CONFLICT) {
		reply_error(r, 409, "conflict", NULL,
		            "the demo data is there already (or clashes with "
		            "existing ids, emails or addresses)");
		return;
	}
	if (rc != STORE_OK) {
		reply_store(r, rc, "demo data");
		return;
	}
	r->audit_target = "demo-fleet";
	reply_json(r, 201, counts);
}

const struct route api_metrics_routes[] = {
    {"GET", "/api/vms/:id/metrics", vm_metrics, ROLE_VIEWER, 0},
    {"GET", "/api/metrics/fleet", fleet, ROLE_VIEWER, 0},
    {"GET", "/metrics", prometheus, ROLE_VIEWER, 0},
    {"POST", "/api/seed-test-data", seed, ROLE_ADMIN, 0},
    {NULL, NULL, NULL, 0, 0},
};
