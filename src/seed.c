#include "seed.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

#define DAY 86400
#define POINT_EVERY 300
#define POINTS (DAY / POINT_EVERY)

struct demo_customer {
	const char *slug; /* id "cus-<slug>", VM ids "vm-<slug>-..." */
	const char *name;
	const char *email;
	const char *company;
	const char *domain; /* of its VMs' host names */
	const char *tier;
	const char *billing;
	double fee;
};

static const struct demo_customer customers[] = {
    {"brightlane", "Maria Keller", "maria.keller@brightlane.io",
     "Brightlane Analytics", "brightlane.io", "enterprise", "active", 2499},
    {"ortega", "Tomás Ortega", "tomas.ortega@ortega-logistics.es",
     "Ortega Logistics S.L.", "ortega-logistics.es", "pro", "active", 299},
    {"kettlecrumb", "Aisha Rahman", "aisha@kettleandcrumb.co.uk",
     "Kettle & Crumb Bakery", "kettleandcrumb.co.uk", "starter", "active", 49},
    {"nordvik", "Jonas Lindqvist", "jonas.lindqvist@nordvik.no",
     "Nordvik Maritime AS", "nordvik.no", "enterprise", "active", 3499},
    {"lotushealth", "Priya Natarajan", "priya.n@lotushealth.in",
     "Lotus Health Clinics", "lotushealth.in", "pro", "active", 399},
    {"carterhw", "Ben Carter", "ben@carterhardware.com", "Carter Hardware",
     "carterhardware.com", "starter", "overdue", 49},
    {"lumiere", "Chloé Dubois", "chloe.dubois@atelier-lumiere.fr",
     "Atelier Lumière", "atelier-lumiere.fr", "starter", "active", 79},
    {"sakura", "Kenji Watanabe", "k.watanabe@sakura-robotics.jp",
     "Sakura Robotics K.K.", "sakura-robotics.jp", "enterprise", "active",
     2999},
    {"greenfield", "Olivia Brooks", "it@greenfieldschools.org",
     "Greenfield Schools Trust", "greenfieldschools.org", "pro", "active", 249},
    {"brandt", "Lukas Brandt", "lukas.brandt@brandt-ing.de",
     "Brandt Ingenieure GmbH", "brandt-ing.de", "pro", "active", 299},
    {"desertrose", "Fatima Al-Sayed", "fatima@desertrose.travel",
     "Desert Rose Travel", "desertrose.travel", "starter", "active", 49},
    {"pixelharbor", "Ethan Nguyen", "ethan@pixelharbor.studio",
     "Pixel Harbor Studio", "pixelharbor.studio", "pro", "overdue", 249},
    {"trattoria", "Sofia Rossi", "sofia@trattoriarossi.it", "Trattoria Rossi",
     "trattoriarossi.it", "starter", "inactive", 49},
    {"lagosfin", "Daniel Okafor", "daniel.okafor@lagosfintech.ng",
     "Lagos Fintech Labs", "lagosfintech.ng", "enterprise", "active", 1999},
    {"fjallen", "Emma Johansson", "emma@fjallen.se", "Fjällen Outdoor AB",
     "fjallen.se", "pro", "active", 299},
    {"andescoffee", "Mateo Fernández", "mateo@andescoffee.co",
     "Andes Coffee Traders", "andescoffee.co", "starter", "active", 79},
    {"jademountain", "Grace Liu", "grace.liu@jademountaintea.com",
     "Jade Mountain Tea", "jademountaintea.com", "starter", "active", 49},
    {"fischer", "Noah Fischer", "n.fischer@fischer-partner.de",
     "Fischer & Partner Rechtsanwälte", "fischer-partner.de", "pro", "active",
     399},
    {"medilink", "Hannah Schmidt", "hannah.schmidt@medilink-labs.eu",
     "Medilink Labs", "medilink-labs.eu", "enterprise", "active", 3499},
    {"patelpharma", "Ravi Patel", "ravi@patelpharmacy.co.uk",
     "Patel Pharmacy Group", "patelpharmacy.co.uk", "pro", "overdue", 299},
    {"sprouts", "Zoe Martin", "office@littlesprouts.org.uk",
     "Little Sprouts Nursery", "littlesprouts.org.uk", "starter", "active", 49},
    {"jensenwind", "Lars Jensen", "lars@jensenwind.dk",
     "Jensen Wind Services ApS", "jensenwind.dk", "pro", "active", 399},
    {"laurent", "Amélie Laurent", "amelie@laurent-archi.fr",
     "Laurent Architectes", "laurent-archi.fr", "starter", "active", 79},
    {"northstar", "Samuel Adeyemi", "samuel@northstarmedia.com",
     "Northstar Media", "northstarmedia.com", "enterprise", "active", 2499},
    {"costaverde", "Isabella Costa", "isabella.costa@costaverde.pt",
     "Costa Verde Resorts", "costaverde.pt", "pro", "active", 299},
    {"turnerprint", "William Turner", "will@turnerprint.co.uk",
     "Turner & Sons Printing", "turnerprint.co.uk", "starter", "inactive", 49},
};
#define NCUSTOMERS (sizeof(customers) / sizeof(customers[0]))

