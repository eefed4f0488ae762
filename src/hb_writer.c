#include "hb_writer.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "util.h"

/* The most heartbeats committed in one transaction. */
#define HB_BATCH_MAX 512
/* The heartbeat writer's nice value (see raise_priority). */
#define HB_WRITER_NICE -10
/* How often the checkpointer copies the WAL into the database file. */
#define HB_CHECKPOINT_MS 250

/* One waiting request. Lives on the submitting thread's stack. */
struct hb_job {
	const struct heartbeat *hb;
	int rc;
	char status[16];
	json_t *actions;
	bool vm_changed; /* the VM's status or version was written */
	/*
	 * Posted once the job's batch is committed. A semaphore of its own
	 * rather than a condition on the queue's lock: the waiters of a batch
	 * wake without queueing for that lock behind the next submissions.
	 */
	sem_t done;
	struct hb_job *next;
};

struct hb_writer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct hb_job *head, *tail;
	bool stopping;
	struct db *db;

	/*
	 * A checkpointer thread copies the WAL into the database file, every
	 * HB_CHECKPOINT_MS and whenever a commit passes SQLite's
	 * auto-checkpoint mark (see checkpointer_main).
	 */
	pthread_t checkpointer;
	pthread_cond_t ckpt_cond; /* wakes it: stopping or kicked */
	struct db *ckpt_db;
	bool has_checkpointer;
	bool kicked; /* the WAL passed the auto-checkpoint mark */
	/* Held by the writer while it commits a batch. */
	pthread_mutex_t gate;
};

/*
 * A heartbeat appends its metric point, which is also the VM's live
 * figures and last heartbeat (store_live.h); the VM's row is written only
 * when its status or version changes. SQLite rewrites the status index
 * whenever the column is SET, even to the same value.
 */
static const char SQL_VM_STATE[] =
    "SELECT rowid, status, version FROM vms WHERE id = ?1";
static const char SQL_SET_ONLINE[] =
    "UPDATE vms SET status = 'online' WHERE rowid = ?1";
static const char SQL_SET_VERSION[] =
    "UPDATE vms SET version = ?2 WHERE rowid = ?1";
static const char SQL_INSERT_POINT[] =
    "INSERT INTO metrics (vm_id, ts, cpu, mem, disk, disk_used, load1,"
    " uptime, quota) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char SQL_RESOLVE_OFFLINE[] =
    "UPDATE alerts SET resolved = 1, resolved_at = ?2,"
    " resolved_by = 'system' WHERE vm_id = ?1 AND type = 'vm_offline'"
    " AND source = 'rule' AND resolved = 0";
static const char SQL_OPEN_ACTIONS[] =
    "SELECT id, vm_id, type, 'sent' AS status, version, update_id,"
    " created_at FROM actions WHERE vm_id = ?1"
    " AND status IN ('pending', 'sent') ORDER BY id";
static const char SQL_ANY_OPEN_ACTION[] =
    "SELECT EXISTS (SELECT 1 FROM actions"
    " WHERE status IN ('pending', 'sent'))";
static const char SQL_MARK_SENT[] =
    "UPDATE actions SET status = 'sent', sent_at = ?2, updated_at = ?2"
    " WHERE vm_id = ?1 AND status = 'pending'";

static void
bind_opt_double(sqlite3_stmt *stmt, int i, bool has, double v)
{
	if (has)
		sqlite3_bind_double(stmt, i, v);
	else
		sqlite3_bind_null(stmt, i);
}

/*
 * Binds the figures of hb (cpu, mem, disk, disk_used, load1, uptime,
 * quota) to ?first and the six parameters after it; an absent figure is
 * left NULL.
 */
