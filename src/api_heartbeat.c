/* PUT /api/vms/:id/heartbeat: an agent's figures in, its actions out. */

#include "api.h"
#include "buf.h"
#include "config.h"
#include "hb_writer.h"
#include "reply.h"
#include "server.h"
#include "store.h"
#include "valid.h"

static void
heartbeat_put(struct request *r)
{
	json_t *body = reply_need_object(r), *actions;
	struct heartbeat hb = {0};
	struct verr e = {0};
	char status[16];
	int rc;

	if (body == NULL)
		return;
	hb.vm_id = r->params[0];
	v_number(body, "cpu_percent", true, 0, false, 100, &hb.cpu, &e);
	v_number(body, "memory_percent", true, 0, false, 100, &hb.mem, &e);
	v_number(body, "disk_percent", true, 0, false, 100, &hb.disk, &e);
	v_number(body, "disk_used_gb", true, 0, false, 1e12, &hb.disk_used, &e);
	hb.has_load1 =
	    v_number(body, "load1", false, 0, false, 1e6, &hb.load1, &e);
	hb.has_uptime =
	    v_int(body, "uptime_s", false, 0, 1LL << 53, &hb.uptime, &e);
	hb.has_quota = v_number(body, "api_quota_percent", false, 0, false, 100,
	                        &hb.quota, &e);
	if (v_string(body, "version", false, 1, 64, &hb.version, &e) &&
	    !v_is_version(hb.version))
		verr_set(&e, "version", "version must look like 1.2.3");
	if (e.failed) {
		reply_invalid(r, &e);
		return;
	}
	rc =
	    hb_writer_submit(r->srv->hb, &hb, status, sizeof(status), &actions);
	if (rc != STORE_OK) {
		reply_store(r, rc, "VM");
		return;
	}
	/* Written directly: this is the hot path, and actions are rare. */
	r->status = 200;
	buf_reset(&r->out);
	buf_puts(&r->out, "{\"vm_id\":");
	buf_json_string(&r->out, hb.vm_id);
	buf_printf(&r->out, ",\"status\":\"%s\",\"actions\":", status);
	if (actions == NULL)
		buf_puts(&r->out, "[]");
	else if (!reply_append_json(&r->out, actions))
		r->status = 500;
	buf_printf(&r->out, ",\"next_heartbeat_s\":%d}",
	           r->srv->cfg->heartbeat_interval);
	json_decref(actions);
}

const struct route api_heartbeat_routes[] = {
    {"PUT", "/api/vms/:id/heartbeat", heartbeat_put, ROLE_OPERATOR,
     ROUTE_AGENT | ROUTE_NO_AUDIT},
    {NULL, NULL, NULL, 0, 0},
};