static const char *const starter_roles[] = {"web", "db", NULL};
static const char *const pro_roles[] = {"web", "web",    "api",
                                        "db",  "worker", NULL};
static const char *const enterprise_roles[] = {
    "web", "web",   "web",    "api",     "api", "db",
    "db",  "cache", "worker", "monitor", NULL};

/* A small deterministic generator (xorshift64*): the same fleet each run. */
struct rnd {
	uint64_t s;
};

static double
rnd_unit(struct rnd *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return (double)((r->s * 2685821657736338717ULL) >> 11) /
	       9007199254740992.0;
}

static double
rnd_range(struct rnd *r, double lo, double hi)
{
	return lo + (hi - lo) * rnd_unit(r);
}

/* Roughly normal noise with mean 0 and deviation sd. */
static double
rnd_noise(struct rnd *r, double sd)
{
	return (rnd_unit(r) + rnd_unit(r) + rnd_unit(r) - 1.5) * 2 * sd;
}

static double
clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

struct seeder {
	struct db *db;
	struct rnd rnd;
	int64_t now;
	long long vms, points, alerts, updates;
};

/* Steps a prepared, bound statement once. Returns STORE_*. */
static int
step_done(struct seeder *sd, sqlite3_stmt *stmt)
{
	int rc = db_rc(sd->db, sqlite3_step(stmt));

	db_done(stmt);
	return rc;
}

static int
add_customer(struct seeder *sd, const struct demo_customer *c, int idx)
{
	sqlite3_stmt *stmt = db_prepare(
	    sd->db, "INSERT INTO customers (id, name, email, company, tier, "
	            "billing_status, monthly_fee, created_at) VALUES (?1, ?2, "
	            "?3, ?4, ?5, ?6, ?7, ?8)");
	char id[64];

	if (stmt == NULL)
		return STORE_ERR;
	snprintf(id, sizeof(id), "cus-%s", c->slug);
	db_bind_text(stmt, 1, id);
	db_bind_text(stmt, 2, c->name);
	db_bind_text(stmt, 3, c->email);
	db_bind_text(stmt, 4, c->company);
	db_bind_text(stmt, 5, c->tier);
	db_bind_text(stmt, 6, c->billing);
	sqlite3_bind_double(stmt, 7, c->fee);
	/* Older customers first: spread over the last 14 months. */
	sqlite3_bind_int64(stmt, 8,
	                   sd->now -
	                       (int64_t)(NCUSTOMERS - (size_t)idx) * 16 * DAY -
	                       (int64_t)rnd_range(&sd->rnd, 0, DAY));
	return step_done(sd, stmt);
}

static int
add_alert(struct seeder *sd, const char *vm_id, const char *customer_id,
          const char *type, const char *severity, const char *message,
          int64_t at, int64_t resolved_at, const char *resolved_by,
          const char *source)
{
	sqlite3_stmt *stmt = db_prepare(
	    sd->db, "INSERT INTO alerts (vm_id, customer_id, type, severity, "
	            "message, created_at, resolved, resolved_at, resolved_by, "
	            "source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
	            "?10)");

	if (stmt == NULL)
		return STORE_ERR;
	db_bind_text(stmt, 1, vm_id);
	db_bind_text(stmt, 2, customer_id);
	db_bind_text(stmt, 3, type);
	db_bind_text(stmt, 4, severity);
	db_bind_text(stmt, 5, message);
	sqlite3_bind_int64(stmt, 6, at);
	sqlite3_bind_int(stmt, 7, resolved_at > 0);
	if (resolved_at > 0)
		sqlite3_bind_int64(stmt, 8, resolved_at);
	db_bind_text(stmt, 9, resolved_by);
	db_bind_text(stmt, 10, source);
	sd->alerts++;
	return step_done(sd, stmt);
}