static void
bind_figures(sqlite3_stmt *stmt, int first, const struct heartbeat *hb)
{
	sqlite3_bind_double(stmt, first, hb->cpu);
	sqlite3_bind_double(stmt, first + 1, hb->mem);
	sqlite3_bind_double(stmt, first + 2, hb->disk);
	sqlite3_bind_double(stmt, first + 3, hb->disk_used);
	bind_opt_double(stmt, first + 4, hb->has_load1, hb->load1);
	if (hb->has_uptime)
		sqlite3_bind_int64(stmt, first + 5, hb->uptime);
	bind_opt_double(stmt, first + 6, hb->has_quota, hb->quota);
}

/*
 * Runs the write sql with the VM of hb as ?1, now as ?2 and, unless
 * figures_at is 0, the figures of hb from ?figures_at on. Returns
 * STORE_*.
 */
static int
exec_hb(struct db *db, const char *sql, const struct heartbeat *hb, int64_t now,
        int figures_at)
{
	sqlite3_stmt *s = db_prepare(db, sql);
	int step;

	if (s == NULL)
		return STORE_ERR;
	db_bind_text(s, 1, hb->vm_id);
	sqlite3_bind_int64(s, 2, now);
	if (figures_at != 0)
		bind_figures(s, figures_at, hb);
	step = sqlite3_step(s);
	db_done(s);
	return step == SQLITE_DONE ? STORE_OK : db_rc(db, step);
}

/*
 * Applies one heartbeat inside the open transaction. fleet_has_open_actions
 * false: no VM has any, so none is looked up. Returns STORE_*.
 */
static int
apply_one(struct db *db, struct hb_job *job, int64_t now,
          bool fleet_has_open_actions)
{
	const struct heartbeat *hb = job->hb;
	sqlite3_stmt *s;
	const char *old_status, *old_version;
	sqlite3_int64 rowid;
	int step;
	bool was_offline, is_maintenance, needs_online, new_version;
	bool any_pending = false;

	s = db_prepare(db, SQL_VM_STATE);
	if (s == NULL)
		return STORE_ERR;
	db_bind_text(s, 1, hb->vm_id);
	step = sqlite3_step(s);
	if (step != SQLITE_ROW) {
		db_done(s);
		return step == SQLITE_DONE ? STORE_NOTFOUND : db_rc(db, step);
	}
	rowid = sqlite3_column_int64(s, 0);
	old_status = db_col_text(s, 1);
	old_version = db_col_text(s, 2);
	/* A VM under maintenance stays there: the operator put it there. */
	is_maintenance = strcmp(old_status, "maintenance") == 0;
	was_offline = strcmp(old_status, "offline") == 0;
	needs_online = !is_maintenance && strcmp(old_status, "online") != 0;
	new_version =
	    hb->version != NULL &&
	    (old_version == NULL || strcmp(old_version, hb->version) != 0);
	db_done(s);
	snprintf(job->status, sizeof(job->status), "%s",
	         is_maintenance ? "maintenance" : "online");
	job->vm_changed = needs_online || new_version;

	if (needs_online) {
		s = db_prepare(db, SQL_SET_ONLINE);
		if (s == NULL)
			return STORE_ERR;
		sqlite3_bind_int64(s, 1, rowid);
		step = db_step_done(db, s);
		if (step != STORE_OK)
			return step;
	}
	if (new_version) {
		s = db_prepare(db, SQL_SET_VERSION);
		if (s == NULL)
			return STORE_ERR;
		sqlite3_bind_int64(s, 1, rowid);
		db_bind_text(s, 2, hb->version);
		step = db_step_done(db, s);
		if (step != STORE_OK)
			return step;
	}

	step = exec_hb(db, SQL_INSERT_POINT, hb, now, 3);
	if (step != STORE_OK)
		return step;
	if (was_offline) {
		step = exec_hb(db, SQL_RESOLVE_OFFLINE, hb, now, 0);
		if (step != STORE_OK)
			return step;
	}

	/*
	 * Sent but unreported actions go out again: an answer lost on the
	 * way must not lose the action. The agent runs each id once.
	 */
	if (!fleet_has_open_actions)
		return STORE_OK;
	s = db_prepare(db, SQL_OPEN_ACTIONS);
	if (s == NULL)
		return STORE_ERR;
	db_bind_text(s, 1, hb->vm_id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (job->actions == NULL)
			job->actions = json_array();
		json_array_append_new(job->actions, db_row_json(s));
		any_pending = true;
	}
	db_done(s);
	if (step != SQLITE_DONE)
		return db_rc(db, step);
	if (any_pending)
		return exec_hb(db, SQL_MARK_SENT, hb, now, 0);
	return STORE_OK;
}