struct demo_vm {
	char id[64];
	char host[128];
	char ip[48];
	const char *status;
	const char *version;
	int cores;
	double mem_gb, disk_gb, cost;
	double cpu_base, cpu_amp, mem_base, disk_start, disk_growth;
	int64_t last; /* time of the last point */
};

/* Writes vm's day of points; *last_disk, *last_cpu: its latest. */
static int
add_history(struct seeder *sd, struct demo_vm *vm, double *last_disk,
            double *last_cpu)
{
	sqlite3_stmt *stmt;
	double cpu = 0, mem = 0, disk = 0, used = 0;
	int i, rc;
	int64_t t = 0;

	for (i = 0; i < POINTS; i++) {
		double hour, day_curve;

		t = vm->last - (int64_t)(POINTS - 1 - i) * POINT_EVERY;
		hour = (double)(t % DAY) / 3600.0;
		/* Quiet at 04:00 UTC, busiest at 16:00. */
		day_curve = 0.5 * (1 - cos(2 * M_PI * (hour - 4) / 24));
		cpu = clamp(vm->cpu_base + vm->cpu_amp * day_curve +
		                rnd_noise(&sd->rnd, 3),
		            0.5, 100);
		mem = clamp(vm->mem_base + 8 * day_curve +
		                rnd_noise(&sd->rnd, 1.5),
		            1, 99.5);
		disk = clamp(vm->disk_start + vm->disk_growth * i / POINTS +
		                 rnd_noise(&sd->rnd, 0.05),
		             1, 99.9);
		cpu = round(cpu * 100) / 100;
		mem = round(mem * 100) / 100;
		disk = round(disk * 100) / 100;
		used = round(disk * vm->disk_gb) / 100;
		stmt = db_prepare(sd->db,
		                  "INSERT INTO metrics (vm_id, ts, cpu, mem, "
		                  "disk, disk_used, load1, uptime, quota) "
		                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
		                  "?9)");
		if (stmt == NULL)
			return STORE_ERR;
		db_bind_text(stmt, 1, vm->id);
		sqlite3_bind_int64(stmt, 2, t);
		sqlite3_bind_double(stmt, 3, cpu);
		sqlite3_bind_double(stmt, 4, mem);
		sqlite3_bind_double(stmt, 5, disk);
		sqlite3_bind_double(stmt, 6, used);
		sqlite3_bind_double(stmt, 7, round(cpu * vm->cores) / 100);
		sqlite3_bind_int64(stmt, 8, 3 * DAY + (int64_t)i * 300);
		sqlite3_bind_null(stmt, 9);
		rc = step_done(sd, stmt);
		if (rc != STORE_OK)
			return rc;
		sd->points++;
	}
	/* The last point is the VM's live figures (store_live.h). */
	*last_disk = disk;
	*last_cpu = cpu;
	return STORE_OK;
}

/* Open rule alerts that match what vm's data shows, and some history. */
static int
add_vm_alerts(struct seeder *sd, const struct demo_vm *vm, double disk,
              double cpu)
{
	char msg[256];
	int rc = STORE_OK;

	/* Switched off days ago (inactive customer): nothing to raise. */
	if (vm->last < sd->now - 2 * DAY)
		return STORE_OK;
	if (strcmp(vm->status, "offline") == 0) {
		snprintf(msg, sizeof(msg),
		         "%s has not sent a heartbeat since it went quiet",
		         vm->host);
		rc = add_alert(sd, vm->id, NULL, "vm_offline", "high", msg,
		               vm->last + 300, 0, NULL, "rule");
	}
	if (rc == STORE_OK && disk > 80) {
		snprintf(msg, sizeof(msg), "Disk of %s is %.0f%% full",
		         vm->host, disk);
		rc = add_alert(sd, vm->id, NULL, "disk_space",
		               disk > 90 ? "high" : "warning", msg,
		               vm->last - 3 * 3600, 0, NULL, "rule");
	}
	if (rc == STORE_OK && cpu > 85 && strcmp(vm->status, "online") == 0) {
		snprintf(msg, sizeof(msg), "CPU of %s at %.0f%% for 15 minutes",
		         vm->host, cpu);
		rc = add_alert(sd, vm->id, NULL, "high_cpu", "warning", msg,
		               vm->last - 1200, 0, NULL, "rule");
	}
	if (rc == STORE_OK && strcmp(vm->status, "error") == 0) {
		snprintf(msg, sizeof(msg), "%s reported a failed health check",
		         vm->host);
		rc = add_alert(sd, vm->id, NULL, "health_check", "high", msg,
		               vm->last - 600, 0, NULL, "manual");
	}
	return rc;
}