/* Commits a batch; every job gets its result, all or nothing on disk. */
static void
commit_batch(struct hb_writer *w, struct hb_job *batch)
{
	struct hb_job *j;
	int64_t now = util_now();
	long long open_actions = 0;
	int rc;

	rc = db_begin(w->db);
	/* Mostly none: one look for the batch spares one per heartbeat. */
	if (rc == STORE_OK)
		rc = db_query_int(w->db, SQL_ANY_OPEN_ACTION, 0, 0,
		                  &open_actions);
	for (j = batch; rc == STORE_OK && j != NULL; j = j->next) {
		j->rc = apply_one(w->db, j, now, open_actions != 0);
		/* A missing VM is that request's problem, not the batch's. */
		if (j->rc != STORE_OK && j->rc != STORE_NOTFOUND)
			rc = j->rc;
	}
	if (rc == STORE_OK) {
		/*
		 * Only points: cached figures may let that wait (see
		 * store_generation); a status or version shows at once.
		 */
		for (j = batch; j != NULL && !j->vm_changed; j = j->next)
			;
		db_set_telemetry(w->db, j == NULL);
		rc = db_commit(w->db);
	} else {
		db_rollback(w->db);
	}
	if (rc != STORE_OK) {
		for (j = batch; j != NULL; j = j->next) {
			j->rc = rc == STORE_ERR ? STORE_ERR : STORE_BUSY;
			json_decref(j->actions);
			j->actions = NULL;
		}
	}
}

/*
 * Every heartbeat waits for this one thread, so it should not wait for a
 * CPU behind the connection threads that feed it: measured on 2 cores
 * under load, nice -10 gave about 10 % more heartbeats a second. Needs
 * CAP_SYS_NICE or an RLIMIT_NICE that allows it (LimitNICE= in the
 * systemd unit); without either the writer runs at the normal priority.
 */
static void
raise_priority(void)
{
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), HB_WRITER_NICE) != 0)
		log_info("heartbeat writer: cannot raise its priority (%s);"
		         " it keeps the normal one",
		         strerror(errno));
}

static void *
writer_main(void *arg)
{
	struct hb_writer *w = arg;
	struct hb_job *batch, *j, *next;
	int n;

	raise_priority();
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->head == NULL && !w->stopping)
			pthread_cond_wait(&w->work, &w->lock);
		if (w->head == NULL && w->stopping)
			break;
		/* Take up to HB_BATCH_MAX queued jobs. */
		batch = w->head;
		for (j = batch, n = 1; j->next != NULL && n < HB_BATCH_MAX;
		     j = j->next, n++)
			;
		w->head = j->next;
		if (w->head == NULL)
			w->tail = NULL;
		j->next = NULL;
		pthread_mutex_unlock(&w->lock);

		pthread_mutex_lock(&w->gate);
		commit_batch(w, batch);
		pthread_mutex_unlock(&w->gate);

		/* A posted job may be gone at once: read next first. */
		for (j = batch; j != NULL; j = next) {
			next = j->next;
			sem_post(&j->done);
		}
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* The writer's commits call this when the WAL passes the mark. */
static void
kick_checkpointer(void *arg)
{
	struct hb_writer *w = arg;

	pthread_mutex_lock(&w->lock);
	w->kicked = true;
	pthread_cond_signal(&w->ckpt_cond);
	pthread_mutex_unlock(&w->lock);
}