/* Picks the VM's shape from its customer's tier and its place. */
static void
shape_vm(struct seeder *sd, struct demo_vm *vm, const char *tier, int n)
{
	struct rnd *r = &sd->rnd;
	static const char *const versions[] = {
	    "2.4.1", "2.4.1", "2.4.1", "2.4.1", "2.4.0", "2.4.0", "2.3.7"};

	if (strcmp(tier, "starter") == 0) {
		vm->cores = 1 + (int)rnd_range(r, 0, 2);
		vm->mem_gb = vm->cores * 2;
		vm->disk_gb = 40 + 20 * (int)rnd_range(r, 0, 3);
		vm->cost = 5 + 2.5 * vm->cores;
	} else if (strcmp(tier, "pro") == 0) {
		vm->cores = 2 << (int)rnd_range(r, 0, 2);
		vm->mem_gb = vm->cores * 4;
		vm->disk_gb = 100 + 50 * (int)rnd_range(r, 0, 4);
		vm->cost = 8 + 4.5 * vm->cores;
	} else {
		vm->cores = 8 << (int)rnd_range(r, 0, 2);
		vm->mem_gb = vm->cores * 4;
		vm->disk_gb = 500 + 250 * (int)rnd_range(r, 0, 6);
		vm->cost = 20 + 4.25 * vm->cores + 0.02 * vm->disk_gb;
	}
	vm->version = versions[(int)rnd_range(r, 0, 7)];
	if (n % 41 == 17)
		vm->version = "2.5.0-rc1";
	vm->cpu_base = rnd_range(r, 4, 35);
	vm->cpu_amp = rnd_range(r, 5, 35);
	if (n % 29 == 11) /* a few hot ones */
		vm->cpu_base = rnd_range(r, 82, 90);
	vm->mem_base = rnd_range(r, 25, 70);
	vm->disk_start = rnd_range(r, 15, 65);
	vm->disk_growth = rnd_range(r, 0.1, 2);
	if (n % 13 == 5) /* a few disks close to full */
		vm->disk_start = rnd_range(r, 83, 96);

	/* Every status shows up; most VMs are well. */
	vm->status = "online";
	vm->last = sd->now - (int64_t)rnd_range(r, 1, 40);
	if (n % 16 == 4) {
		vm->status = "offline";
		vm->last = sd->now - (int64_t)rnd_range(r, 2 * 3600, 9 * 3600);
	} else if (n % 17 == 8) {
		vm->status = "maintenance";
		vm->last = sd->now - (int64_t)rnd_range(r, 600, 1800);
	} else if (n % 19 == 13) {
		vm->status = "error";
		vm->last = sd->now - (int64_t)rnd_range(r, 300, 1200);
	}
}

static int
add_vm(struct seeder *sd, const struct demo_customer *c, int ci,
       const char *role, int role_i, int role_n, int n)
{
	struct demo_vm vm;
	sqlite3_stmt *stmt;
	double disk = 0, cpu = 0;
	char cid[64];
	int rc;

	memset(&vm, 0, sizeof(vm));
	snprintf(cid, sizeof(cid), "cus-%s", c->slug);
	snprintf(vm.id, sizeof(vm.id), "vm-%s-%s-%d", c->slug, role, role_n);
	snprintf(vm.host, sizeof(vm.host), "%s-%02d.%s", role, role_n,
	         c->domain);
	if (n % 7 == 3)
		snprintf(vm.ip, sizeof(vm.ip), "2001:db8:42:%x::%x", ci + 1,
		         n + 16);
	else
		snprintf(vm.ip, sizeof(vm.ip), "10.42.%d.%d", ci + 1,
		         10 + role_i);
	shape_vm(sd, &vm, c->tier, n);
	/* Inactive customers' VMs are switched off. */
	if (strcmp(c->billing, "inactive") == 0) {
		vm.status = "offline";
		vm.last = sd->now - 5 * DAY - n * 600;
	}
	stmt = db_prepare(
	    sd->db, "INSERT INTO vms (id, hostname, ip_address, customer_id, "
	            "tier, status, created_at, cpu_cores, memory_gb, disk_gb, "
	            "version, monthly_cost) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	            "?7, ?8, ?9, ?10, ?11, ?12)");
	if (stmt == NULL)
		return STORE_ERR;
	db_bind_text(stmt, 1, vm.id);
	db_bind_text(stmt, 2, vm.host);
	db_bind_text(stmt, 3, vm.ip);
	db_bind_text(stmt, 4, cid);
	db_bind_text(stmt, 5, c->tier);
	db_bind_text(stmt, 6, vm.status);
	sqlite3_bind_int64(
	    stmt, 7, sd->now - (int64_t)rnd_range(&sd->rnd, 3, 300) * DAY);
	sqlite3_bind_int(stmt, 8, vm.cores);
	sqlite3_bind_double(stmt, 9, vm.mem_gb);
	sqlite3_bind_double(stmt, 10, vm.disk_gb);
	db_bind_text(stmt, 11, vm.version);
	sqlite3_bind_double(stmt, 12, round(vm.cost * 100) / 100);
	rc = step_done(sd, stmt);
	if (rc != STORE_OK)
		return rc;
	sd->vms++;
	rc = add_history(sd, &vm, &disk, &cpu);
	if (rc != STORE_OK)
		return rc;
	return add_vm_alerts(sd, &vm, disk, cpu);
}

/* Alerts of the past day that were dealt with, and a few about money. */
static int
add_history_alerts(struct seeder *sd)
{
	static const struct {
		const char *vm, *type, *severity, *message, *by;
		int hours_ago, minutes_open;
	} past[] = {
	    {"vm-brightlane-web-1", "high_cpu", "warning",
	     "CPU of web-01.brightlane.io at 93% for 15 minutes", "system", 20,
	     35},
	    {"vm-nordvik-db-1", "disk_space", "warning",
	     "Disk of db-01.nordvik.no is 84% full", "admin", 18, 240},
	    {"vm-ortega-api-1", "vm_offline", "high",
	     "api-01.ortega-logistics.es stopped sending heartbeats", "system",
	     15, 12},
	    {"vm-sakura-worker-1", "unusual_activity", "warning",
	     "CPU of worker-01.sakura-robotics.jp far above its usual level",
	     "admin", 12, 50},
	    {"vm-lotushealth-db-1", "high_memory", "warning",
	     "Memory of db-01.lotushealth.in at 95%", "system", 9, 20},
	    {"vm-medilink-cache-1", "api_quota", "info",
	     "API quota of cache-01.medilink-labs.eu at 91%", "system", 7, 90},
	    {"vm-lagosfin-api-2", "vm_offline", "high",
	     "api-02.lagosfintech.ng stopped sending heartbeats", "system", 4,
	     6},
	    {"vm-northstar-web-3", "high_cpu", "warning",
	     "CPU of web-03.northstarmedia.com at 97% for 15 minutes", "system",
	     2, 25},
	};
	static const struct {
		const char *customer, *type, *severity, *message;
	} open[] = {
	    {"cus-carterhw", "payment_overdue", "warning",
	     "Invoice for last month is 12 days overdue"},
	    {"cus-pixelharbor", "payment_overdue", "warning",
	     "Invoice for last month is 5 days overdue"},
	    {"cus-patelpharma", "payment_overdue", "high",
	     "Two invoices unpaid: services may be suspended"},
	    {"cus-brightlane", "maintenance_window", "info",
	     "Customer asked for a maintenance window on Saturday 02:00 UTC"},
	};
	sqlite3_stmt *stmt;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(past) / sizeof(past[0]); i++) {
		int64_t at = sd->now - (int64_t)past[i].hours_ago * 3600;

		rc = add_alert(sd, past[i].vm, NULL, past[i].type,
		               past[i].severity, past[i].message, at,
		               at + (int64_t)past[i].minutes_open * 60,
		               past[i].by, "rule");
		if (rc != STORE_OK)
			return rc;
	}
	for (i = 0; i < sizeof(open) / sizeof(open[0]); i++) {
		rc = add_alert(sd, NULL, open[i].customer, open[i].type,
		               open[i].severity, open[i].message,
		               sd->now - (int64_t)(i + 1) * 5 * 3600, 0, NULL,
		               "manual");
		if (rc != STORE_OK)
			return rc;
	}
	/*
	 * One API quota alert on a VM whose latest point shows it: that
	 * point is the VM's live figures (store_live.h).
	 */
	stmt = db_prepare(sd->db,
	                  "UPDATE metrics SET quota = 94.5 WHERE rowid = "
	                  "(SELECT rowid FROM metrics WHERE vm_id = "
	                  "'vm-northstar-api-1' ORDER BY ts DESC, rowid DESC "
	                  "LIMIT 1)");
	if (stmt == NULL)
		return STORE_ERR;
	rc = step_done(sd, stmt);
	if (rc != STORE_OK)
		return rc;
	return add_alert(sd, "vm-northstar-api-1", NULL, "api_quota", "warning",
	                 "API quota of api-01.northstarmedia.com at 94.5%",
	                 sd->now - 1800, 0, NULL, "rule");
}