static void
checkpoint(struct hb_writer *w)
{
	int rc = sqlite3_wal_checkpoint_v2(
	    db_handle(w->ckpt_db), NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		log_warn("checkpoint: %s",
		         sqlite3_errmsg(db_handle(w->ckpt_db)));
}

/*
 * Copies the WAL into the database file so that the WAL can start over
 * from its beginning. A PASSIVE checkpoint never waits for, nor blocks,
 * readers or the writer, but while the writer keeps appending it never
 * catches up: SQLite restarts the WAL only after a checkpoint has copied
 * every frame in it. So the bulk is copied alongside the writer, then
 * the few frames committed meanwhile with the writer held at the gate
 * between two batches. The writer itself never checkpoints: its time is
 * the heartbeats'.
 */
static void *
checkpointer_main(void *arg)
{
	struct hb_writer *w = arg;
	struct timespec until;
	bool kicked;

	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += HB_CHECKPOINT_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (!w->kicked)
			pthread_cond_timedwait(&w->ckpt_cond, &w->lock, &until);
		if (w->stopping)
			break;
		kicked = w->kicked;
		w->kicked = false;
		pthread_mutex_unlock(&w->lock);
		checkpoint(w);
		if (kicked) {
			pthread_mutex_lock(&w->gate);
			checkpoint(w);
			pthread_mutex_unlock(&w->gate);
		}
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct hb_writer *
hb_writer_start(const char *db_path)
{
	struct hb_writer *w = xcalloc(1, sizeof(*w));

	w->db = db_open(db_path);
	w->ckpt_db = db_open(db_path);
	if (w->db == NULL || w->ckpt_db == NULL) {
		db_close(w->db);
		db_close(w->ckpt_db);
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_mutex_init(&w->gate, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->ckpt_cond, NULL);
	/* Set before the writer runs; kicks before the checkpointer runs wait.
	 */
	db_defer_checkpoints(w->db, kick_checkpointer, w);
	if (pthread_create(&w->thread, NULL, writer_main, w) == 0)
		pthread_setname_np(w->thread, "hb-writer");
	else {
		log_error("cannot start the heartbeat writer");
		db_close(w->db);
		db_close(w->ckpt_db);
		free(w);
		return NULL;
	}
	if (pthread_create(&w->checkpointer, NULL, checkpointer_main, w) == 0)
		pthread_setname_np(w->checkpointer, "checkpointer");
	else {
		log_error("cannot start the checkpointer");
		hb_writer_stop(w);
		return NULL;
	}
	w->has_checkpointer = true;
	return w;
}

void
hb_writer_stop(struct hb_writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->work);
	pthread_cond_signal(&w->ckpt_cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	if (w->has_checkpointer)
		pthread_join(w->checkpointer, NULL);
	db_close(w->db);
	db_close(w->ckpt_db);
	pthread_cond_destroy(&w->ckpt_cond);
	pthread_mutex_destroy(&w->lock);
	pthread_mutex_destroy(&w->gate);
	pthread_cond_destroy(&w->work);
	free(w);
}

int
hb_writer_submit(struct hb_writer *w, const struct heartbeat *hb, char *status,
                 size_t status_len, json_t **actions)
{
	struct hb_job job;

	memset(&job, 0, sizeof(job));
	job.hb = hb;
	sem_init(&job.done, 0, 0);
	*actions = NULL;

	pthread_mutex_lock(&w->lock);
	if (w->stopping) {
		pthread_mutex_unlock(&w->lock);
		sem_destroy(&job.done);
		return STORE_BUSY;
	}
	if (w->tail != NULL)
		w->tail->next = &job;
	else
		w->head = &job;
	w->tail = &job;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
	while (sem_wait(&job.done) != 0)
		; /* EINTR: a signal handler ran; the job is still queued. */
	sem_destroy(&job.done);

	if (job.rc == STORE_OK) {
		snprintf(status, status_len, "%s", job.status);
		*actions = job.actions;
	} else {
		json_decref(job.actions);
	}
	return job.rc;
}