static int
add_updates(struct seeder *sd)
{
	static const struct {
		const char *version, *description, *status;
		int days_ago, hours_to_finish;
	} updates[] = {
	    {"2.4.0", "Agent 2.4.0: smaller heartbeats, disk stats per mount",
	     "completed", 21, 5},
	    {"2.4.1", "Agent 2.4.1: fixes a memory reading on kernels < 4.1",
	     "completed", 6, 3},
	    {"2.5.0", "Agent 2.5.0: API quota reporting and faster restarts",
	     "pending", 0, 0},
	};
	sqlite3_stmt *stmt;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(updates) / sizeof(updates[0]); i++) {
		int64_t at =
		    sd->now - (int64_t)updates[i].days_ago * DAY - 3600;
		bool done = strcmp(updates[i].status, "completed") == 0;

		stmt = db_prepare(sd->db,
		                  "INSERT INTO updates (version, description, "
		                  "rollout_status, batch_percent, created_at, "
		                  "started_at, completed_at) VALUES (?1, ?2, "
		                  "?3, ?4, ?5, ?6, ?7)");
		if (stmt == NULL)
			return STORE_ERR;
		db_bind_text(stmt, 1, updates[i].version);
		db_bind_text(stmt, 2, updates[i].description);
		db_bind_text(stmt, 3, updates[i].status);
		if (done) {
			sqlite3_bind_int(stmt, 4, 25);
			sqlite3_bind_int64(stmt, 6, at + 600);
			sqlite3_bind_int64(
			    stmt, 7,
			    at + (int64_t)updates[i].hours_to_finish * 3600);
		}
		sqlite3_bind_int64(stmt, 5, at);
		rc = step_done(sd, stmt);
		if (rc != STORE_OK)
			return rc;
		sd->updates++;
	}
	return STORE_OK;
}

int
seed_demo_fleet(struct store *st, json_t **counts)
{
	struct seeder sd;
	size_t ci;
	int rc, n = 0, i, j;

	*counts = NULL;
	memset(&sd, 0, sizeof(sd));
	sd.db = store_acquire(st);
	sd.rnd.s = 0x9E3779B97F4A7C15ULL;
	sd.now = util_now();
	rc = db_begin(sd.db);
	if (rc != STORE_OK)
		goto out;
	for (ci = 0; ci < NCUSTOMERS; ci++) {
		const struct demo_customer *c = &customers[ci];
		const char *const *roles =
		    strcmp(c->tier, "starter") == 0 ? starter_roles
		    : strcmp(c->tier, "pro") == 0   ? pro_roles
		                                    : enterprise_roles;

		rc = add_customer(&sd, c, (int)ci);
		if (rc != STORE_OK)
			goto out;
		for (i = 0; roles[i] != NULL; i++) {
			int role_n = 1;

			for (j = 0; j < i; j++)
				if (strcmp(roles[j], roles[i]) == 0)
					role_n++;
			rc = add_vm(&sd, c, (int)ci, roles[i], i, role_n, n++);
			if (rc != STORE_OK)
				goto out;
		}
	}
	rc = add_history_alerts(&sd);
	if (rc == STORE_OK)
		rc = add_updates(&sd);
	if (rc == STORE_OK)
		rc = db_commit(sd.db);
	if (rc == STORE_OK)
		*counts = json_pack(
		    "{s:I, s:I, s:I, s:I, s:I}", "customers",
		    (json_int_t)NCUSTOMERS, "vms", (json_int_t)sd.vms,
		    "metric_points", (json_int_t)sd.points, "alerts",
		    (json_int_t)sd.alerts, "updates", (json_int_t)sd.updates);
out:
	db_rollback(sd.db);
	store_release(st, sd.db);
	return rc;
}
